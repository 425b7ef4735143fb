// PSBTs and cold storage: review a PSBT against a wallet (whose each input
// and output is, decided by the wallet's own descriptors), sign it with the
// wallet's signer (its seed or its hardware wallet), send from a wallet's
// LND account through a PSBT, watch-only wallets and their import into LND,
// connected hardware wallets.

import { api } from "../api";
import type { AccountBalance } from "../bindings/AccountBalance";
import type { DeviceInfo } from "../bindings/DeviceInfo";
import type { OutputKind } from "../bindings/OutputKind";
import type { PreparedOpenView } from "../bindings/PreparedOpenView";
import type { PreparedView } from "../bindings/PreparedView";
import type { Review } from "../bindings/Review";
import type { WalletSummary } from "../bindings/WalletSummary";
import { field, h, keyedRows, setText } from "../dom";
import { qrScanner } from "./qrscan";
import { appPasswordField } from "./confirm";
import { clock, sats, short } from "../format";
import { refreshWallets, state } from "../state";
import { action, badRequest, num, textRow, view } from "./screen";

function kindBadge(k: OutputKind): HTMLElement {
  switch (k.kind) {
    case "payment": return h("span", { class: "badge pending" }, "payment");
    case "channel_funding": return h("span", { class: "badge opening" }, "channel funding");
    case "change": return h("span", { class: "badge active", title: k.path }, "change, back to you");
    case "own_receive": return h("span", { class: "badge active", title: k.path }, "to yourself");
  }
}

/** The review as the user reads it before signing: warnings first. */
export function reviewBox(r: Review): HTMLElement {
  const warnings = r.warning_messages.map((m) => h("div", { class: "warning-box bad", "data-testid": "psbt-warning" }, h("strong", {}, "Warning: "), m));
  const inputs = h("table", { class: "grid", "data-testid": "psbt-inputs" },
    h("thead", {}, h("tr", {}, ...["Input", "Amount", "Whose", "Address"].map((t) => h("th", {}, t)))),
    h("tbody", {}, ...r.inputs.map((i) => h("tr", {},
      h("td", {}, h("code", { title: i.outpoint }, short(i.outpoint, 8))),
      h("td", { class: "amount" }, i.value === null ? "unknown" : sats(i.value)),
      h("td", {}, i.owner.owner === "ours" ? h("span", { class: "badge active", title: i.owner.path }, `yours · ${i.owner.path}`) : h("span", { class: "badge inactive" }, "not yours"),
        i.signed ? h("span", { class: "badge succeeded" }, "signed") : null,
        i.sighash ? h("span", { class: "badge failed" }, i.sighash) : null),
      h("td", {}, i.address ? h("code", { class: "addr" }, i.address) : "—")))));
  const outputs = h("table", { class: "grid", "data-testid": "psbt-outputs" },
    h("thead", {}, h("tr", {}, ...["#", "Address", "Amount", "What"].map((t) => h("th", {}, t)))),
    h("tbody", {}, ...r.outputs.map((o) => h("tr", { "data-testid": `psbt-output-${o.index}` },
      h("td", { class: "num" }, String(o.index)),
      h("td", {}, o.address ? h("code", { class: "addr" }, o.address) : "(no address)"),
      h("td", { class: "amount" }, sats(o.value)),
      h("td", {}, kindBadge(o.kind))))));
  const fee = r.fee === null
    ? `unknown: ${r.missing_inputs} of ${r.inputs.length} input${r.inputs.length === 1 ? "" : "s"} without their amount`
    : `${sats(r.fee)} (${r.fee_rate ?? "?"} sat/vB, ${r.vsize.toLocaleString()} vB)`;
  const summary = h("div", { class: "kv-list", "data-testid": "psbt-summary" },
    h("div", { class: "kv" }, h("span", { class: "k" }, "You send"), h("span", { class: "v amount" }, sats(r.sent))),
    h("div", { class: "kv" }, h("span", { class: "k" }, "Miner fee"), h("span", { class: `v ${r.fee === null ? "bad" : ""}`, "data-testid": "psbt-fee" }, fee)),
    h("div", { class: "kv" }, h("span", { class: "k" }, "Back to you (change)"), h("span", { class: "v amount" }, sats(r.change))));
  return h("div", { class: "psbt-review", "data-testid": "psbt-review" },
    ...warnings,
    warnings.length === 0 ? h("p", { class: "hint good" }, "No warnings: every input's amount is known, and change is proven yours by your wallet's own keys.") : null,
    summary, h("h4", {}, "Inputs"), inputs, h("h4", {}, "Outputs"), outputs);
}

