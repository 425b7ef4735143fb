// One wallet: its accounts (xpubs, descriptors), addresses with paths, an
// ownership check, and the two deliberate actions: reveal words, delete.

import { api } from "../api";
import type { AccountInfo } from "../bindings/AccountInfo";
import type { Chain } from "../bindings/Chain";
import type { WalletDetail } from "../bindings/WalletDetail";
import { append, clear, field, h } from "../dom";
import { navigate, NETWORK_LABEL, refreshWallets, showError } from "../state";
import { appPasswordField, confirmForm, showSecret } from "./confirm";
import { revealSealed } from "../seal";

const PAGE = 10;
const SHORT: Record<string, string> = { bip84: "BIP84", bip86: "BIP86", bip49: "BIP49", bip44: "BIP44" };

export function walletView(id: string): HTMLElement {
  const root = h("section", { class: "wallet" }, h("p", { class: "hint" }, "Loading wallet…"));
  api.walletDetail(id).then((d) => render(root, d), (e) => showError(e));
  return root;
}

function render(root: HTMLElement, d: WalletDetail): void {
  const w = d.wallet;
  let account: AccountInfo = d.accounts[0];
  let chain: Chain = "receive";
  let shown = PAGE;

  const tabs = h("div", { class: "tabs", role: "tablist" });
  const accountCard = h("div", { class: "card" });
  const addrBody = h("tbody", {});
  const chainSeg = h("div", { class: "segmented" });
  const more = h("button", { class: "ghost small", "data-testid": "more-addresses" }, `Show ${PAGE} more`);

  function drawTabs(): void {
    tabs.replaceChildren(...d.accounts.map((a) =>
      h("button", { class: `tab ${a.purpose === account.purpose ? "on" : ""}`, role: "tab", "data-testid": `tab-${a.purpose}`,
        onclick: () => { account = a; shown = PAGE; drawAll(); } }, `${a.label.split(" (")[0]} · ${SHORT[a.purpose]}`)));
  }

  function drawAccount(): void {
    clear(accountCard);
    const row = (k: string, v: string | null, testid?: string) => v ? h("div", { class: "kv" }, h("span", { class: "k" }, k), h("code", { class: "v", "data-testid": testid }, v)) : null;
    append(accountCard,
      h("h3", {}, account.label),
      row("Account path", account.path),
      row("Extended public key", account.xpub, "account-xpub"),
      row(account.slip132 ? `Same key as ${account.slip132.slice(0, 4)} (SLIP-132)` : "", account.slip132),
      row("Receive descriptor", account.receive_descriptor),
      row("Change descriptor", account.change_descriptor),
    );
  }

  async function drawAddresses(): Promise<void> {
    chainSeg.replaceChildren(...(["receive", "change"] as Chain[]).map((c) =>
      h("button", { class: `seg ${c === chain ? "on" : ""}`, "data-testid": `chain-${c}`, onclick: () => { chain = c; shown = PAGE; void drawAddresses(); } }, c === "receive" ? "Receive" : "Change")));
    try {
      const list = await api.walletAddresses(w.id, account.purpose, chain, 0, shown);
      addrBody.replaceChildren(...list.map((a) => h("tr", {},
        h("td", { class: "num" }, String(a.index)),
        h("td", {}, h("code", {}, a.path)),
        h("td", {}, h("code", { class: "addr", "data-testid": `address-${a.index}` }, a.address)))));
    } catch (e) {
      showError(e as never);
    }
  }

  function drawAll(): void {
    drawTabs();
    drawAccount();
    void drawAddresses();
  }

  more.addEventListener("click", () => { shown += PAGE; void drawAddresses(); });

  // Verify an address.
  const verifyInput = h("input", { type: "text", placeholder: "Paste an address", spellcheck: "false", "data-testid": "verify-input" });
  const verifyOut = h("p", { class: "hint", "data-testid": "verify-result" });
  const verifyBtn = h("button", { class: "secondary", "data-testid": "verify-button" }, "Check");
  verifyBtn.addEventListener("click", async () => {
    verifyOut.className = "hint";
    verifyOut.textContent = "Searching the first 1,000 receive and change addresses…";
    try {
      const r = await api.verifyAddress(w.id, verifyInput.value);
      if (r.found) {
        verifyOut.className = "hint good";
        verifyOut.textContent = `Yes, this is the wallet's ${r.found.chain} address #${r.found.index} at ${r.found.path}.`;
      } else {
        verifyOut.className = "hint";
        verifyOut.textContent = `Not found among the first ${r.searched.toLocaleString()} receive and change addresses of this wallet.`;
      }
    } catch (e) {
      verifyOut.className = "hint bad";
      verifyOut.textContent = (e as { message: string }).message;
    }
  });

  // Reveal words: after the passphrase, or a code shown outside this window.
  // The words live only in the grid's nodes, which are emptied when hidden.
  const revealBox = h("div", { class: "reveal", "data-testid": "reveal-box" });
  function drawRevealForm(): void {
    revealBox.replaceChildren(confirmForm({
      target: { kind: "words", wallet_id: w.id },
      passphrase: w.has_passphrase,
      action: "Reveal words",
      testid: "reveal",
      reveal: async (confirmation) => {
        const words = await revealSealed((to) => api.revealWords(w.id, confirmation, to));
        const grid = h("ol", { class: "word-grid", "data-testid": "revealed-words" },
          ...words.split(" ").map((x, i) => h("li", {}, h("span", { class: "n" }, String(i + 1)), h("span", { class: "w" }, x))));
        showSecret(revealBox, grid, drawRevealForm, "Hide the words");
      },
    }));
  }
  drawRevealForm();

  // Delete: a wallet whose words initialised nodes needs them acknowledged.
  const delInput = h("input", { type: "text", autocomplete: "off", "data-testid": "delete-confirm" });
  const delBtn = h("button", { class: "danger", disabled: true, "data-testid": "delete-submit" }, "Delete wallet");
  const linked = d.linked_nodes;
  const unlink = h("input", { type: "checkbox", "data-testid": "delete-unlink" });
  const canDelete = () => delInput.value.trim() === w.name && (linked.length === 0 || unlink.checked);
  delInput.addEventListener("input", () => { delBtn.disabled = !canDelete(); });
  unlink.addEventListener("change", () => { delBtn.disabled = !canDelete(); });
  const linkedWarning = linked.length ? h("div", { class: "warning-box", "data-testid": "delete-linked" },
    h("p", {}, `These words are the seed of ${linked.length === 1 ? "the node" : "the nodes"} ${linked.map((n) => `“${n}”`).join(", ")}: ${linked.length === 1 ? "its" : "their"} on-chain funds can be recovered only from them.`),
    h("label", { class: "check" }, unlink, `I have the words written down; delete anyway (${linked.length === 1 ? "the node keeps running, unlinked" : "the nodes keep running, unlinked"}).`)) : null;
  const delPassword = appPasswordField("delete");
  delBtn.addEventListener("click", async () => {
    try {
      await api.deleteWallet(w.id, unlink.checked ? linked : [], delPassword.take());
      const rest = await refreshWallets();
      navigate(rest.length ? { name: "wallet", id: rest[0].id } : { name: "welcome" });
    } catch (e) {
      showError(e as never);
    }
  });

  const created = new Date(w.created_at * 1000).toLocaleString();
  root.replaceChildren(
    h("div", { class: "title-row" },
      h("h1", { "data-testid": "wallet-title" }, w.name),
      h("span", { class: `pill net-${w.network}` }, NETWORK_LABEL[w.network]),
      h("span", { class: "pill muted", title: "BIP32 master key fingerprint, as hardware wallets show it" }, `Fingerprint ${w.fingerprint}`),
      w.has_passphrase ? h("span", { class: "pill muted" }, "Passphrase") : null,
      w.watch_only ? h("span", { class: "pill", "data-testid": "watch-only-pill" }, `Watch-only${w.device ? ` · ${w.device}` : ""}`) : null,
      w.lnd_account ? h("span", { class: "pill muted", title: "LND watches this account (PSBT screen)" }, "Watched by the node") : null),
    h("p", { class: "hint" }, w.watch_only
      ? `Added ${created}. Public keys only: no recovery words are kept here; it signs on its hardware wallet (PSBT screen).`
      : `Created ${created}. Recovery words sealed in the system keychain; this screen shows public keys only.`),
    w.legacy_passphrase ? h("div", { class: "warning-box", "data-testid": "legacy-passphrase" },
      h("strong", {}, "This wallet's passphrase was not normalised. "),
      "An earlier Switchyard used the passphrase's accented characters exactly as typed instead of normalising them as BIP39 requires. "
      + "Its keys and addresses here are right, but another wallet (or Switchyard after a restore) given these words and this passphrase finds a different, empty wallet. "
      + "Create a new wallet and move the funds to it, and keep this one until they have moved.") : "",
    tabs,
    h("div", { class: "columns" },
      h("div", { class: "col" },
        h("div", { class: "card" },
          h("div", { class: "card-head" }, h("h3", {}, "Addresses"), chainSeg),
          h("table", { class: "addresses" }, h("thead", {}, h("tr", {}, h("th", {}, "#"), h("th", {}, "Path"), h("th", {}, "Address"))), addrBody),
          more),
        h("div", { class: "card" }, h("h3", {}, "Is this address mine?"), h("div", { class: "inline" }, verifyInput, verifyBtn), verifyOut)),
      h("div", { class: "col" },
        accountCard,
        h("details", { class: "card danger-zone" },
          h("summary", {}, w.watch_only ? "Removal" : "Recovery words and removal"),
          w.watch_only ? null : h("h4", {}, "Reveal recovery words"),
          w.watch_only ? null : h("p", { class: "hint" }, "Make sure nobody can see your screen."),
          w.watch_only ? null : revealBox,
          h("h4", {}, "Delete this wallet"),
          h("p", { class: "hint" }, "Removes the words from the keychain and the wallet from Switchyard. Funds stay on the chain: you can restore them only from your written words."),
          linkedWarning,
          field(`Type "${w.name}" to confirm`, delInput),
          delPassword.el,
          delBtn))),
  );
  drawAll();
}
