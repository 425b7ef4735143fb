//! Cold storage, put together for the faces (the app and the CLI): a
//! wallet's signer (its seed, or the hardware wallet with its fingerprint),
//! its account imported into LND (dry run first, LND's addresses checked
//! against ours), its balance there, and sends from it through a PSBT.

use crate::audit::Record;
use crate::context::Context;
use crate::node::channels::OpenChannelRequest;
use crate::node::psbt::{AccountType, FundRequest, ImportAccount, ImportedAccount};
use crate::psbt::{OurDescriptor, PsbtError, SignOptions};
use crate::psbt_open::{self, OpenedWithPsbt, PreparedOpen};
use crate::signer::hwi::{DeviceInfo, Hwi, HwiSigner};
use crate::signer::software::SoftwareSigner;
use crate::signer::{direct, ledger};
use crate::signer::{Signer, SignerError};
use crate::spend::{self, Prepared, Sent};
use crate::wallet::{AccountInfo, WalletService, WalletSummary};
use crate::Network;
use serde::{Deserialize, Serialize};
use switchyard_pure::amount::Sat;
use switchyard_pure::audit::Kind;
use ts_rs::TS;

/// Why a cold-storage operation stopped.
#[derive(Debug, thiserror::Error)]
pub enum ColdError {
    /// The wallet.
    #[error(transparent)]
    Wallet(#[from] crate::wallet::WalletError),
    /// The signer (device, HWI, checks around signing).
    #[error(transparent)]
    Signer(#[from] crate::signer::SignerError),
    /// The node.
    #[error(transparent)]
    Node(#[from] crate::node::NodeError),
    /// The send.
    #[error(transparent)]
    Spend(#[from] crate::spend::SpendError),
    /// An address.
    #[error(transparent)]
    Address(#[from] crate::keys::AddressError),
    /// The wallet's descriptors.
    #[error(transparent)]
    Psbt(#[from] PsbtError),
    /// The watch-only wallet's device is not connected.
    #[error("The hardware wallet of “{name}” (fingerprint {fingerprint}) is not connected. Plug it in, unlock it and open its Bitcoin app.")]
    DeviceMissing {
        /// The wallet.
        name: String,
        /// Its fingerprint.
        fingerprint: String,
    },
    /// No account LND can watch.
    #[error("This wallet has no BIP84, BIP86 or BIP49 account for LND to watch.")]
    NoAccount,
    /// LND's dry run gave other addresses.
    #[error("LND would derive other addresses than this wallet's: nothing was imported. Check the wallet's key and path.")]
    Mismatch,
    /// The wallet is not imported into LND.
    #[error("“{0}” is not watched by the node yet: import it first (wallet lnd-import, or Import into LND on the PSBT screen).")]
    NotImported(String),
    /// No amount.
    #[error("Enter an amount in sats.")]
    NoAmount,
    /// The swap.
    #[error(transparent)]
    Swap(#[from] crate::swaps::SwapError),
    /// A swap that is not waiting for a lockup from another wallet.
    #[error("This swap is not waiting for its lockup from another wallet: {0}.")]
    SwapNotAwaiting(String),
    /// A pending send that is not there.
    #[error("This send is no longer waiting (it was sent or cancelled, or the app restarted): prepare it again.")]
    NoPending,
}

/// An entry for a PSBT signed by `wallet`'s signer (its inputs signed, and
/// `what` it was for).
fn signed_record(w: &WalletSummary, what: &str) -> Record {
    Record::new(Kind::PsbtSign)
        .on(format!("wallet:{}", w.id))
        .with("for", what)
        .with(
            "signer",
            w.device.as_deref().unwrap_or(if w.watch_only {
                "hardware wallet"
            } else {
                "seed"
            }),
        )
}

/// Whether device emulators on their local ports are looked for too
/// (`SWITCHYARD_HWI_EMULATORS=1`; the CLI's `--emulators`).
pub fn emulators_enabled() -> bool {
    std::env::var("SWITCHYARD_HWI_EMULATORS").is_ok_and(|v| v == "1")
}

/// Where a Ledger emulator's APDU port is looked for when emulators are:
/// `SWITCHYARD_LEDGER_EMULATOR` (host:port), else Speculos's default.
fn ledger_emulator(emulators: bool) -> Option<std::net::SocketAddr> {
    if !emulators {
        return None;
    }
    std::env::var("SWITCHYARD_LEDGER_EMULATOR")
        .ok()
        .and_then(|a| a.parse().ok())
        .or_else(|| ledger::EMULATOR_ADDR.parse().ok())
}

/// The keychain the BitBox02's pairing is kept in.
fn pairing_keychain() -> crate::keychain::OsKeychain {
    crate::keychain::OsKeychain::new(crate::context::keychain_service())
}

/// The devices spoken to directly: Ledgers (2.0 and later), then BitBox02s,
/// Coldcards, Jades and Specters (through async-hwi), with the connection
/// of each that is ready.
async fn direct_devices(
    chain: bitcoin::Network,
    emulators: bool,
) -> Vec<(DeviceInfo, Option<Box<dyn Signer>>)> {
    let mut all: Vec<(DeviceInfo, Option<Box<dyn Signer>>)> =
        ledger::enumerate(chain, ledger_emulator(emulators))
            .await
            .into_iter()
            .map(|d| (d, None))
            .collect();
    for found in direct::enumerate(chain, &pairing_keychain()).await {
        let signer = found.signer.map(|s| Box::new(s) as Box<dyn Signer>);
        all.push((found.info, signer));
    }
    all
}

/// The connected hardware wallets: those reached directly, then what HWI
/// finds (if it is installed) that is not one of those.
pub async fn devices(network: Network, emulators: bool) -> Result<Vec<DeviceInfo>, ColdError> {
    let chain = network.to_bitcoin();
    // Each direct connection is let go before HWI looks.
    let mut all: Vec<DeviceInfo> = direct_devices(chain, emulators)
        .await
        .into_iter()
        .map(|(d, _)| d)
        .collect();
    match Hwi::find(chain) {
        Ok(hwi) => {
            let usable = |d: &DeviceInfo| d.error.is_none();
            for d in hwi.enumerate(emulators).await? {
                let known = all.iter().any(|n| {
                    n.path == d.path
                        || (usable(n) && n.fingerprint.is_some() && n.fingerprint == d.fingerprint)
                });
                if !known {
                    all.push(d);
                }
            }
        }
        Err(e) => {
            tracing::info!(error = %e, "HWI not found; only devices spoken to directly are listed")
        }
    }
    Ok(all)
}

/// The hardware wallet with `fingerprint` (or the only one): a Ledger with
/// a Bitcoin app 2.0 or later, a BitBox02, Coldcard, Jade or Specter
/// directly, anything else through HWI.
pub async fn device(
    network: Network,
    fingerprint: Option<&str>,
    emulators: bool,
) -> Result<Box<dyn Signer>, ColdError> {
    let chain = network.to_bitcoin();
    let mut natives = direct_devices(chain, emulators).await;
    let wanted = |d: &DeviceInfo| {
        d.error.is_none()
            && match fingerprint {
                Some(f) => d.fingerprint.as_deref() == Some(f),
                None => true,
            }
    };
    let mut matching = natives.iter().enumerate().filter(|(_, (d, _))| wanted(d));
    if let (Some((n, _)), None) = (matching.next(), matching.next()) {
        let (d, signer) = natives.swap_remove(n);
        if let Some(signer) = signer {
            return Ok(signer);
        }
        let path = ledger::LedgerPath::parse(&d.path)?;
        return Ok(Box::new(
            ledger::LedgerSigner::connect(&path, &d.model, chain).await?,
        ));
    }
    let natives: Vec<DeviceInfo> = natives.into_iter().map(|(d, _)| d).collect();
    let hwi = match Hwi::find(chain) {
        Ok(hwi) => hwi,
        // Without HWI, what the devices said is the best answer.
        Err(e) => {
            return Err(match natives.iter().find(|d| d.error.is_some()) {
                Some(d) => ColdError::Signer(SignerError::Device {
                    device: d.display_name(),
                    message: d.error.clone().unwrap_or_default(),
                }),
                None if natives.is_empty() => SignerError::NoDevice(
                    fingerprint
                        .map(|f| format!("with fingerprint {f}"))
                        .unwrap_or_default(),
                )
                .into(),
                None => e.into(),
            })
        }
    };
    let signer: HwiSigner = hwi.device(fingerprint, emulators).await?;
    Ok(Box::new(signer))
}

/// A watch-only wallet of the connected device's account at `path`
/// (default: BIP84 account 0): its key read from the device with its
/// fingerprint and origin, nothing secret stored.
pub async fn watch_device(
    ctx: &Context,
    name: String,
    network: Network,
    fingerprint: Option<&str>,
    path: Option<&str>,
    emulators: bool,
) -> Result<WalletSummary, ColdError> {
    let d = device(network, fingerprint, emulators).await?;
    let path = match path {
        Some(p) => crate::keys::parse_path(p)
            .map_err(|e| SignerError::Invalid(format!("the account path {p}: {e}")))?,
        None => crate::keys::Purpose::Bip84.account_path(network, 0),
    };
    let kind = crate::signer::AddressKind::of_path(&path).ok_or_else(|| {
        SignerError::Invalid(format!(
            "{} is not a BIP44/49/84/86 account path",
            crate::keys::format_path(&path)
        ))
    })?;
    let fp = d.fingerprint().await?;
    let xpub = d.xpub(&path).await?;
    let origin = crate::keys::format_path(&path);
    let key = format!("[{fp}/{}]{xpub}/<0;1>/*", origin.trim_start_matches("m/"));
    let descriptor = match kind {
        crate::signer::AddressKind::Tr => format!("tr({key})"),
        crate::signer::AddressKind::Pkh => format!("pkh({key})"),
        crate::signer::AddressKind::ShWpkh => format!("sh(wpkh({key}))"),
        crate::signer::AddressKind::Wpkh => format!("wpkh({key})"),
    };
    Ok(ctx
        .wallets
        .import_watch(crate::wallet::ImportWatch {
            name,
            network,
            key: descriptor,
            fingerprint: None,
            path: None,
            device: Some(d.label()),
        })
        .await?)
}

/// The signer of `wallet`: its seed (software), or for a watch-only wallet
/// the connected hardware wallet with its fingerprint.
pub async fn signer_for(
    wallets: &WalletService,
    wallet: &WalletSummary,
    emulators: bool,
) -> Result<Box<dyn Signer>, ColdError> {
    if !wallet.watch_only {
        return Ok(Box::new(SoftwareSigner::new(wallets, &wallet.id).await?));
    }
    device(wallet.network, Some(&wallet.fingerprint), emulators)
        .await
        .map_err(|e| match e {
            ColdError::Signer(SignerError::NoDevice(_)) => ColdError::DeviceMissing {
                name: wallet.name.clone(),
                fingerprint: wallet.fingerprint.clone(),
            },
            other => other,
        })
}

/// The account of `wallet` that goes to LND: its BIP84 account (else the
/// first of BIP86, BIP49).
fn lnd_account_of(accounts: &[AccountInfo]) -> Result<(&AccountInfo, AccountType), ColdError> {
    [84, 86, 49]
        .iter()
        .find_map(|p| {
            accounts
                .iter()
                .find(|a| a.purpose.number() == *p)
                .and_then(|a| AccountType::of_purpose(*p).map(|t| (a, t)))
        })
        .ok_or(ColdError::NoAccount)
}

/// Every descriptor of `wallet`'s accounts (receive and change).
pub async fn wallet_descriptors(
    wallets: &WalletService,
    wallet: &str,
) -> Result<Vec<OurDescriptor>, ColdError> {
    Ok(crate::psbt::wallet_descriptors(wallets, wallet).await?.1)
}

/// LND's dry run of an import, beside our own first addresses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct LndImport {
    /// The LND account's name (the wallet's name).
    pub account: String,
    /// The account's path in the wallet.
    pub path: String,
    /// What LND would derive.
    pub lnd: ImportedAccount,
    /// Our first receive addresses.
    pub ours_receive: Vec<String>,
    /// Our first change addresses.
    pub ours_change: Vec<String>,
    /// LND's addresses are ours, one for one.
    pub matches: bool,
    /// The import was made (not only the dry run).
    pub imported: bool,
}

/// Imports `wallet`'s account into LND as a watch-only account: a dry run
/// first, whose addresses must be the wallet's own; then (unless
/// `dry_run`) the import, recorded on the wallet.
pub async fn lnd_import(
    ctx: &Context,
    wallet: &str,
    dry_run: bool,
) -> Result<LndImport, ColdError> {
    let w = ctx.wallets.resolve(wallet).await?;
    let detail = ctx.wallets.detail(&w.id).await?;
    let (account, account_type) = lnd_account_of(&detail.accounts)?;
    let req = ImportAccount {
        name: w.name.clone(),
        xpub: account.xpub.clone(),
        fingerprint: w.fingerprint.clone(),
        account_type,
    };
    let psbt = ctx.node.psbt();
    let lnd = psbt.import_account(&req, true).await?;
    let ours_receive: Vec<String> = ctx
        .wallets
        .addresses(
            &w.id,
            account.purpose,
            crate::keys::Chain::Receive,
            0,
            count(lnd.receive.len()),
        )
        .await?
        .into_iter()
        .map(|a| a.address)
        .collect();
    let ours_change: Vec<String> = ctx
        .wallets
        .addresses(
            &w.id,
            account.purpose,
            crate::keys::Chain::Change,
            0,
            count(lnd.change.len()),
        )
        .await?
        .into_iter()
        .map(|a| a.address)
        .collect();
    let matches = !lnd.receive.is_empty()
        && lnd.receive == ours_receive[..lnd.receive.len().min(ours_receive.len())]
        && lnd.change == ours_change[..lnd.change.len().min(ours_change.len())];
    let mut imported = false;
    if !dry_run {
        if !matches {
            return Err(ColdError::Mismatch);
        }
        psbt.import_account(&req, false).await?;
        ctx.wallets.set_lnd_account(&w.id, &w.name).await?;
        imported = true;
    }
    Ok(LndImport {
        account: w.name.clone(),
        path: account.path.clone(),
        lnd,
        ours_receive,
        ours_change,
        matches,
        imported,
    })
}

fn count(n: usize) -> u32 {
    u32::try_from(n.clamp(1, 100)).unwrap_or(1)
}

/// The LND account of a wallet, or an error saying how to make one.
pub fn lnd_account(w: &WalletSummary) -> Result<String, ColdError> {
    w.lnd_account
        .clone()
        .ok_or_else(|| ColdError::NotImported(w.name.clone()))
}

/// A wallet's balance in its LND account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct AccountBalance {
    /// The LND account.
    pub account: String,
    /// Confirmed, sats.
    pub confirmed_sat: Sat,
    /// Unconfirmed, sats.
    pub unconfirmed_sat: Sat,
    /// A fresh receive address of the account (LND's next unused), checked
    /// to be the wallet's own.
    pub address: Option<String>,
    /// Its path in the wallet.
    pub address_path: Option<String>,
}

/// A wallet's balance (and, with `address`, a new receive address).
pub async fn account_balance(
    ctx: &Context,
    wallet: &str,
    address: bool,
) -> Result<AccountBalance, ColdError> {
    let w = ctx.wallets.resolve(wallet).await?;
    let account = lnd_account(&w)?;
    let detail = ctx.wallets.detail(&w.id).await?;
    let (_, account_type) = lnd_account_of(&detail.accounts)?;
    let psbt = ctx.node.psbt();
    let (confirmed_sat, unconfirmed_sat) = psbt.balance(&account).await?;
    // LND sees coins only on addresses it has handed out: receive at this
    // one, checked against our own derivation first.
    let (address, address_path) = if address {
        let a = psbt.new_address(&account, account_type).await?;
        let mine = ctx
            .wallets
            .find_address(&w.id, &a, crate::wallet::DEFAULT_SEARCH_GAP)
            .await?;
        let path = mine.found.map(|f| f.path).ok_or(ColdError::Mismatch)?;
        (Some(a), Some(path))
    } else {
        (None, None)
    };
    Ok(AccountBalance {
        account,
        confirmed_sat,
        unconfirmed_sat,
        address,
        address_path,
    })
}

/// A send from a wallet's LND account through a PSBT.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct PsbtSend {
    /// The wallet (id or name).
    pub wallet: String,
    /// Destination address.
    pub address: String,
    /// Amount, sats.
    pub amount_sat: Sat,
    /// Fee rate, sat/vB.
    #[ts(type = "number")]
    pub sat_per_vbyte: u64,
    /// The most fee the user accepts, sats.
    pub max_fee_sat: Sat,
    /// Only these coins (`txid:vout`).
    #[serde(default)]
    pub inputs: Vec<String>,
}

/// Funds and reviews a send (the coins stay locked until [`send_complete`]
/// or [`send_abort`]).
pub async fn send_prepare(ctx: &Context, req: &PsbtSend) -> Result<Prepared, ColdError> {
    let w = ctx.wallets.resolve(&req.wallet).await?;
    let account = lnd_account(&w)?;
    let addr = crate::keys::parse_address(&req.address, w.network)?;
    if req.amount_sat.is_zero() {
        return Err(ColdError::NoAmount);
    }
    let ours = wallet_descriptors(&ctx.wallets, &w.id).await?;
    let fund = FundRequest {
        outputs: vec![(addr.to_string(), req.amount_sat)],
        account,
        sat_per_vbyte: req.sat_per_vbyte,
        inputs: req.inputs.clone(),
    };
    Ok(spend::prepare(
        &ctx.node.psbt(),
        &fund,
        &ours,
        w.network.to_bitcoin(),
        Some(req.max_fee_sat),
    )
    .await?)
}

/// Signs a prepared send with the wallet's signer and publishes it.
pub async fn send_complete(
    ctx: &Context,
    wallet: &str,
    prepared: &Prepared,
    emulators: bool,
) -> Result<Sent, ColdError> {
    let w = ctx.wallets.resolve(wallet).await?;
    let psbt = ctx.node.psbt();
    let signer = match signer_for(&ctx.wallets, &w, emulators).await {
        Ok(s) => s,
        Err(e) => {
            spend::abort(&psbt, prepared).await.ok();
            return Err(e);
        }
    };
    let r = spend::complete(&psbt, prepared, signer.as_ref(), SignOptions::default()).await;
    let rec = match &r {
        Ok(sent) => signed_record(&w, "on-chain send")
            .with("inputs", format!("{:?}", sent.signed_inputs))
            .with("txid", &sent.txid),
        Err(_) => signed_record(&w, "on-chain send"),
    };
    ctx.audit.note(rec, &r).await;
    if let Ok(sent) = &r {
        let published = Record::new(Kind::PsbtPublish)
            .on(format!("tx:{}", sent.txid))
            .with("wallet", &w.id)
            .with(
                "fee_sat",
                sent.review
                    .fee
                    .map(|f| f.to_sat().to_string())
                    .unwrap_or_else(|| "unknown".into()),
            )
            .with("sent_sat", sent.review.sent.to_sat());
        ctx.audit.note(published, &r).await;
    }
    Ok(r?)
}

/// The user declined: the coins are released.
pub async fn send_abort(ctx: &Context, prepared: &Prepared) -> Result<(), ColdError> {
    Ok(spend::abort(&ctx.node.psbt(), prepared).await?)
}

/// A PSBT signed by a wallet's signer, as the PSBT screen shows it.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct SignedView {
    /// The signed PSBT, base64.
    pub psbt: String,
    /// What was reviewed before signing.
    pub review: crate::psbt::Review,
    /// The inputs that gained a signature.
    pub signed_inputs: Vec<usize>,
    /// Who signed ("wallet “savings”", "Ledger Nano S Plus").
    pub signer: String,
    /// Every input is signed: the network transaction (hex), ready to
    /// broadcast.
    pub final_tx: Option<String>,
}

/// Reviews `psbt` against `wallet` and signs it with the wallet's signer
/// (its seed, or its hardware wallet); with an app password set, after it
/// (`app_password`).
pub async fn sign_psbt(
    wallets: &WalletService,
    wallet: &str,
    psbt: &[u8],
    emulators: bool,
    app_password: Option<&secrecy::SecretString>,
) -> Result<SignedView, ColdError> {
    let w = wallets.resolve(wallet).await?;
    let parsed = crate::psbt::parse(psbt).map_err(PsbtError::from)?;
    let ours = wallet_descriptors(wallets, &w.id).await?;
    let review = crate::psbt::review(
        &parsed,
        &crate::psbt::Policy::new(w.network.to_bitcoin(), ours),
    );
    wallets.reauth(app_password).await?;
    let signer = signer_for(wallets, &w, emulators).await?;
    let signed =
        crate::signer::sign_reviewed(signer.as_ref(), &parsed, &review, SignOptions::default())
            .await?;
    wallets
        .audit()
        .note(
            signed_record(&w, "PSBT screen")
                .with("inputs", format!("{:?}", signed.signed_inputs))
                .with("txid", signed.psbt.unsigned_tx.compute_txid()),
            &Ok::<(), String>(()),
        )
        .await;
    let mut done = signed.psbt.clone();
    let final_tx = crate::psbt::finalize(&mut done)
        .ok()
        .and_then(|()| crate::psbt::extract(done).ok())
        .map(|tx| bitcoin::consensus::encode::serialize_hex(&tx));
    Ok(SignedView {
        psbt: signed.psbt.to_string(),
        review,
        signed_inputs: signed.signed_inputs,
        signer: signer.label(),
        final_tx,
    })
}

/// A funded send waiting for the user's yes, as the PSBT screen shows it.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct PreparedView {
    /// Its id (for complete or abort).
    pub id: String,
    /// The wallet sending.
    pub wallet: String,
    /// Who will sign.
    pub signer_kind: String,
    /// The review.
    pub review: crate::psbt::Review,
    /// The PSBT, base64.
    pub psbt: String,
}

/// Operations prepared in the app and not yet completed or aborted, by id,
/// with their wallet's id (their coins are locked in LND until then, or
/// until LND's lease expires).
pub struct Pending<T>(std::sync::Mutex<std::collections::HashMap<String, (String, T)>>);

impl<T> Default for Pending<T> {
    fn default() -> Self {
        Pending(std::sync::Mutex::default())
    }
}

impl<T> Pending<T> {
    fn insert(&self, id: String, wallet: String, item: T) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, (wallet, item));
    }

