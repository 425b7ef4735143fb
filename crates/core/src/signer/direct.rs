//! BitBox02, Coldcard, Jade and Specter spoken to in process, through
//! async-hwi (Liana's hardware wallet interface) and the device crates it is
//! built on: no HWI, no Python.
//!
//! What async-hwi's `HWI` trait covers (fingerprint, xpub, wallet
//! registration, signing) goes through it. Two things it leaves out are
//! ours, on the same connection:
//!
//! - showing the address of a single-key account on the device (async-hwi
//!   shows only registered wallets' addresses): BitBox02's `btc_address`,
//!   Coldcard's `ShowAddress`, Jade's `get_receive_address` with a
//!   single-key variant. Each returns the address the device showed, which
//!   [`super::verify_address`] compares with ours. Specter shows addresses
//!   from its own menu only;
//! - the BitBox02's pairing, remembered in the keychain (its noise keys are
//!   a secret of this app's): the first connection shows a pairing code to
//!   compare with the device's screen, later ones need nothing.
//!
//! No emulator of these four devices can be had on this project's machines,
//! so this module is tested by its pure parts only (paths, address kinds,
//! errors, the remembered pairing); Ledger's app under Speculos is the
//! firmware the tests run (see `ledger.rs`).

use super::hwi::{Bridge, DeviceInfo};
use super::{AddressKind, Signer, SignerError};
use crate::keychain::{OsKeychain, SecretStore};
use async_hwi::bitbox::api::{self as bitbox_api, pb, runtime::TokioRuntime};
use async_hwi::bitbox::{BitBox02, NoiseConfig, NoiseConfigData, PairingBitbox02};
use async_hwi::coldcard::api as coldcard;
use async_hwi::jade::{self, Jade};
use async_hwi::specter::{self, Specter};
use async_hwi::{Error as HwiError, HWI};
use async_trait::async_trait;
use bitcoin::bip32::{DerivationPath, Fingerprint, Xpub};
use bitcoin::psbt::Psbt;
use secrecy::{ExposeSecret, SecretString};
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// How long listing waits for a device to answer (a locked BitBox02 waits
/// for its password indefinitely).
const ANSWER_WITHIN: Duration = Duration::from_secs(5);

/// The keychain entry of the BitBox02 pairing.
const BITBOX_PAIRING: &str = "devices/bitbox02/noise";

/// A device this module speaks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Model {
    /// Shift Crypto's BitBox02 (USB HID, noise-encrypted).
    BitBox02,
    /// Coinkite's Coldcard (USB HID, encrypted).
    Coldcard,
    /// Blockstream's Jade (USB serial, CBOR; unlocked with its PIN server).
    Jade,
    /// Specter DIY (USB serial, text).
    Specter,
}

impl Model {
    /// HWI's name for it (`DeviceInfo::kind` and `model`).
    pub fn id(self) -> &'static str {
        match self {
            Model::BitBox02 => "bitbox02",
            Model::Coldcard => "coldcard",
            Model::Jade => "jade",
            Model::Specter => "specter",
        }
    }

    /// Its name in messages.
    pub fn name(self) -> &'static str {
        match self {
            Model::BitBox02 => "BitBox02",
            Model::Coldcard => "Coldcard",
            Model::Jade => "Jade",
            Model::Specter => "Specter",
        }
    }

    /// Which single-key address kinds it can show, and how it names them.
    fn shows(self, kind: AddressKind) -> bool {
        match self {
            // No legacy addresses on a BitBox02; no taproot in the Coldcard's USB command.
            Model::BitBox02 => kind != AddressKind::Pkh,
            Model::Coldcard => kind != AddressKind::Tr,
            Model::Jade => true,
            Model::Specter => false,
        }
    }
}

/// The device's own connection.
enum Conn {
    BitBox02(Box<BitBox02<TokioRuntime>>),
    Coldcard(Arc<Mutex<coldcard::Coldcard>>),
    Jade {
        jade: Jade<SharedJade>,
        wire: SharedJade,
    },
    Specter(Specter<specter::SerialTransport>),
}

