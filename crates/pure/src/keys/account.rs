//! BIP44/49/84/86 accounts: account keys, their SLIP-132 and descriptor forms,
//! and the addresses under them.
//!
//! Addresses are derived from the account's extended *public* key, so listing
//! or checking addresses never touches the seed.

use super::path::format_path;
use crate::network::Network;
use bitcoin::bip32::{ChildNumber, DerivationPath, Fingerprint, Xpriv, Xpub};
use bitcoin::secp256k1::{All, Secp256k1};
use bitcoin::{Address, CompressedPublicKey};
use serde::{Deserialize, Serialize};
use std::str::FromStr;
use std::sync::OnceLock;
use ts_rs::TS;

/// One verification-and-signing context for the process.
pub fn secp() -> &'static Secp256k1<All> {
    static SECP: OnceLock<Secp256k1<All>> = OnceLock::new();
    SECP.get_or_init(Secp256k1::new)
}

/// A BIP43 purpose, which fixes the script type of an account's addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum Purpose {
    /// BIP44: legacy P2PKH (`1…`).
    Bip44,
    /// BIP49: P2WPKH nested in P2SH (`3…`).
    Bip49,
    /// BIP84: native segwit v0 P2WPKH (`bc1q…`).
    Bip84,
    /// BIP86: taproot key-path P2TR (`bc1p…`).
    Bip86,
}

impl Purpose {
    /// In the order the UI shows them: the default first.
    pub const ALL: [Purpose; 4] = [
        Purpose::Bip84,
        Purpose::Bip86,
        Purpose::Bip49,
        Purpose::Bip44,
    ];

    /// The purpose number (the first path level).
    pub fn number(self) -> u32 {
        match self {
            Purpose::Bip44 => 44,
            Purpose::Bip49 => 49,
            Purpose::Bip84 => 84,
            Purpose::Bip86 => 86,
        }
    }

    /// From the purpose number.
    pub fn from_number(n: u32) -> Option<Self> {
        Purpose::ALL.into_iter().find(|p| p.number() == n)
    }

    /// The name users know the script type by.
    pub fn label(self) -> &'static str {
        match self {
            Purpose::Bip44 => "Legacy (P2PKH)",
            Purpose::Bip49 => "Nested SegWit (P2SH-P2WPKH)",
            Purpose::Bip84 => "Native SegWit (P2WPKH)",
            Purpose::Bip86 => "Taproot (P2TR)",
        }
    }

    /// `m/purpose'/coin_type'/account'` for this network.
    pub fn account_path(self, network: Network, account: u32) -> DerivationPath {
        DerivationPath::from(vec![
            hardened(self.number()),
            hardened(network.coin_type()),
            hardened(account),
        ])
    }

    /// Whether wallets expect a SLIP-132 form (ypub/zpub and their test
    /// forms) for this purpose's account key; 44 and 86 use plain xpub/tpub.
    fn has_slip132(self) -> bool {
        matches!(self, Purpose::Bip49 | Purpose::Bip84)
    }

    /// The address of one public key in this purpose's script type.
    pub fn address_for(self, pk: CompressedPublicKey, network: Network) -> Address {
        let net = network.to_bitcoin();
        match self {
            Purpose::Bip44 => Address::p2pkh(pk, net),
            Purpose::Bip49 => Address::p2shwpkh(&pk, net),
            Purpose::Bip84 => Address::p2wpkh(&pk, net),
            Purpose::Bip86 => Address::p2tr(secp(), pk.0.x_only_public_key().0, None, net),
        }
    }

    /// The purpose whose script type an address has, if any of ours.
    pub fn of_address(address: &Address) -> Option<Self> {
        use bitcoin::AddressType;
        match address.address_type()? {
            AddressType::P2pkh => Some(Purpose::Bip44),
            AddressType::P2sh => Some(Purpose::Bip49),
            AddressType::P2wpkh => Some(Purpose::Bip84),
            AddressType::P2tr => Some(Purpose::Bip86),
            _ => None,
        }
    }
}

fn hardened(index: u32) -> ChildNumber {
    ChildNumber::Hardened { index }
}

/// Receive (external, 0) or change (internal, 1) addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum Chain {
    /// External chain: addresses given out to be paid.
    Receive,
    /// Internal chain: change outputs.
    Change,
}

