// The Dashboard: balances, the node, channel backups.

import { api } from "../api";
import { field, h } from "../dom";
import { sats } from "../format";
import { state } from "../state";
import { action, badRequest, kv, view } from "./screen";

export function dashboardView(): HTMLElement {
  const backupOut = h("p", { class: "hint", "data-testid": "backup-result" });
  const exportBtn = h("button", { class: "secondary", "data-testid": "export-backup" }, "Export channel backup");
  action(exportBtn, "Exporting…", async () => {
    const s = await api.exportBackup();
    backupOut.textContent = `Saved ${s.channel_points.length} channel(s) to ${s.path}`;
  });
  const path = h("input", { type: "text", placeholder: "/path/to/channel.backup", "data-testid": "backup-path" });
  const verifyBtn = h("button", { class: "secondary", "data-testid": "verify-backup" }, "Verify");
  action(verifyBtn, "Verifying…", async () => {
    if (!path.value.trim()) throw badRequest("Enter the path of a backup file (exports are in the data folder's backups/exports).");
    const s = await api.verifyBackup(path.value);
    backupOut.textContent = `Valid: this node can read it; it holds ${s.channel_points.length} channel(s).`;
  });
  const sure = h("input", { type: "checkbox", "data-testid": "restore-confirm" });
  const restoreBtn = h("button", { class: "danger", "data-testid": "restore-backup" }, "Restore…");
  action(restoreBtn, "Restoring…", async () => {
    if (!path.value.trim()) throw badRequest("Enter the path of the backup to restore.");
    const n = await api.restoreBackup(path.value, sure.checked);
    backupOut.textContent = `Restored ${n} channel(s): the peers will force-close them and the funds return on chain after their time locks.`;
  });
  const backupCard = h("div", { class: "card" }, h("h3", {}, "Channel backup"),
    h("p", { class: "hint" }, "LND's static channel backup is saved to the data folder each time a channel opens or closes. With it and your node's seed, funds in channels can be recovered (the peers force-close)."),
    exportBtn, field("Backup file", path), h("div", { class: "inline" }, verifyBtn, restoreBtn),
    h("label", { class: "check" }, sure, "I understand: restoring force-closes every channel in the backup. Only for a node that lost its channel state."),
    backupOut);
  const nodeCard = h("div", { class: "card" });
  const stats = h("div", { class: "stats" });
  return view("dashboard", "Dashboard", "Your node's funds and connection at a glance.", [stats, h("div", { class: "columns" }, nodeCard, backupCard)], async (body) => {
    const b = await api.balances();
    body.replaceChildren();
    const n = state.node;
    const stat = (label: string, value: string, sub: string, testid: string) =>
      h("div", { class: "card stat" }, h("div", { class: "stat-label" }, label), h("div", { class: "stat-value", "data-testid": testid }, value), h("div", { class: "hint" }, sub));
    stats.replaceChildren(
      stat("On-chain", sats(b.onchain_confirmed_sat), b.onchain_unconfirmed_sat ? `+ ${sats(b.onchain_unconfirmed_sat)} unconfirmed` : "confirmed", "balance-onchain"),
      stat("Lightning: can send", sats(b.lightning_local_sat), b.unsettled_local_sat ? `${sats(b.unsettled_local_sat)} in flight` : "in open channels", "balance-local"),
      stat("Lightning: can receive", sats(b.lightning_remote_sat), "inbound capacity", "balance-remote"),
      stat("Pending", sats(b.pending_open_local_sat + b.limbo_sat), `${sats(b.pending_open_local_sat)} opening · ${sats(b.limbo_sat)} closing`, "balance-pending"),
    );
    nodeCard.replaceChildren(h("h3", {}, "Node"),
      kv("Alias", n?.alias ?? "—"), kv("Public key", n?.pubkey ?? "—"), kv("Endpoint", n?.endpoint ?? "—"),
      kv("LND", n?.version ?? "—"), kv("Block height", n?.block_height?.toLocaleString() ?? "—"),
      kv("Live events", n?.events === "live" ? "Live" : n?.events === "reconnecting" ? "Reconnecting…" : "—"));
  });
}