    fn take(&self, id: &str) -> Result<(String, T), ColdError> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(id)
            .ok_or(ColdError::NoPending)
    }

    /// Every waiting item, taken out.
    fn take_all(&self) -> Vec<T> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .drain()
            .map(|(_, (_, item))| item)
            .collect()
    }
}

/// Cancels everything waiting for the user's yes (the app locked): the
/// coins of each send, open and lockup are released and the peers of the
/// opens told. Returns how many there were.
pub async fn abort_all_pending(ctx: &Context) -> usize {
    let sends = ctx.pending.take_all();
    let opens = ctx.pending_opens.take_all();
    let lockups = ctx.pending_lockups.take_all();
    let n = sends.len() + opens.len() + lockups.len();
    for prepared in sends.iter().chain(lockups.iter().map(|(_, p)| p)) {
        if let Err(e) = send_abort(ctx, prepared).await {
            tracing::warn!(error = %e, "a waiting send's coins could not be released");
        }
    }
    for prepared in &opens {
        open_abort(ctx, prepared).await;
    }
    n
}

/// Sends waiting for the user's yes.
pub type PendingSends = Pending<Prepared>;
/// Channel opens waiting for the user's yes.
pub type PendingOpens = Pending<PreparedOpen>;
/// Swap lockups waiting for the user's yes, with their swap's id.
pub type PendingLockups = Pending<(String, Prepared)>;

