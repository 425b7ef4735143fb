//! LND's PSBT calls (WalletKit): accounts imported from a hardware wallet's
//! xpub (watched by LND, spent only through PSBTs), funding a PSBT with
//! coin selection, releasing the coins it locked, LND's own signing and
//! finalizing of its inputs, and publishing.
//!
//! The flow that strings these together with a review and a signer is
//! `crate::spend`.

use super::client::CALL_TIMEOUT;
use super::connection::Connection;
use super::convert::sat;
use super::error::{classify_rpc, NodeError};
use crate::amount::Sat;
use bitcoin::psbt::Psbt;
use fedimint_tonic_lnd::{lnrpc, walletrpc};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use ts_rs::TS;

/// The script type of an imported account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum AccountType {
    /// BIP84 native SegWit.
    P2wkh,
    /// BIP49 nested SegWit.
    Np2wkh,
    /// BIP86 taproot.
    P2tr,
}

impl AccountType {
    /// The type of a BIP49/84/86 account, from its path's purpose.
    pub fn of_purpose(purpose: u32) -> Option<AccountType> {
        match purpose {
            84 => Some(AccountType::P2wkh),
            49 => Some(AccountType::Np2wkh),
            86 => Some(AccountType::P2tr),
            _ => None,
        }
    }

    fn wallet_kit(self) -> walletrpc::AddressType {
        match self {
            AccountType::P2wkh => walletrpc::AddressType::WitnessPubkeyHash,
            AccountType::Np2wkh => walletrpc::AddressType::NestedWitnessPubkeyHash,
            AccountType::P2tr => walletrpc::AddressType::TaprootPubkey,
        }
    }

    fn new_address(self) -> lnrpc::AddressType {
        match self {
            AccountType::P2wkh => lnrpc::AddressType::WitnessPubkeyHash,
            AccountType::Np2wkh => lnrpc::AddressType::NestedPubkeyHash,
            AccountType::P2tr => lnrpc::AddressType::TaprootPubkey,
        }
    }
}

/// An account to import into LND.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ImportAccount {
    /// Its name in LND (how later calls name it).
    pub name: String,
    /// The account's extended public key (at m/purpose'/coin'/account').
    pub xpub: String,
    /// The master key's fingerprint (8 hex digits): LND writes it into the
    /// PSBTs it funds, which is how a device knows its inputs.
    pub fingerprint: String,
    /// Its script type.
    pub account_type: AccountType,
}

/// What LND says about an import (a dry run lists the first addresses).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ImportedAccount {
    /// The name.
    pub name: String,
    /// The first receive addresses LND derives (dry run).
    pub receive: Vec<String>,
    /// The first change addresses LND derives (dry run).
    pub change: Vec<String>,
}

/// Coins LND locked for a funded PSBT, to release if it is not published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    /// The lock's id (32 bytes).
    pub id: Vec<u8>,
    /// The coin, `txid:vout`.
    pub outpoint: String,
}

/// A PSBT LND funded.
#[derive(Debug, Clone)]
pub struct FundedPsbt {
    /// The PSBT: our outputs, LND's inputs (with UTXOs and key paths) and
    /// change.
    pub psbt: Psbt,
    /// The change output, if LND added one.
    pub change_index: Option<usize>,
    /// The coins it locked.
    pub leases: Vec<Lease>,
}

/// What to fund.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct FundRequest {
    /// Addresses (already checked against the node's network) and amounts.
    pub outputs: Vec<(String, Sat)>,
    /// The account to spend from (empty: LND's default wallet).
    #[serde(default)]
    pub account: String,
    /// Fee rate, sat/vB.
    #[ts(type = "number")]
    pub sat_per_vbyte: u64,
    /// Only these coins (`txid:vout`), coin control; empty: LND selects.
    #[serde(default)]
    pub inputs: Vec<String>,
}

/// LND's PSBT calls.
#[derive(Clone)]
pub struct PsbtNode {
    conn: Arc<Connection>,
}