/// A BitBox02, Coldcard, Jade or Specter, connected.
pub struct DirectSigner {
    conn: Conn,
    model: Model,
    network: bitcoin::Network,
}

impl std::fmt::Debug for DirectSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DirectSigner")
            .field("model", &self.model)
            .finish_non_exhaustive()
    }
}

impl DirectSigner {
    fn error(&self, e: HwiError) -> SignerError {
        error_of(self.model, e)
    }

    /// async-hwi's client, or the Coldcard (spoken to through its own
    /// crate, below).
    fn hwi(&self) -> Result<&(dyn HWI + Send + Sync), &Arc<Mutex<coldcard::Coldcard>>> {
        match &self.conn {
            Conn::BitBox02(b) => Ok(b.as_ref()),
            Conn::Jade { jade, .. } => Ok(jade),
            Conn::Specter(s) => Ok(s),
            Conn::Coldcard(cc) => Err(cc),
        }
    }

    /// Runs `f` on the Coldcard's connection on a blocking thread (its
    /// crate speaks HID synchronously).
    async fn coldcard<T: Send + 'static>(
        &self,
        cc: &Arc<Mutex<coldcard::Coldcard>>,
        f: impl FnOnce(&mut coldcard::Coldcard) -> Result<T, coldcard::Error> + Send + 'static,
    ) -> Result<T, SignerError> {
        let cc = cc.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = cc
                .lock()
                .map_err(|_| HwiError::Unexpected("Coldcard lock"))?;
            f(&mut guard).map_err(HwiError::from)
        })
        .await
        .map_err(|e| SignerError::Invalid(e.to_string()))?
        .map_err(|e| self.error(e))
    }
}

/// async-hwi's errors in words.
fn error_of(model: Model, e: HwiError) -> SignerError {
    let device = model.name().to_string();
    match e {
        HwiError::UserRefused => SignerError::Declined(device),
        HwiError::DeviceNotFound | HwiError::DeviceDisconnected => {
            SignerError::NoDevice(format!("({device} disconnected)"))
        }
        HwiError::NetworkMismatch => SignerError::Device {
            device,
            message: "it is set up for another network (mainnet or testnet) than this wallet's"
                .into(),
        },
        HwiError::DeviceDidNotSign => SignerError::SignedNothing(device),
        HwiError::UnimplementedMethod => SignerError::Device {
            device,
            message: "it cannot do this over USB".into(),
        },
        other => SignerError::Device {
            device,
            message: other.to_string(),
        },
    }
}

/// The path as a Coldcard takes it.
fn coldcard_path(path: &DerivationPath) -> Result<coldcard::protocol::DerivationPath, SignerError> {
    coldcard::protocol::DerivationPath::new(&crate::keys::format_path(path))
        .map_err(|e| SignerError::Invalid(format!("a Coldcard path: {e:?}")))
}

/// Jade's name of a single-key script.
fn jade_variant(kind: AddressKind) -> &'static str {
    match kind {
        AddressKind::Wpkh => "wpkh(k)",
        AddressKind::ShWpkh => "sh(wpkh(k))",
        AddressKind::Tr => "tr(k)",
        AddressKind::Pkh => "pkh(k)",
    }
}

/// The BitBox02's name of a single-key script.
fn bitbox_script(kind: AddressKind) -> Option<pb::btc_script_config::SimpleType> {
    use pb::btc_script_config::SimpleType;
    match kind {
        AddressKind::Wpkh => Some(SimpleType::P2wpkh),
        AddressKind::ShWpkh => Some(SimpleType::P2wpkhP2sh),
        AddressKind::Tr => Some(SimpleType::P2tr),
        AddressKind::Pkh => None,
    }
}

