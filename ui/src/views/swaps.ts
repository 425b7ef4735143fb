// Swaps: quote first (fees in sats and %, limits, time lock in blocks and
// hours), then each swap's live timeline with a countdown to its time lock;
// rescue from the wallet's words. The engine in the core does the work;
// this screen shows it and never wipes what the user is typing.

import { api } from "../api";
import type { QuoteView } from "../bindings/QuoteView";
import type { SwapView } from "../bindings/SwapView";
import { field, h, keyedRows, setText } from "../dom";
import { blocks, blocksAsTime, sats, short, when } from "../format";
import { pendingSpend, walletPicker } from "./psbt";
import { action, badRequest, kv, num, reloadNodeView, view } from "./screen";

const DIRECTION = { in: "Swap in: on-chain → channels", out: "Swap out: channels → on-chain" } as const;

export function swapsView(): HTMLElement {
  const list = h("div", { class: "swap-list", "data-testid": "swap-list" });
  const empty = h("p", { class: "hint" }, "No swaps yet. A quote costs nothing; nothing moves until you start a swap.");
  const card = h("div", { class: "card" }, h("h3", {}, "Swaps"), empty, list);
  return view("swaps", "Swaps", "Move funds between on-chain bitcoin and your channels with a swap provider — atomically: either both sides happen or your funds come back.",
    [h("div", { class: "columns" }, quoteCard(), rescueCard())], async (body) => {
      const all = await api.listSwaps();
      if (!body.contains(card)) body.replaceChildren(card);
      empty.hidden = all.length > 0;
      keyedRows(list, all, (s) => s.id, swapRow);
    });
}

function quoteCard(): HTMLElement {
  const direction = h("select", { "data-testid": "swap-direction" },
    h("option", { value: "in" }, DIRECTION.in), h("option", { value: "out" }, DIRECTION.out));
  const amount = h("input", { type: "text", inputmode: "numeric", placeholder: "e.g. 100,000", "data-testid": "swap-amount" });
  const provider = h("input", { type: "text", placeholder: "http://127.0.0.1:9001", "data-testid": "swap-provider" });
  const maxFee = h("input", { type: "text", inputmode: "numeric", "data-testid": "swap-max-fee" });
  const external = h("input", { type: "checkbox", "data-testid": "swap-external" });
  const externalRow = h("label", { class: "check" }, external,
    "Fund the lockup from another wallet (hardware wallet, Sparrow…): you get the address and exact amount, and bring back the signed PSBT");
  const preview = h("div", { "data-testid": "swap-quote" });
  const result = h("p", { class: "hint", "data-testid": "swap-result" });
  const quoteBtn = h("button", { class: "secondary", "data-testid": "swap-quote-btn" }, "Get a quote");
  const start = h("button", { class: "primary", "data-testid": "swap-start", disabled: true }, "Start swap");
  void api.swapProvider().then((p) => { if (p && !provider.value) provider.value = p; }).catch(() => undefined);
  const invalidate = () => { start.disabled = true; preview.replaceChildren(); };
  for (const el of [direction, amount, provider]) el.addEventListener("input", invalidate);
  direction.addEventListener("change", invalidate);
  const showExternal = () => { externalRow.hidden = direction.value !== "in"; };
  direction.addEventListener("change", showExternal);
  showExternal();
  const amountSat = () => {
    const a = num(amount);
    if (a === null || Number.isNaN(a) || a <= 0) throw badRequest("Enter the amount to swap, in sats.");
    return a;
  };
  action(quoteBtn, "Asking the provider…", async () => {
    const q = await api.swapQuote(direction.value as "in" | "out", amountSat(), provider.value.trim() || null);
    preview.replaceChildren(quoteBox(q));
    maxFee.value = String(q.totalFee);
    start.disabled = false;
  });
  action(start, "Starting…", async () => {
    const f = num(maxFee);
    if (f === null || Number.isNaN(f)) throw badRequest("Enter the most you agree to pay in fees, in sats.");
    const isIn = direction.value === "in";
    const s = await api.createSwap(direction.value as "in" | "out", amountSat(), f, provider.value.trim() || null, null, isIn && external.checked);
    result.textContent = s.awaitingFunding
      ? `Swap ${s.providerId ?? short(s.id)} created: pay exactly ${sats(s.onchain)} to its lockup address from your other wallet (below).`
      : `Swap ${s.providerId ?? short(s.id)} started: ${s.kind === "submarine" ? "your node locks" : "your node pays"} ${sats(s.kind === "submarine" ? s.onchain : s.amount)}. Follow it below.`;
    start.disabled = true;
    preview.replaceChildren();
    amount.value = "";
    reloadNodeView();
  });
  return h("div", { class: "card" }, h("h3", {}, "New swap"),
    field("Direction", direction),
    h("div", { class: "form-row halves" }, field("Amount (sats, over Lightning)", amount), field("Provider", provider, "A Boltz-compatible swap provider.")),
    h("div", { class: "inline" }, quoteBtn), preview,
    field("Fee limit (sats)", maxFee, "The most you pay in all (provider and miners); the swap is refused rather than cost more."),
    externalRow,
    h("div", { class: "inline" }, start), result);
}

