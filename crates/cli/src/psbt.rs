//! `switchyard psbt …`: PSBTs read the way the review screen shows them.

use crate::{out, Output};
use clap::Subcommand;
use std::path::Path;
use switchyard_core::amount::grouped;
use switchyard_core::psbt::{review_with_wallet, OutputKind, Owner, Review};
use switchyard_core::{ApiError, Context, ErrorCode};

#[derive(Subcommand)]
pub enum PsbtCmd {
    /// Show what a PSBT spends and pays, whose each input and output is
    /// (decided through the wallet's own descriptors, never by the PSBT's
    /// say-so), the fee and the warnings to see before signing.
    Inspect {
        /// The PSBT: base64 text or a binary file (`-` reads standard input).
        file: String,
        /// The wallet whose descriptors decide what is ours (id or name;
        /// default: the only wallet).
        #[arg(long)]
        wallet: Option<String>,
    },
}

/// Reads a file or standard input, capped.
pub fn read_input(file: &str) -> Result<Vec<u8>, ApiError> {
    const LIMIT: u64 = switchyard_core::files::MAX_CREDENTIAL_BYTES * 16;
    if file == "-" {
        use std::io::Read;
        let mut b = Vec::new();
        std::io::stdin()
            .take(LIMIT)
            .read_to_end(&mut b)
            .map_err(|e| {
                ApiError::new(
                    ErrorCode::InvalidRequest,
                    format!("Cannot read standard input: {e}"),
                )
            })?;
        return Ok(b);
    }
    switchyard_core::files::read_capped(Path::new(file), LIMIT).map_err(|e| {
        ApiError::new(
            ErrorCode::InvalidRequest,
            format!("Cannot read {file}: {e}"),
        )
    })
}

pub async fn run(cmd: PsbtCmd, data_dir: &Path) -> Result<Output, ApiError> {
    match cmd {
        PsbtCmd::Inspect { file, wallet } => {
            let bytes = read_input(&file)?;
            let ctx = Context::open(data_dir).await?;
            let wallet = match wallet {
                Some(w) => w,
                None => {
                    let all = ctx.wallets.list().await?;
                    match all.as_slice() {
                        [one] => one.id.clone(),
                        [] => {
                            return Err(ApiError::new(
                                ErrorCode::WalletNotFound,
                                "No wallet here: the review needs a wallet's descriptors to tell what is yours.",
                            ))
                        }
                        _ => {
                            return Err(ApiError::new(
                                ErrorCode::InvalidRequest,
                                "Several wallets: choose one with --wallet.",
                            ))
                        }
                    }
                }
            };
            let r = review_with_wallet(&ctx.wallets, &wallet, &bytes).await?;
            let text = review_text(&r);
            out(&r, text)
        }
    }
}

fn sats(v: u64) -> String {
    format!("{} sats", grouped(v))
}

/// The review as text.
pub fn review_text(r: &Review) -> String {
    let mut t = String::from("inputs\n");
    for (i, input) in r.inputs.iter().enumerate() {
        let owner = match &input.owner {
            Owner::Ours { path, .. } => format!("ours {path}"),
            Owner::External => "not ours".into(),
        };
        t.push_str(&format!(
            "  {i}  {}  {}  {owner}{}{}\n",
            input.outpoint,
            input
                .value
                .map(|v| sats(v.to_sat()))
                .unwrap_or_else(|| "amount unknown".into()),
            input
                .address
                .as_deref()
                .map(|a| format!("  {a}"))
                .unwrap_or_default(),
            if input.signed { "  signed" } else { "" },
        ));
    }
    t.push_str("outputs\n");
    for o in &r.outputs {
        let kind = match &o.kind {
            OutputKind::Payment => "payment".to_string(),
            OutputKind::ChannelFunding => "channel funding".to_string(),
            OutputKind::Change { path, .. } => format!("change {path}"),
            OutputKind::OwnReceive { path, .. } => format!("to yourself {path}"),
        };
        t.push_str(&format!(
            "  {}  {}  {}  {kind}\n",
            o.index,
            o.address.as_deref().unwrap_or("(no address)"),
            sats(o.value.to_sat())
        ));
    }
    let fee = match (r.fee, r.fee_rate) {
        (Some(f), Some(rate)) => {
            format!("fee {} ({rate} sat/vB, {} vB)", sats(f.to_sat()), r.vsize)
        }
        _ => format!(
            "fee unknown: {} of {} inputs without their amount",
            r.missing_inputs,
            r.inputs.len()
        ),
    };
    t.push_str(&format!(
        "sent {} · change {} · {fee}\n",
        sats(r.sent.to_sat()),
        sats(r.change.to_sat())
    ));
    for w in &r.warnings {
        t.push_str(&format!("! {w}\n"));
    }
    t
}
