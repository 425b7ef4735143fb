import { api } from "../api";
import type { LockStatus } from "../bindings/LockStatus";
import { h } from "../dom";
import { navigate, state } from "../state";
import { lockCard } from "./lock";

export function welcome(): HTMLElement {
  const kcDown = state.status && !state.status.keychain.ok;
  // First run: an app password, which only regtest-only use may skip.
  const firstRun = h("div", {});
  const fill = (s: LockStatus): void => {
    state.lock = s;
    firstRun.replaceChildren(...(s.enabled ? [] : [h("div", { class: "first-run", "data-testid": "first-run-password" },
      h("h2", {}, "First, an app password"),
      h("p", { class: "hint" }, "It locks this window when you step away and is asked again before recovery words are shown, a wallet is deleted or a PSBT is signed. Wallets on Bitcoin, testnet or signet need it; to try Switchyard with regtest wallets only, you may skip it and set it later (Audit → App lock)."),
      lockCard(() => firstRun.replaceChildren()))]));
  };
  void api.lockStatus().then(fill).catch(() => undefined);
  return h("section", { class: "welcome" },
    h("h1", {}, state.wallets.length ? "Add a wallet" : "Welcome to Switchyard"),
    h("p", { class: "lead" }, "A desktop wallet for your Lightning node. Start with a wallet: its recovery words stay sealed in your system keychain, never on disk."),
    kcDown ? h("div", { class: "banner warn" }, h("strong", {}, state.status?.keychain.error?.message ?? "The system keychain is not available.")) : null,
    firstRun,
    h("div", { class: "cards" },
      h("button", { class: "card action", "data-testid": "create-start", onclick: () => navigate({ name: "create" }) },
        h("span", { class: "card-title" }, "Create a new wallet"),
        h("span", { class: "card-text" }, "New 12 or 24 recovery words, an optional passphrase, and a check that you wrote them down.")),
      h("button", { class: "card action", "data-testid": "restore-start", onclick: () => navigate({ name: "restore" }) },
        h("span", { class: "card-title" }, "Restore from recovery words"),
        h("span", { class: "card-text" }, "Type the words you wrote down; each word is checked as you go.")),
    ),
  );
}