fn signer_kind(w: &WalletSummary) -> String {
    if w.watch_only {
        w.device.clone().unwrap_or_else(|| "hardware wallet".into())
    } else {
        "software".into()
    }
}

/// What the faces show of a prepared send, under a new id `kind-…`.
fn view_of(kind: &str, w: &WalletSummary, prepared: &Prepared) -> PreparedView {
    PreparedView {
        id: format!("{kind}-{:016x}", rand::random::<u64>()),
        wallet: w.name.clone(),
        signer_kind: signer_kind(w),
        review: prepared.review.clone(),
        psbt: prepared.psbt.to_string(),
    }
}

/// Prepares a send and keeps it under a new id.
pub async fn prepare_pending(ctx: &Context, req: &PsbtSend) -> Result<PreparedView, ColdError> {
    let w = ctx.wallets.resolve(&req.wallet).await?;
    let prepared = send_prepare(ctx, req).await?;
    let view = view_of("send", &w, &prepared);
    ctx.pending.insert(view.id.clone(), w.id, prepared);
    Ok(view)
}

/// Prepares swap `swap`'s lockup from `wallet`'s LND account (see
/// [`fund_swap_prepare`]) and keeps it under a new id, with the swap.
pub async fn fund_swap_prepare_pending(
    ctx: &Context,
    swap: &str,
    wallet: &str,
    sat_per_vbyte: u64,
    max_fee: Sat,
) -> Result<PreparedView, ColdError> {
    let w = ctx.wallets.resolve(wallet).await?;
    let prepared = fund_swap_prepare(ctx, swap, &w.id, sat_per_vbyte, max_fee).await?;
    let view = view_of("lockup", &w, &prepared);
    ctx.pending_lockups
        .insert(view.id.clone(), w.id, (swap.to_string(), prepared));
    Ok(view)
}

