//! Fields LND 0.20 sends that the protos vendored in `fedimint-tonic-lnd`
//! (older) do not know, so prost would drop them. We decode the same answer
//! a second way, with only the fields we need, over the same connection.
//!
//! - `PendingChannels`: `confirmations_until_active` (7) and
//!   `confirmation_height` (8) of pending opens, for "2 of 3 confirmations".

use super::client::LndClient;
use super::error::NodeError;
use fedimint_tonic_lnd::lnrpc;
use fedimint_tonic_lnd::tonic;
use std::time::Duration;

/// `PendingChannelsResponse.PendingOpenChannel`, the fields we read.
#[derive(Clone, PartialEq, prost::Message)]
pub struct PendingOpenLite {
    /// The channel.
    #[prost(message, optional, tag = "1")]
    pub channel: Option<lnrpc::pending_channels_response::PendingChannel>,
    /// Blocks left until LND considers the channel open (LND ≥ 0.19).
    #[prost(uint32, tag = "7")]
    pub confirmations_until_active: u32,
    /// Height of the block that confirmed the funding transaction (0: none yet).
    #[prost(uint32, tag = "8")]
    pub confirmation_height: u32,
}

/// `PendingChannelsResponse`, the pending opens only.
#[derive(Clone, PartialEq, prost::Message)]
pub struct PendingOpensLite {
    /// Pending opens.
    #[prost(message, repeated, tag = "2")]
    pub pending_open_channels: Vec<PendingOpenLite>,
}

impl LndClient {
    /// `PendingChannels`, decoded for the pending opens' confirmation fields.
    pub async fn pending_opens(&self, limit: Duration) -> Result<PendingOpensLite, NodeError> {
        let mut grpc = self.grpc.clone();
        let call = async move {
            grpc.ready()
                .await
                .map_err(|e| tonic::Status::unavailable(format!("transport not ready: {e}")))?;
            let codec: tonic::codec::ProstCodec<lnrpc::PendingChannelsRequest, PendingOpensLite> =
                tonic::codec::ProstCodec::default();
            let path = tonic::codegen::http::uri::PathAndQuery::from_static(
                "/lnrpc.Lightning/PendingChannels",
            );
            grpc.unary(
                tonic::Request::new(lnrpc::PendingChannelsRequest::default()),
                path,
                codec,
            )
            .await
        };
        self.call(limit, call).await
    }
}
