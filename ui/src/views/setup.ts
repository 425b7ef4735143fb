// Create and restore: the two ways to set up a wallet. Both end in the core's
// create_wallet; the words live in this screen's closure only until then.

import { api } from "../api";
import type { Network } from "../bindings/Network";
import type { WordCount } from "../bindings/WordCount";
import { clear, field, h } from "../dom";
import { navigate, refreshWallets, showError, state } from "../state";

interface Settings {
  el: HTMLElement;
  read(): { name: string; network: Network; passphrase: string } | string;
}

/** Name, network and optional passphrase: the same on both paths. */
function settingsForm(defaultName: string): Settings {
  const name = h("input", { type: "text", value: defaultName, maxlength: 64, "data-testid": "wallet-name", autocomplete: "off" });
  const network = h("select", { "data-testid": "wallet-network" },
    h("option", { value: "regtest" }, "Regtest: local test network"),
    h("option", { value: "signet" }, "Signet: public test network"),
    h("option", { value: "testnet" }, "Testnet"),
    h("option", { value: "bitcoin" }, "Mainnet: real bitcoin"),
  );
  const usePass = h("input", { type: "checkbox", "data-testid": "use-passphrase" });
  const pass1 = h("input", { type: "password", autocomplete: "off", "data-testid": "passphrase" });
  const pass2 = h("input", { type: "password", autocomplete: "off", "data-testid": "passphrase-confirm" });
  const passBox = h("div", { class: "passphrase-box", hidden: true },
    h("p", { class: "hint" }, "A passphrase turns the same words into a different wallet. You need both to restore it: Switchyard cannot recover a forgotten passphrase."),
    field("Passphrase", pass1), field("Passphrase again", pass2));
  usePass.addEventListener("change", () => { passBox.hidden = !usePass.checked; });
  const el = h("div", { class: "form-grid" },
    field("Wallet name", name),
    field("Network", network, "Keys and addresses differ per network; regtest is the local test network Switchyard starts."),
    h("label", { class: "check" }, usePass, "Add a BIP39 passphrase (advanced)"),
    passBox,
  );
  return {
    el,
    read() {
      if (!name.value.trim()) return "Give the wallet a name.";
      if (network.value !== "regtest" && state.lock && !state.lock.enabled) {
        return "Choose an app password first (on the welcome screen): only regtest wallets may be kept without one.";
      }
      if (usePass.checked) {
        if (!pass1.value) return "Enter the passphrase, or untick the passphrase option.";
        if (pass1.value !== pass2.value) return "The two passphrases differ.";
      }
      return { name: name.value.trim(), network: network.value as Network, passphrase: usePass.checked ? pass1.value : "" };
    },
  };
}

function localError(message: string): void {
  showError({ code: "invalid_request", message, detail: null });
}

async function finish(req: { name: string; network: Network; passphrase: string }, words: string, button: HTMLButtonElement, restored: boolean): Promise<void> {
  button.disabled = true;
  button.textContent = "Sealing in the keychain…";
  try {
    const w = await api.createWallet({ ...req, words, restored });
    await refreshWallets();
    navigate({ name: "wallet", id: w.id });
  } catch (e) {
    button.disabled = false;
    button.textContent = "Try again";
    showError(e as never);
  }
}

