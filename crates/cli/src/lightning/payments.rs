//! `invoice …`, `pay`, `keysend`, `payments`.

use super::context_on;
use crate::format::*;
use crate::{out, Output};
use clap::Subcommand;
use std::path::Path;
use switchyard_core::amount::{Msat, Sat};
use switchyard_core::node::payments::{CreateInvoiceRequest, KeysendRequest, PayInvoiceRequest};
use switchyard_core::node::NodeService;
use switchyard_core::ApiError;

/// Invoice commands.
#[derive(Subcommand)]
pub enum InvoiceCmd {
    /// Create an invoice.
    Create {
        /// Amount, sats (omit for "any amount").
        amount_sat: Option<Sat>,
        /// Memo shown to the payer.
        #[arg(long, default_value = "")]
        memo: String,
        /// Seconds until it expires.
        #[arg(long)]
        expiry: Option<u64>,
        /// Include hints to private channels.
        #[arg(long)]
        private: bool,
    },
    /// Decode an invoice and show what paying it would cost.
    Decode {
        /// The invoice.
        invoice: String,
        /// Amount, sats, for invoices without one.
        #[arg(long)]
        amount_sat: Option<Sat>,
    },
}

/// Paying and the payment history.
#[derive(Subcommand)]
pub enum PaymentCmd {
    /// Pay a BOLT 11 invoice.
    Pay {
        /// The invoice.
        invoice: String,
        /// Amount, sats, for invoices without one.
        #[arg(long)]
        amount_sat: Option<Sat>,
        /// Most to pay in fees, sats (default: 1%, at least 10).
        #[arg(long)]
        fee_limit_sat: Option<Sat>,
    },
    /// Send to a node key without an invoice.
    Keysend {
        /// Recipient node key.
        destination: String,
        /// Amount, sats.
        amount_sat: Sat,
        /// Most to pay in fees, sats.
        #[arg(long)]
        fee_limit_sat: Option<Sat>,
    },
    /// Payments and invoices, newest first.
    Payments {
        /// At most this many of each.
        #[arg(long, default_value_t = 100)]
        limit: u64,
    },
}

/// Runs one invoice command.
pub(super) async fn invoice(cmd: InvoiceCmd, svc: &NodeService) -> Result<Output, ApiError> {
    match cmd {
        InvoiceCmd::Create {
            amount_sat,
            memo,
            expiry,
            private,
        } => {
            let r = svc
                .payments()
                .create_invoice(&CreateInvoiceRequest {
                    amount_msat: msat_of(amount_sat)?,
                    memo,
                    expiry_secs: expiry,
                    private_hints: private,
                })
                .await?;
            let text = r.payment_request.clone();
            out(&r, text)
        }
        InvoiceCmd::Decode {
            invoice,
            amount_sat,
        } => {
            let p = svc
                .payments()
                .preview(&invoice, msat_of(amount_sat)?)
                .await?;
            let text = format!(
                "amount   {} msat\npayee    {}\nmemo     {}\nexpires  {} (unix)\nfee      {} msat over {} hop(s), time lock to block {}",
                p.amount_msat.to_msat(),
                p.invoice.payee,
                p.invoice.description.as_deref().unwrap_or(""),
                p.invoice.expires_at,
                p.fee_msat.to_msat(),
                p.hops.len(),
                p.total_time_lock
            );
            out(&p, text)
        }
    }
}

/// Runs one payment command.
pub(super) async fn run(
    cmd: PaymentCmd,
    svc: &NodeService,
    data_dir: &Path,
) -> Result<Output, ApiError> {
    match cmd {
        PaymentCmd::Pay {
            invoice,
            amount_sat,
            fee_limit_sat,
        } => {
            let ctx = context_on(svc, data_dir).await?;
            let r = ctx
                .pay_invoice(&PayInvoiceRequest {
                    invoice,
                    amount_msat: msat_of(amount_sat)?,
                    fee_limit_sat,
                    timeout_secs: None,
                })
                .await?;
            let text = format!(
                "Paid {} msat (fee {} msat). Preimage {}.",
                r.amount_msat.to_msat(),
                r.fee_msat.to_msat(),
                r.preimage.as_deref().unwrap_or("?")
            );
            out(&r, text)
        }
        PaymentCmd::Keysend {
            destination,
            amount_sat,
            fee_limit_sat,
        } => {
            let ctx = context_on(svc, data_dir).await?;
            let r = ctx
                .keysend(&KeysendRequest {
                    destination,
                    amount_sat,
                    fee_limit_sat,
                })
                .await?;
            let text = format!(
                "Sent {} msat (fee {} msat).",
                r.amount_msat.to_msat(),
                r.fee_msat.to_msat()
            );
            out(&r, text)
        }
        PaymentCmd::Payments { limit } => {
            let h = svc.payments().history(limit).await?;
            let text = h.iter().map(payment_line).collect::<Vec<_>>().join("\n");
            out(&h, text)
        }
    }
}

/// A typed amount in sats as msat, refused above the 21 million bitcoin supply.
fn msat_of(sat: Option<Sat>) -> Result<Option<Msat>, ApiError> {
    sat.map(Sat::to_msat)
        .transpose()
        .map_err(|e| ApiError::from(switchyard_core::node::NodeError::from(e)))
}
