// Payments: pay an invoice, receive, keysend, and the history.

import { api } from "../api";
import type { PaymentPreview } from "../bindings/PaymentPreview";
import type { PaymentRecord } from "../bindings/PaymentRecord";
import { field, h, keyedRows } from "../dom";
import { msat, when } from "../format";
import { action, badRequest, kv, num, reloadNodeView, textRow, view } from "./screen";

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
    field("Recipient", dest), h("div", { class: "form-row halves" }, field("Amount (sats)", amount), field("Fee limit (sats)", limit)), h("div", { class: "inline" }, btn), out);
}