fn coldcard_format(kind: AddressKind) -> Option<coldcard::protocol::AddressFormat> {
    use coldcard::protocol::AddressFormat;
    match kind {
        AddressKind::Wpkh => Some(AddressFormat::P2WPKH),
        AddressKind::ShWpkh => Some(AddressFormat::P2WPKH_P2SH),
        AddressKind::Pkh => Some(AddressFormat::P2PKH),
        AddressKind::Tr => None,
    }
}

/// The parameters of Jade's `get_receive_address` for a single-key path.
#[derive(serde::Serialize)]
struct JadeAddressParams<'a> {
    network: &'a str,
    path: Vec<u32>,
    variant: &'a str,
}

fn jade_network(network: bitcoin::Network) -> &'static str {
    if network == bitcoin::Network::Bitcoin {
        jade::JADE_NETWORK_MAINNET
    } else {
        jade::JADE_NETWORK_TESTNET
    }
}

/// One serial connection to a Jade shared by async-hwi's client and our own
/// requests.
#[derive(Debug, Clone)]
struct SharedJade(Arc<jade::SerialTransport>);

#[async_trait]
impl jade::Transport for SharedJade {
    async fn request<
        S: serde::Serialize + Send + Unpin,
        D: serde::de::DeserializeOwned + Unpin + Send,
    >(
        &self,
        method: &str,
        params: Option<S>,
    ) -> Result<jade::api::Response<D>, jade::JadeError> {
        self.0.request(method, params).await
    }
}

#[async_trait]
impl Signer for DirectSigner {
    fn label(&self) -> String {
        self.model.name().to_string()
    }

    async fn fingerprint(&self) -> Result<Fingerprint, SignerError> {
        match self.hwi() {
            Ok(h) => h.get_master_fingerprint().await.map_err(|e| self.error(e)),
            Err(cc) => {
                let master = self.coldcard(cc, |c| c.xpub(None)).await?;
                Xpub::from_str(&master)
                    .map(|x| x.fingerprint())
                    .map_err(|e| SignerError::Invalid(format!("the Coldcard's master key: {e}")))
            }
        }
    }

    async fn xpub(&self, path: &DerivationPath) -> Result<Xpub, SignerError> {
        match self.hwi() {
            Ok(h) => h.get_extended_pubkey(path).await.map_err(|e| self.error(e)),
            Err(cc) => {
                let p = coldcard_path(path)?;
                let key = self.coldcard(cc, move |c| c.xpub(Some(p))).await?;
                Xpub::from_str(&key)
                    .map_err(|e| SignerError::Invalid(format!("the Coldcard's key: {e}")))
            }
        }
    }

    async fn display_address(
        &self,
        path: &DerivationPath,
        kind: AddressKind,
    ) -> Result<String, SignerError> {
        if !self.model.shows(kind) {
            return Err(SignerError::Device {
                device: self.label(),
                message: format!(
                    "it does not show {} addresses over USB: check this one on the device's own address screen",
                    match kind {
                        AddressKind::Wpkh => "P2WPKH",
                        AddressKind::ShWpkh => "P2SH-P2WPKH",
                        AddressKind::Tr => "taproot",
                        AddressKind::Pkh => "legacy",
                    }
                ),
            });
        }
        match &self.conn {
            Conn::BitBox02(b) => {
                let simple = bitbox_script(kind).ok_or_else(|| {
                    SignerError::Invalid("no such address kind on a BitBox02".into())
                })?;
                let coin = if self.network == bitcoin::Network::Bitcoin {
                    pb::BtcCoin::Btc
                } else {
                    pb::BtcCoin::Tbtc
                };
                b.client
                    .btc_address(
                        coin,
                        &bitbox_api::Keypath::from(path),
                        &bitbox_api::btc::make_script_config_simple(simple),
                        true,
                    )
                    .await
                    .map_err(|e| self.error(HwiError::from(e)))
            }
            Conn::Coldcard(cc) => {
                let p = coldcard_path(path)?;
                let format = coldcard_format(kind).ok_or_else(|| {
                    SignerError::Invalid("no such address kind on a Coldcard".into())
                })?;
                self.coldcard(cc, move |c| c.address(p, format)).await
            }
            Conn::Jade { wire, .. } => {
                use jade::Transport;
                let params = JadeAddressParams {
                    network: jade_network(self.network),
                    path: path.to_u32_vec(),
                    variant: jade_variant(kind),
                };
                wire.request::<_, String>("get_receive_address", Some(params))
                    .await
                    .and_then(|r| r.into_result())
                    .map_err(|e| self.error(HwiError::from(e)))
            }
            Conn::Specter(_) => Err(self.error(HwiError::UnimplementedMethod)),
        }
    }

