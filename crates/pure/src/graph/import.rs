//! Graph files for offline previews and benchmarks: LND's `lncli
//! describegraph` JSON (the `DescribeGraph` answer in proto3 JSON: 64-bit
//! numbers as strings, snake_case field names as lncli prints them).
//!
//! Errors say where: which edge (by index and channel id) and which field.

use super::model::{ChannelSpec, Policy, Pubkey};
use serde::Deserialize;
use serde_json::Value;

/// Why a graph file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    /// Not JSON at all.
    #[error(
        "The graph file is not JSON ({detail}). Export it with `lncli describegraph > graph.json`."
    )]
    NotJson {
        /// The parser's words (line and column).
        detail: String,
    },
    /// JSON, but not a describegraph answer.
    #[error(
        "The graph file has no \"edges\" list; it does not look like `lncli describegraph` output."
    )]
    NotAGraph,
    /// One edge is malformed.
    #[error("Edge {index} (channel {channel}) in the graph file: {problem}.")]
    BadEdge {
        /// Position in "edges".
        index: usize,
        /// Its channel id as given, if any.
        channel: String,
        /// What is wrong with it.
        problem: String,
    },
}

#[derive(Deserialize)]
struct File {
    #[serde(default)]
    edges: Option<Vec<Value>>,
}

fn num(v: &Value, field: &str) -> Result<Option<u64>, String> {
    match v.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => s
            .parse::<u64>()
            .map(Some)
            .map_err(|_| format!("\"{field}\" is not a whole number (\"{s}\")")),
        Some(Value::Number(n)) => n
            .as_u64()
            .map(Some)
            .ok_or_else(|| format!("\"{field}\" is not a whole number ({n})")),
        Some(other) => Err(format!("\"{field}\" is not a number ({other})")),
    }
}

/// A signed 32-bit field (inbound fees), as a JSON number or a string.
fn signed(v: &Value, field: &str) -> Result<i32, String> {
    let bad = || format!("\"{field}\" is not a 32-bit whole number");
    match v.get(field) {
        None | Some(Value::Null) => Ok(0),
        Some(Value::String(s)) => s.parse::<i32>().map_err(|_| bad()),
        Some(Value::Number(n)) => n
            .as_i64()
            .and_then(|x| i32::try_from(x).ok())
            .ok_or_else(bad),
        Some(_) => Err(bad()),
    }
}

fn pubkey(v: &Value, field: &str) -> Result<Pubkey, String> {
    let s = v
        .get(field)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("\"{field}\" is missing"))?;
    super::model::pubkey_from_hex(s)
        .ok_or_else(|| format!("\"{field}\" is not a 33-byte compressed public key in hex"))
}

fn policy(v: &Value, field: &str, capacity_sat: u64) -> Result<Option<Policy>, String> {
    let p = match v.get(field) {
        None | Some(Value::Null) => return Ok(None),
        Some(p) if p.is_object() => p,
        Some(_) => return Err(format!("\"{field}\" is not an object")),
    };
    let small = |name: &str, max: u64| -> Result<u64, String> {
        let x = num(p, name)?.unwrap_or(0);
        if x > max {
            return Err(format!("\"{field}.{name}\" is out of range ({x})"));
        }
        Ok(x)
    };
    let max_htlc = num(p, "max_htlc_msat")?.unwrap_or(0);
    Ok(Some(Policy {
        base_fee_msat: small("fee_base_msat", u64::from(u32::MAX))? as u32,
        fee_ppm: small("fee_rate_milli_msat", u64::from(u32::MAX))? as u32,
        cltv_delta: small("time_lock_delta", u64::from(u16::MAX))? as u16,
        htlc_min_msat: num(p, "min_htlc")?.unwrap_or(0),
        // LND reports 0 when the node did not announce one: the capacity bounds it.
        htlc_max_msat: if max_htlc == 0 {
            capacity_sat.saturating_mul(1000)
        } else {
            max_htlc
        },
        disabled: p.get("disabled").and_then(Value::as_bool).unwrap_or(false),
        last_update: small("last_update", u64::from(u32::MAX))? as u32,
        inbound_base_msat: signed(p, "inbound_fee_base_msat")?,
        inbound_fee_ppm: signed(p, "inbound_fee_rate_milli_msat")?,
    }))
}

/// Parses `lncli describegraph` JSON into channels.
pub fn parse_describegraph(bytes: &[u8]) -> Result<Vec<ChannelSpec>, ImportError> {
    let file: File = serde_json::from_slice(bytes).map_err(|e| ImportError::NotJson {
        detail: e.to_string(),
    })?;
    let edges = file.edges.ok_or(ImportError::NotAGraph)?;
    let mut out = Vec::with_capacity(edges.len());
    for (index, e) in edges.iter().enumerate() {
        let channel = e
            .get("channel_id")
            .map(|c| c.as_str().map_or_else(|| c.to_string(), String::from))
            .unwrap_or_else(|| "?".into());
        let bad = |problem: String| ImportError::BadEdge {
            index,
            channel: channel.clone(),
            problem,
        };
        let scid = num(e, "channel_id")
            .map_err(bad)?
            .ok_or_else(|| bad("\"channel_id\" is missing".into()))?;
        let capacity_sat = num(e, "capacity").map_err(bad)?.unwrap_or(0);
        let node1 = pubkey(e, "node1_pub").map_err(bad)?;
        let node2 = pubkey(e, "node2_pub").map_err(bad)?;
        if node1 == node2 {
            return Err(bad("both ends are the same node".into()));
        }
        out.push(ChannelSpec {
            scid,
            node1,
            node2,
            capacity_sat,
            policy1: policy(e, "node1_policy", capacity_sat).map_err(bad)?,
            policy2: policy(e, "node2_policy", capacity_sat).map_err(bad)?,
        });
    }
    Ok(out)
}