/// Signs a pending lockup and hands it to its swap (gone afterwards,
/// funded or not: a failure released its coins).
pub async fn fund_swap_complete_pending(
    ctx: &Context,
    id: &str,
    emulators: bool,
) -> Result<crate::swaps::FundedSwap, ColdError> {
    let (wallet, (swap, prepared)) = ctx.pending_lockups.take(id)?;
    fund_swap_complete(ctx, &swap, &wallet, &prepared, emulators).await
}

/// Aborts a pending lockup: its coins are released, the swap still waits
/// for its lockup.
pub async fn fund_swap_abort_pending(ctx: &Context, id: &str) -> Result<(), ColdError> {
    let (_, (_, prepared)) = ctx.pending_lockups.take(id)?;
    send_abort(ctx, &prepared).await
}

/// Signs and publishes a pending send (gone afterwards, sent or not: a
/// failure released its coins).
pub async fn complete_pending(ctx: &Context, id: &str, emulators: bool) -> Result<Sent, ColdError> {
    let (wallet, prepared) = ctx.pending.take(id)?;
    send_complete(ctx, &wallet, &prepared, emulators).await
}

/// Aborts a pending send: its coins are released.
pub async fn abort_pending(ctx: &Context, id: &str) -> Result<(), ColdError> {
    let (_, prepared) = ctx.pending.take(id)?;
    send_abort(ctx, &prepared).await
}

