//! The software signer: a Switchyard wallet's own seed, read from the OS
//! keychain for one call and erased after it (see
//! [`WalletService::with_master_key`]). It signs only what the review of the
//! PSBT against the wallet's own descriptors proved the wallet's.

use super::{AddressKind, Signer, SignerError};
use crate::psbt::{review_against_wallet, sign_ours, SignOptions};
use crate::wallet::WalletService;
use async_trait::async_trait;
use bitcoin::bip32::{DerivationPath, Fingerprint, Xpub};
use bitcoin::psbt::Psbt;
use bitcoin::{Address, CompressedPublicKey};

/// A wallet's seed as a [`Signer`].
#[derive(Clone)]
pub struct SoftwareSigner {
    wallets: WalletService,
    id: String,
    name: String,
    network: bitcoin::Network,
    opts: SignOptions,
}

impl SoftwareSigner {
    /// The wallet `wallet` (id or name) as a signer.
    pub async fn new(wallets: &WalletService, wallet: &str) -> Result<Self, SignerError> {
        let w = wallets.resolve(wallet).await?;
        Ok(SoftwareSigner {
            wallets: wallets.clone(),
            id: w.id,
            name: w.name,
            network: w.network.to_bitcoin(),
            opts: SignOptions::default(),
        })
    }

    /// The same signer, allowing what `opts` allows (a non-default sighash
    /// the user accepted).
    pub fn with_options(mut self, opts: SignOptions) -> Self {
        self.opts = opts;
        self
    }
}

#[async_trait]
impl Signer for SoftwareSigner {
    fn label(&self) -> String {
        format!("wallet “{}”", self.name)
    }

    async fn fingerprint(&self) -> Result<Fingerprint, SignerError> {
        Ok(self
            .wallets
            .with_master_key(&self.id, |m| m.fingerprint(crate::keys::account::secp()))
            .await?)
    }

    async fn xpub(&self, path: &DerivationPath) -> Result<Xpub, SignerError> {
        let secp = crate::keys::account::secp();
        self.wallets
            .with_master_key(&self.id, |m| {
                let mut child = m.derive_priv(secp, path).map_err(|e| e.to_string())?;
                let xpub = Xpub::from_priv(secp, &child);
                crate::keys::account::erase_xpriv(&mut child);
                Ok::<_, String>(xpub)
            })
            .await?
            .map_err(SignerError::Invalid)
    }

    async fn display_address(
        &self,
        path: &DerivationPath,
        kind: AddressKind,
    ) -> Result<String, SignerError> {
        let xpub = self.xpub(path).await?;
        Ok(address_of(&xpub, kind, self.network).to_string())
    }

    async fn register_wallet(
        &self,
        _name: &str,
        _descriptor: &str,
    ) -> Result<Option<Vec<u8>>, SignerError> {
        // The seed needs no registration: the review decides what is ours.
        Ok(None)
    }

    async fn sign(&self, psbt: &Psbt) -> Result<Psbt, SignerError> {
        let review = review_against_wallet(&self.wallets, &self.id, psbt)
            .await
            .map_err(|e| SignerError::Invalid(e.to_string()))?;
        let mut out = psbt.clone();
        let opts = self.opts;
        self.wallets
            .with_master_key(&self.id, |master| {
                sign_ours(&mut out, master, &review, opts)
            })
            .await??;
        Ok(out)
    }
}

/// The single-key address of `xpub`'s key for `kind`.
pub fn address_of(xpub: &Xpub, kind: AddressKind, network: bitcoin::Network) -> Address {
    let pk = CompressedPublicKey(xpub.public_key);
    match kind {
        AddressKind::Wpkh => Address::p2wpkh(&pk, network),
        AddressKind::ShWpkh => Address::p2shwpkh(&pk, network),
        AddressKind::Pkh => Address::p2pkh(pk, network),
        AddressKind::Tr => Address::p2tr(
            crate::keys::account::secp(),
            xpub.to_x_only_pub(),
            None,
            network,
        ),
    }
}