fn bad(message: String) -> NodeError {
    NodeError::BadRequest { message }
}

fn outpoint(text: &str) -> Result<lnrpc::OutPoint, NodeError> {
    let op: bitcoin::OutPoint = text.trim().parse().map_err(|_| {
        bad(format!(
            "“{text}” is not a coin: write it as txid:output (as the coin list shows it)."
        ))
    })?;
    Ok(lnrpc::OutPoint {
        txid_str: op.txid.to_string(),
        output_index: op.vout,
        ..Default::default()
    })
}

impl PsbtNode {
    /// The calls over `conn`.
    pub fn new(conn: Arc<Connection>) -> PsbtNode {
        PsbtNode { conn }
    }

    /// Imports an account (`dry_run`: only shows the addresses LND would
    /// derive, changing nothing).
    pub async fn import_account(
        &self,
        req: &ImportAccount,
        dry_run: bool,
    ) -> Result<ImportedAccount, NodeError> {
        let fingerprint: bitcoin::bip32::Fingerprint = req.fingerprint.parse().map_err(|_| {
            bad(format!(
                "“{}” is not a master key fingerprint (8 hex digits).",
                req.fingerprint
            ))
        })?;
        let c = self.conn.client().await?;
        let mut wk = c.wallet_kit.clone();
        let r = c
            .call(
                CALL_TIMEOUT,
                wk.import_account(walletrpc::ImportAccountRequest {
                    name: req.name.clone(),
                    extended_public_key: req.xpub.clone(),
                    master_key_fingerprint: fingerprint.as_bytes().to_vec(),
                    address_type: req.account_type.wallet_kit() as i32,
                    dry_run,
                }),
            )
            .await?;
        if !dry_run {
            tracing::info!(account = %req.name, "account imported into LND (watch-only)");
        }
        Ok(ImportedAccount {
            name: r
                .account
                .map(|a| a.name)
                .unwrap_or_else(|| req.name.clone()),
            receive: r.dry_run_external_addrs,
            change: r.dry_run_internal_addrs,
        })
    }

    /// A new receive address of an account.
    pub async fn new_address(
        &self,
        account: &str,
        account_type: AccountType,
    ) -> Result<String, NodeError> {
        let c = self.conn.client().await?;
        let mut ln = c.lightning.clone();
        let r = c
            .call(
                CALL_TIMEOUT,
                ln.new_address(lnrpc::NewAddressRequest {
                    r#type: account_type.new_address() as i32,
                    account: account.to_string(),
                }),
            )
            .await?;
        Ok(r.address)
    }

    /// An account's balance: (confirmed, unconfirmed).
    pub async fn balance(&self, account: &str) -> Result<(Sat, Sat), NodeError> {
        let c = self.conn.client().await?;
        let mut ln = c.lightning.clone();
        let r = c
            .call(
                CALL_TIMEOUT,
                ln.wallet_balance(lnrpc::WalletBalanceRequest {
                    account: account.to_string(),
                    ..Default::default()
                }),
            )
            .await?;
        Ok((sat(r.confirmed_balance), sat(r.unconfirmed_balance)))
    }

