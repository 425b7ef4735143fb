//! Live events from LND: channel events, invoices, wallet transactions, the
//! channel graph, channel backups and payments (router `TrackPayments`).
//!
//! One task per stream reads from gRPC and publishes into a bounded
//! `broadcast` channel. The reader never waits for consumers: a consumer that
//! falls behind loses the oldest events and its [`EventReceiver::dropped`]
//! counter says how many (it should then reload what it shows). Every stream
//! reconnects with exponential backoff and resubscribes; invoices resume from
//! the last add/settle index seen, so LND replays what happened meanwhile.
//! Each new multi-channel backup LND announces is saved to the data
//! directory before the event goes out.

use super::backups::save_backup_file;
use super::client::LndClient;
use super::connection::Connection;
use super::convert::{now_secs, point_string, txid_from_bytes};
use super::payments::{invoice_record, PaymentStatus};
use crate::graph::model::GraphUpdate;
use fedimint_tonic_lnd::tonic;
use fedimint_tonic_lnd::tonic::codec::Streaming;
use fedimint_tonic_lnd::{lnrpc, routerrpc};
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::broadcast;
use ts_rs::TS;

/// Where the graph stream's updates go (the routing service's graph).
pub trait GraphFeed: Send + Sync {
    /// Channel updates, in order.
    fn apply(&self, updates: &[GraphUpdate]);
    /// The stream (re)connected: updates may have been missed; reload.
    fn reset(&self);
}

/// Events kept for slow consumers before the oldest are dropped.
pub const EVENT_BUFFER: usize = 1024;

/// The streams we follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum StreamKind {
    /// SubscribeChannelEvents.
    Channels,
    /// SubscribeInvoices.
    Invoices,
    /// SubscribeTransactions.
    Transactions,
    /// SubscribeChannelGraph.
    Graph,
    /// SubscribeChannelBackups.
    Backups,
    /// routerrpc.TrackPayments.
    Payments,
}

/// All streams.
pub const ALL_STREAMS: [StreamKind; 6] = [
    StreamKind::Channels,
    StreamKind::Invoices,
    StreamKind::Transactions,
    StreamKind::Graph,
    StreamKind::Backups,
    StreamKind::Payments,
];

/// A stream's connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "state", rename_all = "snake_case")]
#[ts(export)]
pub enum StreamState {
    /// Subscribed; events flow.
    Live,
    /// Lost; the next attempt is scheduled.
    Reconnecting {
        /// Attempts so far since it was last live.
        attempt: u32,
        /// Milliseconds until the next attempt.
        retry_in_ms: u32,
        /// Why it was lost.
        reason: String,
    },
}

/// Something that happened on the node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(export)]
pub enum NodeEvent {
    /// A channel changed state.
    Channel {
        /// "pending_open", "open", "active", "inactive", "closed", "fully_resolved", "funding_timeout".
        update: String,
        /// `txid:index`, if known.
        channel_point: Option<String>,
    },
    /// An invoice of ours was added or changed.
    Invoice {
        /// Payment hash (hex).
        payment_hash: String,
        /// Its status now.
        status: PaymentStatus,
        /// Paid (or asked) amount.
        amount_msat: crate::amount::Msat,
        /// LND's add index.
        #[ts(type = "number")]
        add_index: u64,
        /// LND's settle index (0: unsettled).
        #[ts(type = "number")]
        settle_index: u64,
    },
    /// A wallet transaction appeared or confirmed.
    Transaction {
        /// Transaction id.
        txid: String,
        /// Net change of the wallet, sats.
        #[ts(type = "number")]
        amount_sat: i64,
        /// Confirmations.
        confirmations: u32,
    },
    /// The channel graph changed.
    Graph {
        /// Node announcements.
        nodes: u32,
        /// Channel policy updates.
        channels: u32,
        /// Channels closed.
        closed: u32,
    },
    /// LND announced a new channel backup (saved before this event, or
    /// `error` says why it could not be: the UI must show that).
    Backup {
        /// Channels it covers.
        channels: u32,
        /// Where it was saved.
        path: Option<String>,
        /// Why it was not saved (the folder, the disk), in words.
        error: Option<String>,
    },
    /// A payment from this node changed status.
    Payment {
        /// Payment hash (hex).
        payment_hash: String,
        /// Status now.
        status: PaymentStatus,
    },
    /// A stream connected or was lost.
    Stream {
        /// Which.
        stream: StreamKind,
        /// Its state now.
        state: StreamState,
    },
}