/** The wallet pickers of the mounted screen, refilled when wallets change. */
let refills: (() => void)[] = [];
function refillSelects(): void {
  for (const f of refills) f();
}

function walletSelect(testid: string, filter: (w: WalletSummary) => boolean = () => true): HTMLSelectElement {
  const picker = walletPicker(testid, filter);
  refills.push(picker.fill);
  return picker.el;
}

/** A wallet picker and its refill (call it when wallets may have changed). */
export function walletPicker(testid: string, filter: (w: WalletSummary) => boolean): { el: HTMLSelectElement; fill: () => void } {
  const sel = h("select", { "data-testid": testid });
  let shown = "";
  const fill = () => {
    const list = state.wallets.filter(filter);
    // Rebuilt only when the list changed: a live reload must not replace
    // the option the user is choosing.
    const sig = JSON.stringify(list.map((w) => [w.id, w.name, w.lnd_account]));
    if (sig === shown) return;
    shown = sig;
    const keep = sel.value;
    sel.replaceChildren(...list.map((w) =>
      h("option", { value: w.id }, `${w.name}${w.watch_only ? ` · watch-only${w.device ? ` (${w.device})` : ""}` : ""}`)));
    if (keep && [...sel.options].some((o) => o.value === keep)) sel.value = keep;
  };
  fill();
  return { el: sel, fill };
}

/** Reads a chosen .psbt file (binary) or text file as base64 text. */
async function fileAsBase64(f: File): Promise<string> {
  const bytes = new Uint8Array(await f.arrayBuffer());
  if (bytes.length >= 5 && bytes[0] === 0x70 && bytes[1] === 0x73 && bytes[2] === 0x62 && bytes[3] === 0x74 && bytes[4] === 0xff) {
    let bin = "";
    for (const b of bytes) bin += String.fromCharCode(b);
    return btoa(bin);
  }
  return new TextDecoder().decode(bytes).trim();
}

function copyButton(src: HTMLTextAreaElement, testid: string): HTMLButtonElement {
  const b = h("button", { class: "ghost small", "data-testid": testid }, "Copy");
  b.addEventListener("click", () => {
    void navigator.clipboard?.writeText(src.value).then(() => { b.textContent = "Copied"; setTimeout(() => { b.textContent = "Copy"; }, 1500); });
  });
  return b;
}

/** "Show as QR" (BBQr frames, shown in turn when there are several) and
 * "Save .psbt file" for the PSBT `current()` gives, for a signer with a
 * camera or an SD card. */
function exportRow(current: () => string, testid: string): HTMLElement {
  const area = h("div", { class: "qr-area", "data-testid": `${testid}-qr` });
  const qr = h("button", { class: "ghost small", "data-testid": `${testid}-show-qr` }, "Show as QR");
  const save = h("button", { class: "ghost small", "data-testid": `${testid}-save` }, "Save .psbt file");
  const saved = h("span", { class: "hint", "data-testid": `${testid}-saved` });
  let timer = 0;
  action(qr, "Drawing…", async () => {
    window.clearInterval(timer);
    const frames = await api.psbtQr(current());
    const img = h("img", { class: "qr", alt: "PSBT as a QR code (BBQr)", src: frames.images[0] ?? "" });
    const label = h("span", { class: "hint", "data-testid": `${testid}-qr-frame` });
    let i = 0;
    const show = () => {
      if (!img.isConnected && i > 0) { window.clearInterval(timer); return; }
      img.src = frames.images[i % frames.images.length] ?? "";
      label.textContent = frames.images.length > 1
        ? `Frame ${(i % frames.images.length) + 1} of ${frames.images.length} (BBQr): keep the camera on it until every frame is read`
        : "One frame (BBQr)";
      i += 1;
    };
    show();
    if (frames.images.length > 1) timer = window.setInterval(show, 600);
    area.replaceChildren(img, label);
  });
  action(save, "Saving…", async () => {
    const path = await api.savePsbt(current());
    saved.textContent = `Saved to ${path}`;
  });
  return h("div", {}, h("div", { class: "inline" }, qr, save, saved), area);
}