    async fn register_wallet(
        &self,
        name: &str,
        descriptor: &str,
    ) -> Result<Option<Vec<u8>>, SignerError> {
        match self.hwi() {
            Ok(h) => h
                .register_wallet(name, descriptor)
                .await
                .map(|hmac| hmac.map(|h| h.to_vec()))
                .map_err(|e| self.error(e)),
            Err(cc) => {
                let payload = serde_json::json!({ "name": name, "desc": descriptor }).to_string();
                self.coldcard(cc, move |c| c.miniscript_enroll(payload.as_bytes()))
                    .await?;
                Ok(None)
            }
        }
    }

    async fn sign(&self, psbt: &Psbt) -> Result<Psbt, SignerError> {
        let cc = match self.hwi() {
            Ok(h) => {
                let mut out = psbt.clone();
                h.sign_tx(&mut out).await.map_err(|e| self.error(e))?;
                return Ok(out);
            }
            Err(cc) => cc,
        };
        let bytes = psbt.serialize();
        let signed = self
            .coldcard(cc, move |c| {
                c.sign_psbt(&bytes, coldcard::SignMode::Signed)?;
                // The Coldcard answers once the user approved (or refused) on it.
                loop {
                    if let Some(tx) = c.get_signed_tx()? {
                        return Ok(tx);
                    }
                    std::thread::sleep(Duration::from_millis(250));
                }
            })
            .await?;
        Psbt::deserialize(&signed)
            .map_err(|e| SignerError::Invalid(format!("the Coldcard's signed PSBT: {e}")))
    }
}

/// The BitBox02 pairing, kept in the keychain: this app's noise key and
/// the devices it paired with.
struct KeychainPairing(OsKeychain);

impl bitbox_api::Threading for KeychainPairing {}

impl NoiseConfig for KeychainPairing {
    fn read_config(&self) -> Result<NoiseConfigData, bitbox_api::ConfigError> {
        let stored = self
            .0
            .get(BITBOX_PAIRING)
            .map_err(|e| bitbox_api::ConfigError(e.to_string()))?;
        match stored {
            None => Ok(NoiseConfigData::default()),
            Some(s) => serde_json::from_str(s.expose_secret())
                .map_err(|e| bitbox_api::ConfigError(format!("the stored pairing: {e}"))),
        }
    }

    fn store_config(&self, conf: &NoiseConfigData) -> Result<(), bitbox_api::ConfigError> {
        let json =
            serde_json::to_string(conf).map_err(|e| bitbox_api::ConfigError(e.to_string()))?;
        self.0
            .put(BITBOX_PAIRING, &SecretString::from(json))
            .map_err(|e| bitbox_api::ConfigError(e.to_string()))
    }
}

/// BitBox02 pairings waiting for the user's confirmation, by device path:
/// the code shown.
fn pairings() -> &'static Mutex<HashMap<String, String>> {
    static P: OnceLock<Mutex<HashMap<String, String>>> = OnceLock::new();
    P.get_or_init(Default::default)
}

/// What a device found answered.
pub struct Found {
    /// The row for the device list.
    pub info: DeviceInfo,
    /// The connection, when the device is ready.
    pub signer: Option<DirectSigner>,
}

