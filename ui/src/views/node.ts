// The node's screens: Dashboard, Channels, Payments, On-chain. Each view
// loads through the API and reloads itself when the node reports an event
// (see main.ts: node-event), so channels move from "opening" to "active"
// without a refresh.

import { api } from "../api";
import type { ApiError } from "../bindings/ApiError";
import type { ChannelInfo } from "../bindings/ChannelInfo";
import type { FeeChoice } from "../bindings/FeeChoice";
import type { PaymentPreview } from "../bindings/PaymentPreview";
import { field, h, keyedRows, type Row, setText, setWidth } from "../dom";
import { navigate, rerender, showError, state } from "../state";
import type { OnchainTx } from "../bindings/OnchainTx";
import type { PaymentRecord } from "../bindings/PaymentRecord";
import type { PolicyUpdate } from "../bindings/PolicyUpdate";
import type { Utxo } from "../bindings/Utxo";

/** "1,234,567 sats" */
export function sats(n: number): string {
  return `${Math.trunc(n).toLocaleString("en-US")} sats`;
}

/** msat shown as sats, with the msat kept when it is not a whole sat. */
export function msat(n: number): string {
  if (n % 1000 === 0) return sats(n / 1000);
  return `${(n / 1000).toLocaleString("en-US", { maximumFractionDigits: 3 })} sats (${n.toLocaleString("en-US")} msat)`;
}

export function when(unix: number | null): string {
  if (!unix) return "—";
  return new Date(unix * 1000).toLocaleString();
}

export function short(s: string, n = 10): string {
  return s.length > 2 * n ? `${s.slice(0, n)}…${s.slice(-6)}` : s;
}

/** Reload hook for the mounted node view (called on node events). */
let reload: (() => void) | null = null;
export function reloadNodeView(): void {
  reload?.();
}

/**
 * A node screen: `fixed` parts (forms) are built once, so what the user
 * types survives; the data part below them is (re)loaded by `load` on
 * events, except while a dialog inside it is open.
 */
export function view(cls: string, title: string, lead: string, fixed: HTMLElement[], load: (root: HTMLElement) => Promise<void>,
  opts: { always?: boolean; dataFirst?: boolean } = {}): HTMLElement {
  const body = h("div", {}, h("p", { class: "hint" }, "Loading…"));
  const none = opts.always ? null : noNode();
  const parts = opts.dataFirst ? [body, ...fixed] : [...fixed, body];
  const root = h("section", { class: `node-view ${cls}` }, h("div", { class: "title-row" }, h("h1", {}, title)), h("p", { class: "lead" }, lead),
    ...(none ? [none] : parts));
  if (none) return root;
  let busy = false;
  const run = () => {
    if (busy || body.querySelector(".close-box")) return;
    busy = true;
    load(body).catch((e: ApiError) => {
      body.replaceChildren(h("div", { class: "card" }, h("p", { class: "hint bad" }, e.message)));
    }).finally(() => { busy = false; });
  };
  reload = run;
  run();
  return root;
}

function noNode(): HTMLElement | null {
  if (state.node && state.node.state === "not_configured") {
    return h("div", { class: "card" }, h("h3", {}, "No node is set up"),
      h("p", { class: "hint" }, "Add your LND on the Nodes screen (an lndconnect link, or its certificate and macaroon files), or start the local regtest network with scripts/run.sh."),
      h("button", { class: "secondary", onclick: () => navigate({ name: "profiles" }) }, "Go to Nodes"));
  }
  return null;
}

/** A form action: disables the button while it runs, shows errors in the banner. */
export function action(btn: HTMLButtonElement, label: string, fn: () => Promise<void>): void {
  btn.addEventListener("click", () => {
    if (state.error) { state.error = null; rerender(); }
    btn.disabled = true;
    const old = btn.textContent;
    btn.textContent = label;
    fn().catch((e: ApiError) => showError(e)).finally(() => { btn.disabled = false; btn.textContent = old; });
  });
}

/**
 * Like `action`, for something that publishes a transaction. A fee rate far
 * above the node's estimate comes back from the core as `fee_rate_high`
 * (nothing was sent); its message, with the fee in sats, is shown under the
 * button with "Pay this fee" and "Change the rate". `fn(true)` sends anyway.
 */
