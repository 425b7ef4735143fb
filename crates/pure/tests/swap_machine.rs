//! The swap state machine against a simulated world: a chain (blocks,
//! outputs at the lockup address, spends, confirmations), a provider that
//! is honest or not (never pays, never locks, locks less, refuses to sign,
//! answers late) and the wallet's own actions carried out as the engine
//! would. Events come from four sources — the chain (in order, as a chain
//! reports them), the provider, the Lightning node and our own actions —
//! interleaved at random. Properties:
//! - no backward move (phase and HTLC only go forward), final is final;
//! - replaying the event log gives the same state;
//! - every run ends final, and no funds are unaccounted: a submarine swap's
//!   outputs go to the provider only if it paid us, and all others come back
//!   to us; a reverse swap's payment settles only if we claimed the lockup,
//!   and a failed one never revealed the preimage to a provider that could
//!   still take both sides;
//! - the machine never asks for a script-path refund before the time lock,
//!   nor a claim of less than the agreed amount.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use std::collections::VecDeque;
use switchyard_pure::amount::Sat;
use switchyard_pure::swap::machine::{
    Action, Event, Htlc, Lightning, OurSweep, Outcome, Phase, Spender, SwapState, SweepKind, Terms,
};
use switchyard_pure::swap::tree::SwapKind;

const AMOUNT: u64 = 100_000;
const START: u32 = 1_000;
const MARGIN: u32 = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Provider {
    Honest,
    /// Submarine: never pays the invoice. Reverse: never locks.
    NeverDelivers,
    /// Reverse: locks less than agreed.
    LocksLess,
    /// Refuses every cooperative signature.
    RefusesCoop,
    /// Submarine: pays, but claims its output only after the time lock.
    /// Reverse: locks just before the time lock.
    Late,
}

#[derive(Debug, Clone)]
struct Config {
    kind: SwapKind,
    provider: Provider,
    timeout_delta: u32,
    /// Blocks before the provider acts.
    delay: u32,
    /// A second payment to a submarine swap's address, after this many
    /// blocks, of this value.
    extra: Option<(u32, u64)>,
    /// Drives the interleaving.
    seed: u64,
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

#[derive(Debug, Clone)]
struct Output {
    outpoint: String,
    value: u64,
    created: u32,
    ours: bool,
    spent: Option<(Spender, u32)>,
}

struct World {
    cfg: Config,
    height: u32,
    timeout: u32,
    outputs: Vec<Output>,
    chain: VecDeque<Event>,
    provider_q: VecDeque<Event>,
    node_q: VecDeque<Event>,
    action_q: VecDeque<Event>,
    funded_at: Option<u32>,
    paid_at: Option<u32>,
    provider_paid_us: bool,
    provider_failed: bool,
    provider_signed_refund: bool,
    provider_locked: bool,
    hold_settled: bool,
    hold_cancelled: bool,
    preimage_public: bool,
    extra_done: bool,
    sweeps: u32,
}

impl World {
    fn new(cfg: Config) -> World {
        World {
            timeout: START + cfg.timeout_delta,
            cfg,
            height: START,
            outputs: Vec::new(),
            chain: VecDeque::new(),
            provider_q: VecDeque::new(),
            node_q: VecDeque::new(),
            action_q: VecDeque::new(),
            funded_at: None,
            paid_at: None,
            provider_paid_us: false,
            provider_failed: false,
            provider_signed_refund: false,
            provider_locked: false,
            hold_settled: false,
            hold_cancelled: false,
            preimage_public: false,
            extra_done: false,
            sweeps: 0,
        }
    }

    fn add_output(&mut self, value: u64, ours: bool) {
        let outpoint = format!("{:064x}:{}", self.outputs.len() + 1, 0);
        self.outputs.push(Output {
            outpoint: outpoint.clone(),
            value,
            created: self.height,
            ours,
            spent: None,
        });
        self.chain.push_back(Event::LockupSeen {
            outpoint,
            value: Sat::from_sat(value),
            confirmations: 0,
        });
    }

