//! Ledger's Bitcoin app spoken to directly: no HWI, no Python.
//!
//! The app's protocol (app-bitcoin-new: wallet policies, PSBT maps the
//! device pulls piece by piece through merkle proofs) is Ledger's own
//! `ledger_bitcoin_client`, the crate async-hwi's Ledger support is built
//! on; what is ours is the wire and what the app version needs:
//!
//! - the wire: USB HID through hidapi (`ledger-transport-hidapi`), or TCP to
//!   an emulator (Speculos's APDU port: a 4-byte big-endian length, the
//!   APDU; back a length, the data and the status word);
//! - apps before 2.1 take version 1 wallet policies (`wpkh(@0)` with the key
//!   as `[fp/84'/1'/0']tpub…/**`) and yield a signature as
//!   `input index ‖ signature` where 2.1 and later put the public key in
//!   between. [`Wire`] rewrites those yields into the newer form, naming
//!   the key the PSBT gives for the input (the one key of ours an input of a
//!   single-key account has), so the client reads both. The signatures are
//!   then checked like any signer's ([`super::sign_reviewed`]): a key named
//!   wrongly gives a signature that does not verify, never a wrong one
//!   accepted;
//! - apps before 2.0 speak only Ledger's legacy protocol: refused here with
//!   [`SignerError::NotReady`]-style advice, and reached through HWI instead
//!   (see `cold::signer_for`).
//!
//! Only single-key accounts (BIP44/49/84/86) are signed; they are every
//! Ledger's default wallet policies, so nothing is registered for them.
//! Other policies are registered with [`Signer::register_wallet`] (the
//! device shows them and returns its HMAC).

use super::hwi::{Bridge, DeviceInfo};
use super::{AddressKind, Signer, SignerError};
use async_trait::async_trait;
use bitcoin::bip32::{ChildNumber, DerivationPath, Fingerprint, Xpub};
use bitcoin::psbt::Psbt;
use ledger_bitcoin_client::apdu::{APDUCommand, StatusWord};
use ledger_bitcoin_client::async_client::{BitcoinClient, Transport};
use ledger_bitcoin_client::error::BitcoinClientError;
use ledger_bitcoin_client::wallet::Version as PolicyVersion;
use ledger_bitcoin_client::{PartialSignature, SignPsbtYieldedObject, WalletPolicy, WalletPubKey};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The emulator's usual APDU port (Speculos's default, HWI's `--emulators`).
pub const EMULATOR_ADDR: &str = "127.0.0.1:9999";

/// The status words that mean "unlock the device / open the app".
const LOCKED: [u16; 2] = [0x5515, 0x6982];
const APP_NOT_OPEN: [u16; 3] = [0x6d00, 0x6e00, 0x6e01];

/// The client command a device uses to hand back a result mid-command.
const CCMD_YIELD: u8 = 0x10;

/// Where a Ledger is: `tcp:HOST:PORT` (an emulator) or a hidapi path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LedgerPath {
    /// An emulator's APDU port.
    Tcp(SocketAddr),
    /// A USB HID device, by hidapi's path.
    Hid(String),
}

impl LedgerPath {
    /// Reads a device path as [`DeviceInfo::path`] writes it.
    pub fn parse(s: &str) -> Result<LedgerPath, SignerError> {
        match s.strip_prefix("tcp:") {
            Some(addr) => addr.parse().map(LedgerPath::Tcp).map_err(|_| {
                SignerError::Invalid(format!("{s} is not a host:port of an emulator"))
            }),
            None if s.is_empty() => Err(SignerError::Invalid("an empty device path".into())),
            None => Ok(LedgerPath::Hid(s.to_string())),
        }
    }
}

impl std::fmt::Display for LedgerPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LedgerPath::Tcp(a) => write!(f, "tcp:{a}"),
            LedgerPath::Hid(p) => f.write_str(p),
        }
    }
}

/// A wire failure, in words.
#[derive(Debug, Clone)]
pub struct WireError(String);

enum Link {
    Tcp(tokio::sync::Mutex<TcpStream>),
    Hid(Arc<ledger_transport_hidapi::TransportNativeHID>),
}

