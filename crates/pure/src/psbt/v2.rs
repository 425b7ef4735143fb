//! PSBT version 2 (BIP370) read by conversion to version 0: rust-bitcoin
//! 0.32 reads only version 0, where the unsigned transaction is one field;
//! version 2 spreads it over per-input and per-output fields (previous
//! txid and index, sequence, required lock times; amount and script) and
//! leaves the lock time to be determined from them. This module checks a
//! version 2 PSBT's fields as BIP370 asks, determines its lock time by the
//! BIP's algorithm, and rebuilds the version 0 PSBT with every other field
//! as it was. It also refuses a version 0 PSBT that carries version 2's
//! fields (the BIP's invalid vectors), and writes a PSBT as version 2
//! ([`to_v2`]) for whoever asked in that version.
//!
//! Only the key-value framing is parsed here; each field's own content is
//! left to rust-bitcoin's reader afterwards.

use bitcoin::consensus::encode::{deserialize, serialize, VarInt};
use bitcoin::{
    absolute, transaction, Amount, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Txid,
    Witness,
};

/// Why a PSBT's version 2 framing does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum V2Error {
    /// Bytes that end inside a field.
    #[error("it ends in the middle of a field")]
    Truncated,
    /// A field version 2 requires is missing.
    #[error("a version 2 PSBT without {0}")]
    Missing(String),
    /// A field that does not belong to this version.
    #[error("a version {version} PSBT with the field {field}, which belongs to the other version")]
    Foreign {
        /// The PSBT's version.
        version: u32,
        /// The field.
        field: &'static str,
    },
    /// A field whose value is not what BIP370 allows.
    #[error("{0}")]
    Invalid(String),
    /// The inputs ask for lock times of both kinds and none takes both.
    #[error("its inputs require a lock time both as a height and as a time, and no single lock time satisfies them all")]
    LockTime,
}

type Map = Vec<(Vec<u8>, Vec<u8>)>;

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn compact(&mut self) -> Result<u64, V2Error> {
        let first = *self.bytes.get(self.at).ok_or(V2Error::Truncated)?;
        let (len, value) = match first {
            0xfd => (3, u64::from(u16::from_le_bytes(self.array::<2>(1)?))),
            0xfe => (5, u64::from(u32::from_le_bytes(self.array::<4>(1)?))),
            0xff => (9, u64::from_le_bytes(self.array::<8>(1)?)),
            n => (1, u64::from(n)),
        };
        self.at += len;
        Ok(value)
    }

    fn array<const N: usize>(&self, skip: usize) -> Result<[u8; N], V2Error> {
        let start = self.at + skip;
        self.bytes
            .get(start..start + N)
            .and_then(|s| s.try_into().ok())
            .ok_or(V2Error::Truncated)
    }

    fn take(&mut self, n: u64) -> Result<Vec<u8>, V2Error> {
        let n = usize::try_from(n).map_err(|_| V2Error::Truncated)?;
        let end = self.at.checked_add(n).ok_or(V2Error::Truncated)?;
        let out = self
            .bytes
            .get(self.at..end)
            .ok_or(V2Error::Truncated)?
            .to_vec();
        self.at = end;
        Ok(out)
    }

    /// One map: key-value pairs up to the 0x00 separator.
    fn map(&mut self) -> Result<Map, V2Error> {
        let mut map = Vec::new();
        loop {
            let key_len = self.compact()?;
            if key_len == 0 {
                return Ok(map);
            }
            let key = self.take(key_len)?;
            let value_len = self.compact()?;
            let value = self.take(value_len)?;
            map.push((key, value));
        }
    }
}

const MAGIC: &[u8] = b"psbt\xff";

