//! The swap state machine of the wallet's side: `(state, event) → (state,
//! actions)`, pure, deterministic and total (every event in every state has
//! an answer; one that does not apply changes nothing).
//!
//! Two views move forward only:
//! - the **phase** of the protocol: Initiate (quote and create) → Prepare
//!   (the create response is stored; fund the lockup / pay the hold invoice)
//!   → Commit (our side is committed: lockup broadcast / payment in flight)
//!   → Settle (a claim or refund is out, or the swap is decided);
//! - the **HTLC** (the on-chain lockup): Created → Locked → Redeemed |
//!   Refunded → Settled.
//!
//! A terminal state ([`SwapState::is_final`]) is final: no event changes it.
//! The provider's reported status is kept apart ([`SwapState::provider_status`]):
//! it only prompts us (a failure status lets us ask for a cooperative
//! refund); every decision rests on what we checked ourselves — outputs at
//! the address we computed, their amounts, the preimage's hash, the height.
//!
//! The engine persists each event with the state it leads to before it runs
//! the actions; actions are idempotent per swap, so a crash between the two
//! only means they run again.

use super::tree::SwapKind;
use crate::amount::Sat;
use serde::{Deserialize, Serialize};

/// The protocol's phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Quoted and being created with the provider.
    Initiate,
    /// Created and stored; our side is not committed yet.
    Prepare,
    /// Our side is committed (lockup broadcast / payment in flight).
    Commit,
    /// A claim or refund is out, or the outcome is decided.
    Settle,
}

/// The on-chain HTLC's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Htlc {
    /// Not (yet) funded.
    Created,
    /// Funded with the agreed amount at the agreed address.
    Locked,
    /// Spent by the claim path (preimage revealed).
    Redeemed,
    /// Spent by the refund path.
    Refunded,
    /// The spend is confirmed, or the swap ended with nothing locked.
    Settled,
}

impl Phase {
    /// Its name as stored and shown (as serde writes it).
    pub fn name(self) -> &'static str {
        match self {
            Phase::Initiate => "initiate",
            Phase::Prepare => "prepare",
            Phase::Commit => "commit",
            Phase::Settle => "settle",
        }
    }
}

impl Htlc {
    /// Its name as stored and shown (as serde writes it).
    pub fn name(self) -> &'static str {
        match self {
            Htlc::Created => "created",
            Htlc::Locked => "locked",
            Htlc::Redeemed => "redeemed",
            Htlc::Refunded => "refunded",
            Htlc::Settled => "settled",
        }
    }

    /// Created 0 < Locked 1 < Redeemed = Refunded 2 < Settled 3.
    pub fn rank(self) -> u8 {
        match self {
            Htlc::Created => 0,
            Htlc::Locked => 1,
            Htlc::Redeemed | Htlc::Refunded => 2,
            Htlc::Settled => 3,
        }
    }
}

/// How a swap ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "reason")]
pub enum Outcome {
    /// Both legs completed.
    Succeeded,
    /// The on-chain funds came back to us (submarine).
    Refunded,
    /// Nothing moved: the Lightning payment failed back, or we never funded.
    Failed(String),
}

/// Who spent an output at the lockup address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Spender {
    /// Our claim (reverse).
    OurClaim,
    /// Our refund (submarine).
    OurRefund,
    /// The provider's claim (submarine) — it revealed the preimage.
    ProviderClaim,
    /// The provider's refund (reverse, after the time lock).
    ProviderRefund,
}

/// An output paid to the lockup address, as we saw it on chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockupOutput {
    /// `txid:vout`.
    pub outpoint: String,
    /// Its value.
    pub value: Sat,
    /// Confirmations when last seen.
    pub confirmations: u32,
    /// Whether a spend is known, by whom, and whether it is confirmed.
    pub spent: Option<(Spender, bool)>,
}

/// Which of our transactions spends the lockup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SweepKind {
    /// A claim with the preimage (reverse).
    Claim,
    /// A refund (submarine).
    Refund,
}

/// Our signed claim or refund, kept to rebroadcast the same bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OurSweep {
    /// Claim or refund.
    pub kind: SweepKind,
    /// Its txid.
    pub txid: String,
    /// The outpoints it spends.
    pub spends: Vec<String>,
    /// The height it was first broadcast at.
    pub broadcast_height: u32,
    /// Whether it went out by the key path.
    pub cooperative: bool,
}