export function feeAction(btn: HTMLButtonElement, label: string, fn: (allowHighFee: boolean) => Promise<void>): void {
  const text = h("p", { class: "hint bad" });
  const pay = h("button", { class: "danger small", "data-testid": "fee-confirm-pay" }, "Pay this fee");
  const cancel = h("button", { class: "ghost small", "data-testid": "fee-confirm-cancel" }, "Change the rate");
  const box = h("div", { class: "fee-confirm", "data-testid": "fee-confirm", hidden: true }, text, h("div", { class: "inline" }, pay, cancel));
  cancel.addEventListener("click", () => { box.hidden = true; });
  action(pay, "Sending…", async () => {
    await fn(true);
    box.hidden = true;
  });
  action(btn, label, async () => {
    box.hidden = true;
    try {
      await fn(false);
    } catch (e) {
      const err = e as ApiError;
      if (err.code !== "fee_rate_high") throw err;
      if (!box.isConnected) (btn.closest(".inline") ?? btn).after(box);
      text.textContent = err.message;
      box.hidden = false;
    }
  });
}

export function num(input: HTMLInputElement): number | null {
  const v = input.value.replace(/[,_\s]/g, "");
  if (v === "") return null;
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 ? Math.trunc(n) : NaN;
}

export function badRequest(message: string): ApiError {
  return { code: "invalid_request", message, detail: null };
}

export function feeChoice(rate: HTMLInputElement): FeeChoice | null {
  const r = num(rate);
  if (r === null) return null;
  if (Number.isNaN(r) || r < 1) throw badRequest("The fee rate must be a whole number of sat/vB, at least 1.");
  return { sat_per_vbyte: r };
}

// ---------------------------------------------------------------- Dashboard

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

export function kv(k: string, v: string): HTMLElement {
  return h("div", { class: "kv" }, h("span", { class: "k" }, k), h("code", { class: "v" }, v));
}

// ---------------------------------------------------------------- Channels

const STATE_LABEL: Record<string, string> = {
  active: "Active", inactive: "Inactive (peer offline)", opening: "Opening", closing: "Closing", force_closing: "Force closing", closed: "Closed",
};

export function channelsView(): HTMLElement {
  // Built once; each load updates the rows in place (keyed by channel point),
  // so a live event never replaces a button the user is about to press.
  const title = h("h3", {}, "Channels");
  const height = h("span", { class: "hint" });
  const tbody = h("tbody", {});
  const table = h("table", { class: "grid", "data-testid": "channel-table" },
    h("thead", {}, h("tr", {}, ...["Peer", "State", "Capacity", "Balance (ours / theirs)", "Fees (ours · theirs)", "Channel", ""].map((t) => h("th", {}, t)))), tbody);
  const empty = h("p", { class: "hint" }, "No channels yet. Open one above.");
  const liveCard = h("div", { class: "card" }, h("div", { class: "card-head" }, title, height), table, empty);
  const closedSummary = h("summary", {});
  const closedBody = h("tbody", {});
  const closedCard = h("details", { class: "card" }, closedSummary, h("table", { class: "grid" }, closedBody));
  return view("channels", "Channels", "Open channels to peers, watch them confirm, set their fees, close them.", [openForm(), h("div", { class: "columns" }, batchCard(), allFeesCard())], async (body) => {
    const list = await api.listChannels();
    const live = list.channels.filter((c) => c.state !== "closed");
    const closed = list.channels.filter((c) => c.state === "closed");
    if (!body.contains(liveCard)) body.replaceChildren(liveCard, closedCard);
    setText(title, `Channels (${live.length})`);
    setText(height, `at block ${list.block_height.toLocaleString()}`);
    table.hidden = live.length === 0;
    empty.hidden = live.length > 0;
    keyedRows(tbody, live, (c) => c.channel_point, channelRow);
    closedCard.hidden = closed.length === 0;
    setText(closedSummary, `Closed channels (${closed.length})`);
    keyedRows(closedBody, closed, (c) => c.channel_point, closedRow);
  });
}

function closedRow(): Row<ChannelInfo> {
  const cells = [h("td", {}), h("td", {}), h("td", {}), h("td", {}), h("td", {})];
  const el = h("tr", {}, ...cells);
  return {
    el,
    update: (c) => {
      setText(cells[0], c.peer_alias ?? short(c.peer_pubkey));
      setText(cells[1], c.close_type ?? "closed");
      setText(cells[2], sats(c.capacity_sat));
      setText(cells[3], `${sats(c.local_sat)} settled to us`);
      cells[4].replaceChildren(h("code", {}, short(c.closing_txid ?? "", 8)));
    },
  };
}

/** One channel's row. The action buttons are made once and shown or hidden
 * as the state changes; they act on the latest data (`cur`). */
