// What the node's screens share: the screen frame that reloads on node
// events without touching what the user typed, form actions that report
// errors, fee-rate confirmation, number fields, key/value and text rows.

import type { ApiError } from "../bindings/ApiError";
import type { FeeChoice } from "../bindings/FeeChoice";
import { h, type Row } from "../dom";
import { parseWhole } from "../format";
import { navigate, rerender, showError, state } from "../state";

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

/** A whole number typed into `input` (see `parseWhole`). */
export function num(input: HTMLInputElement): number | null {
  return parseWhole(input.value);
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

export function kv(k: string, v: string): HTMLElement {
  return h("div", { class: "kv" }, h("span", { class: "k" }, k), h("code", { class: "v" }, v));
}

/** A row of plain text cells, updated in place (no controls inside). */
export function textRow<T>(testid: string | null, cells: (t: T) => (string | HTMLElement)[], attrs: (t: T) => Record<string, string> = () => ({})): () => Row<T> {
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
