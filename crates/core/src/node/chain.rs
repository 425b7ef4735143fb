//! LND's chain notifier (`chainrpc`, not in the vendored protos: the three
//! streams are declared here with the fields we use, LND 0.20's field
//! numbers) and the wallet-kit calls the swap engine and provider use to
//! put transactions on chain.
//!
//! - confirmations of a transaction, or of the first transaction paying a
//!   script (txid all zeros); with the block, so every output to the
//!   script in that block is found, not only the first;
//! - spends of an outpoint (taproot outputs need the outpoint);
//! - blocks, from a given height on (no block missed across a restart).

use super::client::{LndClient, CALL_TIMEOUT};
use super::error::NodeError;
use bitcoin::consensus::Decodable;
use bitcoin::hashes::Hash;
use fedimint_tonic_lnd::tonic;
use fedimint_tonic_lnd::tonic::codec::Streaming;
use fedimint_tonic_lnd::{signrpc, walletrpc};
use switchyard_pure::amount::Sat;

/// `chainrpc.ConfRequest`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ConfRequest {
    /// The txid (internal byte order), or 32 zeros for "any tx paying `script`".
    #[prost(bytes = "vec", tag = "1")]
    pub txid: Vec<u8>,
    /// The output script.
    #[prost(bytes = "vec", tag = "2")]
    pub script: Vec<u8>,
    /// Confirmations wanted (1..=144).
    #[prost(uint32, tag = "3")]
    pub num_confs: u32,
    /// The earliest height it could be in.
    #[prost(uint32, tag = "4")]
    pub height_hint: u32,
    /// Include the raw block.
    #[prost(bool, tag = "5")]
    pub include_block: bool,
}

/// `chainrpc.ConfDetails`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ConfDetails {
    /// The transaction.
    #[prost(bytes = "vec", tag = "1")]
    pub raw_tx: Vec<u8>,
    /// Its block's hash.
    #[prost(bytes = "vec", tag = "2")]
    pub block_hash: Vec<u8>,
    /// Its block's height.
    #[prost(uint32, tag = "3")]
    pub block_height: u32,
    /// Its index in the block.
    #[prost(uint32, tag = "4")]
    pub tx_index: u32,
    /// The block, if asked for.
    #[prost(bytes = "vec", tag = "5")]
    pub raw_block: Vec<u8>,
}

/// `chainrpc.Reorg`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Reorg {}

/// `chainrpc.ConfEvent`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ConfEvent {
    /// Confirmed.
    #[prost(message, optional, tag = "1")]
    pub conf: Option<ConfDetails>,
    /// Reorganised out.
    #[prost(message, optional, tag = "2")]
    pub reorg: Option<Reorg>,
}

/// `chainrpc.Outpoint`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Outpoint {
    /// The txid (internal byte order).
    #[prost(bytes = "vec", tag = "1")]
    pub hash: Vec<u8>,
    /// The output index.
    #[prost(uint32, tag = "2")]
    pub index: u32,
}

/// `chainrpc.SpendRequest`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct SpendRequest {
    /// The outpoint.
    #[prost(message, optional, tag = "1")]
    pub outpoint: Option<Outpoint>,
    /// Its script.
    #[prost(bytes = "vec", tag = "2")]
    pub script: Vec<u8>,
    /// The earliest height it could be spent at.
    #[prost(uint32, tag = "3")]
    pub height_hint: u32,
}

/// `chainrpc.SpendDetails`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct SpendDetails {
    /// What was spent.
    #[prost(message, optional, tag = "1")]
    pub spending_outpoint: Option<Outpoint>,
    /// The spending transaction.
    #[prost(bytes = "vec", tag = "2")]
    pub raw_spending_tx: Vec<u8>,
    /// Its txid.
    #[prost(bytes = "vec", tag = "3")]
    pub spending_tx_hash: Vec<u8>,
    /// Which of its inputs.
    #[prost(uint32, tag = "4")]
    pub spending_input_index: u32,
    /// The height it confirmed at.
    #[prost(uint32, tag = "5")]
    pub spending_height: u32,
}