function channelRow(first: ChannelInfo): Row<ChannelInfo> {
  let cur = first;
  const peer = h("div", { class: "peer" });
  const peerHint = h("div", { class: "hint" });
  const badge = h("span", { class: "badge" });
  const bar = h("div", { class: "bar" });
  const progress = h("div", { class: "progress", title: "Confirmations of the funding transaction" }, bar);
  const stateHint = h("div", { class: "hint" });
  const capacity = h("td", {});
  const ours = h("div", { class: "ours" });
  const balanceHint = h("div", { class: "hint" });
  const inFlight = h("div", { class: "hint", "data-testid": "pending-htlcs" });
  const feeOurs = h("div", { title: "Ours: what others pay to route through us to the peer" });
  const feeTheirs = h("div", { title: "The peer's: what we pay to route through the peer" });
  const scid = h("code", {});
  const age = h("div", { class: "hint" });
  const feesBtn = h("button", { class: "ghost small", "data-testid": "channel-fees", onclick: (ev: Event) => openPolicyDialog(ev.currentTarget as HTMLElement, cur) }, "Fees…");
  const closeBtn = h("button", { class: "ghost small", "data-testid": "close-channel", onclick: (ev: Event) => openCloseDialog(ev.currentTarget as HTMLElement, cur) }, "Close…");
  const bumpBtn = h("button", { class: "ghost small", "data-testid": "bump-channel", onclick: (ev: Event) => openBumpDialog(ev.currentTarget as HTMLElement, cur) }, "Speed up…");
  const el = h("tr", { "data-testid": "channel-row" },
    h("td", {}, peer, peerHint),
    h("td", {}, badge, progress, stateHint),
    capacity,
    h("td", {}, h("div", { class: "balance-bar" }, ours), balanceHint, inFlight),
    h("td", { class: "hint fees" }, feeOurs, feeTheirs),
    h("td", {}, scid, age),
    h("td", { class: "row-actions" }, feesBtn, closeBtn, bumpBtn));
  const fee = (p: ChannelInfo["local_policy"]) => p ? `${p.base_fee_msat.toLocaleString("en-US")} msat + ${p.fee_rate_ppm} ppm` : "—";
  const update = (c: ChannelInfo) => {
    cur = c;
    el.setAttribute("data-state", c.state);
    el.setAttribute("data-point", c.channel_point);
    setText(peer, c.peer_alias ?? short(c.peer_pubkey));
    setText(peerHint, `${c.private ? "private · " : ""}${c.initiator ? "opened by you" : "opened by peer"}`);
    const opening = c.state === "opening";
    const got = c.confirmations ?? 0;
    const need = c.confirmations_needed ?? null;
    badge.className = `badge ${c.state === "force_closing" ? "closing" : c.state}`;
    setText(badge, STATE_LABEL[c.state]);
    progress.hidden = !opening;
    setWidth(bar, need ? (100 * got) / need : 0);
    setText(stateHint, opening ? (need ? `${got} of ${need} confirmation${need === 1 ? "" : "s"}` : "waiting for confirmations")
      : c.state === "force_closing" ? ((c.blocks_til_maturity ?? 0) > 0 ? `funds return in ${c.blocks_til_maturity} blocks` : "sweeping funds") : "");
    setText(capacity, sats(c.capacity_sat));
    setWidth(ours, (100 * c.local_sat) / (c.local_sat + c.remote_sat || 1));
    setText(balanceHint, `${sats(c.local_sat)} / ${sats(c.remote_sat)}`);
    inFlight.hidden = !c.pending_htlcs;
    inFlight.replaceChildren(...(c.pending_htlcs ? [h("span", { class: "spinner" }), ` ${c.pending_htlcs} payment${c.pending_htlcs === 1 ? "" : "s"} in flight · ${sats(c.unsettled_sat)}`] : []));
    setText(feeOurs, fee(c.local_policy));
    setText(feeTheirs, fee(c.remote_policy));
    setText(scid, c.scid ?? short(c.channel_point, 8));
    scid.title = c.channel_point;
    setText(age, c.age_blocks !== null ? `${c.age_blocks} blocks old` : "");
    feesBtn.hidden = c.state !== "active";
    closeBtn.hidden = !["active", "inactive"].includes(c.state);
    bumpBtn.hidden = !(opening && c.initiator);
  };
  update(first);
  return { el, update };
}

