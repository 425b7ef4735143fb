//! Funding a swap in from another wallet: the user's own wallet (a hardware
//! wallet, Sparrow, Bitcoin Core, another LND) builds and signs the lockup
//! transaction, and hands it back as a signed PSBT (BIP174, base64 or
//! binary) or a raw transaction; we check that it pays the swap's lockup
//! script exactly the agreed amount before anything is broadcast.

use bitcoin::{Amount, Script, Transaction};

/// Why a funding transaction is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FundingError {
    /// Neither a PSBT (base64 or binary) nor a raw transaction (hex).
    #[error("this is not a PSBT (base64 or binary) or a raw transaction (hex): {0}")]
    Unreadable(String),
    /// A PSBT with an input that is not signed and finalized yet.
    #[error("the PSBT is not signed yet (input {input} has no final signature): sign it in your wallet and finalize it, then import it again")]
    NotSigned {
        /// The first such input.
        input: usize,
    },
    /// No output pays the lockup address.
    #[error("the transaction does not pay the swap's lockup address")]
    NoLockupOutput,
    /// The lockup output's amount is not the agreed one.
    #[error("the transaction pays {paid} sats to the lockup address; the swap needs exactly {expected} sats")]
    WrongAmount {
        /// Paid to the lockup address.
        paid: u64,
        /// Agreed.
        expected: u64,
    },
    /// More than one output pays the lockup address.
    #[error("the transaction pays the lockup address {0} times; pay it once")]
    SeveralLockupOutputs(usize),
}

/// Reads a signed funding transaction: a finalized PSBT (base64 text or
/// binary) or a raw transaction (hex).
pub fn read_funding(input: &[u8]) -> Result<Transaction, FundingError> {
    let text = std::str::from_utf8(input).map(str::trim).ok();
    let psbt = match crate::psbt::parse(input) {
        Ok(p) => Some(p),
        Err(crate::psbt::ParseError::NotPsbt) => None,
        Err(crate::psbt::ParseError::Malformed(e)) => return Err(FundingError::Unreadable(e)),
        Err(e @ crate::psbt::ParseError::Qr(_)) => {
            return Err(FundingError::Unreadable(e.to_string()))
        }
    };
    if let Some(psbt) = psbt {
        if let Some(input) = psbt
            .inputs
            .iter()
            .position(|i| i.final_script_witness.is_none() && i.final_script_sig.is_none())
        {
            return Err(FundingError::NotSigned { input });
        }
        return Ok(psbt.extract_tx_unchecked_fee_rate());
    }
    let hex = text.ok_or_else(|| FundingError::Unreadable("binary data".into()))?;
    let bytes: Vec<u8> = bitcoin::hex::FromHex::from_hex(hex)
        .map_err(|_| FundingError::Unreadable("not hex".into()))?;
    bitcoin::consensus::deserialize(&bytes).map_err(|e| FundingError::Unreadable(e.to_string()))
}

/// Checks that `tx` pays `script` once and exactly `amount`; the output's
/// index.
pub fn check_funding(
    tx: &Transaction,
    script: &Script,
    amount: Amount,
) -> Result<u32, FundingError> {
    let paying: Vec<(usize, Amount)> = tx
        .output
        .iter()
        .enumerate()
        .filter(|(_, o)| o.script_pubkey.as_script() == script)
        .map(|(i, o)| (i, o.value))
        .collect();
    match paying.as_slice() {
        [] => Err(FundingError::NoLockupOutput),
        [(i, v)] if *v == amount => u32::try_from(*i).map_err(|_| FundingError::NoLockupOutput),
        [(_, v)] => Err(FundingError::WrongAmount {
            paid: v.to_sat(),
            expected: amount.to_sat(),
        }),
        more => Err(FundingError::SeveralLockupOutputs(more.len())),
    }
}