/// `chainrpc.SpendEvent`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct SpendEvent {
    /// Spent (confirmed).
    #[prost(message, optional, tag = "1")]
    pub spend: Option<SpendDetails>,
    /// Reorganised out.
    #[prost(message, optional, tag = "2")]
    pub reorg: Option<Reorg>,
}

/// `chainrpc.BlockEpoch`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct BlockEpoch {
    /// The block's hash.
    #[prost(bytes = "vec", tag = "1")]
    pub hash: Vec<u8>,
    /// Its height.
    #[prost(uint32, tag = "2")]
    pub height: u32,
}

/// A confirmed transaction with every output of its block that pays the
/// watched script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirmed {
    /// The transaction that triggered the notification.
    pub tx: bitcoin::Transaction,
    /// Its block's height.
    pub height: u32,
    /// Every `(outpoint, value)` paying the script in that block.
    pub outputs: Vec<(bitcoin::OutPoint, Sat)>,
}

/// A confirmed spend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spent {
    /// The spending transaction.
    pub tx: bitcoin::Transaction,
    /// The height it confirmed at.
    pub height: u32,
}

fn decode<T: Decodable>(bytes: &[u8], what: &str) -> Result<T, NodeError> {
    bitcoin::consensus::deserialize(bytes).map_err(|e| NodeError::Internal {
        detail: format!("LND sent a {what} that does not decode: {e}"),
    })
}

impl Confirmed {
    fn from_details(d: &ConfDetails, script: &bitcoin::Script) -> Result<Confirmed, NodeError> {
        let tx: bitcoin::Transaction = decode(&d.raw_tx, "transaction")?;
        let txs = if d.raw_block.is_empty() {
            vec![tx.clone()]
        } else {
            decode::<bitcoin::Block>(&d.raw_block, "block")?.txdata
        };
        let outputs = txs
            .iter()
            .flat_map(|t| {
                let txid = t.compute_txid();
                switchyard_pure::swap::check::outputs_to(t, script)
                    .into_iter()
                    .map(move |(vout, v)| (bitcoin::OutPoint { txid, vout }, v))
            })
            .collect();
        Ok(Confirmed {
            tx,
            height: d.block_height,
            outputs,
        })
    }
}

type Opening<T> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<Streaming<T>, NodeError>> + Send>>;

/// A notification stream. LND sends a stream's headers only with its first
/// message, so opening it is part of waiting for the first notification
/// (and is resumed, not lost, when a `select!` drops a `next()` midway).
pub struct Notifications<T> {
    opening: Option<Opening<T>>,
    inner: Option<Streaming<T>>,
    client: LndClient,
}

impl<T> Notifications<T> {
    async fn next_raw(&mut self) -> Result<Option<T>, NodeError> {
        if let Some(open) = self.opening.as_mut() {
            let stream = open.await?;
            self.opening = None;
            self.inner = Some(stream);
        }
        let Some(inner) = self.inner.as_mut() else {
            return Ok(None);
        };
        match inner.message().await {
            Ok(m) => Ok(m),
            Err(s) => Err(self.client.status_error(&s)),
        }
    }
}

impl Notifications<ConfEvent> {
    /// The next confirmation (`None`: the stream ended; a reorg is reported
    /// as `Ok(None)` from [`Self::next`] too, after which the caller
    /// registers again).
    pub async fn next(&mut self, script: &bitcoin::Script) -> Result<Option<Confirmed>, NodeError> {
        match self.next_raw().await? {
            Some(ConfEvent { conf: Some(d), .. }) => Confirmed::from_details(&d, script).map(Some),
            _ => Ok(None),
        }
    }
}