function policyFields(p: ChannelInfo["local_policy"]) {
  const base = h("input", { type: "text", value: String(p?.base_fee_msat ?? 1000), inputmode: "numeric", "data-testid": "policy-base" });
  const ppm = h("input", { type: "text", value: String(p?.fee_rate_ppm ?? 1), inputmode: "numeric", "data-testid": "policy-ppm" });
  const delta = h("input", { type: "text", value: String(p?.time_lock_delta ?? 80), inputmode: "numeric", "data-testid": "policy-delta" });
  const min = h("input", { type: "text", value: p ? String(p.min_htlc_msat) : "", placeholder: "unchanged", inputmode: "numeric", "data-testid": "policy-min" });
  const max = h("input", { type: "text", value: p ? String(p.max_htlc_msat) : "", placeholder: "unchanged", inputmode: "numeric", "data-testid": "policy-max" });
  const read = (channel_point: string | null): PolicyUpdate => {
    const need = (i: HTMLInputElement, what: string) => { const v = num(i); if (v === null || Number.isNaN(v)) throw badRequest(`${what} must be a whole number.`); return v; };
    const opt = (i: HTMLInputElement, what: string) => { const v = num(i); if (Number.isNaN(v)) throw badRequest(`${what} must be a whole number.`); return v; };
    return { channel_point, base_fee_msat: need(base, "The base fee (msat)"), fee_rate_ppm: need(ppm, "The fee rate (ppm)"), time_lock_delta: need(delta, "The time lock delta (blocks)"),
      min_htlc_msat: opt(min, "The smallest HTLC (msat)"), max_htlc_msat: opt(max, "The largest HTLC (msat)") };
  };
  const fields = h("div", { class: "form-row" }, field("Base fee (msat)", base), field("Fee rate (ppm)", ppm), field("Time lock delta (blocks)", delta),
    field("Min HTLC (msat)", min), field("Max HTLC (msat)", max));
  return { fields, read };
}

function openPolicyDialog(anchor: HTMLElement, c: ChannelInfo): void {
  const f = policyFields(c.local_policy);
  const go = h("button", { class: "primary small", "data-testid": "policy-save" }, "Save fees");
  const cancel = h("button", { class: "ghost small", onclick: () => done() }, "Cancel");
  action(go, "Saving…", async () => {
    await api.updatePolicy(f.read(c.channel_point));
    done();
    reloadNodeView();
  });
  const done = rowDialog(anchor, c, h("h4", {}, `Fees for routing through ${c.peer_alias ?? short(c.peer_pubkey)}`),
    h("p", { class: "hint" }, "What others pay to send through this channel towards the peer; the graph shows it once LND announces it."), f.fields, h("div", { class: "inline" }, go, cancel));
}

function openBumpDialog(anchor: HTMLElement, c: ChannelInfo): void {
  const rate = h("input", { type: "text", placeholder: "e.g. 20", inputmode: "numeric", "data-testid": "bump-fee" });
  const go = h("button", { class: "primary small", "data-testid": "bump-confirm" }, "Speed up");
  const cancel = h("button", { class: "ghost small", onclick: () => done() }, "Cancel");
  const out = h("p", { class: "hint", "data-testid": "bump-result" });
  feeAction(go, "Bumping…", async (allowHighFee) => {
    const fee = feeChoice(rate);
    if (!fee) throw badRequest("Enter the new fee rate in sat/vB.");
    const r = await api.bumpFee(c.channel_point.split(":")[0], fee, allowHighFee);
    out.textContent = `A child transaction now spends ${short(r.outpoint, 8)} at the higher rate; it confirms together with the funding.`;
    go.hidden = true;
    cancel.textContent = "Done";
  });
  const done = rowDialog(anchor, c, h("h4", {}, "Speed up the funding transaction"),
    h("p", { class: "hint" }, "Child pays for parent: your change from the funding transaction is spent at a higher fee rate, so miners take both."),
    h("div", { class: "form-row" }, field("New fee rate (sat/vB)", rate)), h("div", { class: "inline" }, go, cancel), out);
}

function allFeesCard(): HTMLElement {
  const f = policyFields(null);
  const out = h("p", { class: "hint", "data-testid": "policy-all-result" });
  const go = h("button", { class: "secondary", "data-testid": "policy-all-save" }, "Apply to all channels");
  action(go, "Saving…", async () => {
    await api.updatePolicy(f.read(null));
    out.textContent = "Fees set on every channel.";
    setTimeout(reloadNodeView, 1500);
  });
  return h("details", { class: "card", "data-testid": "policy-all" }, h("summary", {}, h("strong", {}, "Fees for all channels")), f.fields, h("div", { class: "inline" }, go), out);
}

function batchCard(): HTMLElement {
  const lines = h("textarea", { rows: 3, placeholder: "pubkey@host:port=500000\npubkey@host:port=250000", "data-testid": "batch-lines" });
  const rate = h("input", { type: "text", placeholder: "auto", inputmode: "numeric", "data-testid": "batch-fee" });
  const out = h("p", { class: "hint", "data-testid": "batch-result" });
  const go = h("button", { class: "primary", "data-testid": "batch-submit" }, "Open all in one transaction");
  feeAction(go, "Opening…", async (allowHighFee) => {
    const reqs = lines.value.split("\n").map((l) => l.trim()).filter(Boolean).map((l) => {
      const i = l.lastIndexOf("=");
      const amt = i > 0 ? Number(l.slice(i + 1).replace(/[,_\s]/g, "")) : NaN;
      if (!Number.isInteger(amt) || amt <= 0) throw badRequest(`“${l}” is not PEER=SIZE_IN_SATS.`);
      return { peer: l.slice(0, i).trim(), amount_sat: amt, push_sat: 0, private: false, fee: null, min_htlc_msat: null, utxos: [], allow_high_fee: false };
    });
    const r = await api.openChannelsBatch(reqs, feeChoice(rate), allowHighFee);
    out.textContent = `Opening ${r.length} channels in transaction ${short(r[0]?.funding_txid ?? "", 8)}.`;
    reloadNodeView();
  });
  return h("details", { class: "card", "data-testid": "batch-form" }, h("summary", {}, h("strong", {}, "Open several channels in one transaction")),
    field("Channels", lines, "One per line: peer=size in sats. One funding transaction saves fees."), field("Fee rate (sat/vB)", rate), h("div", { class: "inline" }, go), out);
}

