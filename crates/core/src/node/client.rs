//! The gRPC connection to LND: LND's generated clients (from
//! `fedimint-tonic-lnd`) over our own transport, because the macaroon must
//! come from the OS keychain, not a file:
//! - TLS pinned to the node's own certificate (LND's is self-signed): the
//!   handshake succeeds only if the node presents exactly that certificate;
//! - the macaroon, held in memory in a zeroizing buffer, sent as the
//!   `macaroon` metadata header on every call.

use super::error::NodeError;
use fedimint_tonic_lnd::lnrpc;
use fedimint_tonic_lnd::tonic;
use hyper_util::client::legacy::connect::HttpConnector;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use tonic::codegen::InterceptedService;
use zeroize::Zeroizing;

/// Where a node is and how to log in. Holds the macaroon; `Debug` does not show it.
#[derive(Clone)]
pub struct NodeTarget {
    /// Host name or IP.
    pub host: String,
    /// gRPC port.
    pub port: u16,
    /// The node's TLS certificate (DER), or several one after another (a
    /// cluster's instances' certificates): the one presented must be one of them.
    pub cert_der: Vec<u8>,
    /// The macaroon bytes.
    pub macaroon: Arc<Zeroizing<Vec<u8>>>,
}

impl std::fmt::Debug for NodeTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeTarget")
            .field("host", &self.host)
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

impl NodeTarget {
    /// `host:port` as users write it.
    pub fn endpoint(&self) -> String {
        NodeTarget::format_endpoint(&self.host, self.port)
    }

    /// `host:port`, with IPv6 hosts in brackets.
    pub fn format_endpoint(host: &str, port: u16) -> String {
        if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        }
    }
}

/// Adds the macaroon (hex) to every request.
#[derive(Clone)]
pub struct MacaroonHeader(Arc<Zeroizing<String>>);

impl tonic::service::Interceptor for MacaroonHeader {
    fn call(&mut self, mut req: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        if self.0.is_empty() {
            // No macaroon yet (WalletUnlocker and State need none).
            return Ok(req);
        }
        let value = tonic::metadata::MetadataValue::try_from(self.0.as_str())
            .map_err(|_| tonic::Status::internal("macaroon is not valid header text"))?;
        req.metadata_mut().insert("macaroon", value);
        Ok(req)
    }
}

type Http = hyper_util::client::legacy::Client<
    hyper_rustls::HttpsConnector<HttpConnector>,
    tonic::body::Body,
>;
/// The service stack every LND client runs on.
pub type Svc = InterceptedService<Http, MacaroonHeader>;
/// LND's main service.
pub type Lightning = lnrpc::lightning_client::LightningClient<Svc>;
/// routerrpc.Router (payments).
pub type Router = fedimint_tonic_lnd::routerrpc::router_client::RouterClient<Svc>;
/// walletrpc.WalletKit (fee bumps, UTXOs).
pub type WalletKit = fedimint_tonic_lnd::walletrpc::wallet_kit_client::WalletKitClient<Svc>;
/// invoicesrpc.Invoices (hold invoices).
pub type Invoices = fedimint_tonic_lnd::invoicesrpc::invoices_client::InvoicesClient<Svc>;

/// Accepts exactly one certificate: the node's own.
#[derive(Debug)]
/// Pins the profile's certificate, or any of its certificates (a cluster's
/// instances each have their own: the profile holds them as a bundle).
struct PinnedCert {
    ders: Vec<Vec<u8>>,
    algs: WebPkiSupportedAlgorithms,
}

/// The marker our verifier puts in its error, to tell a mismatch from other TLS trouble.
pub(crate) const CERT_MISMATCH: &str = "switchyard: node certificate differs from the profile's";

impl ServerCertVerifier for PinnedCert {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if self
            .ders
            .iter()
            .any(|d| end_entity.as_ref() == d.as_slice())
        {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(CERT_MISMATCH.into()))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algs)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algs)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algs.supported_schemes()
    }
}

