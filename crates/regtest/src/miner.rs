//! The harness's own key: btcd's coinbases pay to it (btcd has no
//! `generatetoaddress`), and it signs the transaction that funds the nodes.
//! Regtest only: the key is kept in the network directory in plain hex.

use crate::error::RegtestError;
use bitcoin::secp256k1::{Message, Secp256k1, SecretKey};
use bitcoin::sighash::{EcdsaSighashType, SighashCache};
use bitcoin::{
    absolute, transaction, Address, Amount, CompressedPublicKey, Network, OutPoint, ScriptBuf,
    Sequence, Transaction, TxIn, TxOut, Txid, Witness,
};
use std::path::Path;
use std::str::FromStr;

/// The miner's key and address.
pub struct Miner {
    secret: SecretKey,
    /// P2WPKH regtest address of the key.
    pub address: Address,
}

impl Miner {
    /// Reads the key from `path`, or creates and saves a new one.
    pub fn load_or_create(path: &Path) -> Result<Miner, RegtestError> {
        let secret = match std::fs::read_to_string(path) {
            Ok(hex) => SecretKey::from_str(hex.trim()).map_err(|e| RegtestError::DataDir {
                dir: path.to_path_buf(),
                reason: format!("the miner key is damaged: {e}"),
            })?,
            Err(_) => {
                let key = SecretKey::new(&mut rand::thread_rng());
                std::fs::write(path, key.display_secret().to_string())
                    .map_err(RegtestError::io("cannot write", path))?;
                key
            }
        };
        let secp = Secp256k1::new();
        let pk = CompressedPublicKey(secret.public_key(&secp));
        Ok(Miner {
            secret,
            address: Address::p2wpkh(&pk, Network::Regtest),
        })
    }

    /// A signed transaction spending one of our coinbase outputs (output 0 of
    /// `coinbase_txid`, worth `value`) to `outputs`, with the rest minus
    /// `fee` back to us.
    pub fn pay_from_coinbase(
        &self,
        coinbase_txid: &str,
        value: Amount,
        outputs: &[(Address, Amount)],
        fee: Amount,
    ) -> Result<Transaction, RegtestError> {
        let txid = Txid::from_str(coinbase_txid).map_err(|e| RegtestError::Output {
            command: "coinbase txid".into(),
            detail: e.to_string(),
        })?;
        let spent: Amount = outputs.iter().map(|(_, a)| *a).sum();
        let change = value.checked_sub(spent + fee).ok_or_else(|| {
            RegtestError::BadRequest(format!(
                "a coinbase of {value} cannot pay {spent} plus a {fee} fee"
            ))
        })?;
        let mut tx_out: Vec<TxOut> = outputs
            .iter()
            .map(|(a, v)| TxOut {
                value: *v,
                script_pubkey: a.script_pubkey(),
            })
            .collect();
        if change > Amount::from_sat(1_000) {
            tx_out.push(TxOut {
                value: change,
                script_pubkey: self.address.script_pubkey(),
            });
        }
        let mut tx = Transaction {
            version: transaction::Version::TWO,
            lock_time: absolute::LockTime::ZERO,
            input: vec![TxIn {
                previous_output: OutPoint { txid, vout: 0 },
                script_sig: ScriptBuf::new(),
                sequence: Sequence::ENABLE_RBF_NO_LOCKTIME,
                witness: Witness::new(),
            }],
            output: tx_out,
        };
        let secp = Secp256k1::new();
        let pk = CompressedPublicKey(self.secret.public_key(&secp));
        let script_code = ScriptBuf::new_p2wpkh(&pk.wpubkey_hash());
        let sighash = SighashCache::new(&tx)
            .p2wpkh_signature_hash(0, &script_code, value, EcdsaSighashType::All)
            .map_err(|e| {
                RegtestError::BadRequest(format!("cannot sign the funding transaction: {e}"))
            })?;
        let sig = secp.sign_ecdsa(&Message::from(sighash), &self.secret);
        let signature = bitcoin::ecdsa::Signature {
            signature: sig,
            sighash_type: EcdsaSighashType::All,
        };
        tx.input[0].witness = Witness::p2wpkh(&signature, &pk.0);
        Ok(tx)
    }
}