function reviewCard(): HTMLElement {
  const wallet = walletSelect("psbt-wallet");
  const text = h("textarea", { rows: 4, spellcheck: "false", placeholder: "cHNidP8… (base64), B$… (BBQr frames, one per line), or choose a .psbt file", "data-testid": "psbt-input" });
  const file = h("input", { type: "file", accept: ".psbt,.txt", "data-testid": "psbt-file" });
  file.addEventListener("change", () => {
    const f = file.files?.[0];
    if (f) void fileAsBase64(f).then((b64) => { text.value = b64; });
  });
  const out = h("div", { "data-testid": "psbt-review-out" });
  const signed = h("div", { "data-testid": "psbt-signed" });
  const reviewBtn = h("button", { class: "secondary", "data-testid": "psbt-review-button" }, "Review");
  const signBtn = h("button", { class: "primary", "data-testid": "psbt-sign", hidden: true }, "Sign");
  const signPassword = h("div", { "data-testid": "psbt-sign-password" });
  let signPw = appPasswordField("psbt-sign");
  action(reviewBtn, "Reading…", async () => {
    signed.replaceChildren();
    signPassword.replaceChildren();
    signBtn.hidden = true;
    if (!text.value.trim()) throw badRequest("Paste a PSBT (base64) or choose a .psbt file.");
    const r = await api.reviewPsbt(wallet.value, text.value);
    const reviewed = text.value;
    out.replaceChildren(reviewBox(r), exportRow(() => reviewed, "psbt-export"));
    const w = state.wallets.find((x) => x.id === wallet.value);
    signBtn.textContent = w?.watch_only ? `Sign on the ${w.device ?? "hardware wallet"}` : `Sign with “${w?.name ?? "wallet"}”`;
    signPw = appPasswordField("psbt-sign");
    signPassword.replaceChildren(...(signPw.el ? [signPw.el] : []));
    signBtn.hidden = false;
  });
  action(signBtn, "Waiting for the signer…", async () => {
    const s = await api.signPsbt(wallet.value, text.value, signPw.take());
    const area = h("textarea", { rows: 4, readonly: true, spellcheck: "false", "data-testid": "psbt-signed-text" });
    area.value = s.psbt;
    const parts: HTMLElement[] = [
      h("p", { class: "hint good" }, `Signed by ${s.signer}: input${s.signed_inputs.length === 1 ? "" : "s"} ${s.signed_inputs.join(", ")}. Every signature was checked against the transaction you reviewed.`),
      field("Signed PSBT (base64)", area), copyButton(area, "psbt-copy"), exportRow(() => area.value, "psbt-signed-export")];
    if (s.final_tx) {
      const tx = h("textarea", { rows: 3, readonly: true, spellcheck: "false", "data-testid": "psbt-final-tx" });
      tx.value = s.final_tx;
      parts.push(field("Complete: the network transaction (hex), ready to broadcast", tx));
    } else {
      parts.push(h("p", { class: "hint" }, "Other signers still have to sign: pass the signed PSBT on."));
    }
    signed.replaceChildren(...parts);
    signPassword.replaceChildren();
    signBtn.hidden = true;
  });
  return h("div", { class: "card", "data-testid": "psbt-review-card" },
    h("h3", {}, "Review and sign a PSBT"),
    h("p", { class: "hint" }, "What a PSBT spends and pays, decided by your wallet's own keys — never by what the PSBT says of itself. Nothing is signed until you press Sign. Paste base64 or BBQr frames' text (one per line), choose a file, or scan the signer's QR codes."),
    h("div", { class: "columns tight" }, field("Wallet", wallet), field("Or a file", file)),
    field("PSBT", text),
    qrScanner("psbt-scan", (t) => { text.value = t; reviewBtn.click(); }),
    signPassword, h("div", { class: "inline" }, reviewBtn, signBtn), out, signed);
}

/**
 * A spend from cold storage prepared by LND and waiting for the user's yes:
 * `show` puts its review in `out` with who signs and Sign / Cancel (ids
 * `{testid}-confirm`, `{testid}-cancel`); Sign runs `complete`, Cancel
 * `abort` (the coins released); `release` aborts one still shown before
 * another is prepared.
 */
