//! A client of Boltz's v2 API (any Boltz-compatible provider, ours
//! included): JSON over HTTP(S) with a time limit and a size cap on every
//! answer, errors that say what the provider did, and the WebSocket status
//! stream (subscribe, ping every 30 s, resubscribe after a reconnect).
//! Answers are parsed here and checked by [`crate::swap::check`] before
//! anything is done with them.

use crate::swap::api::*;
use bytes_body::Body;
use futures_util::{SinkExt, StreamExt};
use http_body_util::BodyExt;
use hyper::{Method, Request, StatusCode};
use hyper_util::client::legacy::Client;
use std::time::Duration;
use tokio::sync::mpsc;

mod bytes_body {
    pub type Body = http_body_util::Full<hyper::body::Bytes>;
}

/// How long one request may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
/// The largest answer read (a swap's answers are a few kB).
pub const MAX_ANSWER: usize = 1 << 20;

/// What went wrong talking to a provider.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderApiError {
    /// The URL is not one.
    #[error("the provider address {0} is not a valid http(s) URL")]
    BadUrl(String),
    /// Nothing answered (or too slowly).
    #[error("the swap provider at {url} did not answer ({detail}). Check the address, or try again later; nothing was sent or paid.")]
    Unreachable {
        /// Where.
        url: String,
        /// Why.
        detail: String,
    },
    /// An error answer.
    #[error("the swap provider refused: {message} (HTTP {status})")]
    Refused {
        /// The HTTP status.
        status: u16,
        /// Its words.
        message: String,
    },
    /// An answer that is not what the API defines.
    #[error("the swap provider sent a malformed answer to {what}: {detail}")]
    Malformed {
        /// Which request.
        what: String,
        /// What was wrong.
        detail: String,
    },
}

impl ProviderApiError {
    /// A 409: the hash is in use (a swap was made with it before).
    pub fn is_conflict(&self) -> bool {
        matches!(self, ProviderApiError::Refused { status: 409, .. })
    }
}

type Https = hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>;

/// A provider's API.
#[derive(Clone)]
pub struct BoltzClient {
    base: String,
    http: Client<Https, Body>,
}

impl std::fmt::Debug for BoltzClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BoltzClient")
            .field("base", &self.base)
            .finish()
    }
}

fn tls_config() -> rustls::ClientConfig {
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let roots = rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map(|b| b.with_root_certificates(roots).with_no_client_auth())
        .unwrap_or_else(|e| unreachable!("ring supports the default versions: {e}"))
}

/// Normalises a provider URL to its API base (`…/v2`, no trailing slash).
pub fn api_base(url: &str) -> Result<String, ProviderApiError> {
    let t = url.trim().trim_end_matches('/');
    let uri: hyper::Uri = t
        .parse()
        .map_err(|_| ProviderApiError::BadUrl(url.to_string()))?;
    match uri.scheme_str() {
        Some("http") | Some("https") => {}
        _ => return Err(ProviderApiError::BadUrl(url.to_string())),
    }
    if uri.host().is_none() {
        return Err(ProviderApiError::BadUrl(url.to_string()));
    }
    Ok(if t.ends_with("/v2") {
        t.to_string()
    } else {
        format!("{t}/v2")
    })
}

