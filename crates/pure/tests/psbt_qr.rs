//! PSBTs over QR codes (BBQr): frames with the spec's 8-character header,
//! joined back in any order by our reader (also through `psbt::parse`, as a
//! pasted scan), a large PSBT split into an animated series, a missing
//! frame or frames of another file kind refused in words, and every frame
//! drawable as a QR code.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bitcoin::psbt::Psbt;
use bitcoin::{
    absolute, transaction, Amount, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Witness,
};
use switchyard_pure::psbt::qr::{frames, join, svg, QrError};
use switchyard_pure::psbt::{parse, ParseError};

fn bip174_combined() -> Psbt {
    let v: serde_json::Value = serde_json::from_str(include_str!("vectors/bip174.json")).unwrap();
    let hex = v["workflow"]["combined"].as_str().unwrap();
    let bytes: Vec<u8> = bitcoin::hex::FromHex::from_hex(hex).unwrap();
    Psbt::deserialize(&bytes).unwrap()
}

/// A PSBT with `n` outputs to distinct scripts (too large for one frame
/// when `n` is large).
fn wide(n: u32) -> Psbt {
    let tx = Transaction {
        version: transaction::Version::TWO,
        lock_time: absolute::LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint::new(
                "75ddabb27b8845f5247975c8a5ba7c6f336c4570708ebe230caf6db5217ae858"
                    .parse()
                    .unwrap(),
                0,
            ),
            script_sig: ScriptBuf::new(),
            sequence: Sequence::MAX,
            witness: Witness::new(),
        }],
        output: (0..n)
            .map(|i| {
                let mut program = [0u8; 20];
                program[..4].copy_from_slice(&i.to_le_bytes());
                program[4..8].copy_from_slice(&(i.wrapping_mul(2_654_435_761)).to_le_bytes());
                TxOut {
                    value: Amount::from_sat(10_000 + u64::from(i)),
                    script_pubkey: ScriptBuf::new_p2wpkh(&bitcoin::WPubkeyHash::from_byte_array(
                        program,
                    )),
                }
            })
            .collect(),
    };
    Psbt::from_unsigned_tx(tx).unwrap()
}

use bitcoin::hashes::Hash;

#[test]
fn a_psbt_becomes_bbqr_frames_and_comes_back() {
    let psbt = bip174_combined();
    let parts = frames(&psbt).unwrap();
    // 1,150 bytes with both previous transactions: two frames.
    assert_eq!(parts.len(), 2, "{} bytes", psbt.serialize().len());
    let p = &parts[0];
    // B$, zlib ('Z') or base32 ('2'), a PSBT ('P'), 2 frames, index 0.
    assert!(p.starts_with("B$Z") || p.starts_with("B$2"), "{p}");
    assert_eq!(&p[3..8], "P0200");
    assert_eq!(&parts[1][3..8], "P0201");
    // Every character in the QR alphanumeric set.
    assert!(p
        .chars()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || " $%*+-./:".contains(c)));
    let both = parts.join("\n");
    assert_eq!(join(&both).unwrap(), psbt);
    // As a scanner pastes it: through the one reader of PSBTs.
    assert_eq!(parse(format!("\n{both}\n").as_bytes()).unwrap(), psbt);
    // A small PSBT (its UTXOs, nothing else) is one frame.
    let mut small = Psbt::from_unsigned_tx(psbt.unsigned_tx.clone()).unwrap();
    for (i, input) in small.inputs.iter_mut().enumerate() {
        input.witness_utxo = psbt.spend_utxo(i).ok().cloned();
    }
    let one = frames(&small).unwrap();
    assert_eq!(one.len(), 1);
    assert_eq!(&one[0][3..8], "P0100");
    assert_eq!(join(&one[0]).unwrap(), small);
    let image = svg(p).unwrap();
    assert!(
        image.starts_with("<?xml") || image.starts_with("<svg"),
        "{}",
        &image[..40]
    );
    assert!(image.contains("<svg") && image.contains("</svg>"));
}

#[test]
fn a_large_psbt_is_an_animated_series_read_in_any_order() {
    let psbt = wide(400);
    let parts = frames(&psbt).unwrap();
    assert!(
        parts.len() > 1,
        "{} bytes in one frame",
        psbt.serialize().len()
    );
    let total = &parts[0][4..6];
    for (i, p) in parts.iter().enumerate() {
        assert_eq!(&p[4..6], total, "each frame says how many there are");
        assert_eq!(
            usize::from_str_radix(&p[6..8], 36).unwrap(),
            i,
            "and which it is"
        );
        svg(p).unwrap();
    }
    // Scanned backwards, with a frame seen twice.
    let mut scanned: Vec<&str> = parts.iter().rev().map(String::as_str).collect();
    scanned.push(&parts[0]);
    assert_eq!(join(&scanned.join("\n")).unwrap(), psbt);

    // A frame missing: said so.
    let missing: Vec<&str> = parts.iter().skip(1).map(String::as_str).collect();
    let e = join(&missing.join("\n")).unwrap_err();
    assert!(matches!(e, QrError::Join(_)), "{e}");
    assert!(e.to_string().contains("Scan every frame"), "{e}");
    assert!(matches!(
        parse(missing.join("\n").as_bytes()),
        Err(ParseError::Qr(QrError::Join(_)))
    ));
}

#[test]
fn frames_of_another_kind_are_not_a_psbt() {
    use bbqr::file_type::FileType;
    use bbqr::split::Split;
    let tx = bip174_combined().unsigned_tx;
    let split = Split::try_from_data(
        &bitcoin::consensus::serialize(&tx),
        FileType::Transaction,
        Default::default(),
    )
    .unwrap();
    let e = join(&split.parts.join("\n")).unwrap_err();
    assert_eq!(e, QrError::NotPsbt("signed transaction"));
    assert!(e.to_string().contains("not a PSBT"));
    let text = Split::try_from_data(b"hello", FileType::UnicodeText, Default::default()).unwrap();
    assert!(matches!(
        join(&text.parts.join("\n")),
        Err(QrError::NotPsbt(_))
    ));
    // A header with garbage after it.
    assert!(matches!(join("B$ZP0100!!!!"), Err(QrError::Join(_))));
}