// Global field types.
const GLOBAL_UNSIGNED_TX: u8 = 0x00;
const GLOBAL_TX_VERSION: u8 = 0x02;
const GLOBAL_FALLBACK_LOCKTIME: u8 = 0x03;
const GLOBAL_INPUT_COUNT: u8 = 0x04;
const GLOBAL_OUTPUT_COUNT: u8 = 0x05;
const GLOBAL_TX_MODIFIABLE: u8 = 0x06;
const GLOBAL_VERSION: u8 = 0xfb;
// Input field types.
const IN_PREVIOUS_TXID: u8 = 0x0e;
const IN_OUTPUT_INDEX: u8 = 0x0f;
const IN_SEQUENCE: u8 = 0x10;
const IN_REQUIRED_TIME_LOCKTIME: u8 = 0x11;
const IN_REQUIRED_HEIGHT_LOCKTIME: u8 = 0x12;
// Output field types.
const OUT_AMOUNT: u8 = 0x03;
const OUT_SCRIPT: u8 = 0x04;

const GLOBAL_V2_ONLY: [(u8, &str); 5] = [
    (GLOBAL_TX_VERSION, "PSBT_GLOBAL_TX_VERSION"),
    (GLOBAL_FALLBACK_LOCKTIME, "PSBT_GLOBAL_FALLBACK_LOCKTIME"),
    (GLOBAL_INPUT_COUNT, "PSBT_GLOBAL_INPUT_COUNT"),
    (GLOBAL_OUTPUT_COUNT, "PSBT_GLOBAL_OUTPUT_COUNT"),
    (GLOBAL_TX_MODIFIABLE, "PSBT_GLOBAL_TX_MODIFIABLE"),
];
const IN_V2_ONLY: [(u8, &str); 5] = [
    (IN_PREVIOUS_TXID, "PSBT_IN_PREVIOUS_TXID"),
    (IN_OUTPUT_INDEX, "PSBT_IN_OUTPUT_INDEX"),
    (IN_SEQUENCE, "PSBT_IN_SEQUENCE"),
    (IN_REQUIRED_TIME_LOCKTIME, "PSBT_IN_REQUIRED_TIME_LOCKTIME"),
    (
        IN_REQUIRED_HEIGHT_LOCKTIME,
        "PSBT_IN_REQUIRED_HEIGHT_LOCKTIME",
    ),
];
const OUT_V2_ONLY: [(u8, &str); 2] = [
    (OUT_AMOUNT, "PSBT_OUT_AMOUNT"),
    (OUT_SCRIPT, "PSBT_OUT_SCRIPT"),
];

/// The value of the field of type `t` with no key data.
fn field(map: &Map, t: u8) -> Option<&[u8]> {
    map.iter()
        .find(|(k, _)| k.len() == 1 && k[0] == t)
        .map(|(_, v)| v.as_slice())
}

fn u32_of(v: &[u8], what: &str) -> Result<u32, V2Error> {
    v.try_into()
        .map(u32::from_le_bytes)
        .map_err(|_| V2Error::Invalid(format!("{what} is not 4 bytes")))
}

fn count_of(v: &[u8], what: &str) -> Result<usize, V2Error> {
    let n: VarInt =
        deserialize(v).map_err(|_| V2Error::Invalid(format!("{what} is not a count")))?;
    // Each input or output takes at least its separator byte: a count
    // beyond the bytes is refused before anything is allocated.
    usize::try_from(n.0)
        .ok()
        .filter(|n| *n <= 1_000_000)
        .ok_or_else(|| V2Error::Invalid(format!("{what} is too large")))
}

/// The PSBT's version (`PSBT_GLOBAL_VERSION`, 0 when absent), or `None`
/// for bytes that are not a PSBT's framing.
pub fn version(bytes: &[u8]) -> Option<u32> {
    let mut r = Reader {
        bytes: bytes.strip_prefix(MAGIC)?,
        at: 0,
    };
    let global = r.map().ok()?;
    match field(&global, GLOBAL_VERSION) {
        Some(v) => u32_of(v, "PSBT_GLOBAL_VERSION").ok(),
        None => Some(0),
    }
}