/// One channel of an open funded through a PSBT.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ChannelTarget {
    /// `pubkey@host:port`, or `pubkey` for a peer already connected.
    pub peer: String,
    /// Channel size.
    pub amount_sat: Sat,
    /// Given to the peer at open.
    #[serde(default)]
    pub push_sat: Sat,
}

/// Channel opens (one, or a batch in one transaction) funded from a
/// wallet's LND account through a PSBT.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct PsbtOpen {
    /// The wallet (id or name).
    pub wallet: String,
    /// The channels.
    pub channels: Vec<ChannelTarget>,
    /// Not announced to the network.
    #[serde(default)]
    pub private: bool,
    /// Fee rate, sat/vB.
    #[ts(type = "number")]
    pub sat_per_vbyte: u64,
    /// The most fee the user accepts, sats.
    pub max_fee_sat: Sat,
    /// Only these coins (`txid:vout`).
    #[serde(default)]
    pub inputs: Vec<String>,
}

/// Starts the opens with the peers and funds them from the wallet's LND
/// account; the peers wait (about ten minutes) for [`open_complete`] or
/// [`open_abort`].
pub async fn open_prepare(ctx: &Context, req: &PsbtOpen) -> Result<PreparedOpen, ColdError> {
    let w = ctx.wallets.resolve(&req.wallet).await?;
    let account = lnd_account(&w)?;
    let ours = wallet_descriptors(&ctx.wallets, &w.id).await?;
    let opens: Vec<OpenChannelRequest> = req
        .channels
        .iter()
        .map(|c| OpenChannelRequest {
            peer: c.peer.clone(),
            amount_sat: c.amount_sat,
            push_sat: c.push_sat,
            private: req.private,
            fee: None,
            min_htlc_msat: None,
            utxos: req.inputs.clone(),
            allow_high_fee: false,
        })
        .collect();
    Ok(psbt_open::prepare(
        &ctx.node.channels(),
        &ctx.node.psbt(),
        &opens,
        &account,
        req.sat_per_vbyte,
        &ours,
        w.network.to_bitcoin(),
        Some(req.max_fee_sat),
    )
    .await?)
}

