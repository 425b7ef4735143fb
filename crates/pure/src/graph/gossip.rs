//! Gossip files: BOLT 7 messages, each preceded by its length as a `u16`
//! big-endian (the framing of a decrypted BOLT 8 stream), read into channels
//! for the router.
//!
//! - `channel_announcement` gives a channel's two nodes;
//! - `channel_update` gives one direction's policy (the newest timestamp
//!   wins; `channel_flags` bit 0 is the direction, bit 1 "disabled");
//! - `node_announcement` gives an alias;
//! - other messages (`init`, `ping`, unknown odd types) are skipped.
//!
//! Gossip does not carry capacities (a node would look the funding output up
//! on chain): a channel's capacity is taken as the larger `htlc_maximum_msat`
//! of its two directions, a lower bound. Updates for channels never announced
//! are dropped and counted.

use super::model::{ChannelSpec, Policy};
use super::wire::{decode, Message, WireError};
use std::collections::HashMap;

/// Why a gossip file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GossipError {
    /// The length prefix runs past the end.
    #[error("Gossip message {index} at byte {offset}: the file ends inside it (truncated file?).")]
    Truncated {
        /// Message number.
        index: usize,
        /// Byte offset.
        offset: usize,
    },
    /// A message did not decode.
    #[error("Gossip message {index} at byte {offset}: {source}.")]
    Bad {
        /// Message number.
        index: usize,
        /// Byte offset.
        offset: usize,
        /// Why.
        source: WireError,
    },
}

/// What a gossip file held.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GossipImport {
    /// Channels.
    pub channels: Vec<ChannelSpec>,
    /// Aliases by node key.
    pub aliases: HashMap<[u8; 33], String>,
    /// Messages read.
    pub messages: usize,
    /// Updates for channels never announced.
    pub orphan_updates: usize,
}

/// Reads a length-prefixed gossip stream.
pub fn parse_gossip(bytes: &[u8]) -> Result<GossipImport, GossipError> {
    let mut pos = 0usize;
    let mut index = 0usize;
    let mut anns: HashMap<u64, ([u8; 33], [u8; 33])> = HashMap::new();
    let mut order: Vec<u64> = Vec::new();
    let mut updates: HashMap<(u64, u8), (u32, Policy, u64)> = HashMap::new();
    let mut out = GossipImport::default();
    while pos < bytes.len() {
        if bytes.len() - pos < 2 {
            return Err(GossipError::Truncated { index, offset: pos });
        }
        let len = usize::from(u16::from_be_bytes([bytes[pos], bytes[pos + 1]]));
        let start = pos + 2;
        let Some(msg) = bytes.get(start..start + len) else {
            return Err(GossipError::Truncated { index, offset: pos });
        };
        match decode(msg).map_err(|source| GossipError::Bad {
            index,
            offset: pos,
            source,
        })? {
            Message::ChannelAnnouncement(a) => {
                let scid = a.short_channel_id;
                anns.entry(scid).or_insert_with(|| {
                    order.push(scid);
                    (a.node_id_1, a.node_id_2)
                });
            }
            Message::ChannelUpdate(u) => {
                let dir = u.channel_flags & 1;
                let policy = Policy {
                    base_fee_msat: u.fee_base_msat,
                    fee_ppm: u.fee_proportional_millionths,
                    cltv_delta: u.cltv_expiry_delta,
                    htlc_min_msat: u.htlc_minimum_msat,
                    htlc_max_msat: u.htlc_maximum_msat,
                    disabled: u.channel_flags & 2 != 0,
                    last_update: u.timestamp,
                    inbound_base_msat: u.inbound_fee.map_or(0, |f| f.0),
                    inbound_fee_ppm: u.inbound_fee.map_or(0, |f| f.1),
                };
                let key = (u.short_channel_id, dir);
                if updates.get(&key).is_none_or(|(t, _, _)| *t < u.timestamp) {
                    updates.insert(key, (u.timestamp, policy, u.htlc_maximum_msat));
                }
            }
            Message::NodeAnnouncement(n) => {
                out.aliases.insert(n.node_id, n.alias_text());
            }
            _ => {}
        }
        out.messages += 1;
        index += 1;
        pos = start + len;
    }
    out.orphan_updates = updates
        .keys()
        .filter(|(scid, _)| !anns.contains_key(scid))
        .count();
    for scid in order {
        let (n1, n2) = anns[&scid];
        let p1 = updates.get(&(scid, 0));
        let p2 = updates.get(&(scid, 1));
        let cap_msat = p1.map_or(0, |u| u.2).max(p2.map_or(0, |u| u.2));
        out.channels.push(ChannelSpec {
            scid,
            node1: n1,
            node2: n2,
            capacity_sat: cap_msat / 1000,
            policy1: p1.map(|u| u.1),
            policy2: p2.map(|u| u.1),
        });
    }
    Ok(out)
}

/// Frames messages as a gossip file (each with its `u16` length).
pub fn write_gossip(messages: &[Message]) -> Vec<u8> {
    let mut out = Vec::new();
    for m in messages {
        let b = super::wire::encode(m);
        out.extend_from_slice(&(b.len() as u16).to_be_bytes());
        out.extend_from_slice(&b);
    }
    out
}