/// Writes channels as `lncli describegraph` JSON (for tests and for sharing
/// a synthetic graph with other tools).
pub fn to_describegraph(specs: &[ChannelSpec]) -> String {
    let hex = |k: &Pubkey| k.iter().map(|b| format!("{b:02x}")).collect::<String>();
    let pol = |p: &Option<Policy>| match p {
        None => Value::Null,
        Some(p) => serde_json::json!({
            "time_lock_delta": p.cltv_delta,
            "min_htlc": p.htlc_min_msat.to_string(),
            "fee_base_msat": p.base_fee_msat.to_string(),
            "fee_rate_milli_msat": p.fee_ppm.to_string(),
            "disabled": p.disabled,
            "max_htlc_msat": p.htlc_max_msat.to_string(),
            "last_update": p.last_update,
            "inbound_fee_base_msat": p.inbound_base_msat,
            "inbound_fee_rate_milli_msat": p.inbound_fee_ppm,
        }),
    };
    let mut nodes: Vec<String> = specs
        .iter()
        .flat_map(|s| [hex(&s.node1), hex(&s.node2)])
        .collect();
    nodes.sort();
    nodes.dedup();
    let edges: Vec<Value> = specs
        .iter()
        .map(|s| {
            serde_json::json!({
                "channel_id": s.scid.to_string(),
                "chan_point": "",
                "last_update": 0,
                "node1_pub": hex(&s.node1),
                "node2_pub": hex(&s.node2),
                "capacity": s.capacity_sat.to_string(),
                "node1_policy": pol(&s.policy1),
                "node2_policy": pol(&s.policy2),
            })
        })
        .collect();
    serde_json::json!({
        "nodes": nodes.iter().map(|n| serde_json::json!({"pub_key": n, "alias": ""})).collect::<Vec<_>>(),
        "edges": edges,
    })
    .to_string()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"{"nodes":[],"edges":[{"channel_id":"869446205316579329","chan_point":"x:1","last_update":1700000000,
      "node1_pub":"02aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      "node2_pub":"03bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb","capacity":"5000000",
      "node1_policy":{"time_lock_delta":80,"min_htlc":"1000","fee_base_msat":"1000","fee_rate_milli_msat":"1","disabled":false,"max_htlc_msat":"4950000000","last_update":1700000000},
      "node2_policy":null}]}"#;

    #[test]
    fn reads_lncli_output() {
        let c = parse_describegraph(SAMPLE.as_bytes()).unwrap();
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].scid, 869_446_205_316_579_329);
        assert_eq!(c[0].capacity_sat, 5_000_000);
        let p = c[0].policy1.unwrap();
        assert_eq!((p.base_fee_msat, p.fee_ppm, p.cltv_delta), (1000, 1, 80));
        assert_eq!(p.htlc_max_msat, 4_950_000_000);
        assert!(c[0].policy2.is_none());
        assert_eq!(
            (p.inbound_base_msat, p.inbound_fee_ppm),
            (0, 0),
            "absent: none"
        );
        // LND 0.18+ adds the inbound fee (JSON numbers, may be negative).
        let with = SAMPLE.replace(
            "\"last_update\":1700000000}",
            "\"last_update\":1700000000,\"inbound_fee_base_msat\":-250,\"inbound_fee_rate_milli_msat\":-40}",
        );
        let q = parse_describegraph(with.as_bytes()).unwrap()[0]
            .policy1
            .unwrap();
        assert_eq!((q.inbound_base_msat, q.inbound_fee_ppm), (-250, -40));
        // Round trip.
        assert_eq!(
            parse_describegraph(to_describegraph(&c).as_bytes()).unwrap(),
            c
        );
    }

    #[test]
    fn errors_say_where() {
        assert!(matches!(
            parse_describegraph(b"{nope"),
            Err(ImportError::NotJson { .. })
        ));
        assert_eq!(
            parse_describegraph(b"{\"nodes\":[]}"),
            Err(ImportError::NotAGraph)
        );
        let bad = SAMPLE.replace("\"fee_base_msat\":\"1000\"", "\"fee_base_msat\":\"lots\"");
        let e = parse_describegraph(bad.as_bytes()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Edge 0 (channel 869446205316579329) in the graph file: \"fee_base_msat\" is not a whole number (\"lots\")."
        );
        let bad = SAMPLE.replace("03bbbb", "04bbbb");
        assert!(parse_describegraph(bad.as_bytes())
            .unwrap_err()
            .to_string()
            .contains("node2_pub"));
    }
}
