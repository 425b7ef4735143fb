//! Official test vectors: BIP39 (Trezor English, passphrase "TREZOR"), BIP32
//! vectors 1–5 (5: invalid keys that must be refused), BIP49, BIP84, BIP86.
//! The data files in `tests/vectors/` say where each set comes from.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic is how a test reports

use bitcoin::bip32::{DerivationPath, Xpriv, Xpub};
use secrecy::SecretString;
use serde_json::Value;
use std::str::FromStr;
use switchyard_pure::keys::account::secp;
use switchyard_pure::keys::{
    derive_at_path, master_key, parse_mnemonic, parse_xpriv, parse_xpub, phrase_of, seed_from,
    AccountKey, Chain, DeriveOptions, Purpose,
};
use switchyard_pure::Network;

fn load(name: &str) -> Value {
    let path = format!("{}/tests/vectors/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn s(x: &str) -> SecretString {
    SecretString::from(x.to_string())
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn bip39_trezor_english_vectors() {
    let v = load("bip39-trezor-english.json");
    let pass = v["passphrase"].as_str().unwrap();
    let vectors = v["vectors"].as_array().unwrap();
    assert_eq!(vectors.len(), 24);
    for t in vectors {
        let entropy = hex(t["entropy"].as_str().unwrap());
        let words = t["mnemonic"].as_str().unwrap();
        let m = parse_mnemonic(&s(words)).unwrap_or_else(|e| panic!("{words}: {e}"));
        assert_eq!(m.to_entropy(), entropy, "entropy of {words}");
        assert_eq!(
            bip39::Mnemonic::from_entropy(&entropy).unwrap(),
            m,
            "words from entropy {}",
            t["entropy"]
        );
        assert_eq!(secrecy::ExposeSecret::expose_secret(&phrase_of(&m)), words);
        let seed = seed_from(&m, &s(pass));
        assert_eq!(
            seed.to_vec(),
            hex(t["seed"].as_str().unwrap()),
            "seed of {words}"
        );
        if let Some(root) = v["root_xprv"][t["entropy"].as_str().unwrap()].as_str() {
            assert_eq!(master_key(&seed, Network::Bitcoin).to_string(), root);
        }
    }
}

#[test]
fn bip32_vectors_1_to_4_derive_every_chain() {
    let v = load("bip32.json");
    let valid = v["valid"].as_array().unwrap();
    assert_eq!(valid.len(), 4);
    for (i, vector) in valid.iter().enumerate() {
        let seed = hex(vector["seed"].as_str().unwrap());
        let master = Xpriv::new_master(bitcoin::NetworkKind::Main, &seed).unwrap();
        for chain in vector["chains"].as_array().unwrap() {
            let path_text = chain["path"].as_str().unwrap();
            // Our own path parser must read every path of the BIP.
            let path = switchyard_pure::keys::parse_path(path_text).unwrap();
            assert_eq!(path, DerivationPath::from_str(path_text).unwrap());
            let prv = master.derive_priv(secp(), &path).unwrap();
            let pubk = Xpub::from_priv(secp(), &prv);
            let want_prv = chain["xprv"].as_str().unwrap();
            let want_pub = chain["xpub"].as_str().unwrap();
            assert_eq!(
                prv.to_string(),
                want_prv,
                "vector {} {path_text} xprv",
                i + 1
            );
            assert_eq!(
                pubk.to_string(),
                want_pub,
                "vector {} {path_text} xpub",
                i + 1
            );
            // And our strict parsers accept every valid key unchanged.
            assert_eq!(parse_xpriv(want_prv, Some(Network::Bitcoin)).unwrap(), prv);
            assert_eq!(
                parse_xpub(want_pub, Some(Network::Bitcoin)).unwrap().xpub,
                pubk
            );
        }
    }
}

#[test]
fn bip32_vector_5_invalid_keys_are_refused_with_a_reason() {
    let v = load("bip32.json");
    let invalid = v["invalid"].as_array().unwrap();
    assert_eq!(invalid.len(), 16);
    let mut accepted = Vec::new();
    for t in invalid {
        let key = t["key"].as_str().unwrap();
        let as_pub = parse_xpub(key, None);
        let as_prv = parse_xpriv(key, None);
        if as_pub.is_ok() || as_prv.is_ok() {
            accepted.push(format!("{}: {key}", t["reason"]));
        }
        // Every refusal is a sentence, never a panic or an empty message.
        for msg in [as_pub.err(), as_prv.err()].into_iter().flatten() {
            assert!(msg.to_string().len() > 20, "{msg:?}");
        }
    }
    assert!(
        accepted.is_empty(),
        "accepted invalid keys:\n{}",
        accepted.join("\n")
    );
}

fn abandon_master(network: Network) -> Xpriv {
    let v = load("bip49-84-86.json");
    let m = parse_mnemonic(&s(v["mnemonic"].as_str().unwrap())).unwrap();
    master_key(&seed_from(&m, &s("")), network)
}

#[test]
fn bip49_vector() {
    let v = load("bip49-84-86.json");
    let acct = AccountKey::derive(
        &abandon_master(Network::Testnet),
        Purpose::Bip49,
        Network::Testnet,
        0,
    );
    assert_eq!(
        switchyard_pure::keys::format_path(&acct.path),
        v["bip49"]["account_path"]
    );
    assert_eq!(
        acct.address(Network::Testnet, Chain::Receive, 0)
            .to_string(),
        v["bip49"]["receive_0"].as_str().unwrap()
    );
}

#[test]
fn bip84_vectors() {
    let v = &load("bip49-84-86.json")["bip84"];
    let acct = AccountKey::derive(
        &abandon_master(Network::Bitcoin),
        Purpose::Bip84,
        Network::Bitcoin,
        0,
    );
    assert_eq!(
        acct.slip132(Network::Bitcoin).as_deref(),
        v["zpub"].as_str()
    );
    for (chain, list) in [
        (Chain::Receive, &v["receive"]),
        (Chain::Change, &v["change"]),
    ] {
        for t in list.as_array().unwrap() {
            let i = u32::try_from(t["index"].as_u64().unwrap()).unwrap();
            assert_eq!(
                acct.address(Network::Bitcoin, chain, i).to_string(),
                t["address"].as_str().unwrap()
            );
            // The CLI's one-off derivation gives the same address and public key.
            let path = format!("m/84'/0'/0'/{}/{i}", chain.index());
            let d = derive_at_path(
                &s(load("bip49-84-86.json")["mnemonic"].as_str().unwrap()),
                &s(""),
                &path,
                Network::Bitcoin,
                DeriveOptions::default(),
            )
            .unwrap();
            assert_eq!(d.address, t["address"].as_str().unwrap());
            assert_eq!(d.public_key, t["pubkey"].as_str().unwrap());
        }
    }
}

#[test]
fn bip86_vectors() {
    let v = &load("bip49-84-86.json")["bip86"];
    let master = abandon_master(Network::Bitcoin);
    assert_eq!(master.to_string(), v["root_xprv"].as_str().unwrap());
    let acct = AccountKey::derive(&master, Purpose::Bip86, Network::Bitcoin, 0);
    assert_eq!(acct.xpub.to_string(), v["account_xpub"].as_str().unwrap());
    for (chain, list) in [
        (Chain::Receive, &v["receive"]),
        (Chain::Change, &v["change"]),
    ] {
        for t in list.as_array().unwrap() {
            let i = u32::try_from(t["index"].as_u64().unwrap()).unwrap();
            assert_eq!(
                acct.address(Network::Bitcoin, chain, i).to_string(),
                t["address"].as_str().unwrap()
            );
            let child = acct
                .xpub
                .derive_pub(
                    secp(),
                    &[
                        bitcoin::bip32::ChildNumber::from_normal_idx(chain.index()).unwrap(),
                        bitcoin::bip32::ChildNumber::from_normal_idx(i).unwrap(),
                    ],
                )
                .unwrap();
            let internal = child.public_key.x_only_public_key().0.to_string();
            assert_eq!(internal, t["internal_key"].as_str().unwrap());
        }
    }
}

#[test]
fn bip39_passphrases_are_nfkd_normalised_in_either_form() {
    let v = load("bip39-passphrase-nfkd.json");
    let m = parse_mnemonic(&s(v["mnemonic"].as_str().unwrap())).unwrap();
    let nfc = v["forms"]["nfc"].as_str().unwrap();
    let nfd = v["forms"]["nfd"].as_str().unwrap();
    assert_ne!(nfc, nfd, "two different byte strings");
    for form in [nfc, nfd] {
        let seed = seed_from(&m, &s(form));
        assert_eq!(seed.to_vec(), hex(v["seed"].as_str().unwrap()), "{form:?}");
        let master = master_key(&seed, Network::Bitcoin);
        assert_eq!(master.to_string(), v["root_xprv"].as_str().unwrap());
        assert_eq!(
            master.fingerprint(secp()).to_string(),
            v["fingerprint"].as_str().unwrap()
        );
    }
    // What versions before the fix derived from the NFC form: another wallet.
    let legacy = switchyard_pure::keys::seed_from_unnormalized(&m, &s(nfc));
    assert_eq!(
        master_key(&legacy, Network::Bitcoin)
            .fingerprint(secp())
            .to_string(),
        v["unnormalized_nfc_fingerprint"].as_str().unwrap()
    );
    assert!(!switchyard_pure::keys::passphrase_is_normalized(&s(nfc)));
    assert!(switchyard_pure::keys::passphrase_is_normalized(&s(nfd)));
    assert!(switchyard_pure::keys::passphrase_is_normalized(&s(
        "TREZOR"
    )));
}