impl BoltzClient {
    /// A client of the provider at `url` (`http://host:port` or with `/v2`).
    pub fn new(url: &str) -> Result<BoltzClient, ProviderApiError> {
        let base = api_base(url)?;
        let mut http = hyper_util::client::legacy::connect::HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(Duration::from_secs(5)));
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls_config())
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let http = Client::builder(hyper_util::rt::TokioExecutor::new()).build(connector);
        Ok(BoltzClient { base, http })
    }

    /// The API base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    async fn request(
        &self,
        method: Method,
        path: &str,
        body: Option<String>,
    ) -> Result<(StatusCode, Vec<u8>), ProviderApiError> {
        let url = format!("{}{path}", self.base);
        let unreachable = |detail: String| ProviderApiError::Unreachable {
            url: self.base.clone(),
            detail,
        };
        let mut req = Request::builder().method(method).uri(&url);
        if body.is_some() {
            req = req.header("content-type", "application/json");
        }
        let req = req
            .body(Body::from(body.unwrap_or_default()))
            .map_err(|e| ProviderApiError::BadUrl(format!("{url}: {e}")))?;
        let call = async {
            let resp = self
                .http
                .request(req)
                .await
                .map_err(|e| unreachable(e.to_string()))?;
            let status = resp.status();
            let mut body = resp.into_body();
            let mut buf = Vec::new();
            while let Some(frame) = body.frame().await {
                let frame = frame.map_err(|e| unreachable(e.to_string()))?;
                if let Some(data) = frame.data_ref() {
                    if buf.len() + data.len() > MAX_ANSWER {
                        return Err(ProviderApiError::Malformed {
                            what: path.to_string(),
                            detail: format!("the answer is larger than {MAX_ANSWER} bytes"),
                        });
                    }
                    buf.extend_from_slice(data);
                }
            }
            Ok((status, buf))
        };
        tokio::time::timeout(REQUEST_TIMEOUT, call)
            .await
            .map_err(|_| unreachable(format!("no answer within {} s", REQUEST_TIMEOUT.as_secs())))?
    }

    /// A request whose answer is parsed as `T`, with the raw text too.
    async fn call<T: serde::de::DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<String>,
    ) -> Result<(T, String), ProviderApiError> {
        let (status, bytes) = self.request(method, path, body).await?;
        let text = String::from_utf8_lossy(&bytes).into_owned();
        if !status.is_success() {
            let message = serde_json::from_str::<ErrorBody>(&text)
                .map(|e| e.error)
                .unwrap_or_else(|_| text.chars().take(200).collect());
            return Err(ProviderApiError::Refused {
                status: status.as_u16(),
                message,
            });
        }
        let v = serde_json::from_str(&text).map_err(|e| ProviderApiError::Malformed {
            what: path.to_string(),
            detail: e.to_string(),
        })?;
        Ok((v, text))
    }

    fn json(v: &impl serde::Serialize) -> Option<String> {
        serde_json::to_string(v).ok()
    }

    /// `GET /swap/submarine`.
    pub async fn submarine_pairs(&self) -> Result<Pairs<SubmarinePair>, ProviderApiError> {
        Ok(self.call(Method::GET, "/swap/submarine", None).await?.0)
    }

    /// `GET /swap/reverse`.
    pub async fn reverse_pairs(&self) -> Result<Pairs<ReversePair>, ProviderApiError> {
        Ok(self.call(Method::GET, "/swap/reverse", None).await?.0)
    }

    /// `POST /swap/submarine`; the answer parsed and verbatim.
    pub async fn create_submarine(
        &self,
        req: &CreateSubmarineRequest,
    ) -> Result<(CreateSubmarineResponse, String), ProviderApiError> {
        self.call(Method::POST, "/swap/submarine", Self::json(req))
            .await
    }

    /// `POST /swap/reverse`; the answer parsed and verbatim.
    pub async fn create_reverse(
        &self,
        req: &CreateReverseRequest,
    ) -> Result<(CreateReverseResponse, String), ProviderApiError> {
        self.call(Method::POST, "/swap/reverse", Self::json(req))
            .await
    }

    /// `GET /swap/{id}`.
    pub async fn status(&self, id: &str) -> Result<SwapStatus, ProviderApiError> {
        Ok(self
            .call(Method::GET, &format!("/swap/{id}"), None)
            .await?
            .0)
    }

    /// `GET /swap/{submarine|reverse}/{id}/transaction`.
    pub async fn lockup_transaction(
        &self,
        kind: &str,
        id: &str,
    ) -> Result<LockupTransaction, ProviderApiError> {
        Ok(self
            .call(Method::GET, &format!("/swap/{kind}/{id}/transaction"), None)
            .await?
            .0)
    }

    /// `GET /swap/submarine/{id}/claim`: the provider's claim to co-sign.
    pub async fn submarine_claim_details(
        &self,
        id: &str,
    ) -> Result<SubmarineClaimDetails, ProviderApiError> {
        Ok(self
            .call(Method::GET, &format!("/swap/submarine/{id}/claim"), None)
            .await?
            .0)
    }

    /// `POST /swap/submarine/{id}/claim`: our partial signature of it.
    pub async fn submarine_claim_sign(
        &self,
        id: &str,
        sig: &PartialSignature,
    ) -> Result<(), ProviderApiError> {
        let _: (serde_json::Value, String) = self
            .call(
                Method::POST,
                &format!("/swap/submarine/{id}/claim"),
                Self::json(sig),
            )
            .await?;
        Ok(())
    }

    /// `POST /swap/submarine/{id}/refund`: the provider's partial signature
    /// of our refund.
    pub async fn submarine_refund(
        &self,
        id: &str,
        req: &RefundRequest,
    ) -> Result<PartialSignature, ProviderApiError> {
        Ok(self
            .call(
                Method::POST,
                &format!("/swap/submarine/{id}/refund"),
                Self::json(req),
            )
            .await?
            .0)
    }

    /// `POST /swap/reverse/{id}/claim`: the provider settles its invoice
    /// with our preimage and co-signs our claim.
    pub async fn reverse_claim(
        &self,
        id: &str,
        req: &ReverseClaimRequest,
    ) -> Result<PartialSignature, ProviderApiError> {
        Ok(self
            .call(
                Method::POST,
                &format!("/swap/reverse/{id}/claim"),
                Self::json(req),
            )
            .await?
            .0)
    }

    /// `POST /swap/restore` with public keys: the provider's swaps made with
    /// them (its create request and response included, for our checks).
    pub async fn restore(
        &self,
        public_keys: &[String],
    ) -> Result<Vec<serde_json::Value>, ProviderApiError> {
        Ok(self
            .call(
                Method::POST,
                "/swap/restore",
                Self::json(&serde_json::json!({ "publicKeys": public_keys })),
            )
            .await?
            .0)
    }

    /// `POST /chain/BTC/transaction`.
    pub async fn broadcast(&self, hex: &str) -> Result<String, ProviderApiError> {
        let (r, _): (TransactionId, String) = self
            .call(
                Method::POST,
                "/chain/BTC/transaction",
                Self::json(&TransactionHex {
                    hex: hex.to_string(),
                }),
            )
            .await?;
        Ok(r.id)
    }

    /// Follows `ids` over the WebSocket: every status update, as it comes
    /// (the current status of each first). Reconnects and resubscribes on
    /// its own until the receiver is dropped.
    pub fn subscribe(&self, ids: Vec<String>) -> mpsc::Receiver<SwapStatus> {
        let (tx, rx) = mpsc::channel(64);
        let ws_url = self
            .base
            .replacen("https://", "wss://", 1)
            .replacen("http://", "ws://", 1)
            + "/ws";
        tokio::spawn(async move {
            while !tx.is_closed() {
                if let Err(e) = follow(&ws_url, &ids, &tx).await {
                    tracing::debug!(error = %e, url = %ws_url, "swap status stream dropped; reconnecting");
                }
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
        });
        rx
    }
}

