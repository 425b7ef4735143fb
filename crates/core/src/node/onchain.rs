//! On-chain funds of the node's wallet: receive addresses, sends (with the
//! address checked against the node's network), and the transaction list.

use super::channels::FeeChoice;
use super::client::CALL_TIMEOUT;
use super::connection::Connection;
use super::convert::{lnd_sat, sat};
use super::error::{classify_rpc, NodeError};
use crate::amount::Sat;
use crate::network::Network;
use fedimint_tonic_lnd::{lnrpc, walletrpc};
use serde::{Deserialize, Serialize};
use std::str::FromStr;
use std::sync::Arc;
use ts_rs::TS;

/// Kind of receive address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum AddressKind {
    /// Native SegWit v0 (bc1q…).
    P2wkh,
    /// Taproot (bc1p…).
    P2tr,
}

/// Send bitcoin on chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SendCoinsRequest {
    /// Destination address.
    pub address: String,
    /// Amount, sats (0 with `send_all`: an amount and a sweep are refused together).
    #[serde(default)]
    pub amount_sat: Sat,
    /// Sweep the whole wallet.
    #[serde(default)]
    pub send_all: bool,
    /// Fee.
    #[serde(default)]
    pub fee: Option<FeeChoice>,
    /// The user confirmed a fee rate far above the node's estimate.
    #[serde(default)]
    pub allow_high_fee: bool,
}

/// A wallet transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct OnchainTx {
    /// Transaction id.
    pub txid: String,
    /// Net change of the wallet, sats (negative: spent).
    #[ts(type = "number")]
    pub amount_sat: i64,
    /// Fee paid by us, sats.
    pub fee_sat: Sat,
    /// Confirmations.
    pub confirmations: u32,
    /// Block height (0: unconfirmed).
    pub block_height: u32,
    /// Unix seconds.
    #[ts(type = "number")]
    pub time: u64,
    /// LND's label ("0:openchannel:…", "0:closechannel:…", "external"…).
    pub label: String,
}

/// A coin of the node's wallet (for coin control).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Utxo {
    /// `txid:vout`.
    pub outpoint: String,
    /// The address it pays.
    pub address: String,
    /// Value, sats.
    pub amount_sat: Sat,
    /// Confirmations (0: unconfirmed).
    pub confirmations: u32,
}

/// An account of the node's on-chain wallet, as LND derives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct NodeAccount {
    /// "default", or an imported account's name.
    pub name: String,
    /// "p2wkh", "np2wkh", "p2tr", …
    pub address_type: String,
    /// BIP32 path from the master key, e.g. `m/84'/0'/0'` (LND uses coin
    /// type 0 on every network for its default accounts).
    pub derivation_path: String,
    /// The account's extended public key (as LND encodes it).
    pub extended_public_key: String,
}

/// The result of a fee bump (CPFP).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct BumpedFee {
    /// The coin of ours that the child transaction spends.
    pub outpoint: String,
    /// LND's answer.
    pub status: String,
}

/// Checks `address` is a valid address for `network`.
pub fn check_address(address: &str, network: Network) -> Result<bitcoin::Address, NodeError> {
    let a = address.trim();
    let unchecked = bitcoin::Address::from_str(a).map_err(|e| NodeError::BadRequest {
        message: format!("\"{a}\" is not a bitcoin address ({e})."),
    })?;
    if !unchecked.is_valid_for_network(network.to_bitcoin()) {
        return Err(NodeError::BadRequest {
            message: format!(
                "This address is for another network; the node is on {}. Check you copied the right address.",
                network.as_str()
            ),
        });
    }
    Ok(unchecked.assume_checked())
}

/// The node's on-chain wallet: addresses, sends, accounts, coins, fee bumps, transactions.
#[derive(Clone)]
pub struct Onchain {
    conn: Arc<Connection>,
}

impl Onchain {
    /// Over `conn`.
    pub fn new(conn: Arc<Connection>) -> Onchain {
        Onchain { conn }
    }
}

impl Onchain {
    /// A fresh receive address from the node's wallet.
    pub async fn new_address(&self, kind: AddressKind) -> Result<String, NodeError> {
        let c = self.conn.client().await?;
        let mut ln = c.lightning.clone();
        let t = match kind {
            AddressKind::P2wkh => lnrpc::AddressType::WitnessPubkeyHash,
            AddressKind::P2tr => lnrpc::AddressType::TaprootPubkey,
        };
        let r = c
            .call(
                CALL_TIMEOUT,
                ln.new_address(lnrpc::NewAddressRequest {
                    r#type: t as i32,
                    account: String::new(),
                }),
            )
            .await?;
        Ok(r.address)
    }

