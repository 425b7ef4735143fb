//! The node operations that move money or change a channel, as both faces
//! call them: each runs the node's call and records it in the audit log
//! (what was asked, the outcome, the ids that came back — never a preimage
//! or a macaroon). Payments, keysends and rebalances are recorded where they
//! also teach mission control (`context.rs`).

use crate::audit::Record;
use crate::context::Context;
use crate::node::backups::BackupSummary;
use crate::node::channels::{
    CloseChannelRequest, ClosingChannel, FeeChoice, OpenChannelRequest, OpenedChannel, PolicyUpdate,
};
use crate::node::onchain::SendCoinsRequest;
use crate::node::NodeError;
use std::path::Path;
use switchyard_pure::audit::Kind;

fn fee_words(fee: &Option<FeeChoice>) -> String {
    match fee {
        Some(FeeChoice::SatPerVbyte(r)) => format!("{r} sat/vB"),
        Some(FeeChoice::TargetBlocks(n)) => format!("node's estimate for {n} blocks"),
        None => "node's estimate".into(),
    }
}

fn open_record(req: &OpenChannelRequest) -> Record {
    Record::new(Kind::ChannelOpen)
        .with("peer", &req.peer)
        .with("amount_sat", req.amount_sat.to_sat())
        .with("push_sat", req.push_sat.to_sat())
        .with("private", req.private)
        .with("fee_rate", fee_words(&req.fee))
}

impl Context {
    /// Opens a channel (recorded).
    pub async fn open_channel(&self, req: &OpenChannelRequest) -> Result<OpenedChannel, NodeError> {
        let r = self.node.channels().open(req).await;
        let rec = match &r {
            Ok(o) => open_record(req).on(format!("channel:{}", o.channel_point)),
            Err(_) => open_record(req),
        };
        self.audit.note(rec, &r).await;
        r
    }

    /// Opens channels to several peers in one transaction (one entry each).
    pub async fn open_channels_batch(
        &self,
        reqs: &[OpenChannelRequest],
        fee: Option<FeeChoice>,
        allow_high_fee: bool,
    ) -> Result<Vec<OpenedChannel>, NodeError> {
        let r = self
            .node
            .channels()
            .open_batch(reqs, fee, allow_high_fee)
            .await;
        for (i, req) in reqs.iter().enumerate() {
            let rec = open_record(req).with("batch", format!("{} of {}", i + 1, reqs.len()));
            let rec = match r.as_ref().ok().and_then(|o| o.get(i)) {
                Some(o) => rec.on(format!("channel:{}", o.channel_point)),
                None => rec.with("fee_rate", fee_words(&fee)),
            };
            self.audit.note(rec, &r).await;
        }
        r
    }

    /// Closes a channel (recorded).
    pub async fn close_channel(
        &self,
        req: &CloseChannelRequest,
    ) -> Result<ClosingChannel, NodeError> {
        let r = self.node.channels().close(req).await;
        let mut rec = Record::new(Kind::ChannelClose)
            .on(format!("channel:{}", req.channel_point))
            .with("force", req.force)
            .with("fee_rate", fee_words(&req.fee));
        if let Some(a) = &req.delivery_address {
            rec = rec.with("delivery_address", a);
        }
        if let Ok(c) = &r {
            rec = rec.with("closing_txid", &c.closing_txid);
        }
        self.audit.note(rec, &r).await;
        r
    }

    /// Sets a forwarding policy, for one channel or all (recorded).
    pub async fn update_policy(&self, req: &PolicyUpdate) -> Result<(), NodeError> {
        let r = self.node.channels().update_policy(req).await;
        let rec = Record::new(Kind::ChannelPolicy)
            .on(match &req.channel_point {
                Some(p) => format!("channel:{p}"),
                None => "channels:all".into(),
            })
            .with("base_fee_msat", req.base_fee_msat.to_msat())
            .with("fee_rate_ppm", req.fee_rate_ppm)
            .with("time_lock_delta", req.time_lock_delta);
        self.audit.note(rec, &r).await;
        r
    }

    /// Sends on-chain from the node's wallet (recorded).
    pub async fn send_coins(&self, req: &SendCoinsRequest) -> Result<String, NodeError> {
        let r = self.node.onchain().send(req).await;
        let mut rec = Record::new(Kind::OnchainSend)
            .with("address", &req.address)
            .with(
                "amount_sat",
                if req.send_all {
                    "everything".to_string()
                } else {
                    req.amount_sat.to_sat().to_string()
                },
            )
            .with("fee_rate", fee_words(&req.fee));
        if let Ok(txid) = &r {
            rec = rec.on(format!("tx:{txid}"));
        }
        self.audit.note(rec, &r).await;
        r
    }

    /// Exports the static channel backup to `path` (recorded).
    pub async fn export_backup(&self, path: &Path) -> Result<BackupSummary, NodeError> {
        let r = self.node.backups().export(path).await;
        let mut rec = Record::new(Kind::BackupExport).with("path", path.display());
        if let Ok(b) = &r {
            rec = rec.with("channels", b.channel_points.len());
        }
        self.audit.note(rec, &r).await;
        r
    }

    /// Restores channels from a backup file (recorded; it force-closes them).
    pub async fn restore_backup(&self, path: &Path, confirmed: bool) -> Result<u32, NodeError> {
        let r = self.node.backups().restore(path, confirmed).await;
        let mut rec = Record::new(Kind::BackupRestore).with("path", path.display());
        if let Ok(n) = &r {
            rec = rec.with("channels", n);
        }
        self.audit.note(rec, &r).await;
        r
    }
}
