//! Watch-only accounts from what users paste, checked against BIP84's
//! official vector (the "abandon … about" wallet: zpub, fingerprint
//! 73c5da0a, first receive and change addresses) and against every refusal.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic is how a test reports

use switchyard_pure::keys::{parse_watch, AccountKey, Chain, Purpose, WatchError, XkeyError};
use switchyard_pure::Network;

const ZPUB: &str = "zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs";
const FP: &str = "73c5da0a";

fn first_addresses(a: &switchyard_pure::keys::WatchAccount) -> (String, String) {
    let key = AccountKey {
        purpose: a.purpose,
        fingerprint: a.fingerprint,
        path: a.path.clone(),
        xpub: a.xpub,
    };
    (
        key.address(Network::Bitcoin, Chain::Receive, 0).to_string(),
        key.address(Network::Bitcoin, Chain::Change, 0).to_string(),
    )
}

#[test]
fn bip84s_zpub_and_its_descriptor_give_the_vector_addresses() {
    let a = parse_watch(ZPUB, Network::Bitcoin, Some(FP), None).unwrap();
    assert_eq!(a.purpose, Purpose::Bip84);
    assert_eq!(a.path.to_string(), "84'/0'/0'");
    assert_eq!(a.fingerprint.to_string(), FP);
    assert_eq!(
        first_addresses(&a),
        (
            "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu".to_string(),
            "bc1q8c6fshw2dlwun7ekn9qwf37cu2rn755upcp6el".to_string()
        )
    );
    // The same account as a descriptor (multipath, with a checksum-free
    // origin), and as single-chain descriptors: the same account key.
    for d in [
        format!("wpkh([{FP}/84'/0'/0']{}/<0;1>/*)", a.xpub),
        format!("wpkh([{FP}/84h/0h/0h]{}/0/*)", a.xpub),
    ] {
        let b = parse_watch(&d, Network::Bitcoin, None, None).unwrap();
        assert_eq!(b, a, "{d}");
    }
}

#[test]
fn every_refusal_says_what_is_wrong() {
    // A private key: refused, and never repeated in the message.
    let xprv = "xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJxWUtg6LAF1Ac2s3vRNRXgoNH9Uxyd7TQHxqQiQeT";
    for input in [
        xprv.to_string(),
        format!("wpkh([{FP}/84'/0'/0']{xprv}/0/*)"),
    ] {
        let e = parse_watch(&input, Network::Bitcoin, Some(FP), None).unwrap_err();
        assert_eq!(e, WatchError::Private);
        assert!(!e.to_string().contains("xprv9s21"), "{e}");
    }
    assert_eq!(
        parse_watch(ZPUB, Network::Bitcoin, None, None).unwrap_err(),
        WatchError::MissingFingerprint
    );
    assert_eq!(
        parse_watch(ZPUB, Network::Bitcoin, Some("73c5da"), None).unwrap_err(),
        WatchError::BadFingerprint("73c5da".into())
    );
    assert!(matches!(
        parse_watch(ZPUB, Network::Regtest, Some(FP), None).unwrap_err(),
        WatchError::Xkey(XkeyError::WrongNetwork { .. })
    ));
    assert!(matches!(
        parse_watch(ZPUB, Network::Bitcoin, Some(FP), Some("m/49'/0'/0'")).unwrap_err(),
        WatchError::PurposeMismatch {
            implied: 84,
            purpose: 49,
            ..
        }
    ));
    assert!(matches!(
        parse_watch(ZPUB, Network::Bitcoin, Some(FP), Some("m/84'/0'/0'/0")).unwrap_err(),
        WatchError::NotStandard(_)
    ));
    let a = parse_watch(ZPUB, Network::Bitcoin, Some(FP), None).unwrap();
    assert_eq!(
        parse_watch(
            &format!("wpkh({}/0/*)", a.xpub),
            Network::Bitcoin,
            None,
            None
        )
        .unwrap_err(),
        WatchError::NoOrigin
    );
    assert_eq!(
        parse_watch(
            &format!("wpkh([{FP}/84'/0'/0']{}/5/*)", a.xpub),
            Network::Bitcoin,
            None,
            None
        )
        .unwrap_err(),
        WatchError::NotAccount
    );
    assert!(matches!(
        parse_watch(
            &format!(
                "wsh(multi(1,[{FP}/48'/0'/0'/2']{}/0/*,[{FP}/48'/0'/0'/2']{}/1/*))",
                a.xpub, a.xpub
            ),
            Network::Bitcoin,
            None,
            None
        )
        .unwrap_err(),
        WatchError::Unsupported(_)
    ));
    assert!(matches!(
        parse_watch("wpkh(", Network::Bitcoin, None, None).unwrap_err(),
        WatchError::Descriptor(_)
    ));
}
