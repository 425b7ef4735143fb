//! The Bitcoin networks Switchyard knows, with the facts that differ between
//! them: BIP44 coin type, extended key version bytes, address prefixes.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use ts_rs::TS;

/// A Bitcoin network. Serialized as the lowercase names LND and Bitcoin Core use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum Network {
    /// Mainnet: real money.
    Bitcoin,
    /// Testnet3.
    Testnet,
    /// Signet.
    Signet,
    /// A local regression-test network.
    Regtest,
}

impl Network {
    /// Every network, in the order the UI lists them.
    pub const ALL: [Network; 4] = [
        Network::Bitcoin,
        Network::Testnet,
        Network::Signet,
        Network::Regtest,
    ];

    /// BIP44 coin type: 0 on mainnet, 1 on every test network (SLIP-44).
    pub fn coin_type(self) -> u32 {
        match self {
            Network::Bitcoin => 0,
            _ => 1,
        }
    }

    /// The `bitcoin` crate's network.
    pub fn to_bitcoin(self) -> bitcoin::Network {
        match self {
            Network::Bitcoin => bitcoin::Network::Bitcoin,
            Network::Testnet => bitcoin::Network::Testnet,
            Network::Signet => bitcoin::Network::Signet,
            Network::Regtest => bitcoin::Network::Regtest,
        }
    }

    /// Main or test, as extended keys encode it (`xpub` vs `tpub`).
    pub fn kind(self) -> bitcoin::NetworkKind {
        match self {
            Network::Bitcoin => bitcoin::NetworkKind::Main,
            _ => bitcoin::NetworkKind::Test,
        }
    }

    /// The lowercase name (`bitcoin`, `testnet`, `signet`, `regtest`).
    pub fn as_str(self) -> &'static str {
        match self {
            Network::Bitcoin => "bitcoin",
            Network::Testnet => "testnet",
            Network::Signet => "signet",
            Network::Regtest => "regtest",
        }
    }
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text did not name a network we know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown network '{given}': use bitcoin (mainnet), testnet, signet or regtest")]
pub struct UnknownNetwork {
    /// What was given.
    pub given: String,
}

impl FromStr for Network {
    type Err = UnknownNetwork;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "bitcoin" | "mainnet" | "main" => Ok(Network::Bitcoin),
            "testnet" | "testnet3" | "test" => Ok(Network::Testnet),
            "signet" => Ok(Network::Signet),
            "regtest" => Ok(Network::Regtest),
            _ => Err(UnknownNetwork {
                given: s.to_string(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_aliases_parse() {
        for n in Network::ALL {
            assert_eq!(n.as_str().parse::<Network>(), Ok(n));
        }
        assert_eq!("mainnet".parse::<Network>(), Ok(Network::Bitcoin));
        let err = "litecoin".parse::<Network>().unwrap_err();
        assert!(err.to_string().contains("litecoin"));
    }

    #[test]
    fn coin_type_is_zero_only_on_mainnet() {
        assert_eq!(Network::Bitcoin.coin_type(), 0);
        for n in [Network::Testnet, Network::Signet, Network::Regtest] {
            assert_eq!(n.coin_type(), 1);
        }
    }
}