export function createFlow(): HTMLElement {
  const root = h("section", { class: "panel narrow" });
  const settings = settingsForm(state.wallets.length ? `Wallet ${state.wallets.length + 1}` : "My wallet");
  let count: WordCount = "12";
  let words: string[] = [];

  const seg = (value: WordCount) => h("button", { class: `seg ${count === value ? "on" : ""}`, "data-testid": `words-${value}`, onclick: () => { count = value; stepOne(); } }, `${value} words`);

  function stepOne(): void {
    clear(root);
    root.append(
      h("p", { class: "step" }, "Step 1 of 3"),
      h("h1", {}, "Create a new wallet"),
      settings.el,
      h("div", { class: "field" }, h("span", { class: "field-label" }, "Recovery words"), h("div", { class: "segmented" }, seg("12"), seg("24"))),
      h("div", { class: "actions" },
        h("button", { class: "ghost", onclick: () => navigate({ name: "welcome" }) }, "Cancel"),
        h("button", { class: "primary", "data-testid": "generate", onclick: generate }, "Show my recovery words")),
    );
  }

  async function generate(): Promise<void> {
    const s = settings.read();
    if (typeof s === "string") return localError(s);
    try {
      words = (await api.generateMnemonic(count)).words.split(" ");
      stepTwo();
    } catch (e) {
      showError(e as never);
    }
  }

  function stepTwo(): void {
    clear(root);
    const ok = h("input", { type: "checkbox", "data-testid": "written-down" });
    const next = h("button", { class: "primary", disabled: true, "data-testid": "continue", onclick: stepThree }, "Continue");
    ok.addEventListener("change", () => { next.disabled = !ok.checked; });
    root.append(
      h("p", { class: "step" }, "Step 2 of 3"),
      h("h1", {}, "Write down your recovery words"),
      h("div", { class: "banner warn" }, h("strong", {}, "Anyone with these words can take your funds. Write them on paper, in order, and keep them offline. Never type them into a website.")),
      h("ol", { class: "word-grid", "data-testid": "word-grid" }, ...words.map((w, i) => h("li", {}, h("span", { class: "n" }, String(i + 1)), h("span", { class: "w", "data-testid": `word-${i + 1}` }, w)))),
      h("label", { class: "check" }, ok, "I have written down all the words, in order"),
      h("div", { class: "actions" }, h("button", { class: "ghost", onclick: stepOne }, "Back"), next),
    );
  }

  function stepThree(): void {
    clear(root);
    const picks = pickPositions(words.length, 3);
    const inputs = picks.map((p) => h("input", { type: "text", autocomplete: "off", spellcheck: "false", "data-testid": "confirm-word", "data-position": p }));
    const submit = h("button", { class: "primary", "data-testid": "create-submit" }, "Create wallet");
    submit.addEventListener("click", () => {
      for (let i = 0; i < picks.length; i++) {
        if (inputs[i].value.trim().toLowerCase() !== words[picks[i] - 1]) {
          return localError(`Word #${picks[i]} does not match. Check what you wrote down, or go back to see the words again.`);
        }
      }
      const s = settings.read();
      if (typeof s === "string") return localError(s);
      void finish(s, words.join(" "), submit, false);
    });
    root.append(
      h("p", { class: "step" }, "Step 3 of 3"),
      h("h1", {}, "Confirm your words"),
      h("p", { class: "lead" }, "Type these words from your written copy, to be sure it is complete."),
      h("div", { class: "form-grid" }, ...picks.map((p, i) => field(`Word #${p}`, inputs[i]))),
      h("div", { class: "actions" }, h("button", { class: "ghost", onclick: stepTwo }, "Show the words again"), submit),
    );
  }

  stepOne();
  return root;
}

function pickPositions(n: number, k: number): number[] {
  const all = Array.from({ length: n }, (_, i) => i + 1);
  const rnd = new Uint32Array(n);
  crypto.getRandomValues(rnd);
  for (let i = n - 1; i > 0; i--) {
    const j = rnd[i] % (i + 1);
    [all[i], all[j]] = [all[j], all[i]];
  }
  return all.slice(0, k).sort((a, b) => a - b);
}

export function restoreFlow(): HTMLElement {
  const settings = settingsForm(state.wallets.length ? `Restored ${state.wallets.length + 1}` : "Restored wallet");
  const area = h("textarea", { rows: 4, spellcheck: "false", autocomplete: "off", autocapitalize: "off", placeholder: "word1 word2 word3 …", "data-testid": "restore-words" });
  const chips = h("div", { class: "chips", "data-testid": "word-chips" });
  const problem = h("p", { class: "hint", "data-testid": "words-problem" }, "12, 15, 18, 21 or 24 English words, separated by spaces.");
  const submit = h("button", { class: "primary", disabled: true, "data-testid": "restore-submit" }, "Restore wallet");
  let seq = 0;

  async function check(): Promise<void> {
    const mine = ++seq;
    const text = area.value;
    if (!text.trim()) {
      chips.replaceChildren();
      submit.disabled = true;
      return;
    }
    try {
      const c = await api.checkWords(text);
      if (mine !== seq) return;
      const typed = text.trim().split(/\s+/);
      chips.replaceChildren(...c.words.map((w) => {
        const chip = h("span", { class: `chip ${w.known ? "good" : "bad"}`, "data-testid": `chip-${w.position}` }, `${w.position}`);
        if (!w.known) {
          chip.append(" ", h("span", { class: "unknown" }, "?"));
          for (const s of w.suggestions) {
            chip.append(h("button", { class: "suggest", onclick: () => { typed[w.position - 1] = s; area.value = typed.join(" "); void check(); } }, s));
          }
        }
        return chip;
      }));
      problem.textContent = c.valid ? "The words are valid." : c.problem ?? "";
      problem.className = c.valid ? "hint good" : "hint bad";
      submit.disabled = !c.valid;
    } catch (e) {
      showError(e as never);
    }
  }
  area.addEventListener("input", () => void check());
  submit.addEventListener("click", () => {
    const s = settings.read();
    if (typeof s === "string") return localError(s);
    void finish(s, area.value, submit, true);
  });
  return h("section", { class: "panel narrow" },
    h("h1", {}, "Restore from recovery words"),
    settings.el,
    field("Recovery words", area),
    chips,
    problem,
    h("div", { class: "actions" }, h("button", { class: "ghost", onclick: () => navigate({ name: "welcome" }) }, "Cancel"), submit),
  );
}