fn row(model: Model, path: String) -> DeviceInfo {
    DeviceInfo {
        kind: model.id().into(),
        model: model.id().into(),
        path,
        fingerprint: None,
        needs_pin: false,
        needs_passphrase: false,
        error: None,
        bridge: Bridge::Native,
    }
}

/// Ready: the row gets the fingerprint, or the error in words.
async fn ready(mut info: DeviceInfo, signer: DirectSigner) -> Found {
    match tokio::time::timeout(ANSWER_WITHIN, signer.fingerprint()).await {
        Ok(Ok(fp)) => {
            info.fingerprint = Some(fp.to_string());
            Found {
                info,
                signer: Some(signer),
            }
        }
        Ok(Err(e)) => {
            info.error = Some(e.to_string());
            Found { info, signer: None }
        }
        Err(_) => {
            info.error = Some(SignerError::NotReady(signer.label()).to_string());
            Found { info, signer: None }
        }
    }
}

/// The BitBox02s, Coldcards, Jades and Specters connected by USB.
pub async fn enumerate(network: bitcoin::Network, keychain: &OsKeychain) -> Vec<Found> {
    let mut out = Vec::new();
    let hid: Vec<(Model, String, Option<String>)> = tokio::task::spawn_blocking(list_hid)
        .await
        .unwrap_or_default();
    for (model, path, serial) in hid {
        let info = row(model, path.clone());
        out.push(match model {
            Model::BitBox02 => bitbox02(info, network, keychain.clone()).await,
            _ => coldcard_at(info, serial, network).await,
        });
    }
    if let Ok(ports) = jade::SerialTransport::enumerate_potential_ports() {
        for port in ports {
            out.push(jade_at(row(Model::Jade, port.clone()), port, network).await);
        }
    }
    if let Ok(ports) = specter::SerialTransport::enumerate_potential_ports() {
        for port in ports {
            let info = row(Model::Specter, port.clone());
            out.push(match Specter::<specter::SerialTransport>::new(port) {
                Ok(s) => {
                    let signer = DirectSigner {
                        conn: Conn::Specter(s),
                        model: Model::Specter,
                        network,
                    };
                    ready(info, signer).await
                }
                Err(e) => failed(info, e.to_string()),
            });
        }
    }
    out
}

fn failed(mut info: DeviceInfo, why: String) -> Found {
    info.error = Some(why);
    Found { info, signer: None }
}

/// BitBox02s and Coldcards among the HID devices: (model, path, serial).
fn list_hid() -> Vec<(Model, String, Option<String>)> {
    let Ok(api) = ledger_transport_hidapi::hidapi::HidApi::new() else {
        return Vec::new();
    };
    api.device_list()
        .filter_map(|d| {
            let model = if async_hwi::bitbox::is_bitbox02(d) {
                Model::BitBox02
            } else if async_hwi::coldcard::is_coldcard(d) {
                Model::Coldcard
            } else {
                return None;
            };
            Some((
                model,
                d.path().to_string_lossy().into_owned(),
                d.serial_number().map(str::to_string),
            ))
        })
        .collect()
}

async fn coldcard_at(info: DeviceInfo, serial: Option<String>, network: bitcoin::Network) -> Found {
    let Some(serial) = serial else {
        return failed(info, "the Coldcard gave no serial number over USB".into());
    };
    let opened = tokio::task::spawn_blocking(move || {
        let api = coldcard::Api::new()?;
        api.open(&serial, None).map(|(cc, _)| cc)
    })
    .await;
    match opened {
        Ok(Ok(cc)) => {
            let signer = DirectSigner {
                conn: Conn::Coldcard(Arc::new(Mutex::new(cc))),
                model: Model::Coldcard,
                network,
            };
            ready(info, signer).await
        }
        Ok(Err(e)) => failed(info, error_of(Model::Coldcard, e.into()).to_string()),
        Err(e) => failed(info, e.to_string()),
    }
}