/// The Lightning leg as we see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lightning {
    /// Nothing yet.
    Pending,
    /// Our payment is in flight (reverse: held by the provider).
    InFlight,
    /// Paid (reverse: our payment settled; submarine: our invoice was paid).
    Paid,
    /// Failed back / cancelled / expired.
    Failed,
}

/// What was agreed (from the checked create response); never changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Terms {
    /// Submarine or reverse.
    pub kind: SwapKind,
    /// The amount the lockup must hold: what we send (submarine) or must
    /// receive at least (reverse).
    pub lockup_amount: Sat,
    /// The refund leaf's height.
    pub timeout_height: u32,
    /// Confirmations of the provider's lockup before we reveal the preimage
    /// (reverse).
    pub min_confirmations: u32,
    /// Never reveal the preimage (reverse) within this many blocks of the
    /// time lock.
    pub reveal_margin: u32,
    /// Warn the user this many blocks before the time lock.
    pub warn_blocks: u32,
    /// Bump our claim/refund's fee after this many blocks unconfirmed.
    pub bump_after: u32,
    /// A swap in the user funds from another wallet (a signed PSBT or a
    /// payment to the address): we never fund it from the node's wallet.
    #[serde(default)]
    pub external_funding: bool,
}

/// What happened (from the chain, the node, the provider or our own actions).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "event")]
pub enum Event {
    /// The create response was checked and stored.
    Created,
    /// Our lockup transaction was broadcast (submarine).
    LockupBroadcast {
        /// Its txid.
        txid: String,
    },
    /// Our payment of the hold invoice is in flight (reverse).
    PaymentInFlight,
    /// The Lightning leg completed: our payment settled (reverse) or our
    /// invoice was paid (submarine). `preimage_ok`: the preimage we saw
    /// hashes to the payment hash (checked by the caller).
    LightningPaid {
        /// Whether the preimage hashed to the payment hash.
        preimage_ok: bool,
    },
    /// The Lightning leg failed (payment failed back / invoice cancelled
    /// or expired).
    LightningFailed {
        /// Why, in words.
        reason: String,
    },
    /// An output paid to the lockup address we computed.
    LockupSeen {
        /// `txid:vout`.
        outpoint: String,
        /// Its value.
        value: Sat,
        /// Its confirmations.
        confirmations: u32,
    },
    /// An output at the lockup address was spent.
    LockupSpent {
        /// Which output.
        outpoint: String,
        /// By whom.
        by: Spender,
        /// Whether the spend is confirmed.
        confirmed: bool,
    },
    /// We signed, stored and broadcast a claim or refund.
    SweepBroadcast(OurSweep),
    /// The provider refused to sign cooperatively (or did not answer).
    CooperationRefused,
    /// The provider's status changed (kept apart; a prompt, never trusted).
    ProviderStatus {
        /// Boltz's status name.
        status: String,
    },
    /// The provider refused to create the swap, or its answer failed our
    /// checks: the swap never started (only in the Initiate phase).
    Rejected {
        /// Why, in words.
        reason: String,
    },
    /// A new block.
    Height {
        /// The tip's height.
        height: u32,
    },
}

/// What the engine should do next. Every action is idempotent per swap.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "action")]
pub enum Action {
    /// Send the lockup amount to the lockup address (submarine), once.
    FundLockup,
    /// Pay the provider's hold invoice (reverse), once.
    PayInvoice,
    /// Build, sign, store and broadcast a claim of every unspent lockup
    /// output (reverse).
    Claim {
        /// Ask the provider for the key path first.
        cooperative: bool,
        /// The outputs to sweep (`txid:vout`).
        outpoints: Vec<String>,
    },
    /// The same, refunding (submarine).
    Refund {
        /// Ask the provider first (possible before the time lock).
        cooperative: bool,
        /// The outputs to sweep (`txid:vout`).
        outpoints: Vec<String>,
    },
    /// Broadcast the stored sweep again (same bytes, same txid).
    Rebroadcast {
        /// Which.
        txid: String,
    },
    /// Replace the stored sweep with one paying a higher fee (RBF).
    BumpFee {
        /// The one to replace.
        txid: String,
    },
    /// Tell the user the time lock is near.
    WarnDeadline {
        /// Blocks left until the time lock.
        blocks_left: u32,
    },
}