/// What [`Wire`] and its signer share: the pre-2.1 yield keys, and the last
/// status word (to tell "locked" from "declined" in words).
#[derive(Default)]
struct Shared {
    /// Input index → the public key to put in front of its yielded
    /// signature (33 bytes ECDSA, 32 x-only taproot); `None` when the app
    /// yields keys itself (2.1 and later).
    yield_keys: Option<BTreeMap<u64, Vec<u8>>>,
    last_status: u16,
}

/// The transport under `ledger_bitcoin_client`.
pub struct Wire {
    link: Link,
    shared: Arc<Mutex<Shared>>,
}

impl Wire {
    async fn raw(&self, apdu: &[u8]) -> Result<(u16, Vec<u8>), WireError> {
        match &self.link {
            Link::Tcp(stream) => {
                let mut s = stream.lock().await;
                let len =
                    u32::try_from(apdu.len()).map_err(|_| WireError("APDU too long".into()))?;
                let mut req = len.to_be_bytes().to_vec();
                req.extend_from_slice(apdu);
                let io = |e: std::io::Error| WireError(format!("the emulator's connection: {e}"));
                s.write_all(&req).await.map_err(io)?;
                let mut head = [0u8; 4];
                s.read_exact(&mut head).await.map_err(io)?;
                let n = u32::from_be_bytes(head) as usize;
                if n > 64 * 1024 {
                    return Err(WireError(format!("an answer of {n} bytes")));
                }
                let mut body = vec![0u8; n + 2];
                s.read_exact(&mut body).await.map_err(io)?;
                let sw = u16::from_be_bytes([body[n], body[n + 1]]);
                body.truncate(n);
                Ok((sw, body))
            }
            Link::Hid(dev) => {
                let dev = dev.clone();
                let cmd = ledger_apdu::APDUCommand {
                    cla: apdu[0],
                    ins: apdu[1],
                    p1: apdu[2],
                    p2: apdu[3],
                    data: apdu.get(5..).unwrap_or_default().to_vec(),
                };
                // Blocking: the device may wait for the user's buttons.
                let answer = tokio::task::spawn_blocking(move || dev.exchange(&cmd))
                    .await
                    .map_err(|e| WireError(e.to_string()))?
                    .map_err(|e| WireError(format!("USB: {e}")))?;
                Ok((answer.retcode(), answer.data().to_vec()))
            }
        }
    }
}

#[async_trait]
impl Transport for Wire {
    type Error = WireError;

    async fn exchange(&self, command: &APDUCommand) -> Result<(StatusWord, Vec<u8>), WireError> {
        let (sw, mut data) = self.raw(&command.encode()).await?;
        let mut shared = self
            .shared
            .lock()
            .map_err(|_| WireError("poisoned".into()))?;
        shared.last_status = sw;
        if sw == StatusWord::InterruptedExecution as u16 && data.first() == Some(&CCMD_YIELD) {
            if let Some(keys) = &shared.yield_keys {
                data = with_key_in_yield(&data, keys).ok_or_else(|| {
                    WireError("the device yielded a signature for an input it was not given".into())
                })?;
            }
        }
        Ok((
            StatusWord::try_from(sw).unwrap_or(StatusWord::Unknown),
            data,
        ))
    }
}

/// A pre-2.1 yield (`0x10 ‖ varint(input) ‖ signature`) in the 2.1 form
/// (`0x10 ‖ varint(input) ‖ len ‖ key ‖ signature`), the key taken from
/// `keys` by the input index. `None` when the input has no key there or the
/// yield does not parse.
pub fn with_key_in_yield(data: &[u8], keys: &BTreeMap<u64, Vec<u8>>) -> Option<Vec<u8>> {
    let rest = data.get(1..)?;
    let (index, used) = read_varint(rest)?;
    let key = keys.get(&index)?;
    let sig = rest.get(used..)?;
    if sig.is_empty() {
        return None;
    }
    let mut out = Vec::with_capacity(data.len() + key.len() + 1);
    out.push(CCMD_YIELD);
    out.extend_from_slice(&rest[..used]);
    out.push(u8::try_from(key.len()).ok()?);
    out.extend_from_slice(key);
    out.extend_from_slice(sig);
    Some(out)
}

fn read_varint(b: &[u8]) -> Option<(u64, usize)> {
    let first = *b.first()?;
    let wide = |n: usize| -> Option<u64> {
        let bytes = b.get(1..1 + n)?;
        Some(
            bytes
                .iter()
                .rev()
                .fold(0u64, |acc, x| (acc << 8) | u64::from(*x)),
        )
    };
    match first {
        0xfd => Some((wide(2)?, 3)),
        0xfe => Some((wide(4)?, 5)),
        0xff => Some((wide(8)?, 9)),
        n => Some((u64::from(n), 1)),
    }
}

