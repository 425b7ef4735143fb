//! Channels: list (open, pending, closing, closed), open (single and batch),
//! close (cooperative or forced), fee policies, balances.

use super::client::{LndClient, CALL_TIMEOUT};
use super::connection::Connection;
use super::convert::{lnd_msat, lnd_sat, msat, non_negative, point_string, sat, txid_from_bytes};
use super::error::{classify_rpc, NodeError};
use crate::amount::{Msat, Sat};
use fedimint_tonic_lnd::lnrpc;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use ts_rs::TS;

/// How long opening or closing may take to get its first answer (the peer
/// has to agree).
const NEGOTIATION_TIMEOUT: Duration = Duration::from_secs(60);

/// Where a channel is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ChannelState {
    /// Open and the peer is online.
    Active,
    /// Open but the peer is offline.
    Inactive,
    /// Funding transaction waiting for confirmations.
    Opening,
    /// Closing transaction broadcast, waiting to confirm.
    Closing,
    /// Force-closed: our funds are time-locked until maturity.
    ForceClosing,
    /// Closed and settled on chain.
    Closed,
}

/// One direction's forwarding policy, as the graph sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ChannelPolicy {
    /// Base fee, msat.
    pub base_fee_msat: Msat,
    /// Proportional fee, parts per million.
    #[ts(type = "number")]
    pub fee_rate_ppm: u64,
    /// CLTV delta, blocks.
    pub time_lock_delta: u32,
    /// Smallest HTLC, msat.
    pub min_htlc_msat: Msat,
    /// Largest HTLC, msat.
    pub max_htlc_msat: Msat,
    /// Disabled by its owner.
    pub disabled: bool,
}

/// A channel as the Channels view lists it. Amounts in sats.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ChannelInfo {
    /// Funding outpoint `txid:index` (the channel's identity everywhere).
    pub channel_point: String,
    /// Short channel id `block x tx x output`, once confirmed.
    pub scid: Option<String>,
    /// The numeric short channel id (as LND's `chan_id`), decimal.
    pub chan_id: Option<String>,
    /// Peer's node key.
    pub peer_pubkey: String,
    /// Peer's alias, if known.
    pub peer_alias: Option<String>,
    /// State.
    pub state: ChannelState,
    /// Capacity.
    pub capacity_sat: Sat,
    /// Our balance.
    pub local_sat: Sat,
    /// The peer's balance.
    pub remote_sat: Sat,
    /// In HTLCs not yet settled.
    pub unsettled_sat: Sat,
    /// HTLCs in flight.
    pub pending_htlcs: u32,
    /// Not announced to the network.
    pub private: bool,
    /// We opened it.
    pub initiator: bool,
    /// Opening: confirmations so far.
    pub confirmations: Option<u32>,
    /// Opening: confirmations needed in all.
    pub confirmations_needed: Option<u32>,
    /// Closing: the closing transaction.
    pub closing_txid: Option<String>,
    /// Force closing: blocks until our funds can be swept (negative: overdue).
    pub blocks_til_maturity: Option<i32>,
    /// Closing: funds not yet back in the wallet.
    pub limbo_sat: Option<Sat>,
    /// Closed: how ("cooperative", "local force", …).
    pub close_type: Option<String>,
    /// Our policy towards the peer.
    pub local_policy: Option<ChannelPolicy>,
    /// The peer's policy towards us.
    pub remote_policy: Option<ChannelPolicy>,
    /// Blocks since the funding transaction confirmed.
    pub age_blocks: Option<u32>,
}

/// Everything the Channels view shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ChannelList {
    /// Active, inactive, opening, closing, then closed.
    pub channels: Vec<ChannelInfo>,
    /// The node's block height when listed.
    pub block_height: u32,
}

/// Balances for the dashboard, in sats.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Balances {
    /// On-chain, confirmed.
    pub onchain_confirmed_sat: Sat,
    /// On-chain, unconfirmed.
    pub onchain_unconfirmed_sat: Sat,
    /// On-chain, locked (leased, reserved for anchors).
    pub onchain_locked_sat: Sat,
    /// Ours in open channels.
    pub lightning_local_sat: Sat,
    /// The peers' in open channels (what we can receive).
    pub lightning_remote_sat: Sat,
    /// Ours in channels still opening.
    pub pending_open_local_sat: Sat,
    /// Ours in HTLCs in flight.
    pub unsettled_local_sat: Sat,
    /// Ours in closing channels, not yet back on chain.
    pub limbo_sat: Sat,
}

/// How to pay the on-chain fee.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum FeeChoice {
    /// Let LND estimate for a confirmation within this many blocks.
    TargetBlocks(u32),
    /// A fixed rate.
    SatPerVbyte(#[ts(type = "number")] u64),
}

impl FeeChoice {
    pub(crate) fn parts(choice: Option<FeeChoice>) -> (i32, u64) {
        match choice {
            Some(FeeChoice::TargetBlocks(n)) => (i32::try_from(n).unwrap_or(i32::MAX), 0),
            Some(FeeChoice::SatPerVbyte(r)) => (0, r),
            None => (0, 0),
        }
    }
}

