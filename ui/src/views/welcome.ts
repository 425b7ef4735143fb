import { h } from "../dom";
import { navigate, state } from "../state";

export function welcome(): HTMLElement {
  const kcDown = state.status && !state.status.keychain.ok;
  return h("section", { class: "welcome" },
    h("h1", {}, state.wallets.length ? "Add a wallet" : "Welcome to Switchyard"),
    h("p", { class: "lead" }, "A desktop wallet for your Lightning node. Start with a wallet: its recovery words stay sealed in your system keychain, never on disk."),
    kcDown ? h("div", { class: "banner warn" }, h("strong", {}, state.status?.keychain.error?.message ?? "The system keychain is not available.")) : null,
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