    fn spend(&mut self, outpoint: &str, by: Spender) -> bool {
        let h = self.height;
        match self.outputs.iter_mut().find(|o| o.outpoint == outpoint) {
            Some(o) if o.spent.is_none() => {
                o.spent = Some((by, h));
                self.chain.push_back(Event::LockupSpent {
                    outpoint: outpoint.to_string(),
                    by,
                    confirmed: false,
                });
                true
            }
            _ => false,
        }
    }

    fn settle_hold(&mut self) {
        if self.cfg.kind == SwapKind::Reverse && !self.hold_settled && !self.hold_cancelled {
            self.hold_settled = true;
            self.node_q
                .push_back(Event::LightningPaid { preimage_ok: true });
            self.provider_q.push_back(Event::ProviderStatus {
                status: "invoice.settled".into(),
            });
        }
    }

    /// A block is mined: confirmations, then the provider's moves.
    fn mine(&mut self) {
        self.height += 1;
        let h = self.height;
        self.chain.push_back(Event::Height { height: h });
        for o in &self.outputs {
            match o.spent {
                None => self.chain.push_back(Event::LockupSeen {
                    outpoint: o.outpoint.clone(),
                    value: Sat::from_sat(o.value),
                    confirmations: h - o.created,
                }),
                Some((by, at)) if at + 1 == h => self.chain.push_back(Event::LockupSpent {
                    outpoint: o.outpoint.clone(),
                    by,
                    confirmed: true,
                }),
                Some(_) => {}
            }
        }
        match self.cfg.kind {
            SwapKind::Submarine => self.submarine_provider(),
            SwapKind::Reverse => self.reverse_provider(),
        }
        if let (Some(f), Some((after, value))) = (self.funded_at, self.cfg.extra) {
            if !self.extra_done && h >= f + after && h < self.timeout {
                self.extra_done = true;
                self.add_output(value, true);
            }
        }
    }

    fn submarine_provider(&mut self) {
        let h = self.height;
        let Some(f) = self.funded_at else { return };
        let confirmed = self
            .outputs
            .iter()
            .any(|o| o.value == AMOUNT && h > o.created);
        if !confirmed || self.provider_paid_us || self.provider_failed || h < f + self.cfg.delay {
            // An honest provider claims what it was paid for, right after
            // paying (a late one only after the time lock).
            let claims_now = self.cfg.provider != Provider::Late || h >= self.timeout + 3;
            if self.provider_paid_us && claims_now {
                if let Some(o) = self
                    .outputs
                    .iter()
                    .find(|o| o.value == AMOUNT && o.spent.is_none())
                    .map(|o| o.outpoint.clone())
                {
                    if !self
                        .outputs
                        .iter()
                        .any(|o| matches!(o.spent, Some((Spender::ProviderClaim, _))))
                    {
                        self.spend(&o, Spender::ProviderClaim);
                    }
                }
            }
            return;
        }
        let pays = self.cfg.provider != Provider::NeverDelivers
            && !self.provider_signed_refund
            && h + 20 < self.timeout;
        if pays {
            self.provider_paid_us = true;
            self.node_q
                .push_back(Event::LightningPaid { preimage_ok: true });
            self.provider_q.push_back(Event::ProviderStatus {
                status: "invoice.paid".into(),
            });
        } else {
            self.provider_failed = true;
            self.provider_q.push_back(Event::ProviderStatus {
                status: "invoice.failedToPay".into(),
            });
        }
    }