/// Open a channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct OpenChannelRequest {
    /// `pubkey@host:port`, or `pubkey` for a peer already connected.
    pub peer: String,
    /// Channel size.
    pub amount_sat: Sat,
    /// Given to the peer at open.
    #[serde(default)]
    pub push_sat: Sat,
    /// Not announced to the network.
    #[serde(default)]
    pub private: bool,
    /// Funding fee.
    #[serde(default)]
    pub fee: Option<FeeChoice>,
    /// Smallest HTLC we accept.
    #[serde(default)]
    pub min_htlc_msat: Option<Msat>,
    /// Spend exactly these outputs (`txid:vout`); empty: LND chooses.
    #[serde(default)]
    pub utxos: Vec<String>,
    /// The user confirmed a fee rate far above the node's estimate.
    #[serde(default)]
    pub allow_high_fee: bool,
}

/// A channel whose funding transaction was published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct OpenedChannel {
    /// `txid:index`.
    pub channel_point: String,
    /// The funding transaction.
    pub funding_txid: String,
}

/// Close a channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct CloseChannelRequest {
    /// `txid:index`.
    pub channel_point: String,
    /// Force-close unilaterally (funds time-locked).
    #[serde(default)]
    pub force: bool,
    /// Closing fee (cooperative only).
    #[serde(default)]
    pub fee: Option<FeeChoice>,
    /// Pay our side to this address (cooperative only).
    #[serde(default)]
    pub delivery_address: Option<String>,
    /// The user confirmed a fee rate far above the node's estimate.
    #[serde(default)]
    pub allow_high_fee: bool,
}

/// A close that was published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ClosingChannel {
    /// `txid:index` of the channel.
    pub channel_point: String,
    /// The closing transaction.
    pub closing_txid: String,
}

/// New forwarding policy. `None` for min/max keeps the current value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct PolicyUpdate {
    /// One channel (`txid:index`); none: all channels.
    pub channel_point: Option<String>,
    /// Base fee, msat.
    pub base_fee_msat: Msat,
    /// Proportional fee, ppm.
    pub fee_rate_ppm: u32,
    /// CLTV delta, blocks (≥ 18).
    pub time_lock_delta: u32,
    /// Smallest HTLC, msat.
    #[serde(default)]
    pub min_htlc_msat: Option<Msat>,
    /// Largest HTLC, msat.
    #[serde(default)]
    pub max_htlc_msat: Option<Msat>,
}

pub use crate::graph::model::scid_string;

/// Parses `txid:index`.
pub(crate) fn parse_outpoint(s: &str, what: &str) -> Result<(String, u32), NodeError> {
    let bad = || NodeError::BadRequest {
        message: format!(
            "{what} must look like txid:index (64 hex characters, a colon, a number); got \"{s}\"."
        ),
    };
    let (txid, idx) = s.trim().split_once(':').ok_or_else(bad)?;
    if txid.len() != 64 || !txid.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(bad());
    }
    let idx: u32 = idx.parse().map_err(|_| bad())?;
    Ok((txid.to_ascii_lowercase(), idx))
}

fn channel_point_msg(s: &str) -> Result<lnrpc::ChannelPoint, NodeError> {
    let (txid, output_index) = parse_outpoint(s, "The channel")?;
    Ok(lnrpc::ChannelPoint {
        funding_txid: Some(lnrpc::channel_point::FundingTxid::FundingTxidStr(txid)),
        output_index,
    })
}

/// A node key in hex, checked.
pub(crate) fn parse_pubkey(s: &str) -> Result<Vec<u8>, NodeError> {
    let s = s.trim();
    let bad = || NodeError::BadRequest {
        message: format!(
            "\"{s}\" is not a node key: expected 66 hex characters starting with 02 or 03."
        ),
    };
    let key = bitcoin::secp256k1::PublicKey::from_str(s).map_err(|_| bad())?;
    if s.len() != 66 {
        return Err(bad());
    }
    Ok(key.serialize().to_vec())
}

fn policy(p: &lnrpc::RoutingPolicy) -> ChannelPolicy {
    ChannelPolicy {
        base_fee_msat: msat(p.fee_base_msat),
        fee_rate_ppm: non_negative(p.fee_rate_milli_msat),
        time_lock_delta: p.time_lock_delta,
        min_htlc_msat: msat(p.min_htlc),
        max_htlc_msat: Msat::from_msat(p.max_htlc_msat),
        disabled: p.disabled,
    }
}

fn close_type_name(t: i32) -> &'static str {
    use lnrpc::channel_close_summary::ClosureType as T;
    match T::try_from(t) {
        Ok(T::CooperativeClose) => "cooperative",
        Ok(T::LocalForceClose) => "local force close",
        Ok(T::RemoteForceClose) => "remote force close",
        Ok(T::BreachClose) => "breach",
        Ok(T::FundingCanceled) => "funding cancelled",
        Ok(T::Abandoned) => "abandoned",
        Err(_) => "unknown",
    }
}

