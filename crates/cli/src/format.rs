//! The text the CLI prints (without `--json`): one place for how amounts,
//! routes, payments and profiles read.

use std::fmt::Write as _;
use switchyard_core::amount::Sat;
use switchyard_core::node::payments::PaymentRecord;
use switchyard_core::node::routes::{PreviewRoute, RoutePreview};
use switchyard_core::profiles::{ProfileInfo, ProfileKind};
use switchyard_regtest::network::{NetworkStatus, PaymentReport};
use switchyard_regtest::{Network, NodeProfile};

/// "1,234,567 sats"
pub fn sats(v: Sat) -> String {
    format!("{} sats", switchyard_core::amount::grouped(v.to_sat()))
}

pub fn route_lines(text: &mut String, title: &str, r: &PreviewRoute) {
    let _ = writeln!(
        text,
        "{title}: fee {} msat, {} hop(s), time lock {} blocks, success ~{:.0}%",
        r.fee_msat.to_msat(),
        r.hops.len(),
        r.total_cltv,
        r.probability * 100.0
    );
    for (i, h) in r.hops.iter().enumerate() {
        let name = |alias: &Option<String>, key: &str| {
            alias
                .clone()
                .unwrap_or_else(|| key.chars().take(12).collect())
        };
        let _ = writeln!(
            text,
            "  {}. {} → {}  {}  {} msat  fee {} msat  +{} blocks  p={:.2}",
            i + 1,
            name(&h.from_alias, &h.from),
            name(&h.to_alias, &h.to),
            h.scid,
            h.amount_msat.to_msat(),
            h.fee_msat.to_msat(),
            h.cltv_delta,
            h.probability
        );
    }
}

/// A route preview: ours, alternatives, LND's, how they differ.
pub fn route_text(p: &RoutePreview) -> String {
    let hinted = match p.hint_channels {
        0 => String::new(),
        1 => ", 1 private channel from the invoice's route hints".into(),
        n => format!(", {n} private channels from the invoice's route hints"),
    };
    let mut text = format!(
        "To {} for {} msat (graph: {} nodes, {} channels{hinted})\n",
        p.destination_alias
            .clone()
            .unwrap_or_else(|| p.destination.clone()),
        p.amount_msat.to_msat(),
        p.graph_nodes,
        p.graph_channels
    );
    for (i, r) in p.routes.iter().enumerate() {
        route_lines(
            &mut text,
            &format!(
                "Route {} (ours{})",
                i + 1,
                if i == 0 { ", best" } else { "" }
            ),
            r,
        );
    }
    if let Some(e) = &p.error {
        let _ = writeln!(text, "Our router: {e}");
    }
    match (&p.lnd, &p.lnd_error) {
        (Some(r), _) => route_lines(&mut text, "LND's QueryRoutes", r),
        (None, Some(e)) => {
            let _ = writeln!(text, "LND: {e}");
        }
        _ => {}
    }
    for d in &p.differences {
        let _ = writeln!(text, "• {d}");
    }
    text
}

/// One payment or invoice.
pub fn payment_line(p: &PaymentRecord) -> String {
    format!(
        "{:?} {:?} {} msat fee {} msat {} {}",
        p.direction,
        p.status,
        p.amount_msat.to_msat(),
        p.fee_msat.to_msat(),
        p.payment_hash,
        p.memo.as_deref().unwrap_or("")
    )
}

/// One node profile.
pub fn profile_line(p: &ProfileInfo) -> String {
    format!(
        "{} {:<16} {:<8} {:<7} {}{}",
        if p.active { "*" } else { " " },
        p.name,
        p.network.as_str(),
        match p.kind {
            ProfileKind::Regtest => "regtest",
            ProfileKind::Files => "files",
            ProfileKind::Stored => "stored",
        },
        p.endpoints.join(", "),
        if p.auto_unlock {
            "  (unlocks on start)"
        } else {
            ""
        }
    )
}