export function pendingSpend<T>(out: HTMLElement, testid: string, verb: string, calls: {
  complete: (id: string) => Promise<T>;
  abort: (id: string) => Promise<unknown>;
  done: (r: T) => void;
  cancelled?: () => void;
}): { show: (p: PreparedView) => void; release: () => Promise<void> } {
  let pending: PreparedView | null = null;
  const confirm = h("button", { class: "primary", "data-testid": `${testid}-confirm` }, `Sign and ${verb}`);
  const cancel = h("button", { class: "ghost", "data-testid": `${testid}-cancel` }, "Cancel");
  const take = (): string | null => {
    const id = pending?.id ?? null;
    pending = null;
    out.replaceChildren();
    return id;
  };
  action(confirm, "Signing…", async () => {
    const id = take();
    if (id !== null) calls.done(await calls.complete(id));
  });
  action(cancel, "Releasing…", async () => {
    const id = take();
    if (id === null) return;
    await calls.abort(id);
    calls.cancelled?.();
  });
  return {
    show: (p) => {
      pending = p;
      const who = p.signer_kind === "software" ? `the seed of “${p.wallet}”` : `the ${p.signer_kind} of “${p.wallet}” (confirm on its screen)`;
      confirm.textContent = p.signer_kind === "software" ? `Sign and ${verb}` : `Sign on the device and ${verb}`;
      out.replaceChildren(reviewBox(p.review),
        h("p", { class: "hint" }, `The coins are locked in LND until you sign or cancel. Signs with ${who}.`),
        h("div", { class: "inline" }, confirm, cancel));
    },
    release: async () => {
      if (pending) await calls.abort(pending.id).catch(() => undefined);
      pending = null;
    },
  };
}

function sendCard(): HTMLElement {
  const wallet = walletSelect("cold-wallet", (w) => w.lnd_account !== null);
  const to = h("input", { type: "text", placeholder: "bcrt1… / bc1…", "data-testid": "cold-address" });
  const amount = h("input", { type: "text", "data-testid": "cold-amount" });
  const rate = h("input", { type: "text", value: "2", "data-testid": "cold-fee-rate" });
  const maxFee = h("input", { type: "text", value: "5000", "data-testid": "cold-max-fee" });
  const out = h("div", { "data-testid": "cold-review" });
  const prepare = h("button", { class: "secondary", "data-testid": "cold-prepare" }, "Review send");
  const result = h("p", { class: "hint", "data-testid": "cold-result" });
  const spend = pendingSpend(out, "cold", "send", {
    complete: (id) => api.completePsbtSend(id),
    abort: (id) => api.abortPsbtSend(id),
    done: (sent) => {
      result.className = "hint good";
      result.textContent = `Sent in transaction ${sent.txid} (fee ${sent.review.fee === null ? "?" : sats(sent.review.fee)}).`;
    },
    cancelled: () => {
      result.className = "hint";
      result.textContent = "Cancelled: nothing signed, the coins are released.";
    },
  });
  action(prepare, "LND is funding…", async () => {
    await spend.release();
    result.textContent = "";
    const a = num(amount);
    const r = num(rate);
    const m = num(maxFee);
    if (a === null || Number.isNaN(a) || a <= 0) throw badRequest("Enter the amount in sats.");
    if (r === null || Number.isNaN(r) || r < 1) throw badRequest("The fee rate is a whole number of sat/vB, at least 1.");
    if (m === null || Number.isNaN(m)) throw badRequest("Enter the most fee you accept, in sats.");
    if (!wallet.value) throw badRequest("No wallet is watched by the node yet: import one into LND below.");
    spend.show(await api.preparePsbtSend({ wallet: wallet.value, address: to.value.trim(), amount_sat: a, sat_per_vbyte: r, max_fee_sat: m, inputs: [] }));
  });
  return h("div", { class: "card", "data-testid": "cold-send-card" },
    h("h3", {}, "Send from cold storage"),
    h("p", { class: "hint" }, "From a wallet's account that the node watches: LND picks the coins and adds change, you review, the wallet's signer signs, LND publishes."),
    field("From", wallet), field("To address", to),
    h("div", { class: "columns tight" }, field("Amount (sats)", amount), field("Fee rate (sat/vB)", rate), field("Most fee (sats)", maxFee)),
    prepare, out, result);
}