/// Boltz's failure statuses: the provider says the swap cannot complete.
const FAILURE_STATUSES: [&str; 6] = [
    "invoice.failedToPay",
    "transaction.lockupFailed",
    "swap.expired",
    "invoice.expired",
    "transaction.failed",
    "transaction.refunded",
];

/// One swap's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SwapState {
    /// What was agreed.
    pub terms: Terms,
    /// The protocol phase.
    pub phase: Phase,
    /// The lockup's state.
    pub htlc: Htlc,
    /// The Lightning leg.
    pub lightning: Lightning,
    /// Every output seen at the lockup address.
    pub outputs: Vec<LockupOutput>,
    /// Our stored claim/refund (the latest, after a fee bump).
    pub sweep: Option<OurSweep>,
    /// Whether the provider refused the key path (then only scripts).
    pub cooperation_refused: bool,
    /// The tip height last seen.
    pub height: u32,
    /// The provider's last status (never acted on without our own check).
    pub provider_status: Option<String>,
    /// Why we refused to go on, if we did (e.g. a lockup of the wrong amount).
    pub refused: Option<String>,
    /// Whether the deadline warning went out.
    pub warned: bool,
    /// How it ended, once it did.
    pub outcome: Option<Outcome>,
}

impl SwapState {
    /// A swap about to be created with the provider.
    pub fn new(terms: Terms, height: u32) -> SwapState {
        SwapState {
            terms,
            phase: Phase::Initiate,
            htlc: Htlc::Created,
            lightning: Lightning::Pending,
            outputs: Vec::new(),
            sweep: None,
            cooperation_refused: false,
            height,
            provider_status: None,
            refused: None,
            warned: false,
            outcome: None,
        }
    }

    /// Terminal: nothing changes it any more.
    pub fn is_final(&self) -> bool {
        self.outcome.is_some() && self.htlc == Htlc::Settled
    }

    /// Blocks until the refund path opens (0 once it has).
    pub fn blocks_left(&self) -> u32 {
        self.terms.timeout_height.saturating_sub(self.height)
    }

    /// The sum of the outputs seen at the lockup address.
    pub fn locked_total(&self) -> Option<Sat> {
        self.outputs
            .iter()
            .try_fold(Sat::ZERO, |a, o| a.checked_add(o.value))
    }

    fn unspent(&self) -> impl Iterator<Item = &LockupOutput> {
        self.outputs.iter().filter(|o| o.spent.is_none())
    }

    fn provider_failed(&self) -> bool {
        self.provider_status
            .as_deref()
            .is_some_and(|s| FAILURE_STATUSES.contains(&s))
    }

    /// Applies `event`: the new state and what to do.
    pub fn apply(&self, event: &Event) -> (SwapState, Vec<Action>) {
        if self.is_final() {
            return (self.clone(), Vec::new());
        }
        let mut s = self.clone();
        s.record(event);
        let actions = s.decide(event);
        s.settle();
        (s, actions)
    }

    /// The actions to run again when a swap is resumed after a restart:
    /// the first step of a swap whose outcome was not recorded (funding the
    /// lockup, paying the hold invoice). Both are idempotent (the engine
    /// looks for a lockup or payment already made before it makes one);
    /// every later decision is taken again on the next block.
    pub fn resume(&self) -> Vec<Action> {
        if self.is_final() || self.phase != Phase::Prepare {
            return Vec::new();
        }
        match self.terms.kind {
            SwapKind::Submarine if self.outputs.is_empty() && !self.terms.external_funding => {
                vec![Action::FundLockup]
            }
            SwapKind::Reverse if self.lightning == Lightning::Pending => vec![Action::PayInvoice],
            _ => Vec::new(),
        }
    }

