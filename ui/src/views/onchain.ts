// On-chain: send, receive, accounting export, transactions and coins.

import { api } from "../api";
import type { OnchainTx } from "../bindings/OnchainTx";
import type { Utxo } from "../bindings/Utxo";
import { field, h, keyedRows, setText } from "../dom";
import { sats, short, txKind } from "../format";
import { action, badRequest, feeAction, feeChoice, kv, num, reloadNodeView, textRow, view } from "./screen";

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
    h("td", { class: "hint", title: t.label }, txKind(t.label)),
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