function openCard(): HTMLElement {
  const wallet = walletSelect("open-wallet", (w) => w.lnd_account !== null);
  const peer = h("input", { type: "text", placeholder: "pubkey@host:port", "data-testid": "open-peer" });
  const amount = h("input", { type: "text", "data-testid": "open-amount" });
  const rate = h("input", { type: "text", value: "2", "data-testid": "open-fee-rate" });
  const maxFee = h("input", { type: "text", value: "5000", "data-testid": "open-max-fee" });
  const out = h("div", { "data-testid": "open-review" });
  const result = h("p", { class: "hint", "data-testid": "open-result" });
  const prepare = h("button", { class: "secondary", "data-testid": "open-prepare" }, "Ask the peer and review");
  const confirm = h("button", { class: "primary", "data-testid": "open-confirm" }, "Sign and open");
  const cancel = h("button", { class: "ghost", "data-testid": "open-cancel" }, "Cancel");
  const left = h("strong", { "data-testid": "open-countdown" });
  let pending: PreparedOpenView | null = null;
  let timer = 0;
  const stop = () => { window.clearInterval(timer); timer = 0; };
  const tick = () => {
    if (!pending || !left.isConnected) { stop(); return; }
    const s = pending.expires_at - Date.now() / 1000;
    left.textContent = clock(s);
    left.className = s < 120 ? "bad" : "";
    if (s <= 0) {
      stop();
      confirm.disabled = true;
      left.textContent = "0:00 — the peer has given up: cancel and start again";
    }
  };
  action(prepare, "Asking the peer…", async () => {
    if (pending) { await api.abortPsbtOpen(pending.id).catch(() => undefined); pending = null; stop(); }
    result.textContent = "";
    const a = num(amount);
    const r = num(rate);
    const m = num(maxFee);
    if (a === null || Number.isNaN(a) || a <= 0) throw badRequest("Enter the channel size in sats.");
    if (r === null || Number.isNaN(r) || r < 1) throw badRequest("The fee rate is a whole number of sat/vB, at least 1.");
    if (m === null || Number.isNaN(m)) throw badRequest("Enter the most fee you accept, in sats.");
    if (!wallet.value) throw badRequest("No wallet is watched by the node yet: import one into LND below.");
    pending = await api.preparePsbtOpen({ wallet: wallet.value, channels: [{ peer: peer.value.trim(), amount_sat: a, push_sat: 0 }], private: false, sat_per_vbyte: r, max_fee_sat: m, inputs: [] });
    confirm.disabled = false;
    confirm.textContent = pending.signer_kind === "software" ? "Sign and open" : "Sign on the device and open";
    out.replaceChildren(reviewBox(pending.review),
      h("p", { class: "hint" }, "The peer agreed and is waiting for the funding transaction: sign within ", left,
        ". LND publishes it once the peer has signed its side — never publish it yourself."),
      h("div", { class: "inline" }, confirm, cancel));
    tick();
    timer = window.setInterval(tick, 1000);
  });
  action(confirm, "Signing…", async () => {
    if (!pending) return;
    const id = pending.id;
    pending = null;
    stop();
    out.replaceChildren();
    const opened = await api.completePsbtOpen(id);
    result.className = "hint good";
    result.textContent = `Opening channel ${opened.channels.map((c) => c.channel_point).join(", ")}: LND published the funding transaction (fee ${opened.review.fee === null ? "?" : sats(opened.review.fee)}). It is active after its confirmations.`;
  });
  action(cancel, "Cancelling…", async () => {
    if (!pending) return;
    const id = pending.id;
    pending = null;
    stop();
    out.replaceChildren();
    await api.abortPsbtOpen(id);
    result.className = "hint";
    result.textContent = "Cancelled: nothing signed, the peer forgets the channel, the coins are released.";
  });
  return h("div", { class: "card", "data-testid": "cold-open-card" },
    h("h3", {}, "Open a channel from cold storage"),
    h("p", { class: "hint" }, "The peer agrees first; LND funds the channel from the wallet's account, you review, the wallet's signer signs, LND publishes."),
    field("From", wallet), field("Peer", peer),
    h("div", { class: "columns tight" }, field("Channel size (sats)", amount), field("Fee rate (sat/vB)", rate), field("Most fee (sats)", maxFee)),
    prepare, out, result);
}

