//! LND's `WalletUnlocker` and `State` services, which the vendored protos of
//! `fedimint-tonic-lnd` lack: hand-written prost messages (field numbers from
//! LND's `walletunlocker.proto` and `stateservice.proto`) over the same
//! connection, like extra.rs.
//!
//! - [`init_wallet`]: a fresh LND's wallet from our BIP32 master key
//!   (`extended_master_key`), so the node's on-chain funds derive from the
//!   Switchyard wallet's words (LND's default account is BIP84
//!   `m/84'/coin'/0'`);
//! - [`unlock`]: a locked LND with the password kept in the keychain;
//! - [`wallet_state`]: where LND is in its start-up.
//!
//! These calls need no macaroon (LND serves them before any exist).

use super::client::{LndClient, CALL_TIMEOUT};
use super::error::NodeError;
use fedimint_tonic_lnd::lnrpc;
use fedimint_tonic_lnd::tonic;
use secrecy::{ExposeSecret, SecretString};
use std::time::Duration;
use zeroize::Zeroizing;

/// `lnrpc.InitWalletRequest`, the fields we send.
#[derive(Clone, PartialEq, prost::Message)]
struct InitWalletRequest {
    #[prost(bytes = "vec", tag = "1")]
    wallet_password: Vec<u8>,
    #[prost(int32, tag = "4")]
    recovery_window: i32,
    #[prost(bool, tag = "6")]
    stateless_init: bool,
    #[prost(string, tag = "7")]
    extended_master_key: String,
    #[prost(uint64, tag = "8")]
    extended_master_key_birthday_timestamp: u64,
}

impl Drop for InitWalletRequest {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.wallet_password.zeroize();
        self.extended_master_key.zeroize();
    }
}

/// `lnrpc.InitWalletResponse`.
#[derive(Clone, PartialEq, prost::Message)]
struct InitWalletResponse {
    #[prost(bytes = "vec", tag = "1")]
    admin_macaroon: Vec<u8>,
}

impl Drop for InitWalletResponse {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.admin_macaroon.zeroize();
    }
}

/// `lnrpc.UnlockWalletRequest`, the fields we send.
#[derive(Clone, PartialEq, prost::Message)]
struct UnlockWalletRequest {
    #[prost(bytes = "vec", tag = "1")]
    wallet_password: Vec<u8>,
}

impl Drop for UnlockWalletRequest {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.wallet_password.zeroize();
    }
}

/// `lnrpc.UnlockWalletResponse` (empty).
#[derive(Clone, PartialEq, prost::Message)]
struct Empty {}

/// `lnrpc.GetStateResponse`.
#[derive(Clone, PartialEq, prost::Message)]
struct GetStateResponse {
    #[prost(int32, tag = "1")]
    state: i32,
}

/// Where LND is in its start-up (`lnrpc.WalletState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WalletState {
    /// No wallet yet: waiting for `InitWallet`.
    NonExisting,
    /// Waiting for `UnlockWallet`.
    Locked,
    /// Unlocked; the RPC server is starting.
    Unlocked,
    /// RPC is up.
    RpcActive,
    /// Fully started.
    ServerActive,
    /// Waiting to become the cluster's leader.
    WaitingToStart,
    /// A value this version does not know.
    Other(i32),
}

impl From<i32> for WalletState {
    fn from(v: i32) -> Self {
        match v {
            0 => WalletState::NonExisting,
            1 => WalletState::Locked,
            2 => WalletState::Unlocked,
            3 => WalletState::RpcActive,
            4 => WalletState::ServerActive,
            255 => WalletState::WaitingToStart,
            other => WalletState::Other(other),
        }
    }
}

impl LndClient {
    async fn raw_unary<Q, R>(
        &self,
        path: &'static str,
        req: Q,
        limit: Duration,
    ) -> Result<R, NodeError>
    where
        Q: prost::Message + Send + Sync + 'static,
        R: prost::Message + Default + Send + Sync + 'static,
    {
        let mut grpc = self.grpc.clone();
        let call = async move {
            grpc.ready()
                .await
                .map_err(|e| tonic::Status::unavailable(format!("transport not ready: {e}")))?;
            let codec: tonic::codec::ProstCodec<Q, R> = tonic::codec::ProstCodec::default();
            let path = tonic::codegen::http::uri::PathAndQuery::from_static(path);
            grpc.unary(tonic::Request::new(req), path, codec).await
        };
        self.call(limit, call).await
    }
}

/// LND's start-up state.
pub async fn wallet_state(client: &LndClient) -> Result<WalletState, NodeError> {
    wallet_state_within(client, CALL_TIMEOUT).await
}

/// LND's start-up state, asked with a time limit.
pub async fn wallet_state_within(
    client: &LndClient,
    limit: Duration,
) -> Result<WalletState, NodeError> {
    let r: GetStateResponse = client
        .raw_unary("/lnrpc.State/GetState", lnrpc::GetInfoRequest {}, limit)
        .await?;
    Ok(WalletState::from(r.state))
}

/// Creates a fresh LND's wallet from `master_xprv`; returns the admin macaroon.
/// `rescan`: scan the chain from the genesis block for funds the words
/// already hold (a restored seed); otherwise start from now. `limit`: how
/// long to wait for LND's answer (creating the wallet derives keys and
/// writes its database: slower than a call).
pub async fn init_wallet(
    client: &LndClient,
    password: &SecretString,
    master_xprv: &Zeroizing<String>,
    rescan: bool,
    limit: Duration,
) -> Result<Zeroizing<Vec<u8>>, NodeError> {
    let birthday = if rescan {
        0
    } else {
        super::convert::now_secs()
    };
    let req = InitWalletRequest {
        wallet_password: password.expose_secret().as_bytes().to_vec(),
        recovery_window: if rescan { 2500 } else { 0 },
        stateless_init: false,
        extended_master_key: master_xprv.to_string(),
        extended_master_key_birthday_timestamp: birthday,
    };
    let mut r: InitWalletResponse = client
        .raw_unary("/lnrpc.WalletUnlocker/InitWallet", req, limit)
        .await?;
    // Moved out: the response's own buffer is zeroized when it drops.
    Ok(Zeroizing::new(std::mem::take(&mut r.admin_macaroon)))
}

/// Unlocks a locked LND.
pub async fn unlock(client: &LndClient, password: &SecretString) -> Result<(), NodeError> {
    let req = UnlockWalletRequest {
        wallet_password: password.expose_secret().as_bytes().to_vec(),
    };
    let _: Empty = client
        .raw_unary("/lnrpc.WalletUnlocker/UnlockWallet", req, Duration::from_secs(60))
        .await
        .map_err(|e| match e {
            NodeError::Rpc { detail } if detail.contains("invalid passphrase") => {
                NodeError::BadRequest {
                    message: "The node refused the wallet password Switchyard holds for it. Unlock it with lncli, then update the profile's password.".into(),
                }
            }
            other => other,
        })?;
    Ok(())
}

/// Waits (up to a minute) until LND answers `GetInfo` after an unlock or
/// init, while it reports that it is still starting.
pub async fn wait_ready(client: &LndClient) -> Result<lnrpc::GetInfoResponse, NodeError> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        match client.get_info().await {
            Err(NodeError::Starting | NodeError::WalletLocked)
                if tokio::time::Instant::now() < deadline =>
            {
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
            other => return other,
        }
    }
}