    /// Sends on chain; returns the txid.
    pub async fn send(&self, req: &SendCoinsRequest) -> Result<String, NodeError> {
        let network = self.conn.network().ok_or(NodeError::NotConfigured)?;
        let addr = check_address(&req.address, network)?;
        if !req.send_all && req.amount_sat.is_zero() {
            return Err(NodeError::BadRequest {
                message: "Enter an amount in sats, or choose to send everything.".into(),
            });
        }
        if req.send_all && !req.amount_sat.is_zero() {
            return Err(NodeError::BadRequest {
                message: format!(
                    "Choose either an amount ({} sats) or sending everything, not both: sending everything ignores the amount and empties the wallet.",
                    req.amount_sat.to_sat()
                ),
            });
        }
        req.amount_sat.to_msat()?;
        // Default: confirm within 6 blocks.
        let (target_conf, sat_per_vbyte) =
            FeeChoice::parts(Some(req.fee.unwrap_or(FeeChoice::TargetBlocks(6))));
        let c = self.conn.client().await?;
        super::fees::guard_fee_rate(&c, req.fee, req.allow_high_fee, || async {
            let kind = super::fees::ScriptKind::of(&addr);
            if req.send_all {
                let coins = self.utxos().await.unwrap_or_default();
                let inputs: Vec<super::fees::ScriptKind> = coins
                    .iter()
                    .filter(|u| u.confirmations > 0)
                    .map(|u| {
                        check_address(&u.address, network)
                            .map(|a| super::fees::ScriptKind::of(&a))
                            .unwrap_or(super::fees::ScriptKind::P2wpkh)
                    })
                    .collect();
                super::fees::sweep_vsize(&inputs, kind)
            } else {
                let outputs = [(addr.to_string(), lnd_sat(req.amount_sat))]
                    .into_iter()
                    .collect();
                // One input, the payment and change, when LND cannot tell.
                super::fees::estimate_vsize(&c, outputs).await.unwrap_or(
                    super::fees::sweep_vsize(&[super::fees::ScriptKind::P2wpkh], kind) + 31,
                )
            }
        })
        .await?;
        let mut ln = c.lightning.clone();
        let r = c
            .call(
                CALL_TIMEOUT,
                ln.send_coins(lnrpc::SendCoinsRequest {
                    addr: addr.to_string(),
                    amount: if req.send_all {
                        0
                    } else {
                        lnd_sat(req.amount_sat)
                    },
                    send_all: req.send_all,
                    target_conf,
                    sat_per_vbyte,
                    ..Default::default()
                }),
            )
            .await
            .map_err(|e| classify_rpc(e, None))?;
        tracing::info!(txid = %r.txid, "on-chain send");
        Ok(r.txid)
    }

    /// The accounts of the node's on-chain wallet (paths and xpubs).
    pub async fn accounts(&self) -> Result<Vec<NodeAccount>, NodeError> {
        let c = self.conn.client().await?;
        let mut wk = c.wallet_kit.clone();
        let r = c
            .call(
                CALL_TIMEOUT,
                wk.list_accounts(walletrpc::ListAccountsRequest::default()),
            )
            .await?;
        Ok(r.accounts
            .into_iter()
            .map(|a| NodeAccount {
                address_type: match walletrpc::AddressType::try_from(a.address_type) {
                    Ok(walletrpc::AddressType::WitnessPubkeyHash) => "p2wkh",
                    Ok(walletrpc::AddressType::NestedWitnessPubkeyHash) => "np2wkh",
                    Ok(walletrpc::AddressType::HybridNestedWitnessPubkeyHash) => "np2wkh-hybrid",
                    Ok(walletrpc::AddressType::TaprootPubkey) => "p2tr",
                    _ => "unknown",
                }
                .to_string(),
                name: a.name,
                derivation_path: a.derivation_path,
                extended_public_key: a.extended_public_key,
            })
            .collect())
    }

    /// The wallet's coins, confirmed and not, largest first.
    pub async fn utxos(&self) -> Result<Vec<Utxo>, NodeError> {
        let c = self.conn.client().await?;
        let mut wk = c.wallet_kit.clone();
        let r = c
            .call(
                CALL_TIMEOUT,
                wk.list_unspent(walletrpc::ListUnspentRequest {
                    min_confs: 0,
                    max_confs: i32::MAX,
                    ..Default::default()
                }),
            )
            .await?;
        let mut out: Vec<Utxo> = r
            .utxos
            .into_iter()
            .filter_map(|u| {
                let op = u.outpoint?;
                Some(Utxo {
                    outpoint: format!("{}:{}", op.txid_str, op.output_index),
                    address: u.address,
                    amount_sat: sat(u.amount_sat),
                    confirmations: u32::try_from(u.confirmations).unwrap_or(0),
                })
            })
            .collect();
        out.sort_by_key(|u| std::cmp::Reverse(u.amount_sat));
        Ok(out)
    }

