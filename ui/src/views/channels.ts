// Channels: the list (rows updated in place, keyed by channel point), open
// (single and batch), close, forwarding fees, fee bumps.

import { api } from "../api";
import type { ApiError } from "../bindings/ApiError";
import type { ChannelInfo } from "../bindings/ChannelInfo";
import type { PolicyUpdate } from "../bindings/PolicyUpdate";
import type { Utxo } from "../bindings/Utxo";
import { field, h, keyedRows, type Row, setText, setWidth } from "../dom";
import { blocks, blocksAsTime, forwardingFee, sats, short } from "../format";
import { action, badRequest, feeAction, feeChoice, num, reloadNodeView, view } from "./screen";

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
  const fee = (p: ChannelInfo["local_policy"]) => p ? forwardingFee(p.base_fee_msat, p.fee_rate_ppm) : "—";
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
      : c.state === "force_closing" ? ((c.blocks_til_maturity ?? 0) > 0 ? `funds return in ${blocks(c.blocks_til_maturity ?? 0)} (${blocksAsTime(c.blocks_til_maturity ?? 0)})` : "sweeping funds") : "");
    setText(capacity, sats(c.capacity_sat));
    setWidth(ours, (100 * c.local_sat) / (c.local_sat + c.remote_sat || 1));
    setText(balanceHint, `${sats(c.local_sat)} / ${sats(c.remote_sat)}`);
    inFlight.hidden = !c.pending_htlcs;
    inFlight.replaceChildren(...(c.pending_htlcs ? [h("span", { class: "spinner" }), ` ${c.pending_htlcs} payment${c.pending_htlcs === 1 ? "" : "s"} in flight · ${sats(c.unsettled_sat)}`] : []));
    setText(feeOurs, fee(c.local_policy));
    setText(feeTheirs, fee(c.remote_policy));
    setText(scid, c.scid ?? short(c.channel_point, 8));
    scid.title = c.channel_point;
    setText(age, c.age_blocks !== null ? `${blocks(c.age_blocks)} old` : "");
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