    fn reverse_provider(&mut self) {
        let h = self.height;
        let Some(p) = self.paid_at else { return };
        let lock_at = if self.cfg.provider == Provider::Late {
            self.timeout.saturating_sub(1 + self.cfg.delay % 8)
        } else {
            p + self.cfg.delay
        };
        if !self.provider_locked
            && self.cfg.provider != Provider::NeverDelivers
            && h >= lock_at
            && (h + 10 < self.timeout || self.cfg.provider == Provider::Late)
        {
            self.provider_locked = true;
            let value = if self.cfg.provider == Provider::LocksLess {
                AMOUNT - 1
            } else {
                AMOUNT
            };
            self.add_output(value, false);
            self.provider_q.push_back(Event::ProviderStatus {
                status: "transaction.mempool".into(),
            });
        }
        // The preimage is public (our claim in the mempool): settle.
        if self.preimage_public {
            self.settle_hold();
        }
        // A late provider is also a thief: at the time lock it races our
        // claim if still unconfirmed (a miner takes its higher-fee refund),
        // having settled the invoice with the preimage our claim showed.
        if h >= self.timeout && self.cfg.provider == Provider::Late {
            let racing: Vec<String> = self
                .outputs
                .iter()
                .filter(|o| matches!(o.spent, Some((Spender::OurClaim, at)) if at + 1 >= h))
                .map(|o| o.outpoint.clone())
                .collect();
            for o in racing {
                if let Some(x) = self.outputs.iter_mut().find(|x| x.outpoint == o) {
                    x.spent = None;
                }
                self.spend(&o, Spender::ProviderRefund);
            }
        }
        // At the time lock: refund what is still locked, cancel the invoice.
        if h >= self.timeout && !self.hold_settled && !self.hold_cancelled {
            let unspent: Vec<String> = self
                .outputs
                .iter()
                .filter(|o| o.spent.is_none())
                .map(|o| o.outpoint.clone())
                .collect();
            for o in unspent {
                self.spend(&o, Spender::ProviderRefund);
            }
            self.hold_cancelled = true;
            self.node_q.push_back(Event::LightningFailed {
                reason: "the hold invoice was cancelled".into(),
            });
            self.provider_q.push_back(Event::ProviderStatus {
                status: "swap.expired".into(),
            });
        }
    }

    /// Carries out an action as the engine would (idempotently).
    fn act(&mut self, a: &Action) {
        match a {
            Action::FundLockup => {
                if self.funded_at.is_none() {
                    self.funded_at = Some(self.height);
                    self.add_output(AMOUNT, true);
                    self.action_q.push_back(Event::LockupBroadcast {
                        txid: "lockup".into(),
                    });
                }
            }
            Action::PayInvoice => {
                if self.paid_at.is_none() {
                    self.paid_at = Some(self.height);
                    self.node_q.push_back(Event::PaymentInFlight);
                }
            }
            Action::Claim {
                cooperative,
                outpoints,
            } => {
                assert_eq!(self.cfg.kind, SwapKind::Reverse);
                let total: u64 = self
                    .outputs
                    .iter()
                    .filter(|o| outpoints.contains(&o.outpoint))
                    .map(|o| o.value)
                    .sum();
                assert!(total >= AMOUNT, "claimed {total} sats, less than agreed");
                if *cooperative {
                    if self.cfg.provider == Provider::RefusesCoop {
                        self.action_q.push_back(Event::CooperationRefused);
                        return;
                    }
                    // Boltz settles its hold invoice before it signs.
                    self.preimage_public = true;
                    self.settle_hold();
                }
                self.preimage_public = true;
                self.broadcast(outpoints, SweepKind::Claim, Spender::OurClaim, *cooperative);
            }
            Action::Refund {
                cooperative,
                outpoints,
            } => {
                assert_eq!(self.cfg.kind, SwapKind::Submarine);
                if *cooperative {
                    let will_sign = self.cfg.provider != Provider::RefusesCoop
                        && self.provider_failed
                        && !self.provider_paid_us;
                    if !will_sign {
                        self.action_q.push_back(Event::CooperationRefused);
                        return;
                    }
                    self.provider_signed_refund = true;
                } else {
                    assert!(
                        self.height >= self.timeout,
                        "script-path refund at {} before the time lock {}",
                        self.height,
                        self.timeout
                    );
                }
                self.broadcast(
                    outpoints,
                    SweepKind::Refund,
                    Spender::OurRefund,
                    *cooperative,
                );
            }
            Action::Rebroadcast { .. } | Action::WarnDeadline { .. } => {}
            Action::BumpFee { .. } => {}
        }
    }