impl Notifications<SpendEvent> {
    /// The next spend (`None`: ended or reorganised).
    pub async fn next(&mut self) -> Result<Option<Spent>, NodeError> {
        match self.next_raw().await? {
            Some(SpendEvent { spend: Some(d), .. }) => Ok(Some(Spent {
                tx: decode(&d.raw_spending_tx, "transaction")?,
                height: d.spending_height,
            })),
            _ => Ok(None),
        }
    }
}

impl Notifications<BlockEpoch> {
    /// The next block's height.
    pub async fn next(&mut self) -> Result<Option<u32>, NodeError> {
        Ok(self.next_raw().await?.map(|b| b.height))
    }
}

impl LndClient {
    fn open<Req, Resp>(&self, req: Req, path: &'static str) -> Notifications<Resp>
    where
        Req: prost::Message + Send + Sync + 'static,
        Resp: prost::Message + Default + Send + Sync + 'static,
    {
        let mut grpc = self.grpc.clone();
        let client = self.clone();
        let opening: Opening<Resp> = Box::pin(async move {
            grpc.ready().await.map_err(|e| {
                client.status_error(&tonic::Status::unavailable(format!(
                    "transport not ready: {e}"
                )))
            })?;
            let codec: tonic::codec::ProstCodec<Req, Resp> = tonic::codec::ProstCodec::default();
            grpc.server_streaming(
                tonic::Request::new(req),
                tonic::codegen::http::uri::PathAndQuery::from_static(path),
                codec,
            )
            .await
            .map(tonic::Response::into_inner)
            .map_err(|s| client.status_error(&s))
        });
        Notifications {
            opening: Some(opening),
            inner: None,
            client: self.clone(),
        }
    }
    /// Confirmations of `txid` (or of any transaction paying `script` when
    /// `txid` is `None`), with its block.
    pub async fn watch_confirmation(
        &self,
        txid: Option<bitcoin::Txid>,
        script: &bitcoin::Script,
        num_confs: u32,
        height_hint: u32,
    ) -> Result<Notifications<ConfEvent>, NodeError> {
        let txid = txid
            .map(|t| t.to_byte_array().to_vec())
            .unwrap_or(vec![0; 32]);
        Ok(self.open(
            ConfRequest {
                txid,
                script: script.to_bytes(),
                num_confs: num_confs.clamp(1, 144),
                height_hint,
                include_block: true,
            },
            "/chainrpc.ChainNotifier/RegisterConfirmationsNtfn",
        ))
    }

    /// The spend of `outpoint` (whose script is `script`).
    pub async fn watch_spend(
        &self,
        outpoint: bitcoin::OutPoint,
        script: &bitcoin::Script,
        height_hint: u32,
    ) -> Result<Notifications<SpendEvent>, NodeError> {
        Ok(self.open(
            SpendRequest {
                outpoint: Some(Outpoint {
                    hash: outpoint.txid.to_byte_array().to_vec(),
                    index: outpoint.vout,
                }),
                script: script.to_bytes(),
                height_hint,
            },
            "/chainrpc.ChainNotifier/RegisterSpendNtfn",
        ))
    }

    /// New blocks (the current tip first).
    pub async fn watch_blocks(&self) -> Result<Notifications<BlockEpoch>, NodeError> {
        Ok(self.open(
            BlockEpoch::default(),
            "/chainrpc.ChainNotifier/RegisterBlockEpochNtfn",
        ))
    }

    /// Publishes a transaction through the node (an already known one is
    /// not an error: rebroadcasting is how a stored sweep is retried).
    pub async fn publish(&self, tx: &bitcoin::Transaction, label: &str) -> Result<(), NodeError> {
        let mut wk = self.wallet_kit.clone();
        let r = self
            .call(
                CALL_TIMEOUT,
                wk.publish_transaction(walletrpc::Transaction {
                    tx_hex: bitcoin::consensus::serialize(tx),
                    label: label.to_string(),
                }),
            )
            .await;
        match r {
            Ok(resp) if resp.publish_error.is_empty() => Ok(()),
            Ok(resp) if already_known(&resp.publish_error) => Ok(()),
            Ok(resp) => Err(NodeError::BadRequest {
                message: format!(
                    "The node refused to broadcast the transaction: {}",
                    resp.publish_error
                ),
            }),
            Err(NodeError::BadRequest { message }) if already_known(&message) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Sends `value` to `script` from the node's wallet at `sat_per_vbyte`;
    /// returns the signed, broadcast transaction.
    pub async fn send_to_script(
        &self,
        script: &bitcoin::Script,
        value: Sat,
        sat_per_vbyte: u64,
        label: &str,
    ) -> Result<bitcoin::Transaction, NodeError> {
        let value = i64::try_from(value.to_sat()).map_err(|_| NodeError::BadRequest {
            message: "amount too large".into(),
        })?;
        let mut wk = self.wallet_kit.clone();
        let r = self
            .call(
                CALL_TIMEOUT,
                wk.send_outputs(walletrpc::SendOutputsRequest {
                    sat_per_kw: i64::try_from(sat_per_vbyte.saturating_mul(250))
                        .unwrap_or(i64::MAX),
                    outputs: vec![signrpc::TxOut {
                        value,
                        pk_script: script.to_bytes(),
                    }],
                    label: label.to_string(),
                    min_confs: 1,
                    spend_unconfirmed: false,
                    ..Default::default()
                }),
            )
            .await?;
        decode(&r.raw_tx, "transaction")
    }

    /// A transaction of the node's wallet that pays `script`, if any (a
    /// lockup sent before a crash, found again instead of sent twice).
    pub async fn wallet_tx_paying(
        &self,
        script: &bitcoin::Script,
    ) -> Result<Option<bitcoin::Transaction>, NodeError> {
        let mut ln = self.lightning.clone();
        let r = self
            .call(
                CALL_TIMEOUT,
                ln.get_transactions(fedimint_tonic_lnd::lnrpc::GetTransactionsRequest::default()),
            )
            .await?;
        for t in r.transactions {
            let Ok(bytes) = <Vec<u8> as bitcoin::hex::FromHex>::from_hex(&t.raw_tx_hex) else {
                continue;
            };
            let Ok(tx) = bitcoin::consensus::deserialize::<bitcoin::Transaction>(&bytes) else {
                continue;
            };
            if tx
                .output
                .iter()
                .any(|o| o.script_pubkey.as_script() == script)
            {
                return Ok(Some(tx));
            }
        }
        Ok(None)
    }

    /// The node wallet's confirmed balance (what `send_to_script` may spend).
    pub async fn confirmed_balance(&self) -> Result<Sat, NodeError> {
        let mut ln = self.lightning.clone();
        let w = self
            .call(
                CALL_TIMEOUT,
                ln.wallet_balance(fedimint_tonic_lnd::lnrpc::WalletBalanceRequest::default()),
            )
            .await?;
        Ok(Sat::from_sat(
            u64::try_from(w.confirmed_balance).unwrap_or(0),
        ))
    }

    /// The node's fee estimate for confirmation within `target` blocks, in
    /// sat/vB (at least 1).
    pub async fn fee_rate(&self, target: i32) -> Result<u64, NodeError> {
        let mut wk = self.wallet_kit.clone();
        let r = self
            .call(
                CALL_TIMEOUT,
                wk.estimate_fee(walletrpc::EstimateFeeRequest {
                    conf_target: target,
                }),
            )
            .await?;
        Ok(u64::try_from(r.sat_per_kw)
            .unwrap_or(0)
            .div_ceil(250)
            .max(1))
    }
}

fn already_known(error: &str) -> bool {
    let e = error.to_ascii_lowercase();
    e.contains("already have transaction")
        || e.contains("already exists")
        || e.contains("txn-already-known")
        || e.contains("transaction already in block chain")
        || e.contains("already in mempool")
}
