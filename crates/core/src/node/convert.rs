//! Small conversions between LND's wire forms and ours, shared by the node modules.

use fedimint_tonic_lnd::lnrpc;

/// LND returns txids as bytes in internal (reversed) order; shown as hex.
pub(crate) fn txid_from_bytes(b: &[u8]) -> String {
    b.iter().rev().map(|x| format!("{x:02x}")).collect()
}

/// A channel point as `txid:index`.
pub(crate) fn point_string(cp: &lnrpc::ChannelPoint) -> String {
    let txid = match &cp.funding_txid {
        Some(lnrpc::channel_point::FundingTxid::FundingTxidStr(s)) => s.clone(),
        Some(lnrpc::channel_point::FundingTxid::FundingTxidBytes(b)) => txid_from_bytes(b),
        None => String::new(),
    };
    format!("{txid}:{}", cp.output_index)
}

pub(crate) use crate::plan::hex;

/// LND's signed amounts and times, never negative where we read them.
pub(crate) fn non_negative(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

/// Unix seconds now.
pub(crate) fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn txid_bytes_are_reversed() {
        assert_eq!(txid_from_bytes(&[1, 2, 3]), "030201");
        assert_eq!(hex(&[1, 2, 3]), "010203");
        assert_eq!(non_negative(-5), 0);
    }
}