/// The app's name and version, as `GET_VERSION` tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct App {
    /// "Bitcoin", "Bitcoin Test", or another app (the dashboard: "BOLOS").
    pub name: String,
    /// "2.0.6", "2.2.4", …
    pub version: String,
}

impl App {
    /// (major, minor), 0 for what does not parse.
    pub fn major_minor(&self) -> (u32, u32) {
        let mut parts = self
            .version
            .split(['.', '-'])
            .map(|p| p.parse().unwrap_or(0));
        (parts.next().unwrap_or(0), parts.next().unwrap_or(0))
    }

    /// It speaks wallet policies (2.0 and later).
    pub fn speaks_policies(&self) -> bool {
        self.major_minor() >= (2, 0)
    }

    /// Speculos's answer for any app it runs.
    pub fn is_emulated(&self) -> bool {
        self.name == "app"
    }

    /// It takes version 1 policies and yields signatures without keys
    /// (2.0.x).
    pub fn before_2_1(&self) -> bool {
        self.major_minor() < (2, 1)
    }

    /// Its Bitcoin app for `network` (the test app for every test network;
    /// Speculos names any app it runs "app": taken for a test network
    /// only).
    pub fn is_bitcoin_for(&self, network: bitcoin::Network) -> bool {
        match network {
            bitcoin::Network::Bitcoin => self.name == "Bitcoin",
            _ => self.name == "Bitcoin Test" || self.name == "app",
        }
    }
}

/// A single-key account's wallet policy as the app names it: empty name,
/// the account key with its origin.
pub fn standard_policy(
    kind: AddressKind,
    fingerprint: Fingerprint,
    account: &DerivationPath,
    xpub: &Xpub,
    version: PolicyVersion,
) -> Result<WalletPolicy, SignerError> {
    let origin = account.to_string();
    let origin = origin.trim_start_matches("m/").trim_start_matches('m');
    let (key_suffix, placeholder) = match version {
        PolicyVersion::V1 => ("/**", "@0"),
        PolicyVersion::V2 => ("", "@0/**"),
    };
    let key = WalletPubKey::from_str(&format!("[{fingerprint}/{origin}]{xpub}{key_suffix}"))
        .map_err(|e| SignerError::Invalid(format!("the account key: {e:?}")))?;
    let template = match kind {
        AddressKind::Wpkh => format!("wpkh({placeholder})"),
        AddressKind::ShWpkh => format!("sh(wpkh({placeholder}))"),
        AddressKind::Tr => format!("tr({placeholder})"),
        AddressKind::Pkh => format!("pkh({placeholder})"),
    };
    Ok(WalletPolicy::new(String::new(), version, template, [key]))
}

/// `m/purpose'/coin'/account'/change/index` split into the account and
/// (change, index).
fn split_account_path(path: &DerivationPath) -> Option<(DerivationPath, bool, u32)> {
    let c: &[ChildNumber] = path.as_ref();
    if c.len() != 5 || !c[..3].iter().all(ChildNumber::is_hardened) {
        return None;
    }
    let (change, index) = match (c[3], c[4]) {
        (ChildNumber::Normal { index: ch }, ChildNumber::Normal { index }) if ch <= 1 => {
            (ch == 1, index)
        }
        _ => return None,
    };
    Some((DerivationPath::from(c[..3].to_vec()), change, index))
}

/// The product a USB product id names.
pub fn model_of_product(pid: u16) -> &'static str {
    let family = if pid > 0xff { pid >> 12 } else { pid };
    match family {
        1 => "ledger_nano_s",
        4 => "ledger_nano_x",
        5 => "ledger_nano_s_plus",
        6 => "ledger_stax",
        7 => "ledger_flex",
        _ => "ledger",
    }
}

/// A Ledger with its Bitcoin app open, as a [`Signer`].
pub struct LedgerSigner {
    client: BitcoinClient<Wire>,
    shared: Arc<Mutex<Shared>>,
    app: App,
    label: String,
    /// 2.0.x: version 1 policies, keyless yields.
    v1: bool,
}

impl std::fmt::Debug for LedgerSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LedgerSigner")
            .field("label", &self.label)
            .field("app", &self.app)
            .finish()
    }
}