/// Signs a prepared open with the wallet's signer; LND publishes the
/// funding transaction once the peer has signed.
pub async fn open_complete(
    ctx: &Context,
    wallet: &str,
    prepared: PreparedOpen,
    emulators: bool,
) -> Result<OpenedWithPsbt, ColdError> {
    let w = ctx.wallets.resolve(wallet).await?;
    let (channels, psbt) = (ctx.node.channels(), ctx.node.psbt());
    let signer = match signer_for(&ctx.wallets, &w, emulators).await {
        Ok(s) => s,
        Err(e) => {
            psbt_open::abort(&channels, &psbt, &prepared).await;
            return Err(e);
        }
    };
    let r = psbt_open::complete(
        &channels,
        &psbt,
        prepared,
        signer.as_ref(),
        SignOptions::default(),
    )
    .await;
    ctx.audit
        .note(signed_record(&w, "channel funding"), &r)
        .await;
    if let Ok(opened) = &r {
        for c in &opened.channels {
            let rec = Record::new(Kind::ChannelOpen)
                .on(format!("channel:{}", c.channel_point))
                .with("funded_by", format!("wallet:{} (PSBT)", w.id));
            ctx.audit.note(rec, &r).await;
        }
    }
    Ok(r?)
}

/// The user declined: the peer and LND forget the open, the coins are
/// released.
pub async fn open_abort(ctx: &Context, prepared: &PreparedOpen) {
    psbt_open::abort(&ctx.node.channels(), &ctx.node.psbt(), prepared).await;
}