    /// Speeds up an unconfirmed transaction of ours (a channel's funding
    /// transaction, a send) by child-pays-for-parent: LND's sweeper spends our
    /// change output of `txid` at a higher fee rate right away.
    pub async fn bump_fee(
        &self,
        txid: &str,
        fee: FeeChoice,
        allow_high_fee: bool,
    ) -> Result<BumpedFee, NodeError> {
        let txid = txid.trim();
        let coins = self.utxos().await?;
        let mine: Vec<&Utxo> = coins
            .iter()
            .filter(|u| u.outpoint.split(':').next() == Some(txid))
            .collect();
        let Some(coin) = mine.iter().copied().max_by_key(|u| u.amount_sat) else {
            return Err(NodeError::BadRequest {
                message: "This transaction has no unspent output of this wallet (no change), so it cannot be sped up with CPFP; wait for it to confirm.".into(),
            });
        };
        if coin.confirmations > 0 {
            return Err(NodeError::BadRequest {
                message: "This transaction is already confirmed; nothing to speed up.".into(),
            });
        }
        let (target_conf, sat_per_vbyte) = FeeChoice::parts(Some(fee));
        let (t, idx) = coin.outpoint.rsplit_once(':').unwrap_or((txid, "0"));
        let c = self.conn.client().await?;
        super::fees::guard_fee_rate(&c, Some(fee), allow_high_fee, || async {
            super::fees::CPFP_CHILD_VSIZE
        })
        .await?;
        let mut wk = c.wallet_kit.clone();
        let r = c
            .call(
                CALL_TIMEOUT,
                wk.bump_fee(walletrpc::BumpFeeRequest {
                    outpoint: Some(lnrpc::OutPoint {
                        txid_str: t.to_string(),
                        output_index: idx.parse().unwrap_or(0),
                        ..Default::default()
                    }),
                    target_conf: u32::try_from(target_conf).unwrap_or(0),
                    sat_per_vbyte,
                    immediate: true,
                    ..Default::default()
                }),
            )
            .await
            .map_err(|e| classify_rpc(e, None))?;
        tracing::info!(outpoint = %coin.outpoint, "fee bump (CPFP) requested");
        Ok(BumpedFee {
            outpoint: coin.outpoint.clone(),
            status: r.status,
        })
    }

    /// The wallet's transactions, newest first.
    pub async fn transactions(&self) -> Result<Vec<OnchainTx>, NodeError> {
        let c = self.conn.client().await?;
        let mut ln = c.lightning.clone();
        let r = c
            .call(
                CALL_TIMEOUT,
                ln.get_transactions(lnrpc::GetTransactionsRequest {
                    start_height: 0,
                    end_height: -1,
                    ..Default::default()
                }),
            )
            .await?;
        let mut out: Vec<OnchainTx> = r
            .transactions
            .into_iter()
            .map(|t| OnchainTx {
                txid: t.tx_hash,
                amount_sat: t.amount,
                fee_sat: sat(t.total_fees),
                confirmations: u32::try_from(t.num_confirmations).unwrap_or(0),
                block_height: u32::try_from(t.block_height).unwrap_or(0),
                time: u64::try_from(t.time_stamp).unwrap_or(0),
                label: t.label,
            })
            .collect();
        out.sort_by_key(|t| std::cmp::Reverse((t.confirmations == 0, t.time)));
        Ok(out)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_checked_against_the_network() {
        // BIP84 vector's first address (mainnet), and the same script on regtest.
        let main = "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu";
        let spk = check_address(main, Network::Bitcoin)
            .unwrap()
            .script_pubkey();
        let reg = bitcoin::Address::from_script(&spk, bitcoin::Network::Regtest)
            .unwrap()
            .to_string();
        assert!(reg.starts_with("bcrt1q"));
        assert!(check_address(main, Network::Bitcoin).is_ok());
        assert!(check_address(&reg, Network::Regtest).is_ok());
        let e = check_address(main, Network::Regtest).unwrap_err();
        assert!(e.to_string().contains("another network"), "{e}");
        assert!(check_address("bc1qnotanaddress", Network::Bitcoin).is_err());
    }
}
