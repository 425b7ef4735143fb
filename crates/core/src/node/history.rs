//! Accounting history: every movement of the node's money in one list, each
//! row of one kind (channel open, channel close, on-chain send or receive,
//! Lightning payment sent or received, swap), exported as CSV.
//!
//! How on-chain transactions are told apart: a transaction that funded one
//! of the node's channels (pending, open or closed) is a `channel_open`; one
//! that closed a channel, or swept a force-closed channel's outputs (LND
//! labels those `…sweep…`), is a `channel_close`; any other is an
//! `fee` when it only paid a fee (a CPFP bump), else an `onchain_send`
//! (the wallet's balance went down) or `onchain_receive`.
//! A swap's legs are `swap` rows: its on-chain transactions carry the labels
//! the swap engine and provider give them (`swap lockup`, `swap sweep`,
//! `swap claim`, `swap refund`), its Lightning legs the memo of a swap's
//! invoice (`Switchyard swap in` / `out`).

use super::channels::ChannelList;
use super::connection::Connection;
use super::onchain::OnchainTx;
use super::payments::{Direction, PaymentRecord, PaymentStatus};
use super::NodeError;
use crate::amount::Msat;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::sync::Arc;
use ts_rs::TS;

/// What a history row records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum HistoryKind {
    /// The funding transaction of a channel.
    ChannelOpen,
    /// A closing (or sweep) transaction of a channel.
    ChannelClose,
    /// Bitcoin sent on chain.
    OnchainSend,
    /// Bitcoin received on chain.
    OnchainReceive,
    /// A transaction that only paid a fee (a CPFP fee bump, a consolidation).
    Fee,
    /// A Lightning payment we made.
    PaymentSent,
    /// A Lightning invoice of ours that was paid.
    PaymentReceived,
    /// An atomic swap's on-chain or Lightning leg.
    Swap,
}

impl HistoryKind {
    /// The CSV word.
    pub fn as_str(self) -> &'static str {
        match self {
            HistoryKind::ChannelOpen => "channel_open",
            HistoryKind::ChannelClose => "channel_close",
            HistoryKind::OnchainSend => "onchain_send",
            HistoryKind::OnchainReceive => "onchain_receive",
            HistoryKind::Fee => "fee",
            HistoryKind::PaymentSent => "payment_sent",
            HistoryKind::PaymentReceived => "payment_received",
            HistoryKind::Swap => "swap",
        }
    }
}

/// One row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct HistoryEntry {
    /// Unix seconds.
    #[ts(type = "number")]
    pub time: u64,
    /// Kind.
    pub kind: HistoryKind,
    /// Change of the node's funds, msat (negative: out), fees excluded.
    #[ts(type = "number")]
    pub amount_msat: i64,
    /// Fee paid by us, msat.
    pub fee_msat: Msat,
    /// txid, or payment hash.
    pub reference: String,
    /// Channel point, memo or label.
    pub description: String,
}

fn msat(sat: i64) -> i64 {
    sat.saturating_mul(1000)
}