impl LedgerSigner {
    /// Connects to the device at `path` and checks that its Bitcoin app for
    /// `network` is open and speaks wallet policies.
    pub async fn connect(
        path: &LedgerPath,
        model: &str,
        network: bitcoin::Network,
    ) -> Result<LedgerSigner, SignerError> {
        let label = DeviceInfo::name_of_model(model);
        let link = match path {
            LedgerPath::Tcp(addr) => {
                let stream = tokio::time::timeout(Duration::from_secs(2), TcpStream::connect(addr))
                    .await
                    .map_err(|_| SignerError::NoDevice(format!("at {addr}")))?
                    .map_err(|_| SignerError::NoDevice(format!("at {addr}")))?;
                Link::Tcp(tokio::sync::Mutex::new(stream))
            }
            LedgerPath::Hid(p) => {
                let p = p.clone();
                let dev = tokio::task::spawn_blocking(move || open_hid(&p))
                    .await
                    .map_err(|e| SignerError::Invalid(e.to_string()))??;
                Link::Hid(Arc::new(dev))
            }
        };
        let shared = Arc::new(Mutex::new(Shared::default()));
        let client = BitcoinClient::new(Wire {
            link,
            shared: shared.clone(),
        });
        let mut signer = LedgerSigner {
            client,
            shared,
            app: App {
                name: String::new(),
                version: String::new(),
            },
            label,
            v1: false,
        };
        let (name, version, _flags) = signer
            .client
            .get_version()
            .await
            .map_err(|e| signer.error(e))?;
        signer.app = App { name, version };
        if !signer.app.is_bitcoin_for(network) {
            let want = if network == bitcoin::Network::Bitcoin {
                "Bitcoin"
            } else {
                "Bitcoin Test"
            };
            return Err(SignerError::WrongApp {
                device: signer.label.clone(),
                open: if signer.app.name.is_empty() || signer.app.name == "BOLOS" {
                    "no app".into()
                } else {
                    format!("its {} app", signer.app.name)
                },
                want: want.into(),
            });
        }
        if signer.app.is_emulated() {
            // Speculos answers the OS's version query itself ("app",
            // "1.33.7"): the app's protocol is found by asking it.
            signer.v1 = signer.probe_v1(network).await?;
        } else if !signer.app.speaks_policies() {
            return Err(SignerError::OldApp {
                device: signer.label.clone(),
                version: signer.app.version.clone(),
            });
        } else {
            signer.v1 = signer.app.before_2_1();
        }
        Ok(signer)
    }

    /// The app that answered.
    pub fn app(&self) -> &App {
        &self.app
    }

    /// It speaks the 2.0.x form of the protocol: version 1 wallet policies,
    /// signatures yielded without their keys.
    pub fn speaks_2_0(&self) -> bool {
        self.v1
    }

    /// Whether the app takes only version 1 policies: a version 2 one for
    /// the standard BIP84 account is refused as incorrect data by 2.0.x.
    async fn probe_v1(&self, network: bitcoin::Network) -> Result<bool, SignerError> {
        let account = crate::keys::Purpose::Bip84.account_path(
            if network == bitcoin::Network::Bitcoin {
                crate::Network::Bitcoin
            } else {
                crate::Network::Testnet
            },
            0,
        );
        let fp = self.fingerprint().await?;
        let xpub = self.xpub(&account).await?;
        let v2 = standard_policy(AddressKind::Wpkh, fp, &account, &xpub, PolicyVersion::V2)?;
        match self
            .client
            .get_wallet_address(&v2, None, false, 0, false)
            .await
        {
            Ok(_) => Ok(false),
            Err(BitcoinClientError::Device {
                status: StatusWord::IncorrectData,
                ..
            }) => Ok(true),
            Err(e) => Err(self.error(e)),
        }
    }

    fn policy_version(&self) -> PolicyVersion {
        if self.v1 {
            PolicyVersion::V1
        } else {
            PolicyVersion::V2
        }
    }