/// Refuses a version 0 PSBT that carries version 2's fields. Bytes whose
/// framing does not parse pass: rust-bitcoin's reader names that error.
pub fn check_v0(bytes: &[u8]) -> Result<(), V2Error> {
    let Some(rest) = bytes.strip_prefix(MAGIC) else {
        return Ok(());
    };
    let mut r = Reader { bytes: rest, at: 0 };
    let Ok(global) = r.map() else {
        return Ok(());
    };
    let foreign = |field: &'static str| V2Error::Foreign { version: 0, field };
    for (t, name) in GLOBAL_V2_ONLY {
        if field(&global, t).is_some() {
            return Err(foreign(name));
        }
    }
    let Some(tx) =
        field(&global, GLOBAL_UNSIGNED_TX).and_then(|t| deserialize::<Transaction>(t).ok())
    else {
        return Ok(());
    };
    for _ in 0..tx.input.len() {
        let Ok(map) = r.map() else { return Ok(()) };
        for (t, name) in IN_V2_ONLY {
            if field(&map, t).is_some() {
                return Err(foreign(name));
            }
        }
    }
    for _ in 0..tx.output.len() {
        let Ok(map) = r.map() else { return Ok(()) };
        for (t, name) in OUT_V2_ONLY {
            if field(&map, t).is_some() {
                return Err(foreign(name));
            }
        }
    }
    Ok(())
}

/// A version 2 input's lock time requirements.
struct Required {
    time: Option<u32>,
    height: Option<u32>,
}

/// BIP370's lock time: the fallback when no input requires one; else the
/// kind every input that requires one accepts (height when both are
/// possible), at the largest value required.
fn lock_time(fallback: u32, inputs: &[Required]) -> Result<u32, V2Error> {
    let requiring: Vec<&Required> = inputs
        .iter()
        .filter(|r| r.time.is_some() || r.height.is_some())
        .collect();
    if requiring.is_empty() {
        return Ok(fallback);
    }
    if requiring.iter().all(|r| r.height.is_some()) {
        return Ok(requiring.iter().filter_map(|r| r.height).max().unwrap_or(0));
    }
    if requiring.iter().all(|r| r.time.is_some()) {
        return Ok(requiring.iter().filter_map(|r| r.time).max().unwrap_or(0));
    }
    Err(V2Error::LockTime)
}