/// A consumer's end. Counts what it missed by falling behind.
pub struct EventReceiver {
    rx: broadcast::Receiver<NodeEvent>,
    dropped: u64,
}

impl EventReceiver {
    /// The next event (none: the hub stopped). Skips, and counts, what was
    /// dropped because this receiver fell behind.
    pub async fn recv(&mut self) -> Option<NodeEvent> {
        loop {
            match self.rx.recv().await {
                Ok(e) => return Some(e),
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    self.dropped += n;
                    tracing::warn!(dropped = n, "slow event consumer; oldest events dropped");
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    }

    /// Events this receiver missed by falling behind.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }
}

/// Exponential backoff: 250 ms doubling to 10 s.
#[derive(Debug, Clone)]
pub struct Backoff {
    attempt: u32,
}

impl Backoff {
    /// Starts at the first delay.
    pub fn new() -> Backoff {
        Backoff { attempt: 0 }
    }
    /// The next delay.
    pub fn next_delay(&mut self) -> Duration {
        let ms = 250u64.saturating_mul(1 << self.attempt.min(6)).min(10_000);
        self.attempt = self.attempt.saturating_add(1);
        Duration::from_millis(ms)
    }
    /// Attempts since the last reset.
    pub fn attempts(&self) -> u32 {
        self.attempt
    }
    /// After a success.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff::new()
    }
}

struct Shared {
    node: Arc<Connection>,
    graph: Arc<dyn GraphFeed>,
    tx: broadcast::Sender<NodeEvent>,
    stop: AtomicBool,
    backup_dir: Option<PathBuf>,
    invoice_cursor: Mutex<(u64, u64)>,
}

impl Shared {
    fn publish(&self, e: NodeEvent) {
        // No receivers is fine: nothing to deliver to.
        let _ = self.tx.send(e);
    }

    fn set_state(&self, stream: StreamKind, state: StreamState) {
        self.node.set_stream_state(stream, state.clone());
        self.publish(NodeEvent::Stream { stream, state });
    }
}

/// The running subscriptions of one node. Dropping it stops them.
pub struct EventHub {
    shared: Arc<Shared>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for EventHub {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        for t in &self.tasks {
            t.abort();
        }
    }
}

impl EventHub {
    /// Starts every stream of `node`'s connection. `graph`: where the graph
    /// stream's updates go. `backup_dir`: where LND's channel backups are saved.
    /// `invoice_cursor`: (add_index, settle_index) to resume invoices from
    /// (0, 0: only new ones).
    pub fn start(
        node: Arc<Connection>,
        graph: Arc<dyn GraphFeed>,
        backup_dir: Option<PathBuf>,
        invoice_cursor: (u64, u64),
    ) -> EventHub {
        let (tx, _) = broadcast::channel(EVENT_BUFFER);
        let shared = Arc::new(Shared {
            node,
            graph,
            tx,
            stop: AtomicBool::new(false),
            backup_dir,
            invoice_cursor: Mutex::new(invoice_cursor),
        });
        let tasks = ALL_STREAMS
            .iter()
            .map(|&k| tokio::spawn(run_kind(k, shared.clone())))
            .collect();
        EventHub { shared, tasks }
    }

    /// A new consumer (sees events from now on).
    pub fn subscribe(&self) -> EventReceiver {
        EventReceiver {
            rx: self.shared.tx.subscribe(),
            dropped: 0,
        }
    }