function quoteBox(q: QuoteView): HTMLElement {
  const pct = (q.quote.percentagePpm / 10_000).toLocaleString("en-US", { maximumFractionDigits: 3 });
  const isIn = q.quote.kind === "submarine";
  return h("div", { class: "preview" },
    kv(isIn ? "You send on chain" : "You receive on chain (before your claim's fee)", sats(q.quote.onchain)),
    kv("Provider fee", `${sats(q.quote.serviceFee)} (${pct} %) + its miner fee ${sats(q.quote.providerMinerFee)}`),
    kv(isIn ? "Your lockup's miner fee" : "Your claim's miner fee", `≈ ${sats(q.ourMinerFee)} at ${q.feeRate} sat/vB`),
    kv("Total fees", sats(q.totalFee)),
    kv("Limits", `${sats(q.quote.min)} – ${sats(q.quote.max)}`),
    kv("Time lock", `${blocks(q.timeoutBlocks)} (${blocksAsTime(q.timeoutBlocks)})`),
    h("p", { class: "hint" }, isIn
      ? "If the provider never pays your invoice, your funds come back to your wallet after the time lock."
      : "If the provider does not lock in time, your payment fails back to you."));
}

function outcomeText(s: SwapView): string {
  if (s.outcome === "succeeded") return s.isFinal ? "Succeeded" : "Succeeded · address watched until its time lock";
  if (s.outcome === "refunded") return s.isFinal ? "Refunded" : "Refunded · address watched until its time lock";
  if (s.outcome === "failed") return `Failed: ${s.outcomeReason ?? "nothing moved"}`;
  const current = s.timeline.find((t) => t.state === "current");
  return current ? `${current.label}…` : "In progress";
}

