//! The node layer put together for a face (the app, the CLI): one
//! [`Connection`] shared by the operation families, each a small handle
//! holding only that connection, and the [`Routing`] service that owns
//! the channel graph and is fed by the live-event stream.
//!
//! | concern | module |
//! |---|---|
//! | where a node is, how to log in | [`super::source`] |
//! | client, transport, failover, status | [`super::connection`], [`super::client`] |
//! | LND's formats to ours | `super::convert` |
//! | channels, payments, on-chain, backups, activity | [`super::channels`], [`super::payments`], [`super::onchain`], [`super::backups`], [`super::history`] |
//! | the graph, route previews, paying along a route | [`super::routes`] |
//! | live events | [`super::events`] |

use super::backups::Backups;
use super::channels::Channels;
use super::connection::Connection;
use super::events::EventHub;
use super::history::Activity;
use super::onchain::Onchain;
use super::payments::Payments;
use super::psbt::PsbtNode;
use super::routes::Routing;
use super::source::NodeSource;
use std::path::PathBuf;
use std::sync::Arc;

/// The node in use: its connection and the services over it.
pub struct NodeService {
    /// The connection (status, failover, switching to another node).
    pub conn: Arc<Connection>,
    /// Route previews and paying along routes, over the graph it owns.
    pub routing: Arc<Routing>,
}

impl NodeService {
    /// The node layer for `source` (none: not configured).
    pub fn new(source: Option<NodeSource>) -> NodeService {
        let conn = Arc::new(Connection::new(source));
        NodeService {
            routing: Arc::new(Routing::new(conn.clone())),
            conn,
        }
    }

    /// Channels.
    pub fn channels(&self) -> Channels {
        Channels::new(self.conn.clone())
    }

    /// Invoices and payments.
    pub fn payments(&self) -> Payments {
        Payments::new(self.conn.clone())
    }

    /// The node's on-chain wallet.
    pub fn onchain(&self) -> Onchain {
        Onchain::new(self.conn.clone())
    }

    /// LND's PSBT calls (imported accounts, funding, publishing).
    pub fn psbt(&self) -> PsbtNode {
        PsbtNode::new(self.conn.clone())
    }

    /// Static channel backups.
    pub fn backups(&self) -> Backups {
        Backups::new(self.conn.clone())
    }

    /// The activity history.
    pub fn activity(&self) -> Activity {
        Activity::new(self.conn.clone())
    }

    /// Follows the node's live events; the graph stream feeds [`Routing`].
    /// `backup_dir`: where LND's channel backups are saved; `invoice_cursor`:
    /// see [`EventHub::start`].
    pub fn events(&self, backup_dir: Option<PathBuf>, invoice_cursor: (u64, u64)) -> EventHub {
        EventHub::start(
            self.conn.clone(),
            self.routing.clone(),
            backup_dir,
            invoice_cursor,
        )
    }
}