/// What `regtest up` started.
pub fn up_text(net: &Network, profiles: &[NodeProfile], secs: f64) -> String {
    let how = match net.start_kind {
        switchyard_regtest::network::StartKind::Created => format!("started in {secs:.0} s"),
        switchyard_regtest::network::StartKind::Reused => "already running".to_string(),
        switchyard_regtest::network::StartKind::Resumed => format!("resumed (stopped nodes restarted) in {secs:.0} s"),
        switchyard_regtest::network::StartKind::Recreated => format!("started afresh in {secs:.0} s (the previous one was stopped or never finished starting; btcd does not keep a regtest chain across restarts)"),
    };
    let mut t = format!(
        "Regtest network in {} {how}.\n\nChannels:\n",
        net.dir().display()
    );
    for c in net.channels() {
        t.push_str(&format!(
            "  {} → {}  {} sat capacity, {} sat pushed{}\n",
            c.from,
            c.to,
            c.capacity_sat,
            c.push_sat,
            if c.private { ", private" } else { "" }
        ));
    }
    t.push_str("\nNodes:\n");
    for p in profiles {
        t.push_str(&format!(
            "  {:<6} {}\n         gRPC {}  cert {}  macaroon {}\n         {}\n",
            p.name,
            p.pubkey,
            p.grpc_host,
            p.tls_cert_path.display(),
            p.macaroon_path.display(),
            p.lndconnect
        ));
    }
    t.push_str(&format!(
        "\nProfiles written to {}.",
        net.profiles_path().display()
    ));
    t
}

/// `regtest status`.
pub fn status_text(s: &NetworkStatus) -> String {
    let mut t = format!(
        "Regtest network in {}\n  btcd   {}  height {}\n",
        s.dir.display(),
        if s.btcd_running { "running" } else { "stopped" },
        s.height
            .map(|h| h.to_string())
            .unwrap_or_else(|| "?".into())
    );
    for n in &s.nodes {
        if !n.running {
            t.push_str(&format!("  {:<6} stopped\n", n.name));
            continue;
        }
        t.push_str(&format!(
            "  {:<6} running  {} active channel(s), {} sat on-chain, {} sat in channels, height {}\n",
            n.name, n.active_channels, n.onchain_sat, n.channel_local_sat, n.block_height
        ));
    }
    if let Some(c) = &s.cluster {
        t.push_str(&cluster_text(c));
    }
    t.trim_end().to_string()
}

/// The cluster's instances and etcd members.
pub fn cluster_text(c: &switchyard_regtest::cluster::ClusterStatus) -> String {
    let mut t = format!(
        "  {} (LND cluster on etcd): {}
",
        c.name,
        match &c.leader {
            Some(l) => format!("{l} leads"),
            None => "no instance leads".into(),
        }
    );
    for i in &c.instances {
        let role = match (i.running, i.leader, i.state.as_deref()) {
            (false, _, _) => "stopped".to_string(),
            (true, true, _) => "leader".to_string(),
            (true, false, Some("WAITING_TO_START")) => "standby".to_string(),
            (true, false, Some(s)) => s.to_lowercase(),
            (true, false, None) => "not answering".to_string(),
        };
        t.push_str(&format!(
            "    {:<10} {:<16} {role}
",
            i.name, i.endpoint
        ));
    }
    for e in &c.etcd {
        let state = match (e.running, e.healthy) {
            (false, _) => "stopped".to_string(),
            (true, true) => "healthy".to_string(),
            (true, false) => format!("unhealthy: {}", e.reason.as_deref().unwrap_or("no answer")),
        };
        let index = e
            .revision
            .map(|r| format!("  revision {r}"))
            .unwrap_or_default()
            + if e.raft_leader { "  raft leader" } else { "" };
        t.push_str(&format!(
            "    {:<10} {state}{index}
",
            e.name
        ));
    }
    t
}

/// A regtest payment.
pub fn pay_text(p: &PaymentReport) -> String {
    format!(
        "Paid {} sat from {} to {} via {} (fee {} msat).",
        p.amount_sat,
        p.from,
        p.to,
        p.hops.join(" → "),
        p.fee_msat
    )
}