/** One swap: a summary line and its timeline, updated in place. */
function swapRow(): { el: HTMLElement; update: (s: SwapView) => void } {
  const title = h("strong", {});
  const badge = h("span", { class: "badge" });
  const countdown = h("span", { class: "hint", "data-testid": "swap-countdown" });
  const status = h("p", { class: "hint", "data-testid": "swap-status" });
  const steps = h("ol", { class: "timeline" });
  const warn = h("p", { class: "hint bad" });
  const meta = h("p", { class: "hint" });
  const funding = fundingBox();
  const el = h("div", { class: "swap card inner", "data-testid": "swap-row" },
    h("div", { class: "title-row" }, title, badge, countdown), status, funding.el, funding.result, steps, warn, meta);
  let last = "";
  return {
    el,
    update: (s: SwapView) => {
      el.setAttribute("data-id", s.id);
      el.setAttribute("data-outcome", s.outcome ?? "");
      el.setAttribute("data-final", String(s.isFinal));
      const sig = JSON.stringify(s);
      if (sig === last) return;
      last = sig;
      const dir = s.kind === "submarine" ? "In" : "Out";
      setText(title, `${dir} · ${sats(s.amount)} · ${s.providerId ?? short(s.id)}`);
      badge.className = `badge ${s.outcome ?? "pending"}`;
      setText(badge, s.outcome ?? (s.isFinal ? "ended" : "in progress"));
      const left = s.blocksLeft;
      setText(countdown, s.isFinal || left === null ? "" : left > 0
        ? `time lock in ${blocks(left)} (${blocksAsTime(left)}) · block ${s.timeoutHeight?.toLocaleString("en-US")}`
        : "time lock reached: refund path open");
      setText(status, outcomeText(s));
      steps.replaceChildren(...s.timeline.map((t) => h("li", { class: `tl-step ${t.state}`, "data-state": t.state },
        h("span", { class: "mark" }, t.state === "done" ? "✓" : t.state === "failed" ? "✗" : t.state === "current" ? "…" : "·"),
        h("span", {}, t.label), t.detail ? h("span", { class: "hint" }, ` — ${detail(t.detail)}`) : null)));
      funding.update(s);
      setText(warn, s.error ?? "");
      setText(meta, `On chain ${sats(s.onchain)} · provider fees ${sats(s.providerFee)}${s.providerStatus ? ` · provider says ${s.providerStatus}` : ""} · started ${when(s.createdAt)}`);
    },
  };
}

/**
 * A swap in funded from another wallet: the exact amount and address (and
 * the BIP21 link) to pay, and where to paste or load the signed PSBT. Built
 * once per row and only shown or hidden by updates, so a refresh never
 * wipes what the user pasted.
 */
function fundingBox(): { el: HTMLElement; result: HTMLElement; update: (s: SwapView) => void } {
  const what = h("p", {});
  const address = h("code", { class: "wrap", "data-testid": "swap-fund-address" });
  const link = h("code", { class: "wrap hint", "data-testid": "swap-fund-bip21" });
  const signed = h("textarea", { rows: 3, placeholder: "Signed PSBT (base64) or raw transaction (hex)", "data-testid": "swap-fund-psbt" });
  const file = h("input", { type: "file", accept: ".psbt,.txt,.hex", "data-testid": "swap-fund-file" });
  const go = h("button", { class: "primary", "data-testid": "swap-fund-submit" }, "Check and broadcast");
  const result = h("p", { class: "hint", "data-testid": "swap-fund-result" });
  let id = "";
  file.addEventListener("change", () => {
    const f = file.files?.[0];
    if (!f) return;
    void f.arrayBuffer().then((buf) => {
      const bytes = new Uint8Array(buf);
      // A binary PSBT ("psbt" 0xff) goes as base64; text files as they are.
      const binary = bytes.length > 4 && bytes[0] === 0x70 && bytes[1] === 0x73 && bytes[2] === 0x62 && bytes[3] === 0x74 && bytes[4] === 0xff;
      signed.value = binary ? btoa(Array.from(bytes, (b) => String.fromCharCode(b)).join("")) : new TextDecoder().decode(bytes).trim();
    });
  });
  action(go, "Checking…", async () => {
    if (!signed.value.trim()) throw badRequest("Paste the signed PSBT or transaction, or load its file.");
    const f = await api.fundSwap(id, signed.value);
    signed.value = "";
    result.textContent = `Lockup ${short(f.txid, 8)} broadcast by your node: the swap goes on once it confirms.`;
    reloadNodeView();
  });
  const cold = coldLockup(() => id, result);
  const el = h("div", { class: "preview", "data-testid": "swap-funding" },
    what, h("div", {}, address), h("div", {}, link),
    field("Signed lockup", signed, "From your other wallet, after you checked there that it pays exactly this amount to this address."),
    h("div", { class: "inline" }, file, go), cold.el);
  el.hidden = true;
  return {
    el,
    // Outside the box: the box hides once the lockup is recorded, the
    // word that it was broadcast stays.
    result,
    update: (s: SwapView) => {
      id = s.id;
      if (s.outcome) setText(result, "");
      el.hidden = !s.awaitingFunding;
      if (!s.awaitingFunding) return;
      cold.fill();
      setText(what, `Pay exactly ${sats(s.onchain)} to this address from your other wallet, before the time lock:`);
      setText(address, s.address ?? "");
      setText(link, s.bip21 ?? "");
    },
  };
}