function watchCard(): HTMLElement {
  const name = h("input", { type: "text", placeholder: "e.g. Ledger savings", "data-testid": "watch-name" });
  const key = h("textarea", { rows: 3, spellcheck: "false", placeholder: "wpkh([f5acc2fd/84'/1'/0']tpub…/<0;1>/*)  or  zpub… / vpub…", "data-testid": "watch-key" });
  const fp = h("input", { type: "text", placeholder: "8 hex digits (for a bare xpub)", "data-testid": "watch-fingerprint" });
  const path = h("input", { type: "text", placeholder: "m/84'/1'/0' (default from the key)", "data-testid": "watch-path" });
  const out = h("p", { class: "hint", "data-testid": "watch-result" });
  const add = h("button", { class: "secondary", "data-testid": "watch-import" }, "Add watch-only wallet");
  action(add, "Adding…", async () => {
    const network = state.node?.network ?? "regtest";
    const w = await api.importWatch({ name: name.value, network, key: key.value.trim(), fingerprint: fp.value.trim() || null, path: path.value.trim() || null, device: null });
    key.value = "";
    await refreshWallets();
    refillSelects();
    out.className = "hint good";
    out.textContent = `Added “${w.name}” (fingerprint ${w.fingerprint}). Import it into LND below to see its balance and spend from it.`;
  });
  const lndWallet = walletSelect("lnd-wallet", (w) => w.lnd_account === null);
  const lndOut = h("div", { "data-testid": "lnd-import-out" });
  const dry = h("button", { class: "secondary", "data-testid": "lnd-dry-run" }, "Check with LND (dry run)");
  const doImport = h("button", { class: "primary", "data-testid": "lnd-import", hidden: true }, "Import into LND");
  action(dry, "Asking LND…", async () => {
    doImport.hidden = true;
    const r = await api.lndImport(lndWallet.value, true);
    const rows = r.lnd.receive.map((a, i) => h("tr", {}, h("td", {}, `receive ${i}`), h("td", {}, h("code", { class: "addr" }, a)),
      h("td", {}, a === r.ours_receive[i] ? h("span", { class: "badge active" }, "= yours") : h("span", { class: "badge failed" }, "≠ yours"))));
    lndOut.replaceChildren(
      h("p", { class: r.matches ? "hint good" : "hint bad" }, r.matches
        ? `LND would watch ${r.path} and derive exactly your addresses.`
        : "LND would derive other addresses than this wallet's: do not import."),
      h("table", { class: "grid" }, h("tbody", {}, ...rows)));
    doImport.hidden = !r.matches;
  });
  action(doImport, "Importing…", async () => {
    const r = await api.lndImport(lndWallet.value, false);
    await refreshWallets();
    refillSelects();
    doImport.hidden = true;
    lndOut.replaceChildren(h("p", { class: "hint good", "data-testid": "lnd-imported" }, `Imported: the node watches “${r.account}”. Its coins are spent only through PSBTs you sign.`));
  });
  return h("div", { class: "card", "data-testid": "watch-card" },
    h("h3", {}, "Watch-only wallets"),
    h("p", { class: "hint" }, "Public keys only: a hardware wallet's account (its descriptor, or xpub with fingerprint and path). Switchyard never holds its private keys."),
    field("Name", name), field("Descriptor or extended public key", key),
    h("div", { class: "columns tight" }, field("Master fingerprint", fp), field("Account path", path)), add, out,
    h("h4", {}, "Let the node watch it"), field("Wallet", lndWallet), h("div", { class: "inline" }, dry, doImport), lndOut);
}