    /// Funds a PSBT paying `req.outputs` from `req.account`: LND selects
    /// coins (or takes `req.inputs`), adds change and locks the coins.
    pub async fn fund(&self, req: &FundRequest) -> Result<FundedPsbt, NodeError> {
        if req.outputs.is_empty() {
            return Err(bad("Nothing to pay: add an address and an amount.".into()));
        }
        if req.sat_per_vbyte == 0 {
            return Err(bad("Choose a fee rate of at least 1 sat/vB.".into()));
        }
        let mut outputs = std::collections::HashMap::new();
        for (addr, amount) in &req.outputs {
            if outputs.insert(addr.clone(), amount.to_sat()).is_some() {
                return Err(bad(format!(
                    "{addr} is paid twice: put both amounts in one output."
                )));
            }
        }
        let inputs = req
            .inputs
            .iter()
            .map(|o| outpoint(o))
            .collect::<Result<Vec<_>, _>>()?;
        let c = self.conn.client().await?;
        let mut wk = c.wallet_kit.clone();
        let r = c
            .call(
                CALL_TIMEOUT,
                wk.fund_psbt(walletrpc::FundPsbtRequest {
                    template: Some(walletrpc::fund_psbt_request::Template::Raw(
                        walletrpc::TxTemplate { inputs, outputs },
                    )),
                    fees: Some(walletrpc::fund_psbt_request::Fees::SatPerVbyte(
                        req.sat_per_vbyte,
                    )),
                    account: req.account.clone(),
                    min_confs: 1,
                    spend_unconfirmed: false,
                    ..Default::default()
                }),
            )
            .await
            .map_err(|e| classify_rpc(e, None))?;
        let leases = r
            .locked_utxos
            .iter()
            .filter_map(|l| {
                let op = l.outpoint.as_ref()?;
                Some(Lease {
                    id: l.id.clone(),
                    outpoint: format!("{}:{}", op.txid_str, op.output_index),
                })
            })
            .collect();
        let psbt = Psbt::deserialize(&r.funded_psbt).map_err(|e| NodeError::Internal {
            detail: format!("LND's funded PSBT does not parse: {e}"),
        })?;
        Ok(FundedPsbt {
            psbt,
            change_index: usize::try_from(r.change_output_index).ok(),
            leases,
        })
    }

    /// Releases the coins a funded PSBT locked (every failure path calls
    /// this; an already released lease is not an error).
    pub async fn release(&self, leases: &[Lease]) -> Result<(), NodeError> {
        if leases.is_empty() {
            return Ok(());
        }
        let c = self.conn.client().await?;
        for l in leases {
            let mut wk = c.wallet_kit.clone();
            let r = c
                .call(
                    CALL_TIMEOUT,
                    wk.release_output(walletrpc::ReleaseOutputRequest {
                        id: l.id.clone(),
                        outpoint: Some(outpoint(&l.outpoint)?),
                    }),
                )
                .await;
            match r {
                Ok(_) => tracing::info!(outpoint = %l.outpoint, "coin released"),
                Err(NodeError::Rpc { detail }) if detail.contains("not locked") => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// The coins LND holds locked now (`txid:vout`).
    pub async fn leases(&self) -> Result<Vec<String>, NodeError> {
        let c = self.conn.client().await?;
        let mut wk = c.wallet_kit.clone();
        let r = c
            .call(
                CALL_TIMEOUT,
                wk.list_leases(walletrpc::ListLeasesRequest {}),
            )
            .await?;
        Ok(r.locked_utxos
            .iter()
            .filter_map(|l| {
                let op = l.outpoint.as_ref()?;
                Some(format!("{}:{}", op.txid_str, op.output_index))
            })
            .collect())
    }

    /// LND signs and finalizes the inputs of its own wallet (`account`;
    /// every other input must carry its final or partial signatures
    /// already); returns the final transaction.
    pub async fn finalize(
        &self,
        psbt: &Psbt,
        account: &str,
    ) -> Result<bitcoin::Transaction, NodeError> {
        let c = self.conn.client().await?;
        let mut wk = c.wallet_kit.clone();
        let r = c
            .call(
                CALL_TIMEOUT,
                wk.finalize_psbt(walletrpc::FinalizePsbtRequest {
                    funded_psbt: psbt.serialize(),
                    account: account.to_string(),
                }),
            )
            .await?;
        bitcoin::consensus::deserialize(&r.raw_final_tx).map_err(|e| NodeError::Internal {
            detail: format!("LND's final transaction does not parse: {e}"),
        })
    }

    /// Publishes a final transaction; returns its txid.
    pub async fn publish(
        &self,
        tx: &bitcoin::Transaction,
        label: &str,
    ) -> Result<String, NodeError> {
        let c = self.conn.client().await?;
        c.publish(tx, label).await?;
        Ok(tx.compute_txid().to_string())
    }
}