async fn jade_at(info: DeviceInfo, port: String, network: bitcoin::Network) -> Found {
    let wire = match jade::SerialTransport::new(port) {
        Ok(t) => SharedJade(Arc::new(t)),
        Err(e) => return failed(info, format!("the Jade's serial port: {e:?}")),
    };
    let jade = Jade::new(wire.clone()).with_network(network);
    let state = match tokio::time::timeout(ANSWER_WITHIN, jade.get_info()).await {
        Ok(Ok(i)) => i.jade_state,
        Ok(Err(e)) => return failed(info, error_of(Model::Jade, e).to_string()),
        Err(_) => return failed(info, SignerError::NotReady("Jade".into()).to_string()),
    };
    use jade::api::JadeState;
    match state {
        JadeState::Uninit | JadeState::Unsaved => {
            return failed(
                info,
                "The Jade has no wallet yet: set it up on the device first.".into(),
            )
        }
        JadeState::Locked => {
            // Jade checks its PIN with Blockstream's PIN server, over HTTPS.
            let _ = rustls::crypto::ring::default_provider().install_default();
            if let Err(e) = jade.auth().await {
                let mut info = info;
                info.needs_pin = true;
                return failed(
                    info,
                    format!(
                        "Enter the Jade's PIN on the device (it asks Blockstream's PIN server): {}",
                        error_of(Model::Jade, e.into())
                    ),
                );
            }
        }
        JadeState::Ready | JadeState::Temp => {}
    }
    let signer = DirectSigner {
        conn: Conn::Jade { jade, wire },
        model: Model::Jade,
        network,
    };
    ready(info, signer).await
}

async fn bitbox02(mut info: DeviceInfo, network: bitcoin::Network, keychain: OsKeychain) -> Found {
    let path = info.path.clone();
    if let Some(code) = pairings().lock().ok().and_then(|p| p.get(&path).cloned()) {
        return failed(info, pairing_message(&code));
    }
    let device = {
        let p = path.clone();
        tokio::task::spawn_blocking(move || {
            let api = ledger_transport_hidapi::hidapi::HidApi::new()?;
            let c = std::ffi::CString::new(p).unwrap_or_default();
            api.open_path(&c)
        })
        .await
    };
    let device = match device {
        Ok(Ok(d)) => d,
        Ok(Err(e)) => return failed(info, format!("the BitBox02 could not be opened: {e}")),
        Err(e) => return failed(info, e.to_string()),
    };
    let noise: Box<dyn NoiseConfig> = Box::new(KeychainPairing(keychain));
    // Unlocking waits for the device's password; listing does not wait long.
    let pairing = match tokio::time::timeout(
        ANSWER_WITHIN,
        PairingBitbox02::<TokioRuntime>::connect(device, Some(noise)),
    )
    .await
    {
        Ok(Ok(p)) => p,
        Ok(Err(e)) => return failed(info, error_of(Model::BitBox02, e).to_string()),
        Err(_) => {
            info.needs_pin = true;
            return failed(
                info,
                "Unlock the BitBox02 (enter its password on the device), then look again.".into(),
            );
        }
    };
    if let Some(code) = pairing.pairing_code() {
        // The first time: the user compares the code on both screens and
        // confirms on the device; the pairing is kept once confirmed.
        if let Ok(mut p) = pairings().lock() {
            p.insert(path.clone(), code.clone());
        }
        tokio::spawn(async move {
            let confirmed = pairing.wait_confirm().await;
            if let Err(e) = &confirmed {
                tracing::warn!(error = %e, "BitBox02 pairing not confirmed");
            }
            if let Ok(mut p) = pairings().lock() {
                p.remove(&path);
            }
        });
        return failed(info, pairing_message(&code));
    }
    match pairing.wait_confirm().await {
        Ok(paired) => {
            let signer = DirectSigner {
                conn: Conn::BitBox02(Box::new(BitBox02::from(paired).with_network(network))),
                model: Model::BitBox02,
                network,
            };
            ready(info, signer).await
        }
        Err(e) => failed(info, error_of(Model::BitBox02, e).to_string()),
    }
}

