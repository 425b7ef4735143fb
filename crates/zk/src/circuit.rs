//! The circuit: "I know an entry of the log with this kind and outcome, whose
//! time is in the window and whose actor is in the authorised set."
//!
//! Public (the instance column, in this order): the log's Poseidon root, the
//! kind, the outcome, the window's start and end (Unix ms), the set's root.
//! Private: the entry's time, actor and line digest, its path in the log's
//! tree, the actor's path in the set's tree.
//!
//! Constraints:
//! 1. `leaf = Poseidon(kind, time, actor, ok, line)` with `kind` and `ok`
//!    equal to the public ones;
//! 2. `LOG_DEPTH` levels of `node = Poseidon(left, right)`, left and right
//!    ordered by a boolean (a conditional swap), from `leaf` to the public
//!    log root;
//! 3. `time - from` and `to - time` each fit 66 bits (a running sum of
//!    3-bit windows ending at zero): with `from` and `to` below 2^64 and the
//!    field of 254 bits, that is `from <= time <= to` as integers;
//! 4. `SET_DEPTH` levels from `Poseidon(actor)` to the public set root.

use crate::field::Fp;
use crate::tree::{Path, LOG_DEPTH, SET_DEPTH};
use halo2_gadgets::poseidon::{
    primitives::{ConstantLength, P128Pow5T3},
    Hash, Pow5Chip, Pow5Config,
};
use halo2_gadgets::utilities::cond_swap::{CondSwapChip, CondSwapConfig, CondSwapInstructions};
use halo2_gadgets::utilities::decompose_running_sum::RunningSumConfig;
use halo2_proofs::{
    circuit::{AssignedCell, Layouter, SimpleFloorPlanner, Value},
    plonk::{Advice, Circuit, Column, ConstraintSystem, Constraints, Error, Instance, Selector},
    poly::Rotation,
};

/// Rows of the instance column.
pub(crate) mod row {
    pub const LOG_ROOT: usize = 0;
    pub const KIND: usize = 1;
    pub const OK: usize = 2;
    pub const FROM: usize = 3;
    pub const TO: usize = 4;
    pub const SET_ROOT: usize = 5;
}

/// Bits the two differences may have (22 windows of 3 bits).
const WINDOW_BITS: usize = 3;
const WINDOWS: usize = 22;

#[derive(Clone, Debug)]
pub(crate) struct Config {
    advice: [Column<Advice>; 5],
    instance: Column<Instance>,
    poseidon: Pow5Config<Fp, 3, 2>,
    swap: CondSwapConfig,
    range: RunningSumConfig<Fp, WINDOW_BITS>,
    /// `a - b - c = 0` on one row of the first three advice columns.
    q_sub: Selector,
}

/// What the prover knows; all unknown when the keys are made.
#[derive(Clone, Debug)]
pub(crate) struct EntryCircuit {
    pub kind: Value<Fp>,
    pub time: Value<Fp>,
    pub actor: Value<Fp>,
    pub ok: Value<Fp>,
    pub line: Value<Fp>,
    pub log_path: Vec<(Value<Fp>, Value<bool>)>,
    pub set_path: Vec<(Value<Fp>, Value<bool>)>,
}

impl EntryCircuit {
    /// The shape alone (for making keys).
    pub fn blank() -> Self {
        EntryCircuit {
            kind: Value::unknown(),
            time: Value::unknown(),
            actor: Value::unknown(),
            ok: Value::unknown(),
            line: Value::unknown(),
            log_path: vec![(Value::unknown(), Value::unknown()); LOG_DEPTH],
            set_path: vec![(Value::unknown(), Value::unknown()); SET_DEPTH],
        }
    }

    /// A path as witnesses.
    pub fn path(p: &Path) -> Vec<(Value<Fp>, Value<bool>)> {
        p.siblings
            .iter()
            .zip(&p.right)
            .map(|(s, r)| (Value::known(*s), Value::known(*r)))
            .collect()
    }
}

impl Circuit<Fp> for EntryCircuit {
    type Config = Config;
    type FloorPlanner = SimpleFloorPlanner;

    fn without_witnesses(&self) -> Self {
        Self::blank()
    }

    fn configure(meta: &mut ConstraintSystem<Fp>) -> Config {
        let advice = [
            meta.advice_column(),
            meta.advice_column(),
            meta.advice_column(),
            meta.advice_column(),
            meta.advice_column(),
        ];
        for a in advice {
            meta.enable_equality(a);
        }
        let instance = meta.instance_column();
        meta.enable_equality(instance);
        let rc_a = [
            meta.fixed_column(),
            meta.fixed_column(),
            meta.fixed_column(),
        ];
        let rc_b = [
            meta.fixed_column(),
            meta.fixed_column(),
            meta.fixed_column(),
        ];
        // Constants (the sponge's initial capacity, the running sum's final
        // zero) live in a fixed column.
        meta.enable_constant(rc_b[0]);
        let poseidon = Pow5Chip::configure::<P128Pow5T3>(
            meta,
            [advice[0], advice[1], advice[2]],
            advice[3],
            rc_a,
            rc_b,
        );
        let swap = CondSwapChip::configure(meta, advice);
        let q_range = meta.selector();
        let range = RunningSumConfig::configure(meta, q_range, advice[4]);
        let q_sub = meta.selector();
        meta.create_gate("a - b = c", |meta| {
            let q = meta.query_selector(q_sub);
            let a = meta.query_advice(advice[0], Rotation::cur());
            let b = meta.query_advice(advice[1], Rotation::cur());
            let c = meta.query_advice(advice[2], Rotation::cur());
            Constraints::with_selector(q, Some(a - b - c))
        });
        Config {
            advice,
            instance,
            poseidon,
            swap,
            range,
            q_sub,
        }
    }

