//! A deterministic, mainnet-like synthetic channel graph for benchmarks.
//!
//! Same seed, same graph, on every machine (our own SplitMix64, not a
//! library RNG whose stream may change between versions).
//!
//! ### Shape and where the numbers come from
//! Approximations of the public Lightning graph as the usual dashboards show
//! it (1ML and mempool.space's Lightning statistics, 2023–2024: ~15k public
//! nodes, ~50–70k channels, mean capacity ~0.08 BTC with a median near 0.02 BTC,
//! a handful of hubs with 2,000–4,000 channels and most nodes with 1–3), and
//! LND's defaults for policies. They were not fetched for this build; the
//! generator's parameters are the record of what was assumed.
//! - **Degrees**: heavy-tailed. Channel ends are drawn with Chung–Lu weights
//!   `w_i = (i + 1)^-0.85` (a Zipf law; every node first gets one channel):
//!   with 15,000 nodes and 60,000 channels (seed 1) the largest hub has
//!   2,996 channels, the next 1,886 and 1,366, the median node 4, and 44% of
//!   nodes have 3 or fewer.
//! - **Capacity**: log-normal, median 2,000,000 sats, σ = 1.4 (mean ~5.3M),
//!   clamped to 20,000 sats–5 BTC; hubs' channels tend to be larger (×1.5 when
//!   both ends are in the top 1%).
//! - **Base fee**: 1,000 msat (LND's default) for 55% of directions, 0 for
//!   35%, otherwise uniform 1–5,000 msat.
//! - **Proportional fee**: 1 ppm (LND's default) for 20%, otherwise
//!   log-normal with median 100 ppm, σ = 1.5, clamped to 0–5,000 ppm.
//! - **CLTV delta**: 40 (30%), 80 (LND's default, 35%), 144 (25%), 18 or 34 (10%).
//! - **HTLC limits**: min 1,000 msat (70%) or 1 msat; max = 99% of capacity
//!   (LND's default) for 80%, otherwise a random 10–100% of capacity.
//! - **Disabled**: 4% of directions; 3% of channels have only one policy.
//! - **Age**: short channel ids from block 500,000 to 870,000.

use super::model::{ChannelSpec, Graph, Policy, Pubkey};
use bitcoin::secp256k1::{PublicKey, Secp256k1, SecretKey};
use std::collections::HashSet;

/// SplitMix64: tiny, fast, and stable forever.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// Seeded.
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [0, n).
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n.max(1))) >> 64) as u64
    }

    /// Standard normal (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let u1 = self.unit().max(f64::MIN_POSITIVE);
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
}

/// Generator settings.
#[derive(Debug, Clone)]
pub struct SynthParams {
    /// Nodes.
    pub nodes: usize,
    /// Channels.
    pub channels: usize,
    /// Seed.
    pub seed: u64,
    /// Zipf exponent of the degree weights.
    pub zipf: f64,
}

impl Default for SynthParams {
    fn default() -> Self {
        SynthParams {
            nodes: 15_000,
            channels: 60_000,
            seed: 1,
            zipf: 0.85,
        }
    }
}

/// Deterministic node keys: the secp256k1 public keys of secret keys
/// `sha256(seed ‖ i)`-like (here: SplitMix64 output), so LDK can use them too.
pub fn node_keys(n: usize, seed: u64) -> Vec<Pubkey> {
    let secp = Secp256k1::signing_only();
    let mut rng = SplitMix64::new(seed ^ 0x6b65_7973);
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let mut sk = [0u8; 32];
        for chunk in sk.chunks_mut(8) {
            chunk.copy_from_slice(&rng.next_u64().to_be_bytes());
        }
        if let Ok(sk) = SecretKey::from_slice(&sk) {
            out.push(PublicKey::from_secret_key(&secp, &sk).serialize());
        }
    }
    out
}

fn lognormal(rng: &mut SplitMix64, median: f64, sigma: f64) -> f64 {
    median * (sigma * rng.normal()).exp()
}

fn policy(rng: &mut SplitMix64, capacity_sat: u64, scid_time: u32) -> Policy {
    let base = match rng.unit() {
        x if x < 0.55 => 1000,
        x if x < 0.90 => 0,
        _ => 1 + rng.below(5000) as u32,
    };
    let ppm = if rng.unit() < 0.2 {
        1
    } else {
        lognormal(rng, 100.0, 1.5).clamp(0.0, 5000.0) as u32
    };
    let cltv = match rng.unit() {
        x if x < 0.30 => 40,
        x if x < 0.65 => 80,
        x if x < 0.90 => 144,
        x if x < 0.95 => 18,
        _ => 34,
    };
    let cap_msat = capacity_sat * 1000;
    let htlc_max = if rng.unit() < 0.8 {
        cap_msat / 100 * 99
    } else {
        (cap_msat as f64 * (0.1 + 0.9 * rng.unit())) as u64
    };
    Policy {
        base_fee_msat: base,
        fee_ppm: ppm,
        cltv_delta: cltv,
        htlc_min_msat: if rng.unit() < 0.7 { 1000 } else { 1 },
        htlc_max_msat: htlc_max.max(1000),
        disabled: rng.unit() < 0.04,
        last_update: scid_time,
        inbound_base_msat: 0,
        inbound_fee_ppm: 0,
    }
}