    fn error(&self, e: BitcoinClientError<WireError>) -> SignerError {
        let last = self.shared.lock().map(|s| s.last_status).unwrap_or(0);
        let device = self.label.clone();
        match e {
            BitcoinClientError::Device {
                status: StatusWord::Deny,
                ..
            } => SignerError::Declined(device),
            _ if LOCKED.contains(&last) || APP_NOT_OPEN.contains(&last) => {
                SignerError::NotReady(device)
            }
            BitcoinClientError::Transport(WireError(m)) => {
                SignerError::Device { device, message: m }
            }
            BitcoinClientError::Device { status, .. } => SignerError::Device {
                device,
                message: format!("it refused the request ({status:?}, status {last:04x})"),
            },
            BitcoinClientError::InvalidResponse(m) | BitcoinClientError::ClientError(m) => {
                SignerError::Device { device, message: m }
            }
            other => SignerError::Device {
                device,
                message: format!("an answer we could not read ({other:?})"),
            },
        }
    }

    async fn account_policy(
        &self,
        kind: AddressKind,
        account: &DerivationPath,
    ) -> Result<WalletPolicy, SignerError> {
        let fp = self.fingerprint().await?;
        let xpub = self.xpub(account).await?;
        standard_policy(kind, fp, account, &xpub, self.policy_version())
    }

    fn set_yield_keys(&self, keys: Option<BTreeMap<u64, Vec<u8>>>) {
        if let Ok(mut s) = self.shared.lock() {
            s.yield_keys = keys;
        }
    }
}

fn open_hid(path: &str) -> Result<ledger_transport_hidapi::TransportNativeHID, SignerError> {
    use ledger_transport_hidapi::{hidapi::HidApi, TransportNativeHID};
    let api = HidApi::new().map_err(|e| SignerError::Device {
        device: "USB".into(),
        message: e.to_string(),
    })?;
    let info = TransportNativeHID::list_ledgers(&api)
        .find(|d| d.path().to_string_lossy() == path)
        .ok_or_else(|| SignerError::NoDevice(format!("at {path}")))?;
    TransportNativeHID::open_device(&api, info).map_err(|e| SignerError::Device {
        device: "Ledger".into(),
        message: format!("USB: {e}"),
    })
}

/// The input's account, kind and key of ours (`fp`), from the key origins
/// the PSBT gives: `(account, kind, key bytes for the yield)`.
fn input_account(
    input: &bitcoin::psbt::Input,
    fp: Fingerprint,
) -> Option<(DerivationPath, AddressKind, Vec<u8>)> {
    let ecdsa = input
        .bip32_derivation
        .iter()
        .map(|(k, (f, p))| (k.serialize().to_vec(), *f, p));
    let taproot = input
        .tap_key_origins
        .iter()
        .filter(|(_, (leaves, _))| leaves.is_empty())
        .map(|(k, (_, (f, p)))| (k.serialize().to_vec(), *f, p));
    ecdsa.chain(taproot).find_map(|(key, f, path)| {
        if f != fp {
            return None;
        }
        let kind = AddressKind::of_path(path)?;
        let (account, _, _) = split_account_path(path)?;
        Some((account, kind, key))
    })
}

#[async_trait]
impl Signer for LedgerSigner {
    fn label(&self) -> String {
        self.label.clone()
    }

    async fn fingerprint(&self) -> Result<Fingerprint, SignerError> {
        self.client
            .get_master_fingerprint()
            .await
            .map_err(|e| self.error(e))
    }

    async fn xpub(&self, path: &DerivationPath) -> Result<Xpub, SignerError> {
        self.client
            .get_extended_pubkey(path, false)
            .await
            .map_err(|e| self.error(e))
    }

    async fn display_address(
        &self,
        path: &DerivationPath,
        kind: AddressKind,
    ) -> Result<String, SignerError> {
        let (account, change, index) = split_account_path(path).ok_or_else(|| {
            SignerError::Invalid(format!(
                "{} is not an address of a single-key account (m/purpose'/coin'/account'/0|1/index)",
                crate::keys::format_path(path)
            ))
        })?;
        let policy = self.account_policy(kind, &account).await?;
        let address = self
            .client
            .get_wallet_address(&policy, None, change, index, true)
            .await
            .map_err(|e| self.error(e))?;
        Ok(address.assume_checked().to_string())
    }

    async fn register_wallet(
        &self,
        name: &str,
        descriptor: &str,
    ) -> Result<Option<Vec<u8>>, SignerError> {
        let (template, keys) = policy_of_descriptor(descriptor, self.policy_version())?;
        if keys.len() == 1 && is_standard_template(&template) {
            return Ok(None);
        }
        let policy = WalletPolicy::new(name.to_string(), self.policy_version(), template, keys);
        let (_id, hmac) = self
            .client
            .register_wallet(&policy)
            .await
            .map_err(|e| self.error(e))?;
        Ok(Some(hmac.to_vec()))
    }