impl Chain {
    /// The path level: 0 or 1.
    pub fn index(self) -> u32 {
        match self {
            Chain::Receive => 0,
            Chain::Change => 1,
        }
    }
}

/// Overwrites an extended private key's secret parts (key and chain code).
/// `Xpriv` is `Copy` and not `Zeroize`: call this on each copy we made once
/// it has served (a best effort, as for any secret in memory).
pub fn erase_xpriv(k: &mut Xpriv) {
    k.private_key.non_secure_erase();
    k.chain_code = bitcoin::bip32::ChainCode::from([0u8; 32]);
}

/// The master key of a seed for a network.
pub fn master_key(seed: &[u8; 64], network: Network) -> Xpriv {
    match Xpriv::new_master(network.kind(), seed) {
        Ok(k) => k,
        // Fails only for the ~2^-127 seeds whose HMAC output is not a valid key.
        Err(e) => unreachable!("BIP32 master key from a 64-byte seed: {e}"),
    }
}

/// An account's extended public key with its origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountKey {
    /// Purpose (script type).
    pub purpose: Purpose,
    /// The master key's fingerprint.
    pub fingerprint: Fingerprint,
    /// `m/purpose'/coin'/account'`.
    pub path: DerivationPath,
    /// The account xpub (`xpub…` on mainnet, `tpub…` elsewhere).
    pub xpub: Xpub,
}

impl AccountKey {
    /// Derives the account key of `purpose` from a master key.
    pub fn derive(master: &Xpriv, purpose: Purpose, network: Network, account: u32) -> Self {
        let path = purpose.account_path(network, account);
        let mut xpriv = master
            .derive_priv(secp(), &path)
            .unwrap_or_else(|e| unreachable!("hardened derivation of a valid key: {e}"));
        let xpub = Xpub::from_priv(secp(), &xpriv);
        erase_xpriv(&mut xpriv);
        AccountKey {
            purpose,
            fingerprint: master.fingerprint(secp()),
            path,
            xpub,
        }
    }

    /// The SLIP-132 form (`zpub…`, `ypub…`, `vpub…`, `upub…`), where one exists.
    pub fn slip132(&self, network: Network) -> Option<String> {
        if !self.purpose.has_slip132() {
            return None;
        }
        let mut data = self.xpub.encode();
        data[..4].copy_from_slice(&super::xkey::version_bytes(
            false,
            network,
            Some(self.purpose),
        ));
        Some(bitcoin::base58::encode_check(&data))
    }

    /// The output descriptor of one chain, with its checksum, e.g.
    /// `wpkh([73c5da0a/84'/0'/0']xpub…/0/*)#…`.
    pub fn descriptor(&self, chain: Chain) -> String {
        let origin = format_path(&self.path);
        let key = format!(
            "[{}{}]{}/{}/*",
            self.fingerprint,
            origin.trim_start_matches('m'),
            self.xpub,
            chain.index()
        );
        let body = match self.purpose {
            Purpose::Bip44 => format!("pkh({key})"),
            Purpose::Bip49 => format!("sh(wpkh({key}))"),
            Purpose::Bip84 => format!("wpkh({key})"),
            Purpose::Bip86 => format!("tr({key})"),
        };
        // miniscript validates the descriptor and appends its checksum.
        match miniscript::Descriptor::<miniscript::DescriptorPublicKey>::from_str(&body) {
            Ok(d) => d.to_string(),
            Err(e) => unreachable!("descriptor built from a valid xpub did not parse: {e}"),
        }
    }

    /// The address at `chain/index` under this account.
    pub fn address(&self, network: Network, chain: Chain, index: u32) -> Address {
        self.address_key(chain, index)
            .map(|pk| self.purpose.address_for(pk, network))
            .unwrap_or_else(|e| unreachable!("unhardened derivation below 2^31: {e}"))
    }

    fn address_key(
        &self,
        chain: Chain,
        index: u32,
    ) -> Result<CompressedPublicKey, bitcoin::bip32::Error> {
        let child = self.xpub.derive_pub(
            secp(),
            &[
                ChildNumber::from_normal_idx(chain.index())?,
                ChildNumber::from_normal_idx(index)?,
            ],
        )?;
        Ok(CompressedPublicKey(child.public_key))
    }

