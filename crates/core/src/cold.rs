//! Cold storage, put together for the faces (the app and the CLI): a
//! wallet's signer (its seed, or the hardware wallet with its fingerprint),
//! its account imported into LND (dry run first, LND's addresses checked
//! against ours), its balance there, and sends from it through a PSBT.

use crate::context::Context;
use crate::node::psbt::{AccountType, FundRequest, ImportAccount, ImportedAccount};
use crate::psbt::{our_descriptors, OurDescriptor, PsbtError, SignOptions};
use crate::signer::hwi::{DeviceInfo, Hwi, HwiSigner};
use crate::signer::software::SoftwareSigner;
use crate::signer::Signer;
use crate::spend::{self, Prepared, Sent};
use crate::wallet::{AccountInfo, WalletService, WalletSummary};
use crate::Network;
use serde::{Deserialize, Serialize};
use switchyard_pure::amount::Sat;
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
}

/// Whether HWI also looks for device emulators on their local ports
/// (`SWITCHYARD_HWI_EMULATORS=1`; the CLI's `--emulators`).
pub fn emulators_enabled() -> bool {
    std::env::var("SWITCHYARD_HWI_EMULATORS").is_ok_and(|v| v == "1")
}

/// The connected hardware wallets.
pub async fn devices(network: Network, emulators: bool) -> Result<Vec<DeviceInfo>, ColdError> {
    let hwi = Hwi::find(network.to_bitcoin())?;
    Ok(hwi.enumerate(emulators).await?)
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
    let hwi = Hwi::find(wallet.network.to_bitcoin())?;
    let signer: HwiSigner = hwi
        .device(Some(&wallet.fingerprint), emulators)
        .await
        .map_err(|e| match e {
            crate::signer::SignerError::NoDevice(_) => ColdError::DeviceMissing {
                name: wallet.name.clone(),
                fingerprint: wallet.fingerprint.clone(),
            },
            other => other.into(),
        })?;
    Ok(Box::new(signer))
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
    let w = wallets.resolve(wallet).await?;
    let detail = wallets.detail(&w.id).await?;
    let list: Vec<(String, bool)> = detail
        .accounts
        .iter()
        .flat_map(|a| {
            [
                (a.receive_descriptor.clone(), false),
                (a.change_descriptor.clone(), true),
            ]
        })
        .collect();
    our_descriptors(&list).map_err(|e| PsbtError::Descriptor(e.to_string()).into())
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
    /// A fresh receive address of the account (LND's next unused).
    pub address: Option<String>,
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
    let address = if address {
        Some(psbt.new_address(&account, account_type).await?)
    } else {
        None
    };
    Ok(AccountBalance {
        account,
        confirmed_sat,
        unconfirmed_sat,
        address,
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
    Ok(spend::complete(&psbt, prepared, signer.as_ref(), SignOptions::default()).await?)
}

/// The user declined: the coins are released.
pub async fn send_abort(ctx: &Context, prepared: &Prepared) -> Result<(), ColdError> {
    Ok(spend::abort(&ctx.node.psbt(), prepared).await?)
}