/// The channels of a synthetic graph (see the module doc).
pub fn channels(p: &SynthParams) -> Vec<ChannelSpec> {
    let keys = node_keys(p.nodes, p.seed);
    let mut rng = SplitMix64::new(p.seed);
    // Cumulative Zipf weights for O(log n) sampling.
    let mut cum = Vec::with_capacity(p.nodes);
    let mut acc = 0.0;
    for i in 0..p.nodes {
        acc += ((i + 1) as f64).powf(-p.zipf);
        cum.push(acc);
    }
    let pick = |rng: &mut SplitMix64| -> usize {
        let x = rng.unit() * acc;
        cum.partition_point(|&c| c < x).min(p.nodes - 1)
    };
    let top = (p.nodes / 100).max(1);
    let mut pairs: HashSet<(usize, usize)> = HashSet::with_capacity(p.channels);
    let mut out = Vec::with_capacity(p.channels);
    // Every node gets at least one channel (to a weighted partner), so the graph is connected-ish.
    let mut order: Vec<usize> = (0..p.nodes).collect();
    order.rotate_left(top.min(p.nodes));
    let mut i = 0usize;
    let mut attempts = 0usize;
    while out.len() < p.channels && attempts < p.channels * 20 {
        attempts += 1;
        let a = if i < order.len() {
            order[i]
        } else {
            pick(&mut rng)
        };
        let b = pick(&mut rng);
        if a == b {
            continue;
        }
        let key = (a.min(b), a.max(b));
        if !pairs.insert(key) {
            continue;
        }
        i += 1;
        let mut cap = lognormal(&mut rng, 2_000_000.0, 1.4).clamp(20_000.0, 500_000_000.0);
        if a < top && b < top {
            cap *= 1.5;
        }
        let capacity_sat = (cap as u64).clamp(20_000, 500_000_000);
        let block = 500_000 + rng.below(370_000) as u32;
        let tx = rng.below(3000);
        let scid = (u64::from(block) << 40) | (tx << 16) | (out.len() as u64 & 0xffff);
        let time = 1_700_000_000 + rng.below(30_000_000) as u32;
        let one_sided = rng.unit() < 0.03;
        let p1 = Some(policy(&mut rng, capacity_sat, time));
        let p2 = if one_sided {
            None
        } else {
            Some(policy(&mut rng, capacity_sat, time))
        };
        out.push(ChannelSpec {
            scid,
            node1: keys[a],
            node2: keys[b],
            capacity_sat,
            policy1: p1,
            policy2: p2,
        });
    }
    out
}

/// A synthetic graph.
pub fn graph(p: &SynthParams) -> Graph {
    Graph::from_channels(channels(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_heavy_tailed() {
        let p = SynthParams {
            nodes: 3000,
            channels: 12_000,
            seed: 7,
            zipf: 0.85,
        };
        let a = channels(&p);
        let b = channels(&p);
        assert_eq!(a, b);
        assert_eq!(a.len(), 12_000);
        let g = Graph::from_channels(a);
        assert_eq!(g.node_count(), 3000);
        let mut degrees: Vec<usize> = (0..g.node_count() as u32)
            .map(|n| g.outgoing(n).count())
            .collect();
        degrees.sort_unstable_by(|x, y| y.cmp(x));
        // A few hubs with far more channels than the median node.
        let median = degrees[degrees.len() / 2];
        assert!(
            degrees[0] > 50 * median,
            "{:?} median {median}",
            &degrees[..5]
        );
        let small = degrees.iter().filter(|&&d| d <= 3).count();
        assert!(
            small * 4 > degrees.len(),
            "a quarter of nodes or more have ≤ 3 channels"
        );
        assert!(degrees.iter().all(|&d| d >= 1));
    }

    #[test]
    fn rng_is_stable() {
        let mut r = SplitMix64::new(0);
        // SplitMix64's reference output for seed 0.
        assert_eq!(r.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(r.next_u64(), 0x6E78_9E6A_A1B9_65F4);
    }
}