/**
 * Opens a dialog for channel `c` in a full-width row under its table row
 * (one per channel); returns a function that closes it. While it is open the
 * view does not reload (see `view`).
 */
function rowDialog(anchor: HTMLElement, c: ChannelInfo, ...content: HTMLElement[]): () => void {
  const row = anchor.closest("tr") as HTMLTableRowElement;
  const next = row.nextElementSibling;
  if (next?.getAttribute("data-testid") === "channel-dialog") next.remove();
  const cols = row.children.length;
  const dialog = h("tr", { class: "dialog-row", "data-testid": "channel-dialog", "data-point": c.channel_point },
    h("td", { colspan: cols }, h("div", { class: "close-box" }, ...content)));
  row.after(dialog);
  return () => dialog.remove();
}

function openCloseDialog(anchor: HTMLElement, c: ChannelInfo): void {
  const rate = h("input", { type: "text", placeholder: "auto", inputmode: "numeric", "data-testid": "close-fee" });
  const force = h("input", { type: "checkbox", "data-testid": "close-force" });
  const warn = h("p", { class: "hint bad", hidden: true },
    "Force close: your side is locked by a time lock (up to two weeks on mainnet) before it returns to your wallet, and the fee is fixed. Use it only if the peer is gone.");
  force.addEventListener("change", () => { warn.hidden = !force.checked; rate.disabled = force.checked; });
  const go = h("button", { class: "danger small", "data-testid": "close-confirm" }, "Close channel");
  const cancel = h("button", { class: "ghost small", onclick: () => done() }, "Cancel");
  feeAction(go, "Closing…", async (allowHighFee) => {
    await api.closeChannel({ channel_point: c.channel_point, force: force.checked, fee: force.checked ? null : feeChoice(rate), delivery_address: null, allow_high_fee: allowHighFee });
    done();
    reloadNodeView();
  });
  const done = rowDialog(anchor, c, h("h4", {}, `Close the channel with ${c.peer_alias ?? short(c.peer_pubkey)}`),
    h("div", { class: "form-row" }, field("Fee rate (sat/vB)", rate)), h("label", { class: "check" }, force, "Force close (peer unreachable)"), warn, h("div", { class: "inline" }, go, cancel));
}

function openForm(): HTMLElement {
  const peer = h("input", { type: "text", placeholder: "pubkey@host:port", "data-testid": "open-peer" });
  const amount = h("input", { type: "text", placeholder: "e.g. 500000", inputmode: "numeric", "data-testid": "open-amount" });
  const push = h("input", { type: "text", placeholder: "0", inputmode: "numeric", "data-testid": "open-push" });
  const rate = h("input", { type: "text", placeholder: "auto", inputmode: "numeric", "data-testid": "open-fee" });
  const priv = h("input", { type: "checkbox", "data-testid": "open-private" });
  const minHtlc = h("input", { type: "text", placeholder: "LND's default", inputmode: "numeric", "data-testid": "open-min-htlc" });
  const result = h("p", { class: "hint", "data-testid": "open-result" });
  const coins = h("div", { class: "coins", "data-testid": "open-coins" });
  const coinBox = h("details", {}, h("summary", {}, "Choose coins (coin control)"), coins);
  coinBox.addEventListener("toggle", () => {
    if (!coinBox.open) return;
    api.listUtxos().then((list: Utxo[]) => {
      coins.replaceChildren(...(list.length ? list.map((u) => h("label", { class: "check" }, h("input", { type: "checkbox", value: u.outpoint }),
        `${sats(u.amount_sat)} · ${u.confirmations ? `${u.confirmations} conf` : "unconfirmed"} · `, h("code", {}, short(u.outpoint, 8))))
        : [h("p", { class: "hint" }, "No coins in the node's wallet.")]));
    }).catch((e: ApiError) => coins.replaceChildren(h("p", { class: "hint bad" }, e.message)));
  });
  const btn = h("button", { class: "primary", "data-testid": "open-submit" }, "Open channel");
  feeAction(btn, "Opening…", async (allowHighFee) => {
    const amt = num(amount);
    if (amt === null || Number.isNaN(amt) || amt <= 0) throw badRequest("Enter the channel size in sats, e.g. 500000.");
    const p = num(push) ?? 0;
    if (Number.isNaN(p)) throw badRequest("The amount given to the peer must be a whole number of sats.");
    const utxos = Array.from(coins.querySelectorAll<HTMLInputElement>("input[type=checkbox]:checked")).map((c) => c.value);
    const mh = num(minHtlc);
    if (Number.isNaN(mh)) throw badRequest("The smallest HTLC must be a whole number of msat.");
    const r = await api.openChannel({ peer: peer.value.trim(), amount_sat: amt, push_sat: p, private: priv.checked, fee: feeChoice(rate), min_htlc_msat: mh, utxos, allow_high_fee: allowHighFee });
    result.textContent = `Funding transaction published: ${r.channel_point}. The channel is usable after its confirmations.`;
    reloadNodeView();
  });
  return h("details", { class: "card", open: true, "data-testid": "open-form" }, h("summary", {}, h("strong", {}, "Open a channel")),
    h("div", { class: "form-row" },
      field("Peer", peer, "Node key and address; the key alone if already connected."),
      field("Size (sats)", amount), field("Give to peer (sats)", push), field("Fee rate (sat/vB)", rate)),
    h("div", { class: "form-row" }, field("Smallest HTLC (msat)", minHtlc, "The smallest payment the channel forwards.")),
    coinBox, h("p", { class: "hint" }, "No coins chosen: LND picks them."),
    h("div", { class: "inline" }, h("label", { class: "check" }, priv, "Private (not announced)"), btn), result);
}