fn pending_base(
    p: &lnrpc::pending_channels_response::PendingChannel,
    state: ChannelState,
) -> ChannelInfo {
    ChannelInfo {
        channel_point: p.channel_point.clone(),
        scid: None,
        chan_id: None,
        peer_pubkey: p.remote_node_pub.clone(),
        peer_alias: None,
        state,
        capacity_sat: sat(p.capacity),
        local_sat: sat(p.local_balance),
        remote_sat: sat(p.remote_balance),
        unsettled_sat: Sat::ZERO,
        pending_htlcs: 0,
        private: p.private,
        initiator: p.initiator == lnrpc::Initiator::Local as i32,
        confirmations: None,
        confirmations_needed: None,
        closing_txid: None,
        blocks_til_maturity: None,
        limbo_sat: None,
        close_type: None,
        local_policy: None,
        remote_policy: None,
        age_blocks: None,
    }
}

/// A channel's size and the amount given to the peer, checked.
fn check_sizes(req: &OpenChannelRequest) -> Result<(), NodeError> {
    if req.amount_sat.is_zero() {
        return Err(NodeError::BadRequest {
            message: "Enter the channel size in sats.".into(),
        });
    }
    if req.push_sat >= req.amount_sat {
        return Err(NodeError::BadRequest {
            message: "The amount given to the peer must be less than the channel size.".into(),
        });
    }
    req.amount_sat.to_msat()?;
    Ok(())
}

/// Channels: list with balances and policies, open (single and batch), close, fee policy, balances.
#[derive(Clone)]
pub struct Channels {
    conn: Arc<Connection>,
}

impl Channels {
    /// Over `conn`.
    pub fn new(conn: Arc<Connection>) -> Channels {
        Channels { conn }
    }
}

impl Channels {
    /// Every channel of the node: open (with policies both ways), opening
    /// (with confirmations), closing, and closed.
    pub async fn list(&self) -> Result<ChannelList, NodeError> {
        let c = self.conn.client().await?;
        let info = c.get_info().await?;
        let height = info.block_height;
        let mut ln = c.lightning.clone();
        let open = c
            .call(
                CALL_TIMEOUT,
                ln.list_channels(lnrpc::ListChannelsRequest::default()),
            )
            .await?;
        let pending = c
            .call(
                CALL_TIMEOUT,
                ln.pending_channels(lnrpc::PendingChannelsRequest::default()),
            )
            .await?;
        let confs = c.pending_opens(CALL_TIMEOUT).await?;
        let closed = c
            .call(
                CALL_TIMEOUT,
                ln.closed_channels(lnrpc::ClosedChannelsRequest::default()),
            )
            .await?;

        let mut out = Vec::new();
        for ch in &open.channels {
            let (local_policy, remote_policy) =
                self.policies(&c, ch.chan_id, &info.identity_pubkey).await;
            let block = u32::try_from(ch.chan_id >> 40).unwrap_or(0);
            out.push(ChannelInfo {
                channel_point: ch.channel_point.clone(),
                scid: Some(scid_string(ch.chan_id)),
                chan_id: Some(ch.chan_id.to_string()),
                peer_pubkey: ch.remote_pubkey.clone(),
                peer_alias: (!ch.peer_alias.is_empty()).then(|| ch.peer_alias.clone()),
                state: if ch.active {
                    ChannelState::Active
                } else {
                    ChannelState::Inactive
                },
                capacity_sat: sat(ch.capacity),
                local_sat: sat(ch.local_balance),
                remote_sat: sat(ch.remote_balance),
                unsettled_sat: sat(ch.unsettled_balance),
                pending_htlcs: u32::try_from(ch.pending_htlcs.len()).unwrap_or(u32::MAX),
                private: ch.private,
                initiator: ch.initiator,
                confirmations: None,
                confirmations_needed: None,
                closing_txid: None,
                blocks_til_maturity: None,
                limbo_sat: None,
                close_type: None,
                local_policy,
                remote_policy,
                age_blocks: (block > 0 && height >= block).then(|| height - block),
            });
        }
        let conf_of: HashMap<String, (u32, u32)> = confs
            .pending_open_channels
            .iter()
            .filter_map(|p| {
                let ch = p.channel.as_ref()?;
                Some((
                    ch.channel_point.clone(),
                    (p.confirmations_until_active, p.confirmation_height),
                ))
            })
            .collect();
        for p in &pending.pending_open_channels {
            let Some(ch) = &p.channel else { continue };
            let mut ci = pending_base(ch, ChannelState::Opening);
            if let Some(&(until, conf_height)) = conf_of.get(&ch.channel_point) {
                let so_far = if conf_height > 0 && height >= conf_height {
                    height - conf_height + 1
                } else {
                    0
                };
                ci.confirmations = Some(so_far);
                ci.confirmations_needed = Some(so_far + until);
            }
            out.push(ci);
        }
        for w in &pending.waiting_close_channels {
            let Some(ch) = &w.channel else { continue };
            let mut ci = pending_base(ch, ChannelState::Closing);
            ci.closing_txid = (!w.closing_txid.is_empty()).then(|| w.closing_txid.clone());
            ci.limbo_sat = Some(sat(w.limbo_balance));
            out.push(ci);
        }
        for f in &pending.pending_force_closing_channels {
            let Some(ch) = &f.channel else { continue };
            let mut ci = pending_base(ch, ChannelState::ForceClosing);
            ci.closing_txid = Some(f.closing_txid.clone());
            ci.blocks_til_maturity = Some(f.blocks_til_maturity);
            ci.limbo_sat = Some(sat(f.limbo_balance));
            out.push(ci);
        }
        for ch in closed.channels.iter().rev() {
            out.push(ChannelInfo {
                channel_point: ch.channel_point.clone(),
                scid: (ch.chan_id != 0).then(|| scid_string(ch.chan_id)),
                chan_id: (ch.chan_id != 0).then(|| ch.chan_id.to_string()),
                peer_pubkey: ch.remote_pubkey.clone(),
                peer_alias: None,
                state: ChannelState::Closed,
                capacity_sat: sat(ch.capacity),
                local_sat: sat(ch.settled_balance),
                remote_sat: Sat::ZERO,
                unsettled_sat: Sat::ZERO,
                pending_htlcs: 0,
                private: false,
                initiator: ch.open_initiator == lnrpc::Initiator::Local as i32,
                confirmations: None,
                confirmations_needed: None,
                closing_txid: Some(ch.closing_tx_hash.clone()),
                blocks_til_maturity: None,
                limbo_sat: Some(sat(ch.time_locked_balance)),
                close_type: Some(close_type_name(ch.close_type).to_string()),
                local_policy: None,
                remote_policy: None,
                age_blocks: None,
            });
        }
        // Aliases for channels LND listed without one (pending, closed).
        let mut aliases: HashMap<String, Option<String>> = HashMap::new();
        for ch in &mut out {
            if ch.peer_alias.is_some() {
                continue;
            }
            if !aliases.contains_key(&ch.peer_pubkey) {
                let a = self.alias(&c, &ch.peer_pubkey).await;
                aliases.insert(ch.peer_pubkey.clone(), a);
            }
            ch.peer_alias = aliases.get(&ch.peer_pubkey).cloned().flatten();
        }
        Ok(ChannelList {
            channels: out,
            block_height: height,
        })
    }

