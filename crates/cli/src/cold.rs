//! Cold storage on the command line: `device …` (hardware wallets through
//! HWI), `wallet import-watch|lnd-import|balance`, `onchain send --psbt`,
//! `channel open --psbt`.

use crate::lightning::{NodeArgs, PsbtArgs};
use crate::psbt::{read_input, review_text};
use crate::{out, Output};
use clap::Subcommand;
use std::path::Path;
use std::str::FromStr;
use switchyard_core::amount::{grouped, Sat};
use switchyard_core::cold::{self, PsbtOpen, PsbtSend};
use switchyard_core::psbt::{parse, pick_wallet, review, Policy, PsbtError, SignOptions};
use switchyard_core::signer::hwi::Bridge;
use switchyard_core::signer::{sign_reviewed, verify_address, AddressKind, Signer};
use switchyard_core::wallet::ImportWatch;
use switchyard_core::{ApiError, Context, ErrorCode, Network};

/// Hardware wallets.
#[derive(Subcommand)]
pub enum DeviceCmd {
    /// The connected hardware wallets (type, model, fingerprint).
    List {
        /// Also look for device emulators on their local ports.
        #[arg(long)]
        emulators: bool,
    },
    /// The extended public key at a path, from the device.
    Xpub {
        /// e.g. m/84'/0'/0'.
        path: String,
        /// The device (default: the only one connected).
        #[arg(long)]
        fingerprint: Option<String>,
        #[arg(long)]
        emulators: bool,
    },
    /// Show a wallet's address on its device and check it against ours.
    VerifyAddress {
        /// The watch-only wallet (id or name).
        wallet: String,
        /// The address index.
        #[arg(long, default_value_t = 0)]
        index: u32,
        /// A change address.
        #[arg(long)]
        change: bool,
        #[arg(long)]
        emulators: bool,
    },
    /// Review a PSBT against a wallet, then sign it on the wallet's device;
    /// what comes back must be the reviewed transaction with signatures that
    /// verify.
    Sign {
        /// The PSBT: base64 text or a binary file (`-` reads standard input).
        file: String,
        /// The watch-only wallet (default: the only wallet).
        #[arg(long)]
        wallet: Option<String>,
        /// Write the signed PSBT here (binary) instead of printing it.
        #[arg(long)]
        out: Option<std::path::PathBuf>,
        #[arg(long)]
        emulators: bool,
    },
}

fn bad(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::InvalidRequest, message)
}

async fn device_by(
    network: Network,
    fingerprint: Option<&str>,
    emulators: bool,
) -> Result<Box<dyn Signer>, ApiError> {
    Ok(cold::device(network, fingerprint, emulators).await?)
}