    /// Folds an event log from a starting state (what resuming does).
    pub fn replay<'a>(start: SwapState, events: impl IntoIterator<Item = &'a Event>) -> SwapState {
        events.into_iter().fold(start, |s, e| s.apply(e).0)
    }

    fn advance(&mut self, phase: Phase) {
        self.phase = self.phase.max(phase);
    }

    fn set_htlc(&mut self, htlc: Htlc) {
        if htlc.rank() > self.htlc.rank() {
            self.htlc = htlc;
        }
    }

    /// Facts only: what the event tells, with no decision.
    fn record(&mut self, event: &Event) {
        match event {
            Event::Created => self.advance(Phase::Prepare),
            Event::LockupBroadcast { .. } if self.terms.kind == SwapKind::Submarine => {
                self.advance(Phase::Commit)
            }
            Event::PaymentInFlight if self.terms.kind == SwapKind::Reverse => {
                if self.lightning == Lightning::Pending {
                    self.lightning = Lightning::InFlight;
                }
                self.advance(Phase::Commit);
            }
            Event::LightningPaid { preimage_ok: true } => {
                if self.lightning != Lightning::Failed {
                    self.lightning = Lightning::Paid;
                }
            }
            Event::LightningPaid { preimage_ok: false } => {
                self.refused
                    .get_or_insert_with(|| "the preimage does not hash to the payment hash".into());
            }
            Event::LightningFailed { .. } => {
                if self.lightning != Lightning::Paid {
                    self.lightning = Lightning::Failed;
                }
            }
            Event::LockupSeen {
                outpoint,
                value,
                confirmations,
            } => {
                // Funds at the address are committed, whoever sent them (a
                // swap in funded from another wallet gets here without a
                // broadcast of ours).
                if self.terms.kind == SwapKind::Submarine && self.phase == Phase::Prepare {
                    self.advance(Phase::Commit);
                }
                match self.outputs.iter_mut().find(|o| &o.outpoint == outpoint) {
                    Some(o) => o.confirmations = o.confirmations.max(*confirmations),
                    None => self.outputs.push(LockupOutput {
                        outpoint: outpoint.clone(),
                        value: *value,
                        confirmations: *confirmations,
                        spent: None,
                    }),
                }
            }
            Event::LockupSpent {
                outpoint,
                by,
                confirmed,
            } => {
                if let Some(o) = self.outputs.iter_mut().find(|o| &o.outpoint == outpoint) {
                    o.spent = match o.spent {
                        Some((who, was)) if who == *by => Some((who, was || *confirmed)),
                        Some(other) if !*confirmed => Some(other),
                        _ => Some((*by, *confirmed)),
                    };
                }
                match by {
                    Spender::OurClaim | Spender::ProviderClaim => self.set_htlc(Htlc::Redeemed),
                    Spender::OurRefund | Spender::ProviderRefund => self.set_htlc(Htlc::Refunded),
                }
                self.advance(Phase::Settle);
            }
            Event::SweepBroadcast(sweep) => {
                self.sweep = Some(sweep.clone());
                self.advance(Phase::Settle);
            }
            Event::CooperationRefused => self.cooperation_refused = true,
            Event::ProviderStatus { status } => self.provider_status = Some(status.clone()),
            Event::Height { height } => self.height = self.height.max(*height),
            Event::Rejected { reason } => {
                if self.phase == Phase::Initiate {
                    self.refused.get_or_insert_with(|| reason.clone());
                }
            }
            Event::LockupBroadcast { .. } | Event::PaymentInFlight => {}
        }
        if self.htlc == Htlc::Created && self.lockup_ok() {
            self.htlc = Htlc::Locked;
        }
    }

    /// Outputs at the address hold at least the agreed amount.
    fn lockup_ok(&self) -> bool {
        self.locked_total()
            .is_some_and(|t| !self.outputs.is_empty() && t >= self.terms.lockup_amount)
    }

    fn decide(&mut self, event: &Event) -> Vec<Action> {
        let mut actions = Vec::new();
        match (self.terms.kind, event) {
            (SwapKind::Submarine, Event::Created) if !self.terms.external_funding => {
                actions.push(Action::FundLockup)
            }
            (SwapKind::Reverse, Event::Created) => actions.push(Action::PayInvoice),
            _ => {}
        }
        if let Some(a) = self.sweep_action(event) {
            actions.push(a);
        }
        if !self.warned
            && self.phase >= Phase::Commit
            && self.needs_us()
            && self.blocks_left() <= self.terms.warn_blocks
        {
            self.warned = true;
            actions.push(Action::WarnDeadline {
                blocks_left: self.blocks_left(),
            });
        }
        actions
    }

    /// Whether funds at the address wait on us (so a deadline matters).
    fn needs_us(&self) -> bool {
        match self.terms.kind {
            SwapKind::Submarine => {
                self.unspent().next().is_some() && self.lightning != Lightning::Paid
            }
            SwapKind::Reverse => self.lightning == Lightning::InFlight && self.sweep.is_none(),
        }
    }

    /// The outputs at the address that are ours to sweep now (before any
    /// check of timing): reverse — every unspent one (we claim what was
    /// locked for us); submarine — every unspent one, except, once the
    /// provider has paid us and not yet claimed, the one output of the
    /// agreed amount it is owed (extra payments to the address stay ours).
    pub fn ours_to_sweep(&self) -> Vec<&LockupOutput> {
        let mut unspent: Vec<&LockupOutput> = self.unspent().collect();
        if self.terms.kind == SwapKind::Submarine && self.lightning == Lightning::Paid {
            let provider_claimed = self
                .outputs
                .iter()
                .any(|o| matches!(o.spent, Some((Spender::ProviderClaim, _))));
            if !provider_claimed {
                let owed = unspent
                    .iter()
                    .position(|o| o.value == self.terms.lockup_amount)
                    .or(if unspent.is_empty() { None } else { Some(0) });
                if let Some(i) = owed {
                    unspent.remove(i);
                }
            }
        }
        unspent
    }

    fn sweep_action(&mut self, event: &Event) -> Option<Action> {
        // A sweep is out: rebroadcast on each block, bump when it lingers.
        if let Some(sweep) = &self.sweep {
            let pending = self.outputs.iter().any(|o| {
                sweep.spends.contains(&o.outpoint)
                    && match o.spent {
                        None => true,
                        Some((by, confirmed)) => self.is_ours(by) && !confirmed,
                    }
            });
            let uncovered = self
                .ours_to_sweep()
                .iter()
                .any(|o| !sweep.spends.contains(&o.outpoint));
            if !uncovered {
                if pending && matches!(event, Event::Height { .. }) {
                    let age = self.height.saturating_sub(sweep.broadcast_height);
                    let every = self.terms.bump_after.max(1);
                    let txid = sweep.txid.clone();
                    return Some(if age >= every && age % every == 0 {
                        Action::BumpFee { txid }
                    } else {
                        Action::Rebroadcast { txid }
                    });
                }
                return None;
            }
            // Outputs our sweep does not cover (a late second payment):
            // decide below as if there were none, over all of them.
        }
        match self.terms.kind {
            SwapKind::Reverse => self.reverse_claim(event),
            SwapKind::Submarine => self.submarine_refund(event),
        }
    }

    fn is_ours(&self, by: Spender) -> bool {
        matches!(by, Spender::OurClaim | Spender::OurRefund)
    }

    fn outpoints(&self) -> Vec<String> {
        self.ours_to_sweep()
            .iter()
            .map(|o| o.outpoint.clone())
            .collect()
    }

    fn reverse_claim(&mut self, event: &Event) -> Option<Action> {
        // Only for an event that could change the answer.
        if !matches!(
            event,
            Event::LockupSeen { .. }
                | Event::Height { .. }
                | Event::CooperationRefused
                | Event::PaymentInFlight
                | Event::LockupSpent { .. }
        ) {
            return None;
        }
        if self.lightning != Lightning::InFlight && self.lightning != Lightning::Paid {
            return None;
        }
        if self.refused.is_some() || self.unspent().next().is_none() {
            return None;
        }
        if self.sweep.is_none() && !self.lockup_ok() {
            // Less than agreed: never reveal the preimage for it.
            if self
                .outputs
                .iter()
                .all(|o| o.confirmations >= self.terms.min_confirmations)
            {
                self.refused = Some(format!(
                    "the provider locked {} sats, less than the agreed {} sats: the preimage stays secret and the payment fails back",
                    self.locked_total().map(Sat::to_sat).unwrap_or(u64::MAX),
                    self.terms.lockup_amount.to_sat()
                ));
            }
            return None;
        }
        if self
            .unspent()
            .any(|o| o.confirmations < self.terms.min_confirmations)
        {
            return None;
        }
        if self.sweep.is_none()
            && self.height.saturating_add(self.terms.reveal_margin) >= self.terms.timeout_height
        {
            self.refused = Some(format!(
                "the provider's lockup came within {} blocks of its time lock: revealing the preimage now could let it take both sides, so the payment fails back",
                self.terms.reveal_margin
            ));
            return None;
        }
        Some(Action::Claim {
            cooperative: !self.cooperation_refused,
            outpoints: self.outpoints(),
        })
    }

    fn submarine_refund(&mut self, event: &Event) -> Option<Action> {
        let outpoints = self.outpoints();
        if outpoints.is_empty() {
            return None;
        }
        let timed_out = self.height >= self.terms.timeout_height;
        if timed_out {
            // The refund leaf is open: ours alone, no one to ask. Any event
            // may be the one that finds us here (a restart replays them).
            return Some(Action::Refund {
                cooperative: false,
                outpoints,
            });
        }
        if self.lightning == Lightning::Paid || self.cooperation_refused {
            return None;
        }
        // Before the time lock: only when the provider says it failed or our
        // invoice was cancelled (the key path needs its signature anyway, and
        // a provider that signs a refund must never pay afterwards).
        let prompted = matches!(
            event,
            Event::ProviderStatus { .. } | Event::LockupSeen { .. } | Event::LightningFailed { .. }
        );
        (prompted && (self.provider_failed() || self.lightning == Lightning::Failed)).then_some(
            Action::Refund {
                cooperative: true,
                outpoints,
            },
        )
    }

    /// The outcome from the facts (recomputed until the swap is final), and
    /// finality: a reverse swap is final with its outcome; a submarine swap
    /// only once its time lock has passed too, because until then someone
    /// may still pay the address (a stale QR code, a second payment) and
    /// that payment must be swept back.
    fn settle(&mut self) {
        self.outcome = self.current_outcome();
        let done = match (self.terms.kind, &self.outcome) {
            (_, None) => false,
            // Never created: nothing was locked or paid.
            (_, Some(_)) if self.phase == Phase::Initiate => true,
            (SwapKind::Reverse, Some(_)) => true,
            (SwapKind::Submarine, Some(_)) => self.height >= self.terms.timeout_height,
        };
        if done {
            self.htlc = Htlc::Settled;
            self.phase = Phase::Settle;
        }
    }

    fn current_outcome(&self) -> Option<Outcome> {
        if self.phase == Phase::Initiate {
            return self.refused.clone().map(Outcome::Failed);
        }
        let ours_pending = self
            .outputs
            .iter()
            .any(|o| matches!(o.spent, Some((by, false)) if self.is_ours(by)));
        let any_ours = self
            .outputs
            .iter()
            .any(|o| matches!(o.spent, Some((by, _)) if self.is_ours(by)));
        match self.terms.kind {
            SwapKind::Submarine => {
                if self.outputs.is_empty() {
                    let gave_up = self.provider_failed()
                        || self.height >= self.terms.timeout_height
                        || self.lightning == Lightning::Failed;
                    // Never funded (or our lockup never showed up by the
                    // time lock): nothing moved.
                    let over = self.height >= self.terms.timeout_height;
                    return (self.phase == Phase::Prepare && gave_up || over)
                        .then(|| Outcome::Failed("the lockup was never funded".into()));
                }
                if !self.ours_to_sweep().is_empty() || ours_pending {
                    return None;
                }
                if self.lightning == Lightning::Paid {
                    Some(Outcome::Succeeded)
                } else if any_ours {
                    Some(Outcome::Refunded)
                } else {
                    None
                }
            }
            SwapKind::Reverse => {
                if self.sweep.is_some() || any_ours {
                    // Our claim is out: it ends when every claimed output is
                    // confirmed ours (the preimage is public either way).
                    let done = !ours_pending && self.unspent().next().is_none() && any_ours;
                    return done.then_some(Outcome::Succeeded);
                }
                // The payment came back: anything locked is the provider's
                // to refund; we never claim it.
                (self.lightning == Lightning::Failed).then(|| {
                    Outcome::Failed(
                        self.refused
                            .clone()
                            .unwrap_or_else(|| "the Lightning payment failed back".into()),
                    )
                })
            }
        }
    }
}