trait Duplex: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send> Duplex for T {}

async fn connect_ws(
    url: &str,
) -> Result<tokio_tungstenite::WebSocketStream<Box<dyn Duplex>>, String> {
    let uri: hyper::Uri = url
        .parse()
        .map_err(|e: hyper::http::uri::InvalidUri| e.to_string())?;
    let host = uri.host().ok_or("no host")?.to_string();
    let tls = uri.scheme_str() == Some("wss");
    let port = uri.port_u16().unwrap_or(if tls { 443 } else { 80 });
    let tcp = tokio::time::timeout(
        Duration::from_secs(5),
        tokio::net::TcpStream::connect((host.as_str(), port)),
    )
    .await
    .map_err(|_| "connect timed out".to_string())?
    .map_err(|e| e.to_string())?;
    let stream: Box<dyn Duplex> = if tls {
        let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(tls_config()));
        let name =
            rustls::pki_types::ServerName::try_from(host.clone()).map_err(|e| e.to_string())?;
        Box::new(
            connector
                .connect(name, tcp)
                .await
                .map_err(|e| e.to_string())?,
        )
    } else {
        Box::new(tcp)
    };
    let (ws, _) = tokio_tungstenite::client_async(url, stream)
        .await
        .map_err(|e| e.to_string())?;
    Ok(ws)
}

async fn follow(url: &str, ids: &[String], tx: &mpsc::Sender<SwapStatus>) -> Result<(), String> {
    use tokio_tungstenite::tungstenite::Message;
    let mut ws = connect_ws(url).await?;
    let sub = WsRequest {
        op: "subscribe".into(),
        channel: Some("swap.update".into()),
        args: Some(ids.to_vec()),
    };
    ws.send(Message::Text(
        serde_json::to_string(&sub)
            .map_err(|e| e.to_string())?
            .into(),
    ))
    .await
    .map_err(|e| e.to_string())?;
    let mut ping = tokio::time::interval(Duration::from_secs(30));
    ping.tick().await;
    loop {
        tokio::select! {
            m = ws.next() => {
                let Some(m) = m else { return Err("closed".into()) };
                let m = m.map_err(|e| e.to_string())?;
                let text = match m {
                    Message::Text(t) => t.to_string(),
                    Message::Close(_) => return Err("closed".into()),
                    _ => continue,
                };
                // Malformed messages are skipped, never acted on.
                let Ok(msg) = serde_json::from_str::<WsMessage>(&text) else { continue };
                for u in msg.updates() {
                    if tx.send(u).await.is_err() {
                        return Ok(());
                    }
                }
            }
            _ = ping.tick() => {
                let p = serde_json::json!({"op": "ping"}).to_string();
                ws.send(Message::Text(p.into())).await.map_err(|e| e.to_string())?;
            }
            _ = tx.closed() => return Ok(()),
        }
    }
}