    async fn alias(&self, c: &LndClient, pubkey: &str) -> Option<String> {
        let mut ln = c.lightning.clone();
        let req = lnrpc::NodeInfoRequest {
            pub_key: pubkey.to_string(),
            include_channels: false,
        };
        let n = c.call(CALL_TIMEOUT, ln.get_node_info(req)).await.ok()?;
        n.node.map(|n| n.alias).filter(|a| !a.is_empty())
    }

    async fn policies(
        &self,
        c: &LndClient,
        chan_id: u64,
        own: &str,
    ) -> (Option<ChannelPolicy>, Option<ChannelPolicy>) {
        let mut ln = c.lightning.clone();
        let req = lnrpc::ChanInfoRequest {
            chan_id,
            ..Default::default()
        };
        let Ok(edge) = c.call(CALL_TIMEOUT, ln.get_chan_info(req)).await else {
            return (None, None);
        };
        let p1 = edge.node1_policy.as_ref().map(policy);
        let p2 = edge.node2_policy.as_ref().map(policy);
        if edge.node1_pub == own {
            (p1, p2)
        } else {
            (p2, p1)
        }
    }

    /// Connects to `pubkey@host:port` (if an address is given) and returns the key.
    async fn ensure_peer(&self, c: &LndClient, peer: &str) -> Result<Vec<u8>, NodeError> {
        let peer = peer.trim();
        let (key, host) = match peer.split_once('@') {
            Some((k, h)) => (k, Some(h)),
            None => (peer, None),
        };
        let key_bytes = parse_pubkey(key)?;
        if let Some(host) = host {
            if host.is_empty() || !host.contains(':') && host.contains(' ') {
                return Err(NodeError::BadRequest {
                    message: format!("\"{host}\" is not a host:port address."),
                });
            }
            let mut ln = c.lightning.clone();
            let req = lnrpc::ConnectPeerRequest {
                addr: Some(lnrpc::LightningAddress {
                    pubkey: key.to_string(),
                    host: host.to_string(),
                }),
                perm: false,
                timeout: 15,
            };
            match c.call(Duration::from_secs(20), ln.connect_peer(req)).await {
                Ok(_) => {}
                Err(NodeError::Rpc { detail }) if detail.contains("already connected") => {}
                Err(e) => return Err(classify_rpc(e, Some(peer))),
            }
        }
        Ok(key_bytes)
    }

    /// The size of a funding transaction for channels of `sizes` sats, as
    /// LND's coin selection would build it (a P2WSH stand-in per channel),
    /// or a one-input guess when LND cannot tell (e.g. too little money).
    async fn funding_vsize(&self, c: &LndClient, sizes: &[u64]) -> u64 {
        use super::fees::{funding_stand_in, sweep_vsize, ScriptKind};
        let Some(network) = self.conn.network() else {
            return 0;
        };
        let outputs = sizes
            .iter()
            .enumerate()
            .map(|(i, s)| {
                (
                    funding_stand_in(network, u8::try_from(i).unwrap_or(u8::MAX)).to_string(),
                    i64::try_from(*s).unwrap_or(i64::MAX),
                )
            })
            .collect();
        match super::fees::estimate_vsize(c, outputs).await {
            Some(v) => v,
            None => {
                sweep_vsize(&[ScriptKind::P2wpkh], ScriptKind::P2wpkh) + 43 * sizes.len() as u64
            }
        }
    }

