//! `switchyard psbt …`: PSBTs read the way the review screen shows them.

use crate::{out, Output};
use clap::Subcommand;
use std::path::Path;
use switchyard_core::amount::grouped;
use switchyard_core::psbt::{
    combine, extract, finalize, parse, pick_wallet, review_with_wallet, sign_with_wallet, v2,
    version_of, OutputKind, Owner, PsbtError, Review, SignOptions,
};
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
    /// Review, then sign the inputs that are provably the wallet's with its
    /// own keys (from the keychain). Refuses a PSBT whose review shows a
    /// contradicting UTXO, an unknown fee or outputs above the inputs.
    Sign {
        /// The PSBT: base64 text or a binary file (`-` reads standard input).
        file: String,
        /// The wallet (id or name; default: the only wallet).
        #[arg(long)]
        wallet: Option<String>,
        /// Sign inputs that ask for a non-default sighash type (after reading
        /// the warning: such a signature does not commit to every output).
        #[arg(long)]
        allow_sighash: bool,
        /// Write the signed PSBT here (binary) instead of printing it (base64).
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
    /// Combine PSBTs of one transaction signed by different signers (BIP174's
    /// combiner): they must be of the same unsigned transaction and agree on
    /// what each input spends; every signature in the result is verified.
    Combine {
        /// The PSBTs: base64 text or binary files (`-` once for standard input).
        #[arg(required = true, num_args = 2..)]
        files: Vec<String>,
        /// Write the combined PSBT here (binary) instead of printing it (base64).
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
    /// A PSBT as BBQr QR frames (for a signer with a camera): the frames'
    /// text, one per line, and with --svg-dir each drawn as an SVG file.
    Qr {
        /// The PSBT (`-` reads standard input).
        file: String,
        /// Write frame-01.svg, frame-02.svg, … here.
        #[arg(long)]
        svg_dir: Option<std::path::PathBuf>,
    },
    /// The same PSBT in version 0 (BIP174, what most wallets take) or
    /// version 2 (BIP370). `psbt sign` and `psbt combine` already answer in
    /// the version they were given.
    Convert {
        /// The PSBT (`-` reads standard input).
        file: String,
        /// The version to write: 0 or 2.
        #[arg(long, value_parser = ["0", "2"])]
        to: String,
        /// Write it here (binary) instead of printing it (base64).
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
    /// Finalize every input from its signatures; prints the PSBT (base64).
    Finalize {
        /// The PSBT (`-` reads standard input).
        file: String,
    },
    /// The network transaction of a finalized PSBT, hex.
    Extract {
        /// The PSBT (`-` reads standard input).
        file: String,
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
            let wallet = pick_wallet(&ctx.wallets, wallet.as_deref()).await?;
            let r = review_with_wallet(&ctx.wallets, &wallet, &bytes).await?;
            let text = review_text(&r);
            out(&r, text)
        }
        PsbtCmd::Sign {
            file,
            wallet,
            allow_sighash,
            out: dest,
        } => {
            let bytes = read_input(&file)?;
            let ctx = Context::open(data_dir).await?;
            let wallet = pick_wallet(&ctx.wallets, wallet.as_deref()).await?;
            let opts = SignOptions {
                allow_non_default_sighash: allow_sighash,
            };
            let mut signed =
                sign_with_wallet(&ctx.wallets, &wallet, &bytes, opts, crate::app_password())
                    .await?;
            let version = version_of(&bytes).unwrap_or(0);
            let psbt = parse(signed.psbt.as_bytes()).map_err(PsbtError::from)?;
            let written = in_version(&psbt, version)?;
            signed.psbt = base64(&written);
            let mut text = review_text(&signed.review);
            text.push_str(&format!("signed inputs {:?}\n", signed.signed_inputs));
            if let Some(path) = dest {
                write_file(&path, &written)?;
                text.push_str(&format!("written to {}\n", path.display()));
            } else {
                text.push_str(&format!("{}\n", signed.psbt));
            }
            out(&signed, text)
        }
        PsbtCmd::Combine { files, out: dest } => {
            let mut version = 0;
            let psbts = files
                .iter()
                .map(|f| {
                    let bytes = read_input(f)?;
                    // Version 2 in, version 2 out (any of them asks for it).
                    version = version.max(version_of(&bytes).unwrap_or(0));
                    parse(&bytes)
                        .map_err(|e| ApiError::new(ErrorCode::InvalidRequest, format!("{f}: {e}")))
                })
                .collect::<Result<Vec<_>, ApiError>>()?;
            let (psbt, verified) = combine(psbts).map_err(PsbtError::from)?;
            let written = in_version(&psbt, version)?;
            let b64 = base64(&written);
            let mut text = format!(
                "combined {} PSBTs; {} signature(s) verified\n",
                files.len(),
                verified.ecdsa + verified.schnorr
            );
            if let Some(path) = &dest {
                write_file(path, &written)?;
                text.push_str(&format!("written to {}\n", path.display()));
            } else {
                text.push_str(&format!("{b64}\n"));
            }
            out(
                &serde_json::json!({ "psbt": b64, "version": version, "ecdsa": verified.ecdsa, "schnorr": verified.schnorr }),
                text,
            )
        }
        PsbtCmd::Convert {
            file,
            to,
            out: dest,
        } => {
            let bytes = read_input(&file)?;
            let from = version_of(&bytes).unwrap_or(0);
            let psbt = parse(&bytes).map_err(PsbtError::from)?;
            let version = if to == "2" { 2 } else { 0 };
            let written = in_version(&psbt, version)?;
            let b64 = base64(&written);
            let text = match &dest {
                Some(path) => {
                    write_file(path, &written)?;
                    format!(
                        "version {from} → {version}, written to {}\n",
                        path.display()
                    )
                }
                None => format!("{b64}\n"),
            };
            out(
                &serde_json::json!({ "psbt": b64, "from": from, "version": version }),
                text,
            )
        }
        PsbtCmd::Qr { file, svg_dir } => {
            let psbt = parse(&read_input(&file)?).map_err(PsbtError::from)?;
            let parts = switchyard_core::psbt::qr::frames(&psbt).map_err(PsbtError::from)?;
            let mut text = parts.join("\n");
            text.push('\n');
            if let Some(dir) = &svg_dir {
                for (i, p) in parts.iter().enumerate() {
                    let svg = switchyard_core::psbt::qr::svg(p).map_err(PsbtError::from)?;
                    let path = dir.join(format!("frame-{:02}.svg", i + 1));
                    std::fs::create_dir_all(dir)
                        .and_then(|()| std::fs::write(&path, svg))
                        .map_err(|e| {
                            ApiError::new(
                                ErrorCode::InvalidRequest,
                                format!("Cannot write {}: {e}", path.display()),
                            )
                        })?;
                }
                text.push_str(&format!(
                    "{} SVG file(s) in {}\n",
                    parts.len(),
                    dir.display()
                ));
            }
            out(&serde_json::json!({ "parts": parts }), text)
        }
        PsbtCmd::Finalize { file } => {
            let mut psbt = parse(&read_input(&file)?).map_err(PsbtError::from)?;
            finalize(&mut psbt).map_err(PsbtError::from)?;
            let b64 = psbt.to_string();
            out(&serde_json::json!({ "psbt": b64 }), format!("{b64}\n"))
        }
        PsbtCmd::Extract { file } => {
            let psbt = parse(&read_input(&file)?).map_err(PsbtError::from)?;
            let tx = extract(psbt).map_err(PsbtError::from)?;
            let hex = bitcoin::consensus::encode::serialize_hex(&tx);
            out(
                &serde_json::json!({ "txid": tx.compute_txid().to_string(), "hex": hex }),
                format!("{hex}\n"),
            )
        }
    }
}

/// Writes a PSBT as a binary `.psbt` file.
pub fn write_binary(path: &Path, psbt: &bitcoin::psbt::Psbt) -> Result<(), ApiError> {
    write_file(path, &psbt.serialize())
}

/// `psbt`'s bytes in `version` (0 or 2).
fn in_version(psbt: &bitcoin::psbt::Psbt, version: u32) -> Result<Vec<u8>, ApiError> {
    if version == 2 {
        v2::to_v2(psbt).map_err(|e| {
            ApiError::new(
                ErrorCode::InvalidRequest,
                format!("Cannot write it as version 2: {e}"),
            )
        })
    } else {
        Ok(psbt.serialize())
    }
}

fn base64(bytes: &[u8]) -> String {
    use bitcoin::base64::Engine;
    bitcoin::base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), ApiError> {
    std::fs::write(path, bytes).map_err(|e| {
        ApiError::new(
            ErrorCode::InvalidRequest,
            format!("Cannot write {}: {e}", path.display()),
        )
    })
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
