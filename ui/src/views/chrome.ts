// The frame around every screen: header (wallets, network, node and keychain
// state, always visible) and the error banner.

import type { ApiError } from "../bindings/ApiError";
import type { InstanceRole } from "../bindings/InstanceRole";
import { api } from "../api";
import { h } from "../dom";
import { NETWORK_LABEL, navigate, rerender, state } from "../state";

export function header(): HTMLElement {
  const current = state.route.name === "wallet" ? state.wallets.find((w) => state.route.name === "wallet" && w.id === state.route.id) : undefined;
  const select = h("select", { "data-testid": "wallet-select", "aria-label": "Wallet" });
  for (const w of state.wallets) {
    const opt = h("option", { value: w.id }, `${w.name} · ${NETWORK_LABEL[w.network]}`);
    if (current && w.id === current.id) opt.selected = true;
    select.append(opt);
  }
  select.addEventListener("change", () => navigate({ name: "wallet", id: select.value }));

  const kc = state.status?.keychain;
  const keychainPill = kc
    ? h("span", { class: `pill ${kc.ok ? "ok" : "bad"}`, title: kc.error?.message ?? "Seeds are sealed in the system keychain", "data-testid": "keychain-status" },
        h("span", { class: "dot" }), kc.ok ? "Keychain ready" : "Keychain unavailable")
    : h("span", { class: "pill muted" }, h("span", { class: "dot" }), "Keychain…");

  return h("header", { class: "topbar" },
    h("div", { class: "brand" }, h("span", { class: "logo", "aria-hidden": "true" }), "Switchyard"),
    h("div", { class: "wallet-switch" },
      state.wallets.length > 0 ? select : null,
      h("button", { class: "ghost", "data-testid": "add-wallet", onclick: () => navigate({ name: "welcome" }) }, state.wallets.length ? "+ Add wallet" : "Set up a wallet"),
    ),
    h("div", { class: "status" },
      current ? h("span", { class: `pill net-${current.network}`, "data-testid": "network-badge" }, NETWORK_LABEL[current.network]) : null,
      nodePill(),
      keychainPill,
      state.lock?.enabled ? h("button", { class: "pill lock-btn", title: "Lock Switchyard now", "data-testid": "lock-button", onclick: () => { void api.lockApp().catch(() => undefined); } }, "Lock") : null,
    ),
  );
}

/** The node's connection state: always visible. */
function nodePill(): HTMLElement {
  const n = state.node;
  if (!n) {
    return h("span", { class: "pill muted", "data-testid": "node-status" }, h("span", { class: "dot" }), "Node: checking…");
  }
  if (n.state === "not_configured") {
    return h("span", { class: "pill muted", "data-testid": "node-status", "data-state": n.state,
      title: "No node is set up. scripts/run.sh starts a local regtest network and connects to its node alice." },
      h("span", { class: "dot" }), "Node: not set up");
  }
  const cluster = n.cluster;
  const instanceLines = cluster ? cluster.instances.map((i) => `${i.endpoint}: ${ROLE_WORDS[i.role]}`) : [];
  if (n.state === "connected") {
    const serving = cluster ? cluster.instances.findIndex((i) => i.endpoint === cluster.serving) : -1;
    const standbys = cluster ? cluster.instances.filter((i) => i.role === "standby").length : 0;
    const clusterText = cluster && serving >= 0
      ? ` · instance ${serving + 1} of ${cluster.instances.length}${standbys ? ` (${standbys} standby)` : ""}${cluster.quorum === false ? " · etcd quorum lost" : ""}`
      : "";
    const details = [
      `${n.alias ?? "?"} at ${n.endpoint ?? "?"}`,
      cluster ? `LND cluster:\n${instanceLines.join("\n")}` : null,
      `LND ${n.version ?? "?"}`,
      n.pubkey ? `Public key ${n.pubkey}` : null,
      `${n.peers} peer(s), ${n.pending_channels} pending channel(s)`,
      n.synced_to_chain ? "Synced to the chain" : "Syncing to the chain…",
    ].filter(Boolean).join("\n");
    return h("span", { class: "pill ok", "data-testid": "node-status", "data-state": n.state, title: details },
      h("span", { class: "dot" }),
      `${n.alias ?? n.profile} · block ${n.block_height?.toLocaleString() ?? "?"} · ${n.active_channels} channel${n.active_channels === 1 ? "" : "s"}${clusterText}`,
      n.synced_to_chain ? null : " · syncing");
  }
  const locked = n.error?.code === "wallet_locked";
  const noLeader = n.error?.code === "cluster_no_leader";
  const words = locked
    ? "wallet locked — unlock"
    : noLeader
      ? (cluster?.quorum === false ? "cluster lost its quorum — waiting" : "cluster failing over…")
      : "can't connect";
  const title = [n.error?.message ?? "", ...instanceLines].filter(Boolean).join("\n");
  return h("button", { class: `pill ${noLeader ? "warn" : "bad"}`, "data-testid": "node-status", "data-state": n.state, "data-code": n.error?.code ?? "", title, onclick: () => navigate({ name: "profiles" }) },
    h("span", { class: "dot" }), `${n.profile ?? "Node"}: ${words}`);
}

const ROLE_WORDS: Record<InstanceRole, string> = {
  serving: "serving",
  standby: "standby (waits to take over)",
  starting: "starting or locked",
  down: "not answering",
};

export function errorBanner(e: ApiError): HTMLElement {
  const details = e.detail ? h("details", {}, h("summary", {}, "Technical details"), h("code", {}, e.detail)) : null;
  return h("div", { class: "banner error", role: "alert", "data-testid": "error-banner", "data-code": e.code },
    h("div", { class: "banner-body" }, h("strong", {}, e.message), details),
    h("button", { class: "ghost small", "aria-label": "Dismiss", onclick: () => { state.error = null; rerender(); } }, "Dismiss"),
  );
}
