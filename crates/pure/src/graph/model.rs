//! The channel graph in memory, laid out for the router.
//!
//! - Nodes are numbered `0..n` (`NodeIdx`); `pubkeys[i]` and a hash map give
//!   both directions of the numbering.
//! - A channel `c` has two directed edges, `2c` (from `node1` to `node2`,
//!   priced by `node1`'s policy) and `2c + 1` (the other way, `node2`'s
//!   policy). An edge's policy is the one its *sending* node publishes.
//! - The router walks backwards from the destination, so each node keeps the
//!   list of edges that *arrive* at it, in one flat array (CSR: `in_start`
//!   and `in_edges`). Channels added after the last rebuild go to a small
//!   per-node overflow list; closed channels are marked dead, not removed.
//!
//! Updates are O(1): a policy change finds its channel through the scid map
//! and overwrites one `Policy`; a close flips a flag; a new channel appends to
//! two overflow lists; a node announcement updates one alias. [`Graph::compact_if_needed`]
//! folds the overflow lists back into the flat array when they grow.

use std::collections::HashMap;

/// A node's number in the graph.
pub type NodeIdx = u32;
/// A directed edge: `2 * channel + direction`.
pub type EdgeIdx = u32;

/// A compressed secp256k1 public key.
pub type Pubkey = [u8; 33];

/// A short channel id as people write it: `block x tx x output`.
pub fn scid_string(id: u64) -> String {
    format!("{}x{}x{}", id >> 40, (id >> 16) & 0xFF_FFFF, id & 0xFFFF)
}

/// A short channel id from `AxBxC` or LND's numeric form.
pub fn parse_scid(text: &str) -> Option<u64> {
    let t = text.trim();
    if let Ok(n) = t.parse::<u64>() {
        return Some(n);
    }
    let parts: Vec<u64> = t
        .split('x')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    match parts[..] {
        [b, tx, o] if b < (1 << 24) && tx < (1 << 24) && o < (1 << 16) => {
            Some((b << 40) | (tx << 16) | o)
        }
        _ => None,
    }
}

/// Parses a 33-byte compressed public key from hex (66 characters, starting
/// 02 or 03); None otherwise.
pub fn pubkey_from_hex(s: &str) -> Option<Pubkey> {
    let s = s.trim();
    if s.len() != 66 || !s.is_ascii() {
        return None;
    }
    let mut out = [0u8; 33];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
    }
    matches!(out[0], 2 | 3).then_some(out)
}

/// One direction's forwarding policy, as the sending node announced it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Base fee, msat.
    pub base_fee_msat: u32,
    /// Proportional fee, parts per million.
    pub fee_ppm: u32,
    /// CLTV delta the node adds, blocks.
    pub cltv_delta: u16,
    /// Smallest HTLC forwarded, msat.
    pub htlc_min_msat: u64,
    /// Largest HTLC forwarded, msat.
    pub htlc_max_msat: u64,
    /// Disabled by its node.
    pub disabled: bool,
    /// Unix seconds of the update.
    pub last_update: u32,
    /// Inbound fee base, msat, for HTLCs *arriving* at this node over this
    /// channel (LND 0.18+; negative: a discount).
    pub inbound_base_msat: i32,
    /// Inbound fee rate, parts per million (negative: a discount).
    pub inbound_fee_ppm: i32,
}

impl Policy {
    /// The fee for forwarding `amt_msat`, exactly as LND computes it:
    /// `base + amt * ppm / 1_000_000`, integer division, in msat. Saturates
    /// at `u64::MAX` (no amount that large can be carried: the router refuses
    /// it when it adds the fee with checked arithmetic).
    #[inline]
    pub fn fee_msat(&self, amt_msat: u64) -> u64 {
        let proportional = u128::from(amt_msat) * u128::from(self.fee_ppm) / 1_000_000;
        u64::try_from(proportional)
            .unwrap_or(u64::MAX)
            .saturating_add(u64::from(self.base_fee_msat))
    }