    /// The last invoice indexes seen (to resume from after a restart).
    pub fn invoice_cursor(&self) -> (u64, u64) {
        self.shared
            .invoice_cursor
            .lock()
            .map(|g| *g)
            .unwrap_or((0, 0))
    }
}

async fn run_kind(kind: StreamKind, sh: Arc<Shared>) {
    match kind {
        StreamKind::Channels => {
            run(
                kind,
                &sh,
                |c| async move {
                    let mut ln = c.lightning.clone();
                    ln.subscribe_channel_events(lnrpc::ChannelEventSubscription {})
                        .await
                },
                |_, m: lnrpc::ChannelEventUpdate| vec![channel_event(m)],
            )
            .await
        }
        StreamKind::Invoices => {
            run(
                kind,
                &sh,
                |c| {
                    let (add_index, settle_index) =
                        sh.invoice_cursor.lock().map(|g| *g).unwrap_or((0, 0));
                    async move {
                        let mut ln = c.lightning.clone();
                        ln.subscribe_invoices(lnrpc::InvoiceSubscription {
                            add_index,
                            settle_index,
                        })
                        .await
                    }
                },
                |sh, i: lnrpc::Invoice| {
                    if let Ok(mut g) = sh.invoice_cursor.lock() {
                        g.0 = g.0.max(i.add_index);
                        g.1 = g.1.max(i.settle_index);
                    }
                    let r = invoice_record(&i, now_secs());
                    vec![NodeEvent::Invoice {
                        payment_hash: r.payment_hash,
                        status: r.status,
                        amount_msat: r.amount_msat,
                        add_index: i.add_index,
                        settle_index: i.settle_index,
                    }]
                },
            )
            .await
        }
        StreamKind::Transactions => {
            run(
                kind,
                &sh,
                |c| async move {
                    let mut ln = c.lightning.clone();
                    ln.subscribe_transactions(lnrpc::GetTransactionsRequest::default())
                        .await
                },
                |_, t: lnrpc::Transaction| {
                    vec![NodeEvent::Transaction {
                        txid: t.tx_hash,
                        amount_sat: t.amount,
                        confirmations: u32::try_from(t.num_confirmations).unwrap_or(0),
                    }]
                },
            )
            .await
        }
        StreamKind::Graph => {
            run(
                kind,
                &sh,
                |c| {
                    // A (re)subscription: updates may have been missed, so
                    // the route-preview graph is reloaded on next use.
                    sh.graph.reset();
                    async move {
                        let mut ln = c.lightning.clone();
                        ln.subscribe_channel_graph(lnrpc::GraphTopologySubscription {})
                            .await
                    }
                },
                |sh, g: lnrpc::GraphTopologyUpdate| {
                    sh.graph.apply(&super::convert::updates_from_lnd(&g));
                    let n = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
                    vec![NodeEvent::Graph {
                        nodes: n(g.node_updates.len()),
                        channels: n(g.channel_updates.len()),
                        closed: n(g.closed_chans.len()),
                    }]
                },
            )
            .await
        }
        StreamKind::Backups => {
            run(
                kind,
                &sh,
                |c| {
                    let sh = sh.clone();
                    async move {
                        let mut ln = c.lightning.clone();
                        let sub =
                            ln.subscribe_channel_backups(lnrpc::ChannelBackupSubscription {});
                        tokio::pin!(sub);
                        // LND sends only changes: one made while we were not
                        // subscribed (a reconnect, a cluster's failover, the
                        // app starting) would never be saved. So the node's
                        // current backup is saved at every (re)subscription,
                        // once the subscription is on its way (LND answers a
                        // subscription only with its first change, so it is
                        // not awaited first).
                        let early = tokio::select! {
                            r = &mut sub => Some(r),
                            () = tokio::time::sleep(SUBSCRIBED_AFTER) => None,
                        };
                        let mut export = c.lightning.clone();
                        match export
                            .export_all_channel_backups(lnrpc::ChanBackupExportRequest {})
                            .await
                        {
                            Ok(snapshot) => {
                                for e in backup_events(&sh, snapshot.into_inner()) {
                                    sh.publish(e);
                                }
                            }
                            Err(status) => {
                                tracing::info!(error = %c.status_error(&status), "no channel backup to save yet");
                            }
                        }
                        match early {
                            Some(r) => r,
                            None => sub.await,
                        }
                    }
                },
                backup_events,
            )
            .await
        }
        StreamKind::Payments => {
            run(
                kind,
                &sh,
                |c| async move {
                    let mut r = c.router.clone();
                    r.track_payments(routerrpc::TrackPaymentsRequest {
                        no_inflight_updates: false,
                    })
                    .await
                },
                |_, p: lnrpc::Payment| {
                    use lnrpc::payment::PaymentStatus as S;
                    let status = match S::try_from(p.status) {
                        Ok(S::Succeeded) => PaymentStatus::Succeeded,
                        Ok(S::Failed) => PaymentStatus::Failed,
                        _ => PaymentStatus::Pending,
                    };
                    vec![NodeEvent::Payment {
                        payment_hash: p.payment_hash,
                        status,
                    }]
                },
            )
            .await
        }
    }
}

/// How long a backup subscription is given to reach LND before the current
/// backup is exported (see the Backups stream).
const SUBSCRIBED_AFTER: Duration = Duration::from_millis(300);

/// Saves a backup LND announced (or that we exported) and says so.
fn backup_events(sh: &Shared, s: lnrpc::ChanBackupSnapshot) -> Vec<NodeEvent> {
    let Some(multi) = s.multi_chan_backup else {
        return Vec::new();
    };
    let channels = u32::try_from(multi.chan_points.len()).unwrap_or(u32::MAX);
    let (path, error) = match sh.backup_dir.as_ref() {
        None => (None, None),
        Some(dir) => match save_backup_file(dir, &multi.multi_chan_backup) {
            Ok(p) => (Some(p.display().to_string()), None),
            Err(e) => {
                tracing::error!(error = %e, dir = %dir.display(), "could not save the channel backup");
                (
                    None,
                    Some(format!(
                        "The node's new channel backup could not be saved in {} ({e}). Free space or fix the folder's permissions, and export the backup from the Dashboard meanwhile: without it, funds in new channels cannot be recovered if the node's disk fails.",
                        dir.display()
                    )),
                )
            }
        },
    };
    vec![NodeEvent::Backup {
        channels,
        path,
        error,
    }]
}

fn channel_event(m: lnrpc::ChannelEventUpdate) -> NodeEvent {
    use lnrpc::channel_event_update::Channel as C;
    let point = |cp: &lnrpc::ChannelPoint| Some(point_string(cp));
    let (update, channel_point) = match &m.channel {
        Some(C::OpenChannel(c)) => ("open", Some(c.channel_point.clone())),
        Some(C::ClosedChannel(c)) => ("closed", Some(c.channel_point.clone())),
        Some(C::ActiveChannel(cp)) => ("active", point(cp)),
        Some(C::InactiveChannel(cp)) => ("inactive", point(cp)),
        Some(C::PendingOpenChannel(p)) => (
            "pending_open",
            Some(format!("{}:{}", txid_from_bytes(&p.txid), p.output_index)),
        ),
        Some(C::FullyResolvedChannel(cp)) => ("fully_resolved", point(cp)),
        Some(C::ChannelFundingTimeout(cp)) => ("funding_timeout", point(cp)),
        None => ("unknown", None),
    };
    NodeEvent::Channel {
        update: update.to_string(),
        channel_point,
    }
}

/// Subscribes with `open`, publishes what `map` makes of each message, and
/// reconnects with backoff when the stream fails or ends.
/// The subscription call as the generated client returns it.
type Opened<T> = Result<tonic::Response<Streaming<T>>, tonic::Status>;

/// How long a subscription may stay unanswered on a healthy connection
/// before it counts as live. LND (grpc-go) sends a stream's headers with its
/// first message, so a quiet stream is only "accepted", never "answered".
const QUIET_LIVE_AFTER: Duration = Duration::from_millis(1500);

async fn subscribe<T, Fut>(
    kind: StreamKind,
    sh: &Shared,
    c: &LndClient,
    fut: Fut,
) -> Result<Streaming<T>, String>
where
    Fut: Future<Output = Opened<T>>,
{
    // A working connection first: a dead node fails here at once.
    c.get_info().await.map_err(|e| e.to_string())?;
    tokio::pin!(fut);
    let mut marked = false;
    let opened = tokio::select! {
        r = &mut fut => r,
        () = tokio::time::sleep(QUIET_LIVE_AFTER) => {
            sh.set_state(kind, StreamState::Live);
            marked = true;
            fut.await
        }
    };
    let stream = opened
        .map_err(|s| c.status_error(&s).to_string())?
        .into_inner();
    if !marked {
        sh.set_state(kind, StreamState::Live);
    }
    Ok(stream)
}

async fn run<T, O, Fut, M>(kind: StreamKind, sh: &Arc<Shared>, open: O, mut map: M)
where
    O: Fn(LndClient) -> Fut,
    Fut: Future<Output = Opened<T>>,
    M: FnMut(&Shared, T) -> Vec<NodeEvent>,
{
    let mut backoff = Backoff::new();
    while !sh.stop.load(Ordering::SeqCst) {
        let reason = match sh.node.client().await {
            Err(e) => e.to_string(),
            Ok(c) => match subscribe(kind, sh, &c, open(c.clone())).await {
                Err(e) => e,
                Ok(mut stream) => {
                    backoff.reset();
                    tracing::debug!(?kind, "stream live");
                    loop {
                        match stream.message().await {
                            Ok(Some(m)) => {
                                for e in map(sh, m) {
                                    sh.publish(e);
                                }
                            }
                            Ok(None) => break "the node ended the stream".to_string(),
                            Err(status) => break c.status_error(&status).to_string(),
                        }
                    }
                }
            },
        };
        if sh.stop.load(Ordering::SeqCst) {
            return;
        }
        sh.node.reset_client().await;
        let attempt = backoff.attempts() + 1;
        let delay = backoff.next_delay();
        tracing::info!(?kind, attempt, delay_ms = delay.as_millis() as u64, %reason, "stream lost; reconnecting");
        sh.set_state(
            kind,
            StreamState::Reconnecting {
                attempt,
                retry_in_ms: u32::try_from(delay.as_millis()).unwrap_or(u32::MAX),
                reason,
            },
        );
        tokio::time::sleep(delay).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_a_cap_and_resets() {
        let mut b = Backoff::new();
        let d: Vec<u64> = (0..9).map(|_| b.next_delay().as_millis() as u64).collect();
        assert_eq!(
            d,
            [250, 500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000]
        );
        assert_eq!(b.attempts(), 9);
        b.reset();
        assert_eq!(b.next_delay(), Duration::from_millis(250));
    }

    #[tokio::test]
    async fn a_slow_consumer_loses_the_oldest_and_counts_them() {
        let (tx, _) = broadcast::channel(4);
        let mut slow = EventReceiver {
            rx: tx.subscribe(),
            dropped: 0,
        };
        for i in 0..10u32 {
            // The sender never waits, however far behind the consumer is.
            tx.send(NodeEvent::Graph {
                nodes: i,
                channels: 0,
                closed: 0,
            })
            .ok();
        }
        let first = slow.recv().await;
        assert_eq!(
            first,
            Some(NodeEvent::Graph {
                nodes: 6,
                channels: 0,
                closed: 0
            })
        );
        assert_eq!(slow.dropped(), 6);
    }
}