/// Connected clients for one node. Cheap to clone (the connection is shared).
#[derive(Clone)]
pub struct LndClient {
    /// lnrpc.Lightning.
    pub lightning: Lightning,
    /// routerrpc.Router.
    pub router: Router,
    /// walletrpc.WalletKit.
    pub wallet_kit: WalletKit,
    /// invoicesrpc.Invoices.
    pub invoices: Invoices,
    /// The raw service with the node's address, for calls the vendored protos lack.
    pub(crate) grpc: tonic::client::Grpc<Svc>,
    target: NodeTarget,
    /// Set when a call found the endpoint gone (unreachable, silent, or a
    /// cluster instance that stopped leading): the connection then drops
    /// this client and finds the endpoint that serves now.
    broken: Arc<std::sync::atomic::AtomicBool>,
}

impl std::fmt::Debug for LndClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LndClient")
            .field("target", &self.target)
            .finish()
    }
}

/// How long one call may take before the node counts as unreachable.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(10);

impl LndClient {
    /// Builds the transport. No I/O happens until the first call.
    pub fn new(target: NodeTarget) -> Result<LndClient, NodeError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let verifier = PinnedCert {
            ders: super::lndconnect::split_der(&target.cert_der)
                .into_iter()
                .map(<[u8]>::to_vec)
                .collect(),
            algs: provider.signature_verification_algorithms,
        };
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| NodeError::Internal {
                detail: e.to_string(),
            })?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth();
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(Duration::from_secs(5)));
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_only()
            .enable_http2()
            .wrap_connector(http);
        let client =
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .http2_only(true)
                .build(connector);
        let hex: String = target.macaroon.iter().map(|b| format!("{b:02x}")).collect();
        let svc = InterceptedService::new(client, MacaroonHeader(Arc::new(Zeroizing::new(hex))));
        let uri = hyper::Uri::from_str(&format!("https://{}", target.endpoint())).map_err(|e| {
            NodeError::Internal {
                detail: e.to_string(),
            }
        })?;
        // The graph of mainnet is ~100 MB as one DescribeGraph answer.
        const MAX_MESSAGE: usize = 256 * 1024 * 1024;
        Ok(LndClient {
            lightning: lnrpc::lightning_client::LightningClient::with_origin(
                svc.clone(),
                uri.clone(),
            )
            .max_decoding_message_size(MAX_MESSAGE),
            router: Router::with_origin(svc.clone(), uri.clone())
                .max_decoding_message_size(MAX_MESSAGE),
            wallet_kit: WalletKit::with_origin(svc.clone(), uri.clone()),
            invoices: Invoices::with_origin(svc.clone(), uri.clone()),
            grpc: tonic::client::Grpc::with_origin(svc, uri),
            target,
            broken: Arc::new(std::sync::atomic::AtomicBool::new(false)),
        })
    }

    /// Whether a call found the endpoint gone since this client was made.
    pub fn is_broken(&self) -> bool {
        self.broken.load(std::sync::atomic::Ordering::SeqCst)
    }

    fn note(&self, e: NodeError) -> NodeError {
        if matches!(e, NodeError::Unreachable { .. } | NodeError::Starting) {
            self.broken.store(true, std::sync::atomic::Ordering::SeqCst);
        }
        e
    }

    /// The node it talks to.
    pub fn target(&self) -> &NodeTarget {
        &self.target
    }

    /// `GetInfo`, with a timeout, errors mapped to what the user can do.
    pub async fn get_info(&self) -> Result<lnrpc::GetInfoResponse, NodeError> {
        let mut c = self.lightning.clone();
        self.call(CALL_TIMEOUT, c.get_info(lnrpc::GetInfoRequest {}))
            .await
    }

    /// Awaits one call with a time limit and maps its error.
    pub async fn call<T>(
        &self,
        limit: Duration,
        call: impl std::future::Future<Output = Result<tonic::Response<T>, tonic::Status>>,
    ) -> Result<T, NodeError> {
        match tokio::time::timeout(limit, call).await {
            Ok(Ok(resp)) => Ok(resp.into_inner()),
            Ok(Err(status)) => Err(self.note(NodeError::from_status(&status, &self.target))),
            Err(_) => Err(self.note(NodeError::Unreachable {
                endpoint: self.target.endpoint(),
                detail: format!("no answer within {} s", limit.as_secs()),
            })),
        }
    }

    /// Maps a status from a stream (after it was opened) like a call's.
    pub fn status_error(&self, status: &tonic::Status) -> NodeError {
        self.note(NodeError::from_status(status, &self.target))
    }
}