/**
 * The lockup funded from cold storage the node watches: LND funds it from
 * the wallet's account, the review shows it paying exactly the lockup, the
 * wallet's signer (its seed or its device) signs, the swap checks it and the
 * node broadcasts it. Hidden when no wallet is watched by the node.
 */
function coldLockup(swapId: () => string, result: HTMLElement): { el: HTMLElement; fill: () => void } {
  const wallet = walletPicker("swap-lockup-wallet", (w) => w.lnd_account !== null);
  const rate = h("input", { type: "text", value: "2", "data-testid": "swap-lockup-rate" });
  const maxFee = h("input", { type: "text", value: "5000", "data-testid": "swap-lockup-max-fee" });
  const prepare = h("button", { class: "secondary", "data-testid": "swap-lockup-prepare" }, "Review lockup");
  const out = h("div", { "data-testid": "swap-lockup-review" });
  const spend = pendingSpend(out, "swap-lockup", "fund", {
    complete: (id) => api.completeSwapLockup(id),
    abort: (id) => api.abortSwapLockup(id),
    done: (f) => {
      result.textContent = `Lockup ${short(f.txid, 8)} broadcast by your node: the swap goes on once it confirms.`;
      reloadNodeView();
    },
  });
  action(prepare, "LND is funding…", async () => {
    await spend.release();
    const r = num(rate);
    const m = num(maxFee);
    if (r === null || Number.isNaN(r) || r < 1) throw badRequest("The fee rate is a whole number of sat/vB, at least 1.");
    if (m === null || Number.isNaN(m)) throw badRequest("Enter the most fee you accept, in sats.");
    spend.show(await api.prepareSwapLockup(swapId(), wallet.el.value, r, m));
  });
  const el = h("div", { "data-testid": "swap-lockup" },
    h("h4", {}, "Or from cold storage the node watches"),
    field("From", wallet.el),
    h("div", { class: "columns tight" }, field("Fee rate (sat/vB)", rate), field("Most fee (sats)", maxFee)),
    prepare, out);
  return {
    el,
    fill: () => {
      wallet.fill();
      el.hidden = wallet.el.options.length === 0;
    },
  };
}

/** "txid · 2 confirmations" with the txid shortened. */
function detail(d: string): string {
  const [first, ...rest] = d.split(" · ");
  return [short(first, 8), ...rest].join(" · ");
}

function rescueCard(): HTMLElement {
  const count = h("input", { type: "text", inputmode: "numeric", value: "100", "data-testid": "rescue-count" });
  const out = h("p", { class: "hint", "data-testid": "rescue-result" });
  const btn = h("button", { class: "secondary", "data-testid": "rescue-submit" }, "Find my swaps");
  const resume = h("button", { class: "ghost", "data-testid": "swaps-resume" }, "Resume unfinished swaps");
  action(btn, "Searching…", async () => {
    const n = num(count);
    if (n === null || Number.isNaN(n) || n < 1) throw badRequest("Search at least 1 swap key.");
    const r = await api.rescueSwaps(null, null, n);
    out.textContent = `Searched ${r.scanned} swap keys: the provider knows ${r.found.length} swap${r.found.length === 1 ? "" : "s"}, ${r.restored.length} restored here${r.refused.length ? `, ${r.refused.length} refused (their terms did not match your keys)` : ""}.`;
    reloadNodeView();
  });
  action(resume, "Resuming…", async () => {
    const n = await api.resumeSwaps();
    out.textContent = n ? `${n} unfinished swap${n === 1 ? "" : "s"} resumed.` : "No unfinished swaps.";
  });
  return h("div", { class: "card" }, h("h3", {}, "Rescue"),
    h("p", { class: "hint" }, "Lost this computer's data? Swap keys come from your wallet's words: ask the provider about them, then claim or refund whatever is still on chain."),
    field("Swap keys to search", count), h("div", { class: "inline" }, btn, resume), out);
}