/// The version 0 PSBT of a version 2 one (BIP370's fields checked, the
/// lock time determined).
pub fn to_v0(bytes: &[u8]) -> Result<Vec<u8>, V2Error> {
    let rest = bytes.strip_prefix(MAGIC).ok_or(V2Error::Truncated)?;
    let mut r = Reader { bytes: rest, at: 0 };
    let global = r.map()?;
    if field(&global, GLOBAL_UNSIGNED_TX).is_some() {
        return Err(V2Error::Invalid(
            "its PSBT_GLOBAL_VERSION is 2, but it carries PSBT_GLOBAL_UNSIGNED_TX, a version 0 field"
                .into(),
        ));
    }
    let missing = |f: &str| V2Error::Missing(f.to_string());
    let tx_version =
        field(&global, GLOBAL_TX_VERSION).ok_or_else(|| missing("PSBT_GLOBAL_TX_VERSION"))?;
    let tx_version = u32_of(tx_version, "PSBT_GLOBAL_TX_VERSION")?;
    let n_in = count_of(
        field(&global, GLOBAL_INPUT_COUNT).ok_or_else(|| missing("PSBT_GLOBAL_INPUT_COUNT"))?,
        "PSBT_GLOBAL_INPUT_COUNT",
    )?;
    let n_out = count_of(
        field(&global, GLOBAL_OUTPUT_COUNT).ok_or_else(|| missing("PSBT_GLOBAL_OUTPUT_COUNT"))?,
        "PSBT_GLOBAL_OUTPUT_COUNT",
    )?;
    let fallback = field(&global, GLOBAL_FALLBACK_LOCKTIME)
        .map(|v| u32_of(v, "PSBT_GLOBAL_FALLBACK_LOCKTIME"))
        .transpose()?
        .unwrap_or(0);

    let mut inputs = Vec::with_capacity(n_in.min(1024));
    let mut txins = Vec::with_capacity(n_in.min(1024));
    let mut required = Vec::with_capacity(n_in.min(1024));
    for i in 0..n_in {
        let map = r.map()?;
        let txid = field(&map, IN_PREVIOUS_TXID)
            .ok_or_else(|| missing(&format!("PSBT_IN_PREVIOUS_TXID on input {i}")))?;
        let txid: Txid = deserialize(txid).map_err(|_| {
            V2Error::Invalid(format!("input {i}'s PSBT_IN_PREVIOUS_TXID is not 32 bytes"))
        })?;
        let vout = field(&map, IN_OUTPUT_INDEX)
            .ok_or_else(|| missing(&format!("PSBT_IN_OUTPUT_INDEX on input {i}")))?;
        let vout = u32_of(vout, "PSBT_IN_OUTPUT_INDEX")?;
        let sequence = field(&map, IN_SEQUENCE)
            .map(|v| u32_of(v, "PSBT_IN_SEQUENCE"))
            .transpose()?
            .unwrap_or(u32::MAX);
        let time = field(&map, IN_REQUIRED_TIME_LOCKTIME)
            .map(|v| u32_of(v, "PSBT_IN_REQUIRED_TIME_LOCKTIME"))
            .transpose()?;
        if time.is_some_and(|t| t < 500_000_000) {
            return Err(V2Error::Invalid(format!(
                "input {i}'s PSBT_IN_REQUIRED_TIME_LOCKTIME is below 500000000, so not a time"
            )));
        }
        let height = field(&map, IN_REQUIRED_HEIGHT_LOCKTIME)
            .map(|v| u32_of(v, "PSBT_IN_REQUIRED_HEIGHT_LOCKTIME"))
            .transpose()?;
        if height.is_some_and(|h| h == 0 || h >= 500_000_000) {
            return Err(V2Error::Invalid(format!(
                "input {i}'s PSBT_IN_REQUIRED_HEIGHT_LOCKTIME is not a height between 1 and 499999999"
            )));
        }
        required.push(Required { time, height });
        txins.push(TxIn {
            previous_output: OutPoint::new(txid, vout),
            script_sig: ScriptBuf::new(),
            sequence: Sequence(sequence),
            witness: Witness::new(),
        });
        inputs.push(strip(map, &IN_V2_ONLY));
    }
    let mut outputs = Vec::with_capacity(n_out.min(1024));
    let mut txouts = Vec::with_capacity(n_out.min(1024));
    for o in 0..n_out {
        let map = r.map()?;
        let amount = field(&map, OUT_AMOUNT)
            .ok_or_else(|| missing(&format!("PSBT_OUT_AMOUNT on output {o}")))?;
        let amount: [u8; 8] = amount.try_into().map_err(|_| {
            V2Error::Invalid(format!("output {o}'s PSBT_OUT_AMOUNT is not 8 bytes"))
        })?;
        let amount = u64::try_from(i64::from_le_bytes(amount))
            .map_err(|_| V2Error::Invalid(format!("output {o}'s PSBT_OUT_AMOUNT is negative")))?;
        let script = field(&map, OUT_SCRIPT)
            .ok_or_else(|| missing(&format!("PSBT_OUT_SCRIPT on output {o}")))?;
        txouts.push(TxOut {
            value: Amount::from_sat(amount),
            script_pubkey: ScriptBuf::from_bytes(script.to_vec()),
        });
        outputs.push(strip(map, &OUT_V2_ONLY));
    }
    let lock = lock_time(fallback, &required)?;
    let tx = Transaction {
        version: transaction::Version(i32::from_le_bytes(tx_version.to_le_bytes())),
        lock_time: absolute::LockTime::from_consensus(lock),
        input: txins,
        output: txouts,
    };

    let mut global = strip(global, &GLOBAL_V2_ONLY);
    global.retain(|(k, _)| !(k.len() == 1 && k[0] == GLOBAL_VERSION));
    global.insert(0, (vec![GLOBAL_UNSIGNED_TX], serialize_unsigned(&tx)));
    let maps: Vec<Map> = std::iter::once(global)
        .chain(inputs)
        .chain(outputs)
        .collect();
    Ok(write_maps(&maps))
}