    /// The full path of an address: `m/84'/0'/0'/0/5`.
    pub fn address_path(&self, chain: Chain, index: u32) -> String {
        format!("{}/{}/{}", format_path(&self.path), chain.index(), index)
    }
}

/// Why an address was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    /// Not an address at all.
    #[error("This is not a Bitcoin address: {reason}.")]
    Malformed {
        /// What the parser said.
        reason: String,
    },
    /// An address, but for another network.
    #[error("This is a {found} address, but the wallet is on {expected}.")]
    WrongNetwork {
        /// The wallet's network.
        expected: Network,
        /// A description of the network(s) the address is valid for.
        found: String,
    },
}

/// Parses an address and checks that it belongs to `network`.
pub fn parse_address(input: &str, network: Network) -> Result<Address, AddressError> {
    let unchecked =
        bitcoin::Address::from_str(input.trim()).map_err(|e| AddressError::Malformed {
            reason: e.to_string(),
        })?;
    if unchecked.is_valid_for_network(network.to_bitcoin()) {
        return Ok(unchecked.assume_checked());
    }
    let found: Vec<&str> = Network::ALL
        .into_iter()
        .filter(|n| unchecked.is_valid_for_network(n.to_bitcoin()))
        .map(|n| match n {
            Network::Bitcoin => "mainnet",
            other => other.as_str(),
        })
        .collect();
    Err(AddressError::WrongNetwork {
        expected: network,
        found: found.join("/"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::mnemonic::{parse_mnemonic, seed_from};
    use secrecy::SecretString;

    fn abandon_master(network: Network) -> Xpriv {
        let m = parse_mnemonic(&SecretString::from(
            "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"
                .to_string(),
        ))
        .unwrap();
        master_key(&seed_from(&m, &SecretString::from(String::new())), network)
    }

    #[test]
    fn descriptors_carry_origin_and_checksum_and_derive_the_same_addresses() {
        let master = abandon_master(Network::Bitcoin);
        let acct = AccountKey::derive(&master, Purpose::Bip84, Network::Bitcoin, 0);
        let d = acct.descriptor(Chain::Receive);
        assert!(d.starts_with("wpkh([73c5da0a/84'/0'/0']xpub"), "{d}");
        assert_eq!(d.split('#').nth(1).map(str::len), Some(8));
        // Cross-check our derivation against miniscript's for every purpose.
        for purpose in Purpose::ALL {
            for network in [Network::Bitcoin, Network::Regtest] {
                let acct = AccountKey::derive(&abandon_master(network), purpose, network, 0);
                for chain in [Chain::Receive, Chain::Change] {
                    let desc = miniscript::Descriptor::<miniscript::DescriptorPublicKey>::from_str(
                        &acct.descriptor(chain),
                    )
                    .unwrap();
                    for i in [0u32, 1, 7] {
                        let ours = acct.address(network, chain, i);
                        let theirs = desc
                            .at_derivation_index(i)
                            .unwrap()
                            .address(network.to_bitcoin())
                            .unwrap();
                        assert_eq!(ours, theirs, "{purpose:?} {network} {chain:?} {i}");
                    }
                }
            }
        }
    }

    #[test]
    fn address_network_is_checked() {
        let a = "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu";
        assert!(parse_address(a, Network::Bitcoin).is_ok());
        let e = parse_address(a, Network::Regtest).unwrap_err();
        assert_eq!(
            e,
            AddressError::WrongNetwork {
                expected: Network::Regtest,
                found: "mainnet".into()
            }
        );
        let e = parse_address(
            "bcrt1q6rz28mcfaxtmd6v789l9rrlrusdprr9pz3cppk",
            Network::Testnet,
        )
        .unwrap_err();
        assert!(e.to_string().contains("regtest"), "{e}");
        assert!(matches!(
            parse_address("bc1qnotanaddress", Network::Bitcoin),
            Err(AddressError::Malformed { .. })
        ));
    }

    #[test]
    fn purpose_of_address_matches_its_script_type() {
        let master = abandon_master(Network::Signet);
        for p in Purpose::ALL {
            let acct = AccountKey::derive(&master, p, Network::Signet, 0);
            assert_eq!(
                Purpose::of_address(&acct.address(Network::Signet, Chain::Receive, 0)),
                Some(p)
            );
        }
    }
}