    /// Opens a channel; returns once the funding transaction is published.
    pub async fn open(&self, req: &OpenChannelRequest) -> Result<OpenedChannel, NodeError> {
        check_sizes(req)?;
        let mut outpoints = Vec::new();
        for u in &req.utxos {
            let (txid, idx) = parse_outpoint(u, "A coin")?;
            outpoints.push(lnrpc::OutPoint {
                txid_str: txid,
                output_index: idx,
                ..Default::default()
            });
        }
        let c = self.conn.client().await?;
        let sizes = [req.amount_sat.to_sat()];
        super::fees::guard_fee_rate(&c, req.fee, req.allow_high_fee, || {
            self.funding_vsize(&c, &sizes)
        })
        .await?;
        let key = self.ensure_peer(&c, &req.peer).await?;
        let (target_conf, sat_per_vbyte) = FeeChoice::parts(req.fee);
        let msg = lnrpc::OpenChannelRequest {
            node_pubkey: key,
            local_funding_amount: lnd_sat(req.amount_sat),
            push_sat: lnd_sat(req.push_sat),
            target_conf,
            sat_per_vbyte,
            private: req.private,
            min_htlc_msat: req.min_htlc_msat.map(lnd_msat).unwrap_or(0),
            outpoints,
            ..Default::default()
        };
        let mut ln = c.lightning.clone();
        let cp = c
            .call(NEGOTIATION_TIMEOUT, ln.open_channel_sync(msg))
            .await
            .map_err(|e| classify_rpc(e, Some(&req.peer)))?;
        let point = point_string(&cp);
        let funding_txid = point.split(':').next().unwrap_or_default().to_string();
        tracing::info!(channel_point = %point, amount_sat = req.amount_sat.to_sat(), "channel opening");
        Ok(OpenedChannel {
            channel_point: point,
            funding_txid,
        })
    }

    /// Opens channels to several peers in one funding transaction.
    pub async fn open_batch(
        &self,
        reqs: &[OpenChannelRequest],
        fee: Option<FeeChoice>,
        allow_high_fee: bool,
    ) -> Result<Vec<OpenedChannel>, NodeError> {
        if reqs.len() < 2 {
            return Err(NodeError::BadRequest {
                message: "A batch open needs at least two channels.".into(),
            });
        }
        for r in reqs {
            if r.amount_sat.is_zero() || r.push_sat >= r.amount_sat {
                return Err(NodeError::BadRequest {
                    message: format!(
                        "Check the amounts for {}: size > 0 and push < size.",
                        r.peer
                    ),
                });
            }
            r.amount_sat.to_msat()?;
        }
        let c = self.conn.client().await?;
        let sizes: Vec<u64> = reqs.iter().map(|r| r.amount_sat.to_sat()).collect();
        super::fees::guard_fee_rate(&c, fee, allow_high_fee, || self.funding_vsize(&c, &sizes))
            .await?;
        let mut channels = Vec::new();
        for r in reqs {
            let key = self.ensure_peer(&c, &r.peer).await?;
            channels.push(lnrpc::BatchOpenChannel {
                node_pubkey: key,
                local_funding_amount: lnd_sat(r.amount_sat),
                push_sat: lnd_sat(r.push_sat),
                private: r.private,
                min_htlc_msat: r.min_htlc_msat.map(lnd_msat).unwrap_or(0),
                ..Default::default()
            });
        }
        let (target_conf, sat_per_vbyte) = FeeChoice::parts(fee);
        let msg = lnrpc::BatchOpenChannelRequest {
            channels,
            target_conf,
            sat_per_vbyte: i64::try_from(sat_per_vbyte).unwrap_or(i64::MAX),
            ..Default::default()
        };
        let mut ln = c.lightning.clone();
        let resp = c
            .call(NEGOTIATION_TIMEOUT, ln.batch_open_channel(msg))
            .await
            .map_err(|e| classify_rpc(e, None))?;
        Ok(resp
            .pending_channels
            .iter()
            .map(|p| {
                let txid = txid_from_bytes(&p.txid);
                OpenedChannel {
                    channel_point: format!("{txid}:{}", p.output_index),
                    funding_txid: txid,
                }
            })
            .collect())
    }