/// A channel open waiting for the user's yes, as the app shows it.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct PreparedOpenView {
    /// Its id (for complete or abort).
    pub id: String,
    /// The wallet funding it.
    pub wallet: String,
    /// Who will sign.
    pub signer_kind: String,
    /// The review (the channels' funding outputs marked).
    pub review: crate::psbt::Review,
    /// Each channel's address (LND's 2-of-2 with its peer), in order.
    pub funding_addresses: Vec<String>,
    /// When the peer forgets the open (unix seconds).
    #[ts(type = "number")]
    pub expires_at: u64,
}

/// Prepares an open and keeps it under a new id.
pub async fn open_prepare_pending(
    ctx: &Context,
    req: &PsbtOpen,
) -> Result<PreparedOpenView, ColdError> {
    let w = ctx.wallets.resolve(&req.wallet).await?;
    let prepared = open_prepare(ctx, req).await?;
    let id = format!("open-{:016x}", rand::random::<u64>());
    let view = PreparedOpenView {
        id: id.clone(),
        wallet: w.name.clone(),
        signer_kind: signer_kind(&w),
        review: prepared.funded.review.clone(),
        funding_addresses: prepared
            .opens
            .iter()
            .map(|o| o.funding_address.clone())
            .collect(),
        expires_at: prepared.expires_at,
    };
    ctx.pending_opens.insert(id, w.id, prepared);
    Ok(view)
}