    /// The inbound fee this node charges for an HTLC that arrives over this
    /// channel, on `amt_msat` = what it forwards plus its outbound fee, as
    /// LND computes it: `base + amt·rate/10⁶`, the rate capped at ±10⁷ ppm,
    /// integer division towards zero (a discount is rounded towards zero,
    /// never in the payer's favour). May be negative. The node's total fee is
    /// `max(0, outbound + inbound)`.
    #[inline]
    pub fn inbound_fee_msat(&self, amt_msat: u64) -> i64 {
        const MAX_RATE: i64 = 10 * 1_000_000;
        let rate = i64::from(self.inbound_fee_ppm).clamp(-MAX_RATE, MAX_RATE);
        let amt = i128::from(amt_msat);
        let proportional = i128::from(rate) * amt / 1_000_000;
        let total = i128::from(self.inbound_base_msat) + proportional;
        i64::try_from(total).unwrap_or(if total < 0 { i64::MIN } else { i64::MAX })
    }

    /// Whether this policy carries an inbound fee.
    #[inline]
    pub fn has_inbound_fee(&self) -> bool {
        self.inbound_base_msat != 0 || self.inbound_fee_ppm != 0
    }
}

/// What a forwarding node charges in all, as LND's links check it: its
/// outbound fee on the outgoing channel plus its inbound fee (from its own
/// policy on the incoming channel, `inbound`), never below zero.
#[inline]
pub fn node_fee_msat(outbound_fee_msat: u64, forward_msat: u64, inbound: Option<&Policy>) -> u64 {
    match inbound {
        Some(p) if p.has_inbound_fee() => {
            let inb = p.inbound_fee_msat(forward_msat.saturating_add(outbound_fee_msat));
            let total = (i128::from(outbound_fee_msat) + i128::from(inb)).max(0);
            u64::try_from(total).unwrap_or(u64::MAX)
        }
        _ => outbound_fee_msat,
    }
}

/// A channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Channel {
    /// Short channel id (block << 40 | tx << 16 | output).
    pub scid: u64,
    /// The node with the smaller key.
    pub node1: NodeIdx,
    /// The other node.
    pub node2: NodeIdx,
    /// Capacity, sats.
    pub capacity_sat: u64,
    /// Still open.
    pub alive: bool,
}

impl Channel {
    /// The block the funding transaction confirmed in (from the scid).
    pub fn block_height(&self) -> u32 {
        (self.scid >> 40) as u32
    }
}

/// A channel as read from a source (LND, a file, the generator).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelSpec {
    /// Short channel id.
    pub scid: u64,
    /// One end.
    pub node1: Pubkey,
    /// The other end.
    pub node2: Pubkey,
    /// Capacity, sats.
    pub capacity_sat: u64,
    /// node1's policy (edge node1 → node2).
    pub policy1: Option<Policy>,
    /// node2's policy (edge node2 → node1).
    pub policy2: Option<Policy>,
}

/// An incremental change, as LND's graph stream reports them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GraphUpdate {
    /// A channel's policy in one direction (adds the channel if new).
    Policy {
        /// The channel.
        scid: u64,
        /// The node that announced the policy.
        advertising: Pubkey,
        /// The other end.
        connecting: Pubkey,
        /// Capacity, sats.
        capacity_sat: u64,
        /// The new policy.
        policy: Policy,
    },
    /// A channel closed.
    Closed {
        /// The channel.
        scid: u64,
    },
    /// A node's announcement.
    Node {
        /// The node.
        pubkey: Pubkey,
        /// Its alias.
        alias: String,
    },
}

/// The graph.
#[derive(Debug, Default, Clone)]
pub struct Graph {
    pubkeys: Vec<Pubkey>,
    aliases: Vec<Option<Box<str>>>,
    node_index: HashMap<Pubkey, NodeIdx>,
    channels: Vec<Channel>,
    policies: Vec<Option<Policy>>,
    scid_index: HashMap<u64, u32>,
    in_start: Vec<u32>,
    in_edges: Vec<EdgeIdx>,
    overflow: HashMap<NodeIdx, Vec<EdgeIdx>>,
    overflow_len: usize,
    dead: usize,
    /// Per node: whether any of its policies carries an inbound fee (set,
    /// never cleared), so the router skips the lookup for the other nodes.
    inbound: Vec<bool>,
    /// Per channel: whether another channel joins the same two nodes (set
    /// on rebuild and when a channel is added; closes leave it set).
    parallel: Vec<bool>,
}