    /// Closes a channel; returns once the closing transaction is published.
    pub async fn close(&self, req: &CloseChannelRequest) -> Result<ClosingChannel, NodeError> {
        let cp = channel_point_msg(&req.channel_point)?;
        if req.force && (req.fee.is_some() || req.delivery_address.is_some()) {
            return Err(NodeError::BadRequest {
                message: "A force close uses the fee and address fixed in the commitment; leave fee and address empty.".into(),
            });
        }
        let c = self.conn.client().await?;
        super::fees::guard_fee_rate(&c, req.fee, req.allow_high_fee, || async {
            super::fees::CLOSE_VSIZE
        })
        .await?;
        let (target_conf, sat_per_vbyte) = FeeChoice::parts(req.fee);
        let msg = lnrpc::CloseChannelRequest {
            channel_point: Some(cp),
            force: req.force,
            target_conf,
            sat_per_vbyte,
            delivery_address: req.delivery_address.clone().unwrap_or_default(),
            ..Default::default()
        };
        // LND's refusal, or "no such channel" for a point it does not know.
        let refused = |e: NodeError| match classify_rpc(e, None) {
            NodeError::Rpc { detail }
                if detail.contains("not found") || detail.contains("unable to find") =>
            {
                NodeError::ChannelNotFound {
                    channel: req.channel_point.clone(),
                }
            }
            other => other,
        };
        let mut ln = c.lightning.clone();
        let mut stream = c
            // The headers come with the first update, after the peers agree.
            .call(NEGOTIATION_TIMEOUT, ln.close_channel(msg))
            .await
            .map_err(refused)?;
        let first = tokio::time::timeout(NEGOTIATION_TIMEOUT, stream.message()).await;
        let update = match first {
            Err(_) => {
                return Err(NodeError::PeerUnreachable {
                    peer: req.channel_point.clone(),
                    detail: "the peer did not agree on a closing transaction in time".into(),
                })
            }
            Ok(Err(status)) => return Err(refused(c.status_error(&status))),
            Ok(Ok(None)) => {
                return Err(NodeError::Rpc {
                    detail: "the node ended the close without an answer".into(),
                })
            }
            Ok(Ok(Some(u))) => u,
        };
        use lnrpc::close_status_update::Update;
        let closing_txid = match update.update {
            Some(Update::ClosePending(p)) => txid_from_bytes(&p.txid),
            Some(Update::ChanClose(c)) => txid_from_bytes(&c.closing_txid),
            _ => String::new(),
        };
        tracing::info!(channel_point = %req.channel_point, force = req.force, "channel closing");
        Ok(ClosingChannel {
            channel_point: req.channel_point.clone(),
            closing_txid,
        })
    }

    /// Sets the forwarding policy of one channel or of all.
    pub async fn update_policy(&self, req: &PolicyUpdate) -> Result<(), NodeError> {
        if req.time_lock_delta < 18 {
            return Err(NodeError::BadRequest {
                message: "The time lock delta must be at least 18 blocks (LND's minimum).".into(),
            });
        }
        if let (Some(min), Some(max)) = (req.min_htlc_msat, req.max_htlc_msat) {
            if min > max {
                return Err(NodeError::BadRequest {
                    message: "The smallest HTLC must not exceed the largest.".into(),
                });
            }
        }
        let scope = match &req.channel_point {
            Some(cp) => lnrpc::policy_update_request::Scope::ChanPoint(channel_point_msg(cp)?),
            None => lnrpc::policy_update_request::Scope::Global(true),
        };
        let c = self.conn.client().await?;
        let msg = lnrpc::PolicyUpdateRequest {
            scope: Some(scope),
            base_fee_msat: lnd_msat(req.base_fee_msat),
            fee_rate_ppm: req.fee_rate_ppm,
            time_lock_delta: req.time_lock_delta,
            max_htlc_msat: req.max_htlc_msat.map_or(0, Msat::to_msat),
            min_htlc_msat: req.min_htlc_msat.map_or(0, Msat::to_msat),
            min_htlc_msat_specified: req.min_htlc_msat.is_some(),
            ..Default::default()
        };
        let mut ln = c.lightning.clone();
        let resp = c
            .call(CALL_TIMEOUT, ln.update_channel_policy(msg))
            .await
            .map_err(|e| classify_rpc(e, None))?;
        if let Some(f) = resp.failed_updates.first() {
            let point = f
                .outpoint
                .as_ref()
                .map(|o| format!("{}:{}", o.txid_str, o.output_index));
            return Err(NodeError::BadRequest {
                message: format!(
                    "The node refused the policy for {}: {} (a channel that just opened may not be in the node's graph yet; try again in a minute)",
                    point.unwrap_or_else(|| "a channel".into()),
                    f.update_error
                ),
            });
        }
        Ok(())
    }