/// Signs a pending open (gone afterwards, opened or not: a failure
/// cancelled it and released its coins).
pub async fn open_complete_pending(
    ctx: &Context,
    id: &str,
    emulators: bool,
) -> Result<OpenedWithPsbt, ColdError> {
    let (wallet, prepared) = ctx.pending_opens.take(id)?;
    open_complete(ctx, &wallet, prepared, emulators).await
}

/// Aborts a pending open.
pub async fn open_abort_pending(ctx: &Context, id: &str) -> Result<(), ColdError> {
    let (_, prepared) = ctx.pending_opens.take(id)?;
    open_abort(ctx, &prepared).await;
    Ok(())
}

/// Funds a swap in that waits for its lockup from another wallet with
/// `wallet`'s LND account: LND funds a PSBT paying exactly the swap's
/// amount to its lockup address, reviewed like any send (the lockup is
/// the payment; the coins stay locked until [`fund_swap_complete`] or
/// [`send_abort`]).
pub async fn fund_swap_prepare(
    ctx: &Context,
    swap: &str,
    wallet: &str,
    sat_per_vbyte: u64,
    max_fee: Sat,
) -> Result<Prepared, ColdError> {
    let view = ctx.swaps.view(swap).await?;
    let address = match (&view.address, view.awaiting_funding) {
        (Some(a), true) => a.clone(),
        _ => {
            return Err(ColdError::SwapNotAwaiting(if view.is_final {
                "it has ended".into()
            } else {
                "it was not started for funding from another wallet, or its lockup is paid".into()
            }))
        }
    };
    send_prepare(
        ctx,
        &PsbtSend {
            wallet: wallet.to_string(),
            address,
            amount_sat: view.onchain,
            sat_per_vbyte,
            max_fee_sat: max_fee,
            inputs: Vec::new(),
        },
    )
    .await
}

/// Signs the lockup with the wallet's signer and hands it to the swap,
/// which checks it pays the lockup exactly and has the node broadcast it;
/// the coins are released if anything fails before that.
pub async fn fund_swap_complete(
    ctx: &Context,
    swap: &str,
    wallet: &str,
    prepared: &Prepared,
    emulators: bool,
) -> Result<crate::swaps::FundedSwap, ColdError> {
    let w = ctx.wallets.resolve(wallet).await?;
    let psbt = ctx.node.psbt();
    let run = async {
        let signer = signer_for(&ctx.wallets, &w, emulators).await?;
        let (tx, _) =
            spend::sign_and_finalize(&psbt, prepared, signer.as_ref(), SignOptions::default())
                .await?;
        let hex = bitcoin::consensus::encode::serialize_hex(&tx);
        Ok::<_, ColdError>(ctx.swaps.fund(swap, hex.as_bytes()).await?)
    };
    let r = run.await;
    ctx.audit
        .note(signed_record(&w, "swap lockup").with("swap", swap), &r)
        .await;
    match r {
        Ok(funded) => Ok(funded),
        Err(e) => {
            spend::release_logged(&psbt, &prepared.leases).await;
            Err(e)
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn everything_waiting_is_taken_at_once() {
        let p: Pending<u32> = Pending::default();
        p.insert("a".into(), "w".into(), 1);
        p.insert("b".into(), "w".into(), 2);
        let mut all = p.take_all();
        all.sort_unstable();
        assert_eq!(all, vec![1, 2]);
        assert!(p.take_all().is_empty());
        assert!(matches!(p.take("a"), Err(ColdError::NoPending)));
    }
}