    fn synthesize(&self, config: Config, mut layouter: impl Layouter<Fp>) -> Result<(), Error> {
        let [a0, a1, a2, a3, a4] = config.advice;
        // The entry's fields.
        let (kind, time, actor, ok, line) = layouter.assign_region(
            || "entry",
            |mut region| {
                Ok((
                    region.assign_advice(|| "kind", a0, 0, || self.kind)?,
                    region.assign_advice(|| "time", a1, 0, || self.time)?,
                    region.assign_advice(|| "actor", a2, 0, || self.actor)?,
                    region.assign_advice(|| "ok", a3, 0, || self.ok)?,
                    region.assign_advice(|| "line", a4, 0, || self.line)?,
                ))
            },
        )?;
        layouter.constrain_instance(kind.cell(), config.instance, row::KIND)?;
        layouter.constrain_instance(ok.cell(), config.instance, row::OK)?;

        // 1. The leaf.
        let leaf = hash(
            &config,
            layouter.namespace(|| "leaf"),
            [kind, time.clone(), actor.clone(), ok, line],
        )?;
        // 2. Up to the log's root.
        let root = climb(&config, &mut layouter, "log", leaf, &self.log_path)?;
        layouter.constrain_instance(root.cell(), config.instance, row::LOG_ROOT)?;

        // 3. The window: from <= time <= to.
        let (d1, d2) = layouter.assign_region(
            || "window",
            |mut region| {
                config.q_sub.enable(&mut region, 0)?;
                config.q_sub.enable(&mut region, 1)?;
                let t = time.copy_advice(|| "time", &mut region, a0, 0)?;
                let from = region.assign_advice_from_instance(
                    || "from",
                    config.instance,
                    row::FROM,
                    a1,
                    0,
                )?;
                let d1 = region.assign_advice(
                    || "time - from",
                    a2,
                    0,
                    || t.value().copied() - from.value().copied(),
                )?;
                let to =
                    region.assign_advice_from_instance(|| "to", config.instance, row::TO, a0, 1)?;
                let t2 = time.copy_advice(|| "time", &mut region, a1, 1)?;
                let d2 = region.assign_advice(
                    || "to - time",
                    a2,
                    1,
                    || to.value().copied() - t2.value().copied(),
                )?;
                Ok((d1, d2))
            },
        )?;
        for (name, d) in [("time - from", d1), ("to - time", d2)] {
            layouter.assign_region(
                || name,
                |mut region| {
                    config.range.copy_decompose(
                        &mut region,
                        0,
                        d.clone(),
                        true,
                        WINDOW_BITS * WINDOWS,
                        WINDOWS,
                    )?;
                    Ok(())
                },
            )?;
        }

        // 4. The actor is in the authorised set.
        let member = hash(&config, layouter.namespace(|| "member"), [actor])?;
        let set_root = climb(&config, &mut layouter, "set", member, &self.set_path)?;
        layouter.constrain_instance(set_root.cell(), config.instance, row::SET_ROOT)?;
        Ok(())
    }
}

fn hash<const L: usize>(
    config: &Config,
    mut layouter: impl Layouter<Fp>,
    message: [AssignedCell<Fp, Fp>; L],
) -> Result<AssignedCell<Fp, Fp>, Error> {
    let chip = Pow5Chip::construct(config.poseidon.clone());
    let h = Hash::<_, _, P128Pow5T3, ConstantLength<L>, 3, 2>::init(
        chip,
        layouter.namespace(|| "init"),
    )?;
    h.hash(layouter.namespace(|| "hash"), message)
}

/// From `start` up a path: at each level order the pair by the bit and hash.
fn climb(
    config: &Config,
    layouter: &mut impl Layouter<Fp>,
    name: &str,
    start: AssignedCell<Fp, Fp>,
    path: &[(Value<Fp>, Value<bool>)],
) -> Result<AssignedCell<Fp, Fp>, Error> {
    let swap = CondSwapChip::<Fp>::construct(config.swap.clone());
    let mut cur = start;
    for (level, (sibling, right)) in path.iter().enumerate() {
        let (left, r) = swap.swap(
            layouter.namespace(|| format!("{name} swap {level}")),
            (cur, *sibling),
            *right,
        )?;
        cur = hash(
            config,
            layouter.namespace(|| format!("{name} node {level}")),
            [left, r],
        )?;
    }
    Ok(cur)
}