    /// On-chain and channel balances.
    pub async fn balances(&self) -> Result<Balances, NodeError> {
        let c = self.conn.client().await?;
        let mut ln = c.lightning.clone();
        let w = c
            .call(
                CALL_TIMEOUT,
                ln.wallet_balance(lnrpc::WalletBalanceRequest::default()),
            )
            .await?;
        let ch = c
            .call(
                CALL_TIMEOUT,
                ln.channel_balance(lnrpc::ChannelBalanceRequest::default()),
            )
            .await?;
        let p = c
            .call(
                CALL_TIMEOUT,
                ln.pending_channels(lnrpc::PendingChannelsRequest::default()),
            )
            .await?;
        let amt = |a: &Option<lnrpc::Amount>| Sat::from_sat(a.as_ref().map_or(0, |a| a.sat));
        Ok(Balances {
            onchain_confirmed_sat: sat(w.confirmed_balance),
            onchain_unconfirmed_sat: sat(w.unconfirmed_balance),
            onchain_locked_sat: sat(w.locked_balance)
                .checked_add(sat(w.reserved_balance_anchor_chan))
                .ok_or_else(|| NodeError::Internal {
                    detail: "the node's locked balance overflows".into(),
                })?,
            lightning_local_sat: amt(&ch.local_balance),
            lightning_remote_sat: amt(&ch.remote_balance),
            pending_open_local_sat: amt(&ch.pending_open_local_balance),
            unsettled_local_sat: amt(&ch.unsettled_local_balance),
            limbo_sat: sat(p.total_limbo_balance),
        })
    }
}

/// A channel open paused for its funding transaction (LND's PSBT shim):
/// the peer agreed, LND waits for a transaction paying `funding_amount` to
/// `funding_address`. The peer forgets it after about ten minutes.
pub struct ShimOpen {
    /// The pending channel's id (32 random bytes, ours).
    pub pending_chan_id: [u8; 32],
    /// The channel's 2-of-2 address.
    pub funding_address: String,
    /// The channel's size.
    pub funding_amount: Sat,
    /// LND's updates on this open (the pending channel comes on it once
    /// the signed transaction is in); behind a lock only so that a
    /// pending open can be shared between threads (the stream is not Sync).
    updates: std::sync::Mutex<fedimint_tonic_lnd::tonic::codec::Streaming<lnrpc::OpenStatusUpdate>>,
}

impl std::fmt::Debug for ShimOpen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShimOpen")
            .field("funding_address", &self.funding_address)
            .field("funding_amount", &self.funding_amount)
            .finish_non_exhaustive()
    }
}

/// LND's funding steps for a channel funded by a PSBT (`FundingStateStep`).
impl Channels {
    /// Starts an open whose funding transaction we bring (`OpenChannel`
    /// with a PSBT shim): the peer is asked, and LND answers with the
    /// address and amount to fund. LND never funds it from its own wallet.
    /// `no_publish`: LND must not publish the transaction when this open
    /// completes (every channel of a batch but the last, so that nothing is
    /// published before every peer has signed).
    pub async fn open_with_psbt(
        &self,
        req: &OpenChannelRequest,
        no_publish: bool,
    ) -> Result<ShimOpen, NodeError> {
        check_sizes(req)?;
        let c = self.conn.client().await?;
        let key = self.ensure_peer(&c, &req.peer).await?;
        let pending_chan_id: [u8; 32] = rand::random();
        let msg = lnrpc::OpenChannelRequest {
            node_pubkey: key,
            local_funding_amount: lnd_sat(req.amount_sat),
            push_sat: lnd_sat(req.push_sat),
            private: req.private,
            min_htlc_msat: req.min_htlc_msat.map(lnd_msat).unwrap_or(0),
            funding_shim: Some(lnrpc::FundingShim {
                shim: Some(lnrpc::funding_shim::Shim::PsbtShim(lnrpc::PsbtShim {
                    pending_chan_id: pending_chan_id.to_vec(),
                    base_psbt: Vec::new(),
                    no_publish,
                })),
            }),
            ..Default::default()
        };
        let mut ln = c.lightning.clone();
        let mut updates = c
            .call(NEGOTIATION_TIMEOUT, ln.open_channel(msg))
            .await
            .map_err(|e| classify_rpc(e, Some(&req.peer)))?;
        let first = tokio::time::timeout(NEGOTIATION_TIMEOUT, updates.message()).await;
        let ready = match first {
            Err(_) => {
                return Err(NodeError::PeerUnreachable {
                    peer: req.peer.clone(),
                    detail: "the peer did not answer the channel request in time".into(),
                })
            }
            Ok(Err(status)) => return Err(classify_rpc(c.status_error(&status), Some(&req.peer))),
            Ok(Ok(Some(lnrpc::OpenStatusUpdate {
                update: Some(lnrpc::open_status_update::Update::PsbtFund(ready)),
                ..
            }))) => ready,
            Ok(Ok(other)) => {
                return Err(NodeError::Internal {
                    detail: format!("LND answered a PSBT channel open with {other:?}"),
                })
            }
        };
        let funding_amount = Sat::from_sat(u64::try_from(ready.funding_amount).unwrap_or(0));
        if funding_amount != req.amount_sat {
            let open = ShimOpen {
                pending_chan_id,
                funding_address: ready.funding_address,
                funding_amount,
                updates: std::sync::Mutex::new(updates),
            };
            self.shim_cancel(&open).await.ok();
            return Err(NodeError::Internal {
                detail: format!(
                    "LND asked to fund {} sats for a channel of {} sats",
                    funding_amount.to_sat(),
                    req.amount_sat.to_sat()
                ),
            });
        }
        tracing::info!(peer = %req.peer, amount_sat = funding_amount.to_sat(), "channel open waiting for its PSBT");
        Ok(ShimOpen {
            pending_chan_id,
            funding_address: ready.funding_address,
            funding_amount,
            updates: std::sync::Mutex::new(updates),
        })
    }