impl Graph {
    /// An empty graph.
    pub fn new() -> Graph {
        Graph::default()
    }

    /// Builds the graph from channels (duplicated scids: the last wins).
    pub fn from_channels(specs: impl IntoIterator<Item = ChannelSpec>) -> Graph {
        let specs = specs.into_iter();
        let mut g = Graph::new();
        let (lo, _) = specs.size_hint();
        g.channels.reserve(lo);
        g.policies.reserve(lo * 2);
        g.scid_index.reserve(lo);
        for s in specs {
            let a = g.intern(&s.node1);
            let b = g.intern(&s.node2);
            if a == b {
                continue;
            }
            let (n1, n2, p1, p2) = if s.node1 <= s.node2 {
                (a, b, s.policy1, s.policy2)
            } else {
                (b, a, s.policy2, s.policy1)
            };
            let ch = Channel {
                scid: s.scid,
                node1: n1,
                node2: n2,
                capacity_sat: s.capacity_sat,
                alive: true,
            };
            match g.scid_index.get(&s.scid) {
                Some(&c) => {
                    g.channels[c as usize] = ch;
                    g.policies[2 * c as usize] = p1;
                    g.policies[2 * c as usize + 1] = p2;
                }
                None => {
                    let c = g.channels.len() as u32;
                    g.channels.push(ch);
                    g.policies.push(p1);
                    g.policies.push(p2);
                    g.scid_index.insert(s.scid, c);
                }
            }
        }
        for e in 0..g.policies.len() as EdgeIdx {
            g.note_inbound(e);
        }
        g.rebuild_index();
        g
    }

    fn note_inbound(&mut self, e: EdgeIdx) {
        if self.policies[e as usize].is_some_and(|p| p.has_inbound_fee()) {
            let from = self.edge_from(e) as usize;
            self.inbound[from] = true;
        }
    }

    /// Whether any of `n`'s policies carries an inbound fee (once one did).
    #[inline]
    pub fn has_inbound_fees(&self, n: NodeIdx) -> bool {
        self.inbound.get(n as usize).copied().unwrap_or(false)
    }

    fn intern(&mut self, pk: &Pubkey) -> NodeIdx {
        if let Some(&i) = self.node_index.get(pk) {
            return i;
        }
        let i = self.pubkeys.len() as NodeIdx;
        self.pubkeys.push(*pk);
        self.aliases.push(None);
        self.inbound.push(false);
        self.node_index.insert(*pk, i);
        i
    }

    /// Rebuilds the flat incoming-edge arrays (drops dead channels' edges
    /// and folds in the overflow lists). O(channels).
    pub fn rebuild_index(&mut self) {
        let n = self.pubkeys.len();
        let mut count = vec![0u32; n + 1];
        for ch in self.channels.iter().filter(|c| c.alive) {
            count[ch.node1 as usize] += 1;
            count[ch.node2 as usize] += 1;
        }
        let mut start = Vec::with_capacity(n + 1);
        let mut acc = 0u32;
        for c in &count[..n] {
            start.push(acc);
            acc += c;
        }
        start.push(acc);
        let mut fill = start.clone();
        let mut edges = vec![0u32; acc as usize];
        for (c, ch) in self.channels.iter().enumerate().filter(|(_, c)| c.alive) {
            let c = c as u32;
            // Edge 2c goes node1 → node2: it arrives at node2.
            edges[fill[ch.node2 as usize] as usize] = 2 * c;
            fill[ch.node2 as usize] += 1;
            edges[fill[ch.node1 as usize] as usize] = 2 * c + 1;
            fill[ch.node1 as usize] += 1;
        }
        self.in_start = start;
        self.in_edges = edges;
        self.overflow.clear();
        self.overflow_len = 0;
        self.dead = 0;
        self.mark_parallel();
    }