/// `psbt` written as version 2 (BIP370), for a signer or coordinator that
/// asks for it: the unsigned transaction's parts spread into their own
/// fields (version, fallback lock time, counts; each input's previous
/// txid, index and sequence; each output's amount and script), every other
/// field as it was. Its lock time is written as the fallback, so reading
/// it back gives the same transaction (a version 2 PSBT's per-input lock
/// time requirements, already applied when it was read, are not restored).
pub fn to_v2(psbt: &bitcoin::psbt::Psbt) -> Result<Vec<u8>, V2Error> {
    let bytes = psbt.serialize();
    let rest = bytes.strip_prefix(MAGIC).ok_or(V2Error::Truncated)?;
    let mut r = Reader { bytes: rest, at: 0 };
    let tx = &psbt.unsigned_tx;
    let one = |t: u8| vec![t];
    let mut global = r.map()?;
    global
        .retain(|(k, _)| !(k.len() == 1 && (k[0] == GLOBAL_UNSIGNED_TX || k[0] == GLOBAL_VERSION)));
    global.extend([
        (one(GLOBAL_TX_VERSION), tx.version.0.to_le_bytes().to_vec()),
        (
            one(GLOBAL_FALLBACK_LOCKTIME),
            tx.lock_time.to_consensus_u32().to_le_bytes().to_vec(),
        ),
        (
            one(GLOBAL_INPUT_COUNT),
            serialize(&VarInt(tx.input.len() as u64)),
        ),
        (
            one(GLOBAL_OUTPUT_COUNT),
            serialize(&VarInt(tx.output.len() as u64)),
        ),
        (one(GLOBAL_VERSION), 2u32.to_le_bytes().to_vec()),
    ]);
    let mut maps = vec![global];
    for txin in &tx.input {
        let mut map = r.map()?;
        map.extend([
            (one(IN_PREVIOUS_TXID), serialize(&txin.previous_output.txid)),
            (
                one(IN_OUTPUT_INDEX),
                txin.previous_output.vout.to_le_bytes().to_vec(),
            ),
            (one(IN_SEQUENCE), txin.sequence.0.to_le_bytes().to_vec()),
        ]);
        maps.push(map);
    }
    for txout in &tx.output {
        let mut map = r.map()?;
        let sat = i64::try_from(txout.value.to_sat())
            .map_err(|_| V2Error::Invalid("an output above the largest amount".into()))?;
        map.extend([
            (one(OUT_AMOUNT), sat.to_le_bytes().to_vec()),
            (one(OUT_SCRIPT), txout.script_pubkey.to_bytes()),
        ]);
        maps.push(map);
    }
    Ok(write_maps(&maps))
}

fn write_maps(maps: &[Map]) -> Vec<u8> {
    let mut out = MAGIC.to_vec();
    for map in maps {
        for (k, v) in map {
            out.extend(serialize(&VarInt(k.len() as u64)));
            out.extend(k);
            out.extend(serialize(&VarInt(v.len() as u64)));
            out.extend(v);
        }
        out.push(0x00);
    }
    out
}

/// A transaction without witnesses, as PSBT's unsigned transaction is
/// written (also with no inputs, where the segwit marker would be
/// ambiguous).
fn serialize_unsigned(tx: &Transaction) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend(tx.version.0.to_le_bytes());
    out.extend(serialize(&tx.input));
    out.extend(serialize(&tx.output));
    out.extend(tx.lock_time.to_consensus_u32().to_le_bytes());
    out
}

fn strip(map: Map, fields: &[(u8, &str)]) -> Map {
    map.into_iter()
        .filter(|(k, _)| !(k.len() == 1 && fields.iter().any(|(t, _)| *t == k[0])))
        .collect()
}