    async fn sign(&self, psbt: &Psbt) -> Result<Psbt, SignerError> {
        let fp = self.fingerprint().await?;
        // Our inputs grouped by account: one policy (one run on the device)
        // each.
        let mut groups: BTreeMap<(String, AddressKind), (DerivationPath, Vec<(u64, Vec<u8>)>)> =
            BTreeMap::new();
        for (n, input) in psbt.inputs.iter().enumerate() {
            if let Some((account, kind, key)) = input_account(input, fp) {
                groups
                    .entry((account.to_string(), kind))
                    .or_insert_with(|| (account.clone(), Vec::new()))
                    .1
                    .push((n as u64, key));
            }
        }
        let mut out = psbt.clone();
        for ((_, kind), (account, inputs)) in groups {
            let policy = self.account_policy(kind, &account).await?;
            self.set_yield_keys(self.v1.then(|| inputs.iter().cloned().collect()));
            let yielded = self.client.sign_psbt(psbt, &policy, None).await;
            self.set_yield_keys(None);
            for (n, obj) in yielded.map_err(|e| self.error(e))? {
                let Some(input) = out.inputs.get_mut(n) else {
                    return Err(SignerError::Device {
                        device: self.label(),
                        message: format!("a signature for input {n}, which the PSBT does not have"),
                    });
                };
                if let SignPsbtYieldedObject::Partial(sig) = obj {
                    match sig {
                        PartialSignature::Sig(key, sig) => {
                            input.partial_sigs.insert(key, sig);
                        }
                        PartialSignature::TapScriptSig(key, Some(leaf), sig) => {
                            input.tap_script_sigs.insert((key, leaf), sig);
                        }
                        PartialSignature::TapScriptSig(_, None, sig) => {
                            input.tap_key_sig = Some(sig);
                        }
                    }
                }
            }
        }
        Ok(out)
    }
}

fn is_standard_template(t: &str) -> bool {
    let t = t.replace("/**", "");
    ["wpkh(@0)", "sh(wpkh(@0))", "tr(@0)", "pkh(@0)"].contains(&t.as_str())
}