    async fn funding_step(
        &self,
        trigger: lnrpc::funding_transition_msg::Trigger,
    ) -> Result<(), NodeError> {
        let c = self.conn.client().await?;
        let mut ln = c.lightning.clone();
        c.call(
            CALL_TIMEOUT,
            ln.funding_state_step(lnrpc::FundingTransitionMsg {
                trigger: Some(trigger),
            }),
        )
        .await?;
        Ok(())
    }

    /// LND checks the funded (unsigned) PSBT: it pays the channel's address
    /// its amount, and every input is segwit.
    pub async fn shim_verify(
        &self,
        open: &ShimOpen,
        psbt: &bitcoin::psbt::Psbt,
    ) -> Result<(), NodeError> {
        use lnrpc::funding_transition_msg::Trigger;
        self.funding_step(Trigger::PsbtVerify(lnrpc::FundingPsbtVerify {
            funded_psbt: psbt.serialize(),
            pending_chan_id: open.pending_chan_id.to_vec(),
            skip_finalize: false,
        }))
        .await
        .map_err(|e| match e {
            NodeError::Rpc { detail } => NodeError::BadRequest {
                message: format!("LND refused the funding PSBT: {detail}"),
            },
            other => other,
        })
    }

    /// Hands LND the signed funding transaction; LND finishes the open with
    /// the peer and publishes it (never us: published before the peer's
    /// signatures, the money could be stuck).
    pub async fn shim_finalize(
        &self,
        open: &ShimOpen,
        tx: &bitcoin::Transaction,
    ) -> Result<(), NodeError> {
        use lnrpc::funding_transition_msg::Trigger;
        self.funding_step(Trigger::PsbtFinalize(lnrpc::FundingPsbtFinalize {
            signed_psbt: Vec::new(),
            pending_chan_id: open.pending_chan_id.to_vec(),
            final_raw_tx: bitcoin::consensus::serialize(tx),
        }))
        .await
    }

    /// After [`Channels::shim_finalize`]: waits for LND's word that the
    /// channel is pending (the funding transaction `tx` published).
    pub async fn shim_pending(
        &self,
        open: ShimOpen,
        tx: &bitcoin::Transaction,
    ) -> Result<OpenedChannel, NodeError> {
        let txid = tx.compute_txid().to_string();
        let mut updates = open.updates.into_inner().unwrap_or_else(|p| p.into_inner());
        loop {
            let next = tokio::time::timeout(NEGOTIATION_TIMEOUT, updates.message()).await;
            match next {
                Ok(Ok(Some(lnrpc::OpenStatusUpdate {
                    update: Some(lnrpc::open_status_update::Update::ChanPending(p)),
                    ..
                }))) => {
                    let funding_txid = txid_from_bytes(&p.txid);
                    let channel_point = format!("{funding_txid}:{}", p.output_index);
                    tracing::info!(%channel_point, "channel opening (funded by a PSBT)");
                    return Ok(OpenedChannel {
                        channel_point,
                        funding_txid,
                    });
                }
                Ok(Ok(Some(_))) => continue,
                // LND took the transaction; its update did not come: the
                // channel list will show it.
                Ok(Ok(None)) | Err(_) => {
                    return Err(NodeError::Rpc {
                        detail: format!(
                            "LND took the funding transaction {txid} but did not confirm the pending channel; see the channel list"
                        ),
                    })
                }
                Ok(Err(status)) => {
                    return Err(NodeError::Rpc {
                        detail: format!("the open of the channel funded by {txid} failed: {}", status.message()),
                    })
                }
            }
        }
    }

    /// Abandons a PSBT open (`shim_cancel`): LND and the peer forget it.
    pub async fn shim_cancel(&self, open: &ShimOpen) -> Result<(), NodeError> {
        use lnrpc::funding_transition_msg::Trigger;
        self.funding_step(Trigger::ShimCancel(lnrpc::FundingShimCancel {
            pending_chan_id: open.pending_chan_id.to_vec(),
        }))
        .await?;
        tracing::info!("PSBT channel open cancelled");
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn outpoints_and_keys_are_checked() {
        let t = "a".repeat(64);
        assert_eq!(
            parse_outpoint(&format!("{t}:1"), "x").unwrap(),
            (t.clone(), 1)
        );
        for bad in [
            "",
            "abc:1",
            &t,
            &format!("{t}:x"),
            &format!("{}:0", "g".repeat(64)),
        ] {
            assert!(
                matches!(parse_outpoint(bad, "x"), Err(NodeError::BadRequest { .. })),
                "{bad}"
            );
        }
        let key = "03e7156ae33b0a208d0744199163177e909e80176e55d97a2f221ede0f934dd9ad";
        assert_eq!(parse_pubkey(key).unwrap().len(), 33);
        assert!(parse_pubkey("03e7").is_err());
        assert!(parse_pubkey(&format!("04{}", &key[2..])).is_err());
    }
}