// ---------------------------------------------------------------- Payments

/** A row of plain text cells, updated in place (no controls inside). */
function textRow<T>(testid: string | null, cells: (t: T) => (string | HTMLElement)[], attrs: (t: T) => Record<string, string> = () => ({})): () => Row<T> {
  return () => {
    const el = h("tr", testid ? { "data-testid": testid } : {});
    let last = "";
    return {
      el,
      update: (t: T) => {
        for (const [k, v] of Object.entries(attrs(t))) el.setAttribute(k, v);
        // Redrawn only when the data changed.
        const sig = JSON.stringify(t);
        if (sig === last) return;
        last = sig;
        el.replaceChildren(...cells(t).map((p) => (typeof p === "string" ? h("td", {}, p) : p)));
      },
    };
  };
}

export function paymentsView(): HTMLElement {
  const tbody = h("tbody", {});
  const table = h("table", { class: "grid", "data-testid": "payment-table" },
    h("thead", {}, h("tr", {}, ...["", "Status", "Amount", "Fee", "Memo", "When"].map((t) => h("th", {}, t)))), tbody);
  const empty = h("p", { class: "hint" }, "No payments yet.");
  const card = h("div", { class: "card" }, h("h3", {}, "History"), table, empty);
  const row = textRow<PaymentRecord>("payment-row", (p) => [
    p.direction === "sent" ? "↑ Sent" : "↓ Received",
    h("td", {}, h("span", { class: `badge ${p.status}` }, p.status.replace("_", " "))),
    h("td", { class: "amount" }, msat(p.amount_msat)),
    p.direction === "sent" ? msat(p.fee_msat) : "—",
    p.memo ?? (p.keysend ? "keysend" : ""),
    h("td", { class: "hint" }, when(p.settled_at ?? p.created_at)),
  ], (p) => ({ "data-hash": p.payment_hash, "data-status": p.status }));
  return view("payments", "Payments", "Pay invoices, request payments, and see both in one history.", [h("div", { class: "columns" }, payCard(), h("div", {}, receiveCard(), keysendCard()))], async (body) => {
    const history = await api.paymentHistory();
    if (!body.contains(card)) body.replaceChildren(card);
    table.hidden = history.length === 0;
    empty.hidden = history.length > 0;
    keyedRows(tbody, history, (p) => `${p.direction}:${p.payment_hash}`, row);
  });
}