/// Builds the rows from the node's lists (pure; see the module doc).
pub fn build_history(
    txs: &[OnchainTx],
    channels: &ChannelList,
    payments: &[PaymentRecord],
) -> Vec<HistoryEntry> {
    let funding: HashSet<&str> = channels
        .channels
        .iter()
        .filter_map(|c| c.channel_point.split(':').next())
        .collect();
    let closing: HashSet<&str> = channels
        .channels
        .iter()
        .filter_map(|c| c.closing_txid.as_deref())
        .collect();
    let point_of = |txid: &str| {
        channels
            .channels
            .iter()
            .find(|c| c.channel_point.starts_with(txid) || c.closing_txid.as_deref() == Some(txid))
            .map(|c| c.channel_point.clone())
    };
    let mut out = Vec::new();
    for t in txs {
        let label = t.label.to_lowercase();
        // LND's amount for our spends includes the fee; report it apart.
        let fee = i64::try_from(t.fee_sat.to_sat()).unwrap_or(i64::MAX);
        let amount = if t.amount_sat < 0 {
            t.amount_sat + fee
        } else {
            t.amount_sat
        };
        let kind = if label.starts_with("swap ") {
            HistoryKind::Swap
        } else if funding.contains(t.txid.as_str()) || label.contains("openchannel") {
            HistoryKind::ChannelOpen
        } else if closing.contains(t.txid.as_str())
            || label.contains("closechannel")
            || (label.contains("sweep") && amount > 0)
        {
            HistoryKind::ChannelClose
        } else if amount == 0 && fee > 0 {
            HistoryKind::Fee
        } else if amount < 0 {
            HistoryKind::OnchainSend
        } else {
            HistoryKind::OnchainReceive
        };
        out.push(HistoryEntry {
            time: t.time,
            kind,
            amount_msat: msat(amount),
            fee_msat: Msat::from_msat(t.fee_sat.to_sat().saturating_mul(1000)),
            reference: t.txid.clone(),
            description: point_of(&t.txid).unwrap_or_else(|| t.label.clone()),
        });
    }
    for p in payments
        .iter()
        .filter(|p| p.status == PaymentStatus::Succeeded)
    {
        let amount = i64::try_from(p.amount_msat.to_msat()).unwrap_or(i64::MAX);
        let swap = p
            .memo
            .as_deref()
            .is_some_and(|m| m.starts_with("Switchyard swap"));
        let (kind, amount_msat) = match p.direction {
            Direction::Sent if swap => (HistoryKind::Swap, -amount),
            Direction::Received if swap => (HistoryKind::Swap, amount),
            Direction::Sent => (HistoryKind::PaymentSent, -amount),
            Direction::Received => (HistoryKind::PaymentReceived, amount),
        };
        out.push(HistoryEntry {
            time: p.created_at,
            kind,
            amount_msat,
            fee_msat: p.fee_msat,
            reference: p.payment_hash.clone(),
            description: p.memo.clone().unwrap_or_default(),
        });
    }
    out.sort_by(|a, b| a.time.cmp(&b.time).then(a.reference.cmp(&b.reference)));
    out
}

/// Quotes a CSV field when it needs it (RFC 4180), and defuses spreadsheet
/// formulas (OWASP's list: a leading `=`, `+`, `-`, `@`, tab or carriage
/// return in text; spreadsheets read "\t=…" and "\r=…" as formulas too).
pub(crate) fn field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// The rows as CSV with a header line.
pub fn to_csv(rows: &[HistoryEntry]) -> String {
    let mut out = String::from(
        "time_utc,unix_time,kind,amount_sat,amount_msat,fee_sat,fee_msat,reference,description\n",
    );
    for r in rows {
        let when = chrono_utc(r.time);
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{}\n",
            when,
            r.time,
            r.kind.as_str(),
            sat_decimal(r.amount_msat),
            r.amount_msat,
            sat_decimal(i64::try_from(r.fee_msat.to_msat()).unwrap_or(i64::MAX)),
            r.fee_msat.to_msat(),
            field(&r.reference),
            field(&r.description)
        ));
    }
    out
}