fn pairing_message(code: &str) -> String {
    format!(
        "Pair the BitBox02: check that it shows the code {}, confirm on the device, then look again.",
        code.split_whitespace().collect::<Vec<_>>().join(" ")
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn errors_in_words() {
        let e = error_of(Model::Jade, HwiError::UserRefused);
        assert_eq!(
            e.to_string(),
            "You declined on the Jade; nothing was signed or shown."
        );
        let e = error_of(Model::BitBox02, HwiError::NetworkMismatch).to_string();
        assert!(e.contains("another network"), "{e}");
        let e = error_of(Model::Coldcard, HwiError::DeviceDidNotSign).to_string();
        assert!(e.contains("signed none of your inputs"), "{e}");
        let e = error_of(
            Model::Coldcard,
            coldcard::Error::UnexpectedResponse(coldcard::protocol::Response::Refused).into(),
        );
        assert!(matches!(e, SignerError::Declined(_)), "{e}");
    }

    #[test]
    fn each_device_names_the_scripts_it_shows() {
        use AddressKind::*;
        for kind in [Wpkh, ShWpkh, Tr, Pkh] {
            assert_eq!(Model::BitBox02.shows(kind), bitbox_script(kind).is_some());
            assert_eq!(Model::Coldcard.shows(kind), coldcard_format(kind).is_some());
            assert!(Model::Jade.shows(kind));
            assert!(!Model::Specter.shows(kind));
        }
        assert_eq!(jade_variant(ShWpkh), "sh(wpkh(k))");
        assert_eq!(
            coldcard_format(Wpkh).map(|f| f as u8),
            Some(coldcard::protocol::AddressFormat::P2WPKH as u8)
        );
    }

    #[test]
    fn paths_as_the_devices_take_them() {
        let p: DerivationPath = "m/84'/1'/0'/0/7".parse().unwrap();
        // The Coldcard's own parser takes our formatting.
        coldcard_path(&p).unwrap();
        let params = JadeAddressParams {
            network: jade_network(bitcoin::Network::Regtest),
            path: p.to_u32_vec(),
            variant: jade_variant(AddressKind::Wpkh),
        };
        let v = serde_json::to_value(&params).unwrap();
        assert_eq!(v["network"], "testnet");
        assert_eq!(v["path"][0], 0x8000_0054u32);
        assert_eq!(v["path"][4], 7);
        assert_eq!(jade_network(bitcoin::Network::Bitcoin), "mainnet");
    }

    /// The BitBox02's pairing goes to the OS keychain (the private Secret
    /// Service of the test run) and comes back whole.
    #[test]
    fn the_bitbox_pairing_is_kept_in_the_keychain() {
        let keychain = OsKeychain::new(format!(
            "{}.bitbox-pairing",
            crate::context::keychain_service()
        ));
        let pairing = KeychainPairing(keychain.clone());
        let empty = pairing.read_config().unwrap();
        assert!(empty.app_static_privkey.is_none() && empty.device_static_pubkeys.is_empty());
        let data = NoiseConfigData {
            app_static_privkey: Some([7u8; 32]),
            device_static_pubkeys: vec![vec![2u8; 32], vec![3u8; 32]],
        };
        pairing.store_config(&data).unwrap();
        let back = pairing.read_config().unwrap();
        assert_eq!(back.app_static_privkey, data.app_static_privkey);
        assert_eq!(back.device_static_pubkeys, data.device_static_pubkeys);
        keychain.delete(BITBOX_PAIRING).unwrap();
        assert!(keychain.get(BITBOX_PAIRING).unwrap().is_none());
    }

    #[test]
    fn the_pairing_message_carries_the_code() {
        let m = pairing_message("ABCD EFGH\nIJKL MNOP");
        assert!(m.starts_with("Pair the BitBox02"));
        assert!(m.contains("the code ABCD EFGH IJKL MNOP, confirm"), "{m}");
    }
}