/// Runs a `device` command.
pub async fn device(cmd: DeviceCmd, node: &NodeArgs, data_dir: &Path) -> Result<Output, ApiError> {
    let emulators_env = cold::emulators_enabled();
    match cmd {
        DeviceCmd::List { emulators } => {
            let list = cold::devices(node.network(), emulators || emulators_env).await?;
            let text = if list.is_empty() {
                "No hardware wallet found. Plug one in, unlock it and open its Bitcoin app.".into()
            } else {
                list.iter()
                    .map(|d| {
                        format!(
                            "{}  {}  {}  {}{}",
                            d.fingerprint.as_deref().unwrap_or("(locked)"),
                            d.display_name(),
                            match d.bridge {
                                Bridge::Native => "direct",
                                Bridge::Hwi => "via HWI",
                            },
                            d.path,
                            d.error
                                .as_deref()
                                .map(|e| format!("  ({e})"))
                                .unwrap_or_default()
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            out(&list, text)
        }
        DeviceCmd::Xpub {
            path,
            fingerprint,
            emulators,
        } => {
            let path = switchyard_core::keys::parse_path(&path).map_err(|e| bad(e.to_string()))?;
            let d = device_by(
                node.network(),
                fingerprint.as_deref(),
                emulators || emulators_env,
            )
            .await?;
            let fp = d.fingerprint().await?;
            let xpub = d.xpub(&path).await?;
            let origin = switchyard_core::keys::format_path(&path);
            let descriptor = format!("[{fp}/{}]{xpub}", origin.trim_start_matches("m/"));
            out(
                &serde_json::json!({
                    "fingerprint": fp.to_string(),
                    "path": origin,
                    "xpub": xpub.to_string(),
                    "key": descriptor,
                }),
                format!("{descriptor}\n"),
            )
        }
        DeviceCmd::VerifyAddress {
            wallet,
            index,
            change,
            emulators,
        } => {
            let ctx = Context::open(data_dir).await?;
            let w = ctx.wallets.resolve(&wallet).await?;
            let detail = ctx.wallets.detail(&w.id).await?;
            let account = detail
                .accounts
                .first()
                .ok_or_else(|| bad("This wallet has no account."))?;
            let chain = if change {
                switchyard_core::keys::Chain::Change
            } else {
                switchyard_core::keys::Chain::Receive
            };
            let ours = ctx
                .wallets
                .addresses(&w.id, account.purpose, chain, index, 1)
                .await?;
            let ours = &ours[0];
            let path =
                switchyard_core::keys::parse_path(&ours.path).map_err(|e| bad(e.to_string()))?;
            let kind =
                AddressKind::of_path(&path).ok_or_else(|| bad("Not a BIP44/49/84/86 address."))?;
            let expected = bitcoin::Address::from_str(&ours.address)
                .map_err(|e| bad(e.to_string()))?
                .assume_checked();
            let signer = cold::signer_for(&ctx.wallets, &w, emulators || emulators_env).await?;
            eprintln!(
                "Check the address on the {}: {} ({})",
                signer.label(),
                ours.address,
                ours.path
            );
            let shown = verify_address(signer.as_ref(), &path, kind, &expected).await?;
            out(
                &serde_json::json!({ "address": ours.address, "path": ours.path, "shown": shown, "verified": true }),
                format!(
                    "The {} shows {} for {}: it is this wallet's.",
                    signer.label(),
                    shown,
                    ours.path
                ),
            )
        }
        DeviceCmd::Sign {
            file,
            wallet,
            out: dest,
            emulators,
        } => {
            let bytes = read_input(&file)?;
            let ctx = Context::open(data_dir).await?;
            let wallet = pick_wallet(&ctx.wallets, wallet.as_deref()).await?;
            let w = ctx.wallets.resolve(&wallet).await?;
            let psbt = parse(&bytes).map_err(PsbtError::from)?;
            let ours = cold::wallet_descriptors(&ctx.wallets, &w.id).await?;
            let r = review(&psbt, &Policy::new(w.network.to_bitcoin(), ours));
            let signer = cold::signer_for(&ctx.wallets, &w, emulators || emulators_env).await?;
            eprint!("{}", review_text(&r));
            eprintln!("Confirm on the {}…", signer.label());
            let signed = sign_reviewed(signer.as_ref(), &psbt, &r, SignOptions::default()).await?;
            let mut text = format!(
                "signed inputs {:?} ({} signature(s) verified)\n",
                signed.signed_inputs,
                signed.verified.ecdsa + signed.verified.schnorr
            );
            match dest {
                Some(path) => {
                    crate::psbt::write_binary(&path, &signed.psbt)?;
                    text.push_str(&format!("written to {}\n", path.display()));
                }
                None => text.push_str(&format!("{}\n", signed.psbt)),
            }
            out(&signed, text)
        }
    }
}

/// What `wallet import-watch` is given.
#[derive(clap::Args)]
pub struct WatchArgs {
    #[arg(long)]
    pub name: String,
    #[arg(long, default_value = "regtest")]
    pub network: Network,
    /// The extended public key or descriptor.
    #[arg(required_unless_present = "from_device")]
    pub key: Option<String>,
    /// The master key's fingerprint (for a bare extended key; with
    /// --from-device, which device).
    #[arg(long)]
    pub fingerprint: Option<String>,
    /// The account's path (default: the key's SLIP-132 purpose, account 0).
    #[arg(long)]
    pub path: Option<String>,
    /// Read the account key from the connected hardware wallet.
    #[arg(long)]
    pub from_device: bool,
    /// Also look for device emulators.
    #[arg(long)]
    pub emulators: bool,
}

/// `wallet import-watch`.
pub async fn import_watch(ctx: &Context, args: WatchArgs) -> Result<Output, ApiError> {
    let WatchArgs {
        name,
        network,
        key,
        fingerprint,
        path,
        from_device,
        emulators,
    } = args;
    let w = if from_device {
        cold::watch_device(
            ctx,
            name,
            network,
            fingerprint.as_deref(),
            path.as_deref(),
            emulators || cold::emulators_enabled(),
        )
        .await?
    } else {
        let key = key
            .ok_or_else(|| bad("Give the extended public key or descriptor (or --from-device)."))?;
        ctx.wallets
            .import_watch(ImportWatch {
                name,
                network,
                key,
                fingerprint,
                path,
                device: None,
            })
            .await?
    };
    let detail = ctx.wallets.detail(&w.id).await?;
    let text = format!(
        "Watch-only wallet “{}” ({}, fingerprint {}): {} {}\n{}",
        w.name,
        w.network,
        w.fingerprint,
        detail.accounts[0].label,
        detail.accounts[0].path,
        detail.accounts[0].receive_descriptor
    );
    out(&w, text)
}

async fn node_context(node: &NodeArgs, data_dir: &Path) -> Result<Context, ApiError> {
    let ctx = Context::open(data_dir).await?;
    use_node(&ctx, node).await?;
    Ok(ctx)
}

/// Points `ctx`'s node layer at the node the options name.
async fn use_node(ctx: &Context, node: &NodeArgs) -> Result<(), ApiError> {
    let source = node.source(ctx).await?;
    ctx.node.conn.switch(source).await;
    Ok(())
}

/// `wallet lnd-import`.
pub async fn lnd_import(
    ctx: &Context,
    node: &NodeArgs,
    wallet: &str,
    dry_run: bool,
) -> Result<Output, ApiError> {
    use_node(ctx, node).await?;
    let r = cold::lnd_import(ctx, wallet, dry_run).await?;
    let mut text = format!("LND account “{}” for {} — dry run:\n", r.account, r.path);
    for (i, (lnd, ours)) in r.lnd.receive.iter().zip(&r.ours_receive).enumerate() {
        text.push_str(&format!(
            "  receive {i}  {lnd}  {}\n",
            if lnd == ours { "= ours" } else { "≠ ours" }
        ));
    }
    for (i, (lnd, ours)) in r.lnd.change.iter().zip(&r.ours_change).enumerate() {
        text.push_str(&format!(
            "  change  {i}  {lnd}  {}\n",
            if lnd == ours { "= ours" } else { "≠ ours" }
        ));
    }
    text.push_str(if r.imported {
        "Imported: LND watches this account; spend from it with onchain send --psbt.\n"
    } else if r.matches {
        "The addresses match; run without --dry-run to import.\n"
    } else {
        "The addresses differ: not imported.\n"
    });
    out(&r, text)
}

/// `wallet balance`.
pub async fn balance(
    ctx: &Context,
    node: &NodeArgs,
    wallet: &str,
    address: bool,
) -> Result<Output, ApiError> {
    use_node(ctx, node).await?;
    let b = cold::account_balance(ctx, wallet, address).await?;
    let mut text = format!(
        "{}: {} sats confirmed, {} sats unconfirmed",
        b.account,
        grouped(b.confirmed_sat.to_sat()),
        grouped(b.unconfirmed_sat.to_sat())
    );
    if let Some(a) = &b.address {
        text.push_str(&format!("\nreceive at {a}"));
    }
    out(&b, text)
}

/// The rate and the limit a PSBT send or open needs, from the options.
fn rate_and_limit(
    sat_per_vbyte: Option<u64>,
    cold: &PsbtArgs,
    what: &str,
) -> Result<(u64, Sat), ApiError> {
    let rate = sat_per_vbyte.ok_or_else(|| {
        bad(format!(
            "Give the fee rate (--sat-per-vbyte) for a PSBT {what}."
        ))
    })?;
    let limit = cold.max_fee.ok_or_else(|| {
        bad("Give the most fee you accept (--max-fee, sats): nothing is signed above it.")
    })?;
    Ok((rate, limit))
}

/// `onchain send --psbt`: fund through LND, review, sign on the wallet's
/// signer, publish; without `--yes` only the review (the coins released).
pub async fn send_psbt(
    data_dir: &Path,
    node: &NodeArgs,
    cold: PsbtArgs,
    address: String,
    amount: Sat,
    sat_per_vbyte: Option<u64>,
    inputs: Vec<String>,
) -> Result<Output, ApiError> {
    let ctx = node_context(node, data_dir).await?;
    let wallet = pick_wallet(&ctx.wallets, cold.wallet.as_deref()).await?;
    let (sat_per_vbyte, max_fee_sat) = rate_and_limit(sat_per_vbyte, &cold, "send")?;
    let req = PsbtSend {
        wallet: wallet.clone(),
        address,
        amount_sat: amount,
        sat_per_vbyte,
        max_fee_sat,
        inputs,
    };
    let prepared = cold::send_prepare(&ctx, &req).await?;
    let review = review_text(&prepared.review);
    if !cold.yes {
        cold::send_abort(&ctx, &prepared).await?;
        return out(
            &prepared,
            format!("{review}Nothing signed; the coins are released. Run again with --yes to sign and send.\n"),
        );
    }
    eprint!("{review}");
    let sent = cold::send_complete(
        &ctx,
        &wallet,
        &prepared,
        cold.emulators || cold::emulators_enabled(),
    )
    .await?;
    let txid = sent.txid.clone();
    out(&sent, format!("{review}Sent: {txid}\n"))
}

/// What `channel open --psbt` shows without `--yes`.
#[derive(serde::Serialize)]
struct OpenReview<'a> {
    funding_addresses: Vec<&'a str>,
    review: &'a switchyard_core::psbt::Review,
    psbt: String,
}

/// `channel open --psbt`: the peer agrees, LND funds the PSBT from the
/// wallet's account, the review, the wallet's signer signs, LND publishes;
/// without `--yes` only the review (the open cancelled, the coins released).
pub async fn open_psbt(
    data_dir: &Path,
    node: &NodeArgs,
    cold: PsbtArgs,
    mut req: PsbtOpen,
    sat_per_vbyte: Option<u64>,
) -> Result<Output, ApiError> {
    let ctx = node_context(node, data_dir).await?;
    let wallet = pick_wallet(&ctx.wallets, cold.wallet.as_deref()).await?;
    (req.sat_per_vbyte, req.max_fee_sat) = rate_and_limit(sat_per_vbyte, &cold, "channel open")?;
    req.wallet = wallet.clone();
    let prepared = cold::open_prepare(&ctx, &req).await?;
    let review = review_text(&prepared.funded.review);
    if !cold.yes {
        let shown = OpenReview {
            funding_addresses: prepared
                .opens
                .iter()
                .map(|o| o.funding_address.as_str())
                .collect(),
            review: &prepared.funded.review,
            psbt: prepared.funded.psbt.to_string(),
        };
        let v = serde_json::to_value(&shown).map_err(|e| bad(e.to_string()))?;
        cold::open_abort(&ctx, &prepared).await;
        return out(
            &v,
            format!("{review}Nothing signed; the open is cancelled and the coins released. Run again with --yes to sign and open.\n"),
        );
    }
    eprint!("{review}");
    let opened = cold::open_complete(
        &ctx,
        &wallet,
        prepared,
        cold.emulators || cold::emulators_enabled(),
    )
    .await?;
    let points: Vec<&str> = opened
        .channels
        .iter()
        .map(|c| c.channel_point.as_str())
        .collect();
    let text = format!(
        "{review}Opening {} (LND published the funding transaction; waiting for confirmations).\n",
        points.join(", ")
    );
    out(&opened, text)
}

/// `swap fund ID --psbt`: the swap's lockup funded from the wallet's LND
/// account — LND funds it, the review, the wallet's signer signs, the swap
/// checks the lockup and the node broadcasts it; without `--yes` only the
/// review (the coins released).
pub async fn fund_swap_psbt(
    ctx: &Context,
    id: &str,
    cold: PsbtArgs,
    sat_per_vbyte: Option<u64>,
) -> Result<Output, ApiError> {
    let wallet = pick_wallet(&ctx.wallets, cold.wallet.as_deref()).await?;
    let (rate, limit) = rate_and_limit(sat_per_vbyte, &cold, "swap lockup")?;
    let prepared = cold::fund_swap_prepare(ctx, id, &wallet, rate, limit).await?;
    let review = review_text(&prepared.review);
    if !cold.yes {
        cold::send_abort(ctx, &prepared).await?;
        return out(
            &prepared,
            format!("{review}Nothing signed; the coins are released. Run again with --yes to sign and fund the swap.\n"),
        );
    }
    eprint!("{review}");
    let funded = cold::fund_swap_complete(
        ctx,
        id,
        &wallet,
        &prepared,
        cold.emulators || cold::emulators_enabled(),
    )
    .await?;
    let txid = funded.txid.clone();
    out(
        &funded,
        format!("{review}Lockup {txid} broadcast by your node; the swap goes on once it confirms (`switchyard swap resume` follows it).\n"),
    )
}