/// A descriptor as a wallet policy: each key expression (`[origin]xpub`
/// with `/<0;1>/*` or `/**` after it) replaced by `@i`, the keys listed in
/// order of first appearance. Keys without the receive/change ending, and
/// private keys, are refused.
pub fn policy_of_descriptor(
    descriptor: &str,
    version: PolicyVersion,
) -> Result<(String, Vec<WalletPubKey>), SignerError> {
    let body = descriptor.split('#').next().unwrap_or(descriptor);
    let mut template = String::new();
    let mut keys: Vec<String> = Vec::new();
    let mut rest = body;
    let bad = |what: &str| {
        SignerError::Invalid(format!(
            "this descriptor cannot be a wallet policy on a Ledger: {what}"
        ))
    };
    while !rest.is_empty() {
        let start = [rest.find('['), rest.find("xpub"), rest.find("tpub")]
            .into_iter()
            .flatten()
            .min();
        let Some(i) = start else {
            if rest.contains("prv") {
                return Err(bad("it holds a private key"));
            }
            template.push_str(rest);
            break;
        };
        template.push_str(&rest[..i]);
        let s = &rest[i..];
        let end = s.find([',', ')']).unwrap_or(s.len());
        let expr = &s[..end];
        if expr.contains("prv") {
            return Err(bad("it holds a private key"));
        }
        let (key, ending) = if let Some(k) = expr.strip_suffix("/<0;1>/*") {
            (k, "/**")
        } else if let Some(k) = expr.strip_suffix("/**") {
            (k, "/**")
        } else {
            return Err(bad(&format!(
                "the key {expr} has no /<0;1>/* (receive and change) ending"
            )));
        };
        let n = match keys.iter().position(|k| k == key) {
            Some(n) => n,
            None => {
                keys.push(key.to_string());
                keys.len() - 1
            }
        };
        match version {
            PolicyVersion::V2 => template.push_str(&format!("@{n}{ending}")),
            PolicyVersion::V1 => template.push_str(&format!("@{n}")),
        }
        rest = &s[end..];
    }
    let keys = keys
        .iter()
        .map(|k| {
            let text = match version {
                PolicyVersion::V2 => k.clone(),
                PolicyVersion::V1 => format!("{k}/**"),
            };
            WalletPubKey::from_str(&text).map_err(|e| bad(&format!("the key {k}: {e:?}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if keys.is_empty() {
        return Err(bad("it has no extended key"));
    }
    Ok((template, keys))
}

/// The Ledgers on USB (and the emulator at `emulator`), each with its
/// fingerprint when its Bitcoin app for `network` is open, or what keeps
/// it from being used.
pub async fn enumerate(network: bitcoin::Network, emulator: Option<SocketAddr>) -> Vec<DeviceInfo> {
    let mut found: Vec<(LedgerPath, String)> = tokio::task::spawn_blocking(list_usb)
        .await
        .unwrap_or_default();
    if let Some(addr) = emulator {
        let up = tokio::time::timeout(Duration::from_millis(500), TcpStream::connect(addr)).await;
        if matches!(up, Ok(Ok(_))) {
            found.push((LedgerPath::Tcp(addr), "ledger_nano_s_plus_simulator".into()));
        }
    }
    let mut out = Vec::new();
    for (path, model) in found {
        let mut info = DeviceInfo {
            kind: "ledger".into(),
            model,
            path: path.to_string(),
            fingerprint: None,
            needs_pin: false,
            needs_passphrase: false,
            error: None,
            bridge: Bridge::Native,
        };
        match LedgerSigner::connect(&path, &info.model, network).await {
            Ok(s) => match s.fingerprint().await {
                Ok(fp) => info.fingerprint = Some(fp.to_string()),
                Err(e) => info.error = Some(e.to_string()),
            },
            Err(e) => info.error = Some(e.to_string()),
        }
        out.push(info);
    }
    out
}

fn list_usb() -> Vec<(LedgerPath, String)> {
    use ledger_transport_hidapi::{hidapi::HidApi, TransportNativeHID};
    let Ok(api) = HidApi::new() else {
        return Vec::new();
    };
    TransportNativeHID::list_ledgers(&api)
        .map(|d| {
            (
                LedgerPath::Hid(d.path().to_string_lossy().into_owned()),
                model_of_product(d.product_id()).to_string(),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn a_pre_2_1_yield_gets_its_key() {
        let keys: BTreeMap<u64, Vec<u8>> = [(1u64, vec![2u8; 33]), (300, vec![3u8; 32])].into();
        let sig = [0x30, 0x44, 0x02];
        let y = [[CCMD_YIELD, 1].as_slice(), &sig].concat();
        let up = with_key_in_yield(&y, &keys).unwrap();
        assert_eq!(up[..3], [CCMD_YIELD, 1, 33]);
        assert_eq!(up[3..36], [2u8; 33]);
        assert_eq!(up[36..], sig);
        // A three-byte varint index.
        let y = [[CCMD_YIELD, 0xfd, 0x2c, 0x01].as_slice(), &[7u8; 64]].concat();
        let up = with_key_in_yield(&y, &keys).unwrap();
        assert_eq!(up[..5], [CCMD_YIELD, 0xfd, 0x2c, 0x01, 32]);
        assert_eq!(up[5..37], [3u8; 32]);
        // An input we did not send, or no signature: refused.
        assert!(with_key_in_yield(&[CCMD_YIELD, 2, 0x30], &keys).is_none());
        assert!(with_key_in_yield(&[CCMD_YIELD, 1], &keys).is_none());
        assert!(with_key_in_yield(&[CCMD_YIELD, 0xfd, 0x2c], &keys).is_none());
    }

    #[test]
    fn app_versions() {
        let app = |v: &str| App {
            name: "Bitcoin Test".into(),
            version: v.into(),
        };
        assert!(app("2.0.6").before_2_1() && app("2.0.6").speaks_policies());
        assert!(!app("2.1.0").before_2_1());
        assert!(!app("2.3.0-rc").before_2_1());
        assert!(!app("1.6.5").speaks_policies());
        assert!(app("2.2.1").is_bitcoin_for(bitcoin::Network::Regtest));
        let speculos = App {
            name: "app".into(),
            version: "2.0.6".into(),
        };
        assert!(speculos.is_bitcoin_for(bitcoin::Network::Regtest));
        assert!(!speculos.is_bitcoin_for(bitcoin::Network::Bitcoin));
        assert!(!app("2.2.1").is_bitcoin_for(bitcoin::Network::Bitcoin));
    }

    #[test]
    fn paths_and_models() {
        assert_eq!(
            LedgerPath::parse("tcp:127.0.0.1:9999").unwrap(),
            LedgerPath::Tcp("127.0.0.1:9999".parse().unwrap())
        );
        assert!(LedgerPath::parse("tcp:nowhere").is_err());
        assert_eq!(
            LedgerPath::parse("/dev/hidraw3").unwrap().to_string(),
            "/dev/hidraw3"
        );
        assert_eq!(model_of_product(0x5011), "ledger_nano_s_plus");
        assert_eq!(model_of_product(0x0004), "ledger_nano_x");
        let p = DerivationPath::from_str("m/84'/1'/0'/1/7").unwrap();
        let (account, change, index) = split_account_path(&p).unwrap();
        assert_eq!(account.to_string(), "84'/1'/0'");
        assert!(change && index == 7);
        assert!(
            split_account_path(&DerivationPath::from_str("m/84'/1'/0'/2/0").unwrap()).is_none()
        );
        assert!(split_account_path(&DerivationPath::from_str("m/84'/1'/0/0/0").unwrap()).is_none());
    }

    const TPUB: &str = "tpubDCtKfsNyRhULjZ9XMS4VKKtVcPdVDi8MKUbcSD9MJDyjRu1A2ND5MiipozyyspBT9bg8upEp7a8EAgFxNxXn1d7QkdbL52Ty5jiSLcxPt1P";

    #[test]
    fn standard_policies_in_both_versions() {
        let fp = Fingerprint::from_str("f5acc2fd").unwrap();
        let account = DerivationPath::from_str("m/84'/1'/0'").unwrap();
        let xpub = Xpub::from_str(TPUB).unwrap();
        let v2 =
            standard_policy(AddressKind::Wpkh, fp, &account, &xpub, PolicyVersion::V2).unwrap();
        assert_eq!(v2.descriptor_template, "wpkh(@0/**)");
        assert_eq!(
            v2.keys[0].to_string(),
            format!("[f5acc2fd/84'/1'/0']{TPUB}")
        );
        let v1 = standard_policy(AddressKind::Tr, fp, &account, &xpub, PolicyVersion::V1).unwrap();
        assert_eq!(v1.descriptor_template, "tr(@0)");
        assert_eq!(
            v1.keys[0].to_string(),
            format!("[f5acc2fd/84'/1'/0']{TPUB}/**")
        );
    }

    #[test]
    fn descriptors_as_policies() {
        let k1 = format!("[f5acc2fd/48'/1'/0'/2']{TPUB}");
        let k2 = "[12345678/48'/1'/0'/2']tpubDEGquuorgFNb8bjh5kNZQMPtABJzoWwNm78FUmeoPkfRtoPF7JLrtoZeT3J3ybq1HmC3Rn1Q8wFQ8J5usanzups5rj7PJoQLNyvq8QbJruW";
        let d = format!("wsh(sortedmulti(2,{k1}/<0;1>/*,{k2}/<0;1>/*))#abcdefgh");
        let (t, keys) = policy_of_descriptor(&d, PolicyVersion::V2).unwrap();
        assert_eq!(t, "wsh(sortedmulti(2,@0/**,@1/**))");
        assert_eq!(keys.len(), 2);
        assert_eq!(keys[1].to_string(), k2);
        let (t1, keys1) = policy_of_descriptor(&d, PolicyVersion::V1).unwrap();
        assert_eq!(t1, "wsh(sortedmulti(2,@0,@1))");
        assert_eq!(keys1[0].to_string(), format!("{k1}/**"));
        let (single, _) =
            policy_of_descriptor(&format!("wpkh({k1}/<0;1>/*)"), PolicyVersion::V2).unwrap();
        assert!(is_standard_template(&single));
        assert!(policy_of_descriptor(&format!("wpkh({k1}/0/*)"), PolicyVersion::V2).is_err());
        assert!(
            policy_of_descriptor("wpkh(tprv8ZgxMBicQKsPd/<0;1>/*)", PolicyVersion::V2)
                .map(|_| ())
                .unwrap_err()
                .to_string()
                .contains("private key")
        );
    }
}