    /// Marks the live channels that share both ends with another one: per
    /// node, the channels arriving from each neighbour, sorted. O(E log deg).
    fn mark_parallel(&mut self) {
        self.parallel.clear();
        self.parallel.resize(self.channels.len(), false);
        let mut from: Vec<(NodeIdx, u32)> = Vec::new();
        for v in 0..self.pubkeys.len() {
            let (s, e) = (self.in_start[v] as usize, self.in_start[v + 1] as usize);
            from.clear();
            // Each channel once: its edge 2c, which arrives at node2.
            from.extend(
                self.in_edges[s..e]
                    .iter()
                    .filter(|&&edge| edge & 1 == 0)
                    .map(|&edge| (self.channels[(edge >> 1) as usize].node1, edge >> 1)),
            );
            from.sort_unstable();
            for w in from.windows(2) {
                if w[0].0 == w[1].0 {
                    self.parallel[w[0].1 as usize] = true;
                    self.parallel[w[1].1 as usize] = true;
                }
            }
        }
    }

    /// Whether another channel joins the same two nodes as channel `c`.
    #[inline]
    pub fn has_parallel(&self, c: u32) -> bool {
        self.parallel.get(c as usize).copied().unwrap_or(false)
    }

    /// Folds overflow lists and dead edges away when they make up more than
    /// an eighth of the graph (amortised O(1) per update).
    pub fn compact_if_needed(&mut self) {
        if (self.overflow_len + self.dead) * 8 > self.in_edges.len().max(64) {
            self.rebuild_index();
        }
    }

    /// Applies one update in O(1) (amortised for new channels).
    pub fn apply(&mut self, u: &GraphUpdate) {
        match u {
            GraphUpdate::Policy {
                scid,
                advertising,
                connecting,
                capacity_sat,
                policy,
            } => {
                let c = match self.scid_index.get(scid) {
                    Some(&c) => c,
                    None => self.add_channel(*scid, advertising, connecting, *capacity_sat),
                };
                let ch = self.channels[c as usize];
                let from = self.node_index.get(advertising).copied();
                let dir = if from == Some(ch.node1) { 0 } else { 1 };
                self.policies[(2 * c + dir) as usize] = Some(*policy);
                self.note_inbound(2 * c + dir);
            }
            GraphUpdate::Closed { scid } => {
                if let Some(&c) = self.scid_index.get(scid) {
                    let ch = &mut self.channels[c as usize];
                    if ch.alive {
                        ch.alive = false;
                        self.dead += 2;
                    }
                }
            }
            GraphUpdate::Node { pubkey, alias } => {
                let i = self.intern(pubkey);
                if self.in_start.len() < self.pubkeys.len() + 1 {
                    let last = self.in_start.last().copied().unwrap_or(0);
                    self.in_start.push(last);
                }
                self.aliases[i as usize] = Some(alias.clone().into_boxed_str());
            }
        }
    }