/// msat as sats with three decimals when needed ("-1500", "0.001").
fn sat_decimal(msat: i64) -> String {
    let sign = if msat < 0 { "-" } else { "" };
    let m = msat.unsigned_abs();
    if m.is_multiple_of(1000) {
        format!("{sign}{}", m / 1000)
    } else {
        format!("{sign}{}.{:03}", m / 1000, m % 1000)
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` from Unix seconds (civil-from-days, no time-zone database).
pub(crate) fn chrono_utc(t: u64) -> String {
    let days = i64::try_from(t / 86_400).unwrap_or(0);
    let secs = t % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        (secs % 3600) / 60,
        secs % 60
    )
}

/// Where the CSV went and what it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct HistoryExport {
    /// The file.
    pub path: String,
    /// Rows written (header excluded).
    pub rows: u32,
    /// Rows per kind (`channel_open`: 2, …).
    pub by_kind: std::collections::BTreeMap<String, u32>,
}

/// Writes `rows` as CSV to `path` (directories created owner-only; the file
/// readable by its owner only, written to a temporary file and renamed, so a
/// reader never sees half a file).
pub fn write_history_csv(
    path: &std::path::Path,
    rows: &[HistoryEntry],
) -> Result<HistoryExport, NodeError> {
    let fail = |e: std::io::Error| NodeError::File {
        what: "the history file",
        path: path.display().to_string(),
        detail: e.to_string(),
    };
    crate::files::write_private(path, to_csv(rows).as_bytes()).map_err(fail)?;
    let mut by_kind = std::collections::BTreeMap::new();
    for r in rows {
        *by_kind.entry(r.kind.as_str().to_string()).or_insert(0u32) += 1;
    }
    Ok(HistoryExport {
        path: path.display().to_string(),
        rows: u32::try_from(rows.len()).unwrap_or(u32::MAX),
        by_kind,
    })
}

/// The activity list: payments, invoices and on-chain transactions in one history.
#[derive(Clone)]
pub struct Activity {
    conn: Arc<Connection>,
}

impl Activity {
    /// Over `conn`.
    pub fn new(conn: Arc<Connection>) -> Activity {
        Activity { conn }
    }
}

impl Activity {
    /// The node's whole history (channels, on-chain, payments), oldest first.
    pub async fn history(&self) -> Result<Vec<HistoryEntry>, NodeError> {
        let txs = super::onchain::Onchain::new(self.conn.clone())
            .transactions()
            .await?;
        let channels = super::channels::Channels::new(self.conn.clone())
            .list()
            .await?;
        let payments = super::payments::Payments::new(self.conn.clone())
            .history(u64::from(u32::MAX))
            .await?;
        Ok(build_history(&txs, &channels, &payments))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_utc() {
        assert_eq!(chrono_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(chrono_utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(chrono_utc(1_764_000_000), "2025-11-24T16:00:00Z");
    }

    #[test]
    fn amounts_keep_msat() {
        assert_eq!(sat_decimal(-1_500_000), "-1500");
        assert_eq!(sat_decimal(1), "0.001");
        assert_eq!(sat_decimal(-12_345), "-12.345");
    }

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(field("\t=1+1"), "'\t=1+1");
        assert_eq!(field("\r=1+1"), "\"'\r=1+1\"");
        assert_eq!(field("@SUM(A1)"), "'@SUM(A1)");
    }

    fn tx(txid: &str, amount: i64, fee: u64, label: &str, time: u64) -> OnchainTx {
        OnchainTx {
            txid: txid.into(),
            amount_sat: amount,
            fee_sat: crate::amount::Sat::from_sat(fee),
            confirmations: 1,
            block_height: 1,
            time,
            label: label.into(),
        }
    }

    #[test]
    fn kinds_are_told_apart() {
        let channels = ChannelList {
            channels: vec![serde_json::from_value(serde_json::json!({
                "channel_point": "aa:0", "scid": null, "chan_id": null, "peer_pubkey": "02",
                "peer_alias": null, "state": "closed", "capacity_sat": 100000, "local_sat": 0,
                "remote_sat": 0, "unsettled_sat": 0, "pending_htlcs": 0, "private": false,
                "initiator": true, "confirmations": null, "confirmations_needed": null,
                "closing_txid": "bb", "blocks_til_maturity": null, "limbo_sat": null,
                "close_type": "cooperative", "local_policy": null, "remote_policy": null,
                "age_blocks": null
            }))
            .expect("channel json")],
            block_height: 100,
        };
        let txs = [
            tx("aa", -100_250, 250, "", 10),
            tx("bb", 99_000, 0, "", 20),
            tx("cc", -5_300, 300, "external", 30),
            tx("dd", 7_000, 0, "", 40),
            tx("ee", -400, 400, "0:sweep", 50),
            tx("ff", -100_600, 600, "swap lockup", 60),
            tx("gg", 49_000, 0, "swap sweep", 70),
        ];
        let payments = [];
        let rows = build_history(&txs, &channels, &payments);
        let kinds: Vec<_> = rows.iter().map(|r| r.kind).collect();
        assert_eq!(
            kinds,
            [
                HistoryKind::ChannelOpen,
                HistoryKind::ChannelClose,
                HistoryKind::OnchainSend,
                HistoryKind::OnchainReceive,
                HistoryKind::Fee,
                HistoryKind::Swap,
                HistoryKind::Swap
            ]
        );
        assert_eq!(rows[0].amount_msat, -100_000_000);
        assert_eq!(rows[0].fee_msat, Msat::from_msat(250_000));
        assert_eq!(rows[0].description, "aa:0");
        assert_eq!(rows[2].amount_msat, -5_000_000);
        let csv = to_csv(&rows);
        assert!(csv.starts_with("time_utc,unix_time,kind,"));
        assert!(
            csv.contains(",channel_open,-100000,-100000000,250,250000,aa,aa:0\n"),
            "{csv}"
        );
        assert_eq!(csv.lines().count(), 8);
        assert!(csv.contains(",swap,-100000,"), "{csv}");
    }
}