function payCard(): HTMLElement {
  const invoice = h("textarea", { rows: 3, placeholder: "lnbc… / lnbcrt…", "data-testid": "pay-invoice" });
  const amount = h("input", { type: "text", placeholder: "only for invoices without an amount", "data-testid": "pay-amount" });
  const limit = h("input", { type: "text", "data-testid": "pay-fee-limit" });
  const previewBox = h("div", { "data-testid": "pay-preview" });
  const result = h("p", { class: "hint", "data-testid": "pay-result" });
  const check = h("button", { class: "secondary", "data-testid": "pay-check" }, "Check invoice");
  const pay = h("button", { class: "primary", "data-testid": "pay-submit", disabled: true }, "Pay");
  let preview: PaymentPreview | null = null;
  const amountMsat = () => { const a = num(amount); return a === null || Number.isNaN(a) ? null : a * 1000; };
  invoice.addEventListener("input", () => { pay.disabled = true; previewBox.replaceChildren(); });
  action(check, "Checking…", async () => {
    preview = await api.previewPayment(invoice.value, amountMsat());
    const i = preview.invoice;
    limit.value = String(preview.suggested_fee_limit_sat);
    previewBox.replaceChildren(h("div", { class: "preview" },
      kv("Amount", msat(preview.amount_msat)), kv("Memo", i.description ?? "(none)"),
      kv("Estimated fee", `${msat(preview.fee_msat)} over ${preview.hops.length} hop${preview.hops.length === 1 ? "" : "s"}`),
      kv("Expires", when(i.expires_at)), kv("Recipient", i.payee)));
    pay.disabled = false;
  });
  action(pay, "Paying…", async () => {
    const l = num(limit);
    const r = await api.payInvoice({ invoice: invoice.value, amount_msat: preview?.invoice.amount_msat ? null : amountMsat(), fee_limit_sat: l === null || Number.isNaN(l) ? null : l, timeout_secs: 60 });
    result.textContent = `Paid ${msat(r.amount_msat)} with a fee of ${msat(r.fee_msat)}.`;
    pay.disabled = true;
    invoice.value = "";
    previewBox.replaceChildren();
    reloadNodeView();
  });
  return h("div", { class: "card" }, h("h3", {}, "Pay"), field("Invoice", invoice), field("Amount (sats)", amount),
    h("div", { class: "inline" }, check), previewBox, field("Fee limit (sats)", limit, "The most you pay in routing fees; the payment fails rather than pay more."),
    h("div", { class: "inline" }, pay), result);
}

function receiveCard(): HTMLElement {
  const amount = h("input", { type: "text", placeholder: "empty: any amount", "data-testid": "recv-amount" });
  const memo = h("input", { type: "text", placeholder: "What it is for", "data-testid": "recv-memo" });
  const out = h("div", {});
  const btn = h("button", { class: "primary", "data-testid": "recv-submit" }, "Create invoice");
  action(btn, "Creating…", async () => {
    const a = num(amount);
    if (Number.isNaN(a)) throw badRequest("The amount must be a whole number of sats.");
    const r = await api.createInvoice({ amount_msat: a === null ? null : a * 1000, memo: memo.value, expiry_secs: null, private_hints: false });
    out.replaceChildren(kv("Invoice (give this to the payer)", r.payment_request));
    out.querySelector("code")?.setAttribute("data-testid", "recv-invoice");
  });
  return h("div", { class: "card" }, h("h3", {}, "Receive"), field("Amount (sats)", amount), field("Memo", memo), h("div", { class: "inline" }, btn), out);
}

function keysendCard(): HTMLElement {
  const dest = h("input", { type: "text", placeholder: "node public key (66 hex characters)", "data-testid": "keysend-dest" });
  const amount = h("input", { type: "text", inputmode: "numeric", "data-testid": "keysend-amount" });
  const limit = h("input", { type: "text", placeholder: "1%, at least 10", inputmode: "numeric", "data-testid": "keysend-fee-limit" });
  const out = h("p", { class: "hint", "data-testid": "keysend-result" });
  const btn = h("button", { class: "secondary", "data-testid": "keysend-submit" }, "Send");
  action(btn, "Sending…", async () => {
    const a = num(amount);
    if (a === null || Number.isNaN(a) || a <= 0) throw badRequest("Enter the amount in sats.");
    const l = num(limit);
    if (Number.isNaN(l)) throw badRequest("The fee limit must be a whole number of sats.");
    const r = await api.keysend({ destination: dest.value.trim(), amount_sat: a, fee_limit_sat: l });
    out.textContent = `Sent ${msat(r.amount_msat)} with a fee of ${msat(r.fee_msat)}.`;
    reloadNodeView();
  });
  return h("div", { class: "card" }, h("h3", {}, "Keysend"), h("p", { class: "hint" }, "Pay a node directly, without an invoice (the node must accept keysend)."),
    field("Recipient", dest), h("div", { class: "form-row" }, field("Amount (sats)", amount), field("Fee limit (sats)", limit)), h("div", { class: "inline" }, btn), out);
}

// ---------------------------------------------------------------- On-chain