function devicesCard(): HTMLElement {
  const list = h("div", { "data-testid": "device-list" }, h("p", { class: "hint" }, "Press Look for devices with your hardware wallet plugged in, unlocked, and its Bitcoin app open."));
  const scan = h("button", { class: "secondary", "data-testid": "device-scan" }, "Look for devices");
  const name = h("input", { type: "text", placeholder: "e.g. Ledger savings (default: the device and its fingerprint)", "data-testid": "device-wallet-name" });
  const out = h("p", { class: "hint", "data-testid": "device-watch-result" });
  // "ledger_nano_s_plus_simulator" → "Ledger Nano S Plus (emulator)", as the core names it.
  const model = (d: DeviceInfo) => {
    const emulated = d.model.endsWith("_simulator");
    const words = d.model.replace(/_simulator$/, "").split("_").map((w) =>
      w === "bitbox02" ? "BitBox02" : w.length === 1 ? w.toUpperCase() : w.charAt(0).toUpperCase() + w.slice(1));
    return words.join(" ") + (emulated ? " (emulator)" : "");
  };
  const watchButton = (d: DeviceInfo): HTMLElement => {
    if (d.fingerprint === null || d.error !== null) return h("span", {});
    const b = h("button", { class: "secondary small", "data-testid": "device-watch" }, "Watch its account");
    action(b, "Reading its key…", async () => {
      const fp = d.fingerprint ?? "";
      const brand = d.type.charAt(0).toUpperCase() + d.type.slice(1);
      const w = await api.watchDevice(name.value.trim() || `${brand} ${fp}`, fp, null);
      await refreshWallets();
      refillSelects();
      out.className = "hint good";
      out.textContent = `Added “${w.name}”, watch-only (fingerprint ${w.fingerprint}, BIP84 account 0, read from the device). Let the node watch it below to see its balance and spend from it.`;
    });
    return b;
  };
  action(scan, "Looking…", async () => {
    const ds = await api.listDevices();
    list.replaceChildren(ds.length === 0
      ? h("p", { class: "hint" }, "No hardware wallet found. Plug it in, unlock it and open its Bitcoin app.")
      : h("table", { class: "grid" }, h("tbody", {}, ...ds.map((d) => h("tr", { "data-testid": "device-row" },
        h("td", {}, h("div", {}, model(d)),
          h("div", { class: d.error === null ? "hint" : "hint bad" }, d.error ?? `${d.bridge === "native" ? "direct" : "via HWI"} · ${d.path}`)),
        h("td", {}, h("code", {}, d.fingerprint ?? "locked")),
        h("td", {}, watchButton(d)))))));
  });
  return h("div", { class: "card", "data-testid": "devices-card" }, h("h3", {}, "Hardware wallets"),
    h("p", { class: "hint" }, "Ledger (Bitcoin app 2.0 or later) is reached directly; Trezor, BitBox02, Coldcard, Jade and KeepKey through HWI."),
    scan, list, field("Name for a device's wallet", name), out);
}

export function psbtView(): HTMLElement {
  refills = [];
  const balBody = h("tbody", {});
  const balTable = h("table", { class: "grid", "data-testid": "cold-balances" },
    h("thead", {}, h("tr", {}, ...["Wallet", "Confirmed", "Unconfirmed"].map((t) => h("th", {}, t)))), balBody);
  const none = h("p", { class: "hint" }, "No wallet is watched by the node yet.");
  const recvWallet = walletSelect("receive-wallet", (w) => w.lnd_account !== null);
  const recvOut = h("div", { "data-testid": "receive-out" });
  const recv = h("button", { class: "secondary", "data-testid": "receive-address" }, "New receive address");
  action(recv, "Asking the node…", async () => {
    if (!recvWallet.value) throw badRequest("No wallet is watched by the node yet: import one into LND below.");
    const b = await api.accountBalance(recvWallet.value, true);
    recvOut.replaceChildren(h("div", { class: "kv" }, h("span", { class: "k" }, "Receive at"), h("code", { class: "v", "data-testid": "receive-address-value" }, b.address ?? "")),
      h("p", { class: "hint good" }, `Checked: your wallet's own address ${b.address_path ?? ""}. The node sees coins only at addresses it handed out.`));
  });
  const balances = h("div", { class: "card" }, h("h3", {}, "Cold storage the node watches"), balTable, none,
    h("div", { class: "inline" }, recvWallet, recv), recvOut);
  const row = textRow<AccountBalance & { name: string }>("cold-balance-row", (b) => [
    b.name, h("td", { class: "amount" }, sats(b.confirmed_sat)), h("td", { class: "amount" }, sats(b.unconfirmed_sat))]);
  const fixed = [
    h("div", { class: "columns even" }, reviewCard(), devicesCard()),
    h("div", { class: "columns even" }, sendCard(), openCard()),
    h("div", { class: "columns even" }, watchCard()),
  ];
  return view("psbt", "PSBT", "Sign outside the node: review exactly what a PSBT spends and pays, sign with a hardware wallet or your seed, spend cold storage the node watches.",
    [balances, ...fixed], async (body) => {
      refillSelects();
      const watched = state.wallets.filter((w) => w.lnd_account !== null);
      const list = await Promise.all(watched.map(async (w) => ({ ...(await api.accountBalance(w.id, false)), name: w.name })));
      setText(none, list.length ? "" : "No wallet is watched by the node yet.");
      none.hidden = list.length > 0;
      balTable.hidden = list.length === 0;
      keyedRows(balBody, list, (b) => b.account, row);
      body.replaceChildren();
    });
}