    fn broadcast(&mut self, outpoints: &[String], kind: SweepKind, by: Spender, cooperative: bool) {
        let fresh: Vec<String> = outpoints
            .iter()
            .filter(|o| {
                self.outputs
                    .iter()
                    .any(|x| &&x.outpoint == o && x.spent.is_none())
            })
            .cloned()
            .collect();
        if fresh.is_empty() {
            return; // already out (idempotent) or already spent
        }
        for o in &fresh {
            self.spend(o, by);
        }
        self.sweeps += 1;
        self.action_q.push_back(Event::SweepBroadcast(OurSweep {
            kind,
            txid: format!("sweep{}", self.sweeps),
            spends: fresh,
            broadcast_height: self.height,
            cooperative,
        }));
    }

    fn pop(&mut self, rng: &mut Rng) -> Option<Event> {
        let mut sources: Vec<usize> = Vec::new();
        for (i, q) in [&self.chain, &self.provider_q, &self.node_q, &self.action_q]
            .iter()
            .enumerate()
        {
            if !q.is_empty() {
                sources.push(i);
            }
        }
        if sources.is_empty() {
            return None;
        }
        let pick = sources[(rng.next() % sources.len() as u64) as usize];
        match pick {
            0 => self.chain.pop_front(),
            1 => self.provider_q.pop_front(),
            2 => self.node_q.pop_front(),
            _ => self.action_q.pop_front(),
        }
    }
}

fn terms(kind: SwapKind, timeout: u32) -> Terms {
    Terms {
        kind,
        lockup_amount: Sat::from_sat(AMOUNT),
        timeout_height: timeout,
        min_confirmations: 1,
        reveal_margin: MARGIN,
        warn_blocks: 10,
        bump_after: 3,
        external_funding: false,
    }
}

struct Run {
    state: SwapState,
    log: Vec<Event>,
    world: World,
}

fn run(cfg: Config) -> Run {
    let mut world = World::new(cfg.clone());
    let mut rng = Rng(cfg.seed | 1);
    let start = SwapState::new(terms(cfg.kind, world.timeout), START);
    let mut state = start.clone();
    let mut log = vec![Event::Created];
    let (s, actions) = state.apply(&Event::Created);
    state = s;
    for a in &actions {
        world.act(a);
    }
    for _ in 0..20_000 {
        if state.is_final() {
            break;
        }
        // The engine handles every notification before the next block.
        let event = match world.pop(&mut rng) {
            Some(e) => e,
            None => {
                assert!(world.height < world.timeout + 200, "no end: {state:#?}");
                world.mine();
                continue;
            }
        };
        let (next, actions) = state.apply(&event);
        assert!(next.phase >= state.phase, "phase went back on {event:?}");
        assert!(
            next.htlc.rank() >= state.htlc.rank(),
            "HTLC went back on {event:?}"
        );
        if state.htlc == Htlc::Redeemed {
            assert_ne!(next.htlc, Htlc::Refunded);
        }
        if state.htlc == Htlc::Refunded {
            assert_ne!(next.htlc, Htlc::Redeemed);
        }
        log.push(event);
        state = next;
        for a in &actions {
            world.act(a);
        }
    }
    Run { state, log, world }
}

fn config() -> impl Strategy<Value = Config> {
    (
        prop_oneof![Just(SwapKind::Submarine), Just(SwapKind::Reverse)],
        prop_oneof![
            3 => Just(Provider::Honest),
            1 => Just(Provider::NeverDelivers),
            1 => Just(Provider::LocksLess),
            1 => Just(Provider::RefusesCoop),
            1 => Just(Provider::Late)
        ],
        12u32..80,
        0u32..30,
        proptest::option::weighted(0.3, (0u32..60, 1_000u64..200_000)),
        any::<u64>(),
    )
        .prop_map(
            |(kind, provider, timeout_delta, delay, extra, seed)| Config {
                kind,
                provider,
                timeout_delta,
                delay,
                extra: if kind == SwapKind::Submarine {
                    extra
                } else {
                    None
                },
                seed,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn every_run_ends_final_with_every_sat_accounted_for(cfg in config()) {
        let Run { state, log, world } = run(cfg.clone());
        prop_assert!(state.is_final(), "not final: {state:#?}");
        prop_assert_eq!(state.htlc, Htlc::Settled);
        prop_assert_eq!(state.phase, Phase::Settle);

        // Replaying the log from the start gives the same state.
        let replayed = SwapState::replay(SwapState::new(terms(cfg.kind, world.timeout), START), &log);
        prop_assert_eq!(&replayed, &state);

        // Final is final: any further event changes nothing.
        for e in [
            Event::Height { height: world.height + 500 },
            Event::LightningFailed { reason: "late".into() },
            Event::LockupSeen { outpoint: "late:0".into(), value: Sat::from_sat(5), confirmations: 0 },
            Event::CooperationRefused,
        ] {
            let (after, actions) = state.apply(&e);
            prop_assert_eq!(&after, &state);
            prop_assert!(actions.is_empty());
        }

        let spent_by = |who: Spender| -> u64 {
            world.outputs.iter().filter(|o| matches!(o.spent, Some((w, _)) if w == who)).map(|o| o.value).sum()
        };
        match cfg.kind {
            SwapKind::Submarine => {
                let funded: u64 = world.outputs.iter().filter(|o| o.ours).map(|o| o.value).sum();
                let unspent: Vec<&Output> = world.outputs.iter().filter(|o| o.spent.is_none()).collect();
                if world.provider_paid_us {
                    // The provider took (or may still take) exactly what it
                    // paid for; the rest came back.
                    let owed_left: u64 = unspent.iter().map(|o| o.value).sum();
                    prop_assert!(unspent.len() <= 1, "outputs left behind: {unspent:?}");
                    prop_assert_eq!(spent_by(Spender::ProviderClaim) + owed_left, AMOUNT);
                    prop_assert_eq!(spent_by(Spender::OurRefund), funded - AMOUNT);
                    prop_assert_eq!(state.outcome.clone(), Some(Outcome::Succeeded));
                    prop_assert_eq!(state.lightning, Lightning::Paid);
                } else {
                    prop_assert!(unspent.is_empty(), "outputs left behind: {unspent:?}");
                    prop_assert_eq!(spent_by(Spender::ProviderClaim), 0);
                    prop_assert_eq!(spent_by(Spender::OurRefund), funded);
                    prop_assert_eq!(state.outcome.clone(), Some(Outcome::Refunded));
                }
            }
            SwapKind::Reverse => {
                let claimed = spent_by(Spender::OurClaim);
                if world.hold_settled {
                    // Paid over Lightning ⇒ we hold the lockup.
                    prop_assert!(claimed >= AMOUNT, "paid but claimed {claimed}");
                    prop_assert_eq!(state.outcome.clone(), Some(Outcome::Succeeded));
                } else {
                    prop_assert!(world.hold_cancelled);
                    prop_assert_eq!(claimed, 0);
                    prop_assert!(!world.preimage_public, "the preimage leaked on a failed swap");
                    prop_assert!(matches!(state.outcome, Some(Outcome::Failed(_))));
                }
                match cfg.provider {
                    Provider::NeverDelivers | Provider::LocksLess => {
                        prop_assert!(!world.hold_settled, "a dishonest provider got paid");
                    }
                    _ => {}
                }
            }
        }
    }
}

#[test]
fn a_provider_status_alone_never_moves_funds() {
    // "transaction.claimed" from a provider that did nothing: no action,
    // no outcome; the status is kept apart.
    let s = SwapState::new(terms(SwapKind::Reverse, START + 100), START);
    let (s, _) = s.apply(&Event::Created);
    let (s, _) = s.apply(&Event::PaymentInFlight);
    for status in [
        "transaction.confirmed",
        "invoice.settled",
        "transaction.claimed",
    ] {
        let (next, actions) = s.apply(&Event::ProviderStatus {
            status: status.into(),
        });
        assert!(actions.is_empty(), "{status} → {actions:?}");
        assert_eq!(next.htlc, Htlc::Created);
        assert_eq!(next.outcome, None);
        assert_eq!(next.provider_status.as_deref(), Some(status));
    }
}

#[test]
fn a_reverse_lockup_too_close_to_the_time_lock_is_not_claimed() {
    let timeout = START + 20;
    let s = SwapState::new(terms(SwapKind::Reverse, timeout), START);
    let (s, _) = s.apply(&Event::Created);
    let (s, _) = s.apply(&Event::PaymentInFlight);
    let (s, _) = s.apply(&Event::Height {
        height: timeout - MARGIN,
    });
    let (s, actions) = s.apply(&Event::LockupSeen {
        outpoint: "a:0".into(),
        value: Sat::from_sat(AMOUNT),
        confirmations: 3,
    });
    assert!(
        actions.iter().all(|a| !matches!(a, Action::Claim { .. })),
        "{actions:?}"
    );
    assert!(s.refused.as_deref().unwrap_or("").contains("time lock"));
    // One block earlier it would have claimed.
    let s = SwapState::new(terms(SwapKind::Reverse, timeout), START);
    let (s, _) = s.apply(&Event::Created);
    let (s, _) = s.apply(&Event::PaymentInFlight);
    let (s, _) = s.apply(&Event::Height {
        height: timeout - MARGIN - 1,
    });
    let (_, actions) = s.apply(&Event::LockupSeen {
        outpoint: "a:0".into(),
        value: Sat::from_sat(AMOUNT),
        confirmations: 3,
    });
    assert_eq!(
        actions,
        vec![Action::Claim {
            cooperative: true,
            outpoints: vec!["a:0".into()]
        }]
    );
}

#[test]
fn a_stored_sweep_is_rebroadcast_then_bumped_never_rebuilt() {
    let s = SwapState::new(terms(SwapKind::Submarine, START + 10), START);
    let (s, _) = s.apply(&Event::Created);
    let (s, _) = s.apply(&Event::LockupSeen {
        outpoint: "a:0".into(),
        value: Sat::from_sat(AMOUNT),
        confirmations: 1,
    });
    let (s, actions) = s.apply(&Event::Height { height: START + 10 });
    assert_eq!(
        actions.first(),
        Some(&Action::Refund {
            cooperative: false,
            outpoints: vec!["a:0".into()]
        })
    );
    let (mut s, _) = s.apply(&Event::SweepBroadcast(OurSweep {
        kind: SweepKind::Refund,
        txid: "r1".into(),
        spends: vec!["a:0".into()],
        broadcast_height: START + 10,
        cooperative: false,
    }));
    let mut seen = Vec::new();
    for h in START + 11..START + 17 {
        let (n, actions) = s.apply(&Event::Height { height: h });
        seen.extend(actions);
        s = n;
    }
    let rebroadcasts = seen
        .iter()
        .filter(|a| **a == Action::Rebroadcast { txid: "r1".into() })
        .count();
    let bumps = seen
        .iter()
        .filter(|a| **a == Action::BumpFee { txid: "r1".into() })
        .count();
    assert_eq!((rebroadcasts, bumps), (4, 2), "{seen:?}");
    assert!(!seen.iter().any(|a| matches!(a, Action::Refund { .. })));
}

#[test]
fn a_rejected_create_ends_the_swap_before_anything_moves() {
    let s = SwapState::new(terms(SwapKind::Submarine, START + 100), START);
    let (s, actions) = s.apply(&Event::Rejected {
        reason: "the lockup address is not the tree's".into(),
    });
    assert!(actions.is_empty());
    assert!(s.is_final());
    assert_eq!(
        s.outcome,
        Some(Outcome::Failed(
            "the lockup address is not the tree's".into()
        ))
    );
    // After creation a rejection means nothing (the provider's answer was
    // checked before `Created`).
    let s = SwapState::new(terms(SwapKind::Reverse, START + 100), START);
    let (s, _) = s.apply(&Event::Created);
    let (s, _) = s.apply(&Event::Rejected {
        reason: "late".into(),
    });
    assert!(!s.is_final());
    assert_eq!(s.refused, None);
}

#[test]
fn resuming_repeats_only_the_unrecorded_first_step() {
    let s = SwapState::new(terms(SwapKind::Submarine, START + 100), START);
    assert!(s.resume().is_empty(), "nothing before the swap exists");
    let (s, actions) = s.apply(&Event::Created);
    assert_eq!(actions, vec![Action::FundLockup]);
    assert_eq!(s.resume(), vec![Action::FundLockup]);
    let (s, _) = s.apply(&Event::LockupBroadcast { txid: "t".into() });
    assert!(s.resume().is_empty());
    let r = SwapState::new(terms(SwapKind::Reverse, START + 100), START);
    let (r, _) = r.apply(&Event::Created);
    assert_eq!(r.resume(), vec![Action::PayInvoice]);
    let (r, _) = r.apply(&Event::PaymentInFlight);
    assert!(r.resume().is_empty());
}

#[test]
fn a_swap_in_funded_from_another_wallet_is_never_funded_by_the_node() {
    let mut t = terms(SwapKind::Submarine, START + 100);
    t.external_funding = true;
    let s = SwapState::new(t.clone(), START);
    let (s, actions) = s.apply(&Event::Created);
    assert!(actions.is_empty(), "{actions:?}");
    assert!(s.resume().is_empty(), "a restart does not fund it either");
    assert_eq!(s.phase, Phase::Prepare);
    // The user's wallet pays the address: committed, then as any swap in.
    let (s, _) = s.apply(&Event::LockupSeen {
        outpoint: "e:1".into(),
        value: Sat::from_sat(AMOUNT),
        confirmations: 1,
    });
    assert_eq!(s.phase, Phase::Commit);
    let (s, _) = s.apply(&Event::LightningPaid { preimage_ok: true });
    let (s, _) = s.apply(&Event::LockupSpent {
        outpoint: "e:1".into(),
        by: Spender::ProviderClaim,
        confirmed: true,
    });
    let (s, _) = s.apply(&Event::Height {
        height: START + 100,
    });
    assert!(s.is_final());
    assert_eq!(s.outcome, Some(Outcome::Succeeded));

    // Never funded: it ends at the time lock with nothing moved.
    let s = SwapState::new(t, START);
    let (s, _) = s.apply(&Event::Created);
    let (s, actions) = s.apply(&Event::Height {
        height: START + 100,
    });
    assert!(actions.is_empty(), "{actions:?}");
    assert!(s.is_final());
    assert_eq!(
        s.outcome,
        Some(Outcome::Failed("the lockup was never funded".into()))
    );
}

#[test]
fn stored_names_are_serde_names() {
    for p in [
        Phase::Initiate,
        Phase::Prepare,
        Phase::Commit,
        Phase::Settle,
    ] {
        assert_eq!(serde_json::to_value(p).unwrap(), p.name());
    }
    for h in [
        Htlc::Created,
        Htlc::Locked,
        Htlc::Redeemed,
        Htlc::Refunded,
        Htlc::Settled,
    ] {
        assert_eq!(serde_json::to_value(h).unwrap(), h.name());
    }
}