    fn add_channel(&mut self, scid: u64, a: &Pubkey, b: &Pubkey, capacity_sat: u64) -> u32 {
        let ia = self.intern(a);
        let ib = self.intern(b);
        while self.in_start.len() < self.pubkeys.len() + 1 {
            let last = self.in_start.last().copied().unwrap_or(0);
            self.in_start.push(last);
        }
        let (n1, n2) = if a <= b { (ia, ib) } else { (ib, ia) };
        let c = self.channels.len() as u32;
        self.channels.push(Channel {
            scid,
            node1: n1,
            node2: n2,
            capacity_sat,
            alive: true,
        });
        self.policies.push(None);
        self.policies.push(None);
        self.scid_index.insert(scid, c);
        self.parallel.push(false);
        let siblings: Vec<u32> = self
            .incoming(n2)
            .filter(|&e| e & 1 == 0 && self.channels[(e >> 1) as usize].node1 == n1)
            .map(|e| e >> 1)
            .filter(|&other| self.channels[other as usize].alive)
            .collect();
        for other in siblings {
            self.parallel[other as usize] = true;
            self.parallel[c as usize] = true;
        }
        self.overflow.entry(n2).or_default().push(2 * c);
        self.overflow.entry(n1).or_default().push(2 * c + 1);
        self.overflow_len += 2;
        c
    }

    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.pubkeys.len()
    }

    /// Number of channels still open.
    pub fn channel_count(&self) -> usize {
        self.channels.iter().filter(|c| c.alive).count()
    }

    /// A node's key.
    pub fn pubkey(&self, n: NodeIdx) -> &Pubkey {
        &self.pubkeys[n as usize]
    }

    /// A node's alias, if announced.
    pub fn alias(&self, n: NodeIdx) -> Option<&str> {
        self.aliases.get(n as usize).and_then(|a| a.as_deref())
    }

    /// A node's number.
    pub fn node(&self, pk: &Pubkey) -> Option<NodeIdx> {
        self.node_index.get(pk).copied()
    }

    /// A channel's number by scid.
    pub fn channel_by_scid(&self, scid: u64) -> Option<u32> {
        self.scid_index.get(&scid).copied()
    }

    /// A channel.
    pub fn channel(&self, c: u32) -> &Channel {
        &self.channels[c as usize]
    }

    /// The channel an edge belongs to.
    #[inline]
    pub fn edge_channel(&self, e: EdgeIdx) -> &Channel {
        &self.channels[(e >> 1) as usize]
    }

    /// The sending node of an edge.
    #[inline]
    pub fn edge_from(&self, e: EdgeIdx) -> NodeIdx {
        let ch = self.edge_channel(e);
        if e & 1 == 0 {
            ch.node1
        } else {
            ch.node2
        }
    }

    /// The receiving node of an edge.
    #[inline]
    pub fn edge_to(&self, e: EdgeIdx) -> NodeIdx {
        let ch = self.edge_channel(e);
        if e & 1 == 0 {
            ch.node2
        } else {
            ch.node1
        }
    }

    /// The sending node's policy for an edge.
    #[inline]
    pub fn edge_policy(&self, e: EdgeIdx) -> Option<&Policy> {
        self.policies[e as usize].as_ref()
    }

    /// Edges arriving at `v` (dead ones included; check `alive`).
    #[inline]
    pub fn incoming(&self, v: NodeIdx) -> impl Iterator<Item = EdgeIdx> + '_ {
        let (s, e) = match (
            self.in_start.get(v as usize),
            self.in_start.get(v as usize + 1),
        ) {
            (Some(&s), Some(&e)) => (s as usize, e as usize),
            _ => (0, 0),
        };
        self.in_edges[s..e]
            .iter()
            .copied()
            .chain(self.overflow.get(&v).into_iter().flatten().copied())
    }

    /// Edges leaving `u` (alive ones only).
    pub fn outgoing(&self, u: NodeIdx) -> impl Iterator<Item = EdgeIdx> + '_ {
        // An edge arriving at u from w is channel c; its reverse leaves u.
        self.incoming(u)
            .map(|e| e ^ 1)
            .filter(|&e| self.edge_channel(e).alive)
    }

    /// Bytes of heap the graph holds (capacities, not lengths; hash maps
    /// estimated from their capacity and entry size).
    pub fn heap_bytes(&self) -> usize {
        use std::mem::size_of;
        let map = |cap: usize, entry: usize| cap * (entry + 1);
        self.pubkeys.capacity() * size_of::<Pubkey>()
            + self.aliases.capacity() * size_of::<Option<Box<str>>>()
            + self
                .aliases
                .iter()
                .map(|a| a.as_ref().map_or(0, |s| s.len()))
                .sum::<usize>()
            + map(self.node_index.capacity(), size_of::<(Pubkey, NodeIdx)>())
            + self.channels.capacity() * size_of::<Channel>()
            + self.policies.capacity() * size_of::<Option<Policy>>()
            + map(self.scid_index.capacity(), size_of::<(u64, u32)>())
            + self.in_start.capacity() * 4
            + self.in_edges.capacity() * 4
            + self.inbound.capacity()
            + self.parallel.capacity()
            + self
                .overflow
                .values()
                .map(|v| v.capacity() * 4 + 32)
                .sum::<usize>()
    }

    /// Every channel as a spec (for exporting or rebuilding elsewhere).
    pub fn specs(&self) -> impl Iterator<Item = ChannelSpec> + '_ {
        self.channels
            .iter()
            .enumerate()
            .filter(|(_, c)| c.alive)
            .map(|(i, c)| ChannelSpec {
                scid: c.scid,
                node1: self.pubkeys[c.node1 as usize],
                node2: self.pubkeys[c.node2 as usize],
                capacity_sat: c.capacity_sat,
                policy1: self.policies[2 * i],
                policy2: self.policies[2 * i + 1],
            })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn scids_read_and_print_both_ways() {
        assert_eq!(scid_string((447u64 << 40) | (1 << 16)), "447x1x0");
        assert_eq!(scid_string(0), "0x0x0");
        let id = (447u64 << 40) | (1 << 16) | 2;
        assert_eq!(parse_scid("447x1x2"), Some(id));
        assert_eq!(parse_scid(&id.to_string()), Some(id));
        assert_eq!(parse_scid(&scid_string(id)), Some(id));
        assert_eq!(parse_scid("16777216x0x0"), None);
        assert_eq!(parse_scid("1x2"), None);
        assert_eq!(parse_scid("ax1x2"), None);
    }

    pub(crate) fn pk(i: u8) -> Pubkey {
        let mut k = [0u8; 33];
        k[0] = 2;
        k[32] = i;
        k
    }

    fn pol(base: u32, ppm: u32) -> Policy {
        Policy {
            base_fee_msat: base,
            fee_ppm: ppm,
            cltv_delta: 40,
            htlc_min_msat: 1,
            htlc_max_msat: 1_000_000_000,
            disabled: false,
            last_update: 0,
            inbound_base_msat: 0,
            inbound_fee_ppm: 0,
        }
    }

    #[test]
    fn fees_round_down_like_lnd() {
        let p = pol(1000, 1);
        assert_eq!(p.fee_msat(999_999), 1000);
        assert_eq!(p.fee_msat(1_000_000), 1001);
        assert_eq!(pol(0, 2500).fee_msat(1_000_000_000_000), 2_500_000_000);
    }

    #[test]
    fn edges_point_the_right_way_and_updates_are_incremental() {
        let mut g = Graph::from_channels([
            ChannelSpec {
                scid: 1,
                node1: pk(2),
                node2: pk(1),
                capacity_sat: 100,
                policy1: Some(pol(2, 0)),
                policy2: Some(pol(1, 0)),
            },
            ChannelSpec {
                scid: 2,
                node1: pk(2),
                node2: pk(3),
                capacity_sat: 100,
                policy1: Some(pol(22, 0)),
                policy2: None,
            },
        ]);
        let a = g.node(&pk(1)).unwrap();
        let b = g.node(&pk(2)).unwrap();
        // Edge a → b is priced by a (base 1), arrives at b.
        let ab = g.incoming(b).find(|&e| g.edge_from(e) == a).unwrap();
        assert_eq!(g.edge_to(ab), b);
        assert_eq!(g.edge_policy(ab).unwrap().base_fee_msat, 1);
        assert_eq!(g.outgoing(b).count(), 2);

        // Policy change in place.
        g.apply(&GraphUpdate::Policy {
            scid: 1,
            advertising: pk(1),
            connecting: pk(2),
            capacity_sat: 100,
            policy: pol(7, 0),
        });
        assert_eq!(g.edge_policy(ab).unwrap().base_fee_msat, 7);
        // New channel to a new node: reachable at once through the overflow list.
        g.apply(&GraphUpdate::Policy {
            scid: 3,
            advertising: pk(4),
            connecting: pk(1),
            capacity_sat: 50,
            policy: pol(4, 0),
        });
        let d = g.node(&pk(4)).unwrap();
        assert!(g.incoming(a).any(|e| g.edge_from(e) == d));
        assert_eq!(g.channel_count(), 3);
        // Close: dead, skipped by `outgoing`.
        g.apply(&GraphUpdate::Closed { scid: 2 });
        assert_eq!(g.channel_count(), 2);
        assert_eq!(g.outgoing(b).count(), 1);
        g.apply(&GraphUpdate::Node {
            pubkey: pk(4),
            alias: "dave".into(),
        });
        assert_eq!(g.alias(d), Some("dave"));
        // A rebuild keeps everything reachable.
        let before: Vec<_> = {
            let mut v: Vec<_> = g.specs().collect();
            v.sort_by_key(|s| s.scid);
            v
        };
        g.rebuild_index();
        let mut after: Vec<_> = g.specs().collect();
        after.sort_by_key(|s| s.scid);
        assert_eq!(before, after);
        assert!(g.incoming(a).any(|e| g.edge_from(e) == d));
        assert!(g.heap_bytes() > 0);
    }
}
