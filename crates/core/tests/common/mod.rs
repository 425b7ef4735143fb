//! Helpers shared by the integration tests that run against the regtest network.

#![allow(dead_code, clippy::unwrap_used)] // not every test file uses every helper

use std::future::Future;
use std::time::Duration;
use switchyard_core::node::NodeSource;
use switchyard_core::Network;

/// A regtest node's profile as a node source (its certificate and macaroon files).
pub fn source(net: &switchyard_regtest::Network, name: &str) -> NodeSource {
    let p = net.node(name).unwrap().profile().unwrap();
    NodeSource::files(
        name,
        p.grpc_host,
        p.tls_cert_path,
        p.macaroon_path,
        Network::Regtest,
    )
}

/// Polls `f` until it returns `Some`, for at most `secs`.
pub async fn eventually<T, F, Fut>(secs: u64, what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A TCP proxy on a free loopback port to `target` that holds every byte the
/// server sends for `delay` before passing it on (the client's bytes pass at
/// once, in order). A slow network path to a real node: a call whose answer
/// takes longer than its time limit fails on our side although the node did
/// the work. Stops when dropped.
pub struct SlowProxy {
    /// The port to connect to instead of the target's.
    pub port: u16,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for SlowProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts a [`SlowProxy`].
pub async fn slow_proxy(target: std::net::SocketAddr, delay: Duration) -> SlowProxy {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        let mut conns = tokio::task::JoinSet::new();
        while let Ok((client, _)) = listener.accept().await {
            conns.spawn(async move {
                let Ok(server) = tokio::net::TcpStream::connect(target).await else {
                    return;
                };
                let (mut cr, mut cw) = client.into_split();
                let (mut sr, mut sw) = server.into_split();
                let up = tokio::spawn(async move {
                    let _ = tokio::io::copy(&mut cr, &mut sw).await;
                });
                // Server → client: each chunk is due `delay` after it arrived.
                let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
                let reader = tokio::spawn(async move {
                    let mut buf = vec![0u8; 16 * 1024];
                    while let Ok(n) = sr.read(&mut buf).await {
                        if n == 0
                            || tx
                                .send((tokio::time::Instant::now() + delay, buf[..n].to_vec()))
                                .is_err()
                        {
                            break;
                        }
                    }
                });
                while let Some((due, bytes)) = rx.recv().await {
                    tokio::time::sleep_until(due).await;
                    if cw.write_all(&bytes).await.is_err() {
                        break;
                    }
                }
                up.abort();
                reader.abort();
            });
        }
    });
    SlowProxy { port, task }
}

/// An LND started without a wallet beside a regtest network (for `node
/// init`), stopped however the test ends.
pub struct FreshLnd {
    /// The node (`None` only while it is being restarted).
    lnd: Option<switchyard_regtest::lnd::Lnd>,
    /// Its directory.
    pub dir: std::path::PathBuf,
    /// Its gRPC, P2P and REST ports.
    pub ports: [u16; 3],
}

impl FreshLnd {
    /// Starts `name` on free ports, chained to the network's btcd.
    pub fn start(net: &switchyard_regtest::Network, name: &str) -> FreshLnd {
        let bins = switchyard_regtest::bins::Binaries::locate().unwrap();
        let dir = net.dir().join(name);
        let p = switchyard_regtest::process::free_ports(3).unwrap();
        let ports = [p[0], p[1], p[2]];
        let lnd = switchyard_regtest::lnd::Lnd::start_without_wallet(
            &bins.lnd,
            &bins.lncli,
            name,
            &dir,
            ports,
            &net.btcd,
        )
        .unwrap();
        FreshLnd {
            lnd: Some(lnd),
            dir,
            ports,
        }
    }

    /// `127.0.0.1:<gRPC port>`.
    pub fn endpoint(&self) -> String {
        format!("127.0.0.1:{}", self.ports[0])
    }

    /// Its TLS certificate file, as a string for `InitNodeRequest`.
    pub fn cert(&self) -> String {
        self.dir.join("tls.cert").display().to_string()
    }

    /// The admin macaroon LND writes once it has a wallet.
    pub fn admin_macaroon(&self) -> std::path::PathBuf {
        self.dir.join("data/chain/bitcoin/regtest/admin.macaroon")
    }

    /// Stops it and starts it again (it comes back with its wallet locked).
    pub fn restart(&mut self) {
        let bins = switchyard_regtest::bins::Binaries::locate().unwrap();
        let mut old = self.lnd.take().unwrap();
        old.daemon.stop(Duration::from_secs(20));
        let rec = old.record();
        let mut again =
            switchyard_regtest::lnd::Lnd::restart(&bins.lnd, &bins.lncli, &rec).unwrap();
        again.wait_rpc_port(Duration::from_secs(60)).unwrap();
        self.lnd = Some(again);
    }
}

impl Drop for FreshLnd {
    fn drop(&mut self) {
        if let Some(l) = self.lnd.as_mut() {
            l.daemon.stop(Duration::from_secs(20));
        }
    }
}

/// Waits (90 s at most) until the node answers and is synced.
pub async fn connected(
    node: &switchyard_core::node::NodeService,
) -> switchyard_core::node::NodeStatus {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
    loop {
        let s = node.conn.status().await;
        if s.state == switchyard_core::node::NodeState::Connected && s.synced_to_chain {
            return s;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "node never became ready: {:?}",
            s.error
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