export function onchainView(): HTMLElement {
  const addrOut = h("div", {});
  const newAddr = h("button", { class: "secondary", "data-testid": "new-address" }, "New receive address");
  action(newAddr, "…", async () => { addrOut.replaceChildren(kv("Receive address", await api.newAddress("p2wkh"))); });
  const to = h("input", { type: "text", placeholder: "bc1… / bcrt1…", "data-testid": "send-address" });
  const amount = h("input", { type: "text", "data-testid": "send-amount" });
  const rate = h("input", { type: "text", placeholder: "auto (6 blocks)", "data-testid": "send-fee" });
  const sent = h("p", { class: "hint", "data-testid": "send-result" });
  const available = h("p", { class: "hint" });
  const send = h("button", { class: "primary", "data-testid": "send-submit" }, "Send");
  feeAction(send, "Sending…", async (allowHighFee) => {
    const a = num(amount);
    if (a === null || Number.isNaN(a) || a <= 0) throw badRequest("Enter the amount in sats.");
    const txid = await api.sendCoins({ address: to.value, amount_sat: a, send_all: false, fee: feeChoice(rate), allow_high_fee: allowHighFee });
    sent.textContent = `Sent in transaction ${txid}.`;
    reloadNodeView();
  });
  const forms = h("div", { class: "columns" },
    h("div", { class: "card" }, h("h3", {}, "Send"), available, field("Address", to), field("Amount (sats)", amount), field("Fee rate (sat/vB)", rate), send, sent),
    h("div", { class: "card" }, h("h3", {}, "Receive"), newAddr, addrOut));
  const historyOut = h("p", { class: "hint", "data-testid": "history-result" });
  const historyBtn = h("button", { class: "secondary", "data-testid": "export-history" }, "Export history (CSV)");
  action(historyBtn, "Exporting…", async () => {
    const e = await api.exportHistory();
    const parts = Object.entries(e.by_kind).map(([k, n]) => `${n} ${k.replace("_", " ")}`).join(", ");
    historyOut.textContent = `Saved ${e.rows} rows to ${e.path}${parts ? ` (${parts})` : ""}.`;
  });
  const historyCard = h("div", { class: "card" }, h("h3", {}, "Accounting"),
    h("p", { class: "hint" }, "Every channel open and close, on-chain send and receive, fee bump, payment and paid invoice, with amounts and fees in sats and msat."),
    historyBtn, historyOut);
  const txBody = h("tbody", {});
  const coinBody = h("tbody", {});
  const coinTitle = h("h3", {}, "Coins");
  const coinTable = h("table", { class: "grid", "data-testid": "coin-table" }, h("thead", {}, h("tr", {}, ...["Amount", "Confirmations", "Address", "Coin"].map((t) => h("th", {}, t)))), coinBody);
  const noCoins = h("p", { class: "hint" }, "No coins.");
  const lists = [
    h("div", { class: "card" }, h("h3", {}, "Transactions"),
      h("table", { class: "grid" }, h("thead", {}, h("tr", {}, ...["Amount", "Fee", "Confirmations", "Kind", "Transaction"].map((t) => h("th", {}, t)))), txBody)),
    h("div", { class: "card" }, coinTitle, coinTable, noCoins),
  ];
  const txRow = textRow<OnchainTx>(null, (t) => [
    h("td", { class: t.amount_sat < 0 ? "amount out" : "amount in" }, `${t.amount_sat < 0 ? "−" : "+"}${sats(Math.abs(t.amount_sat))}`),
    t.fee_sat ? sats(t.fee_sat) : "—",
    h("td", {}, t.confirmations ? t.confirmations.toLocaleString() : h("span", { class: "badge opening" }, "unconfirmed")),
    h("td", { class: "hint" }, t.label.replace(/^0:/, "") || "—"),
    h("td", {}, h("code", { title: t.txid }, short(t.txid, 8))),
  ]);
  const coinRow = textRow<Utxo>(null, (u) => [
    h("td", { class: "amount" }, sats(u.amount_sat)),
    h("td", {}, u.confirmations ? u.confirmations.toLocaleString() : h("span", { class: "badge opening" }, "unconfirmed")),
    h("td", {}, h("code", {}, short(u.address, 10))),
    h("td", {}, h("code", { title: u.outpoint }, short(u.outpoint, 8))),
  ]);
  return view("onchain", "On-chain", "Bitcoin in your node's wallet: receive, send, and every transaction.", [forms, historyCard], async (body) => {
    const [b, txs, coins] = await Promise.all([api.balances(), api.transactions(), api.listUtxos()]);
    setText(available, `Available: ${sats(b.onchain_confirmed_sat)}`);
    if (!body.contains(lists[0])) body.replaceChildren(...lists);
    keyedRows(txBody, txs.slice(0, 100), (t) => t.txid, txRow);
    setText(coinTitle, `Coins (${coins.length})`);
    coinTable.hidden = coins.length === 0;
    noCoins.hidden = coins.length > 0;
    keyedRows(coinBody, coins, (u) => u.outpoint, coinRow);
  });
}
