// Confirming before a secret is shown or a sensitive action: once an app
// password is set, that password (the only answer the core accepts then).
// Without one (regtest users may skip it): the wallet's passphrase, or a
// one-time code. The code is shown by Switchyard in a separate system dialog,
// never in this window, so nothing running in the page can read it; the user
// types it here. Wrong answers make the core wait longer each time.

import { api } from "../api";
import type { ApiError } from "../bindings/ApiError";
import type { ConfirmTarget } from "../bindings/ConfirmTarget";
import type { Confirmation } from "../bindings/Confirmation";
import { field, h } from "../dom";
import { showError, state } from "../state";

/** Whether sensitive actions ask for the app password (one is set). */
export function asksAppPassword(): boolean {
  return state.lock?.enabled === true;
}

/**
 * The app password field a sensitive action shows when one is set (nothing
 * otherwise); `take()` returns what was typed and empties the field.
 */
export function appPasswordField(testid: string): { el: HTMLElement | null; take: () => string | null } {
  if (!asksAppPassword()) return { el: null, take: () => null };
  const input = h("input", { type: "password", autocomplete: "current-password", "data-testid": `${testid}-app-password` });
  return {
    el: field("App password", input, "Asked again for this step, so that nobody at an unlocked Switchyard can take it."),
    take: () => {
      const v = input.value;
      input.value = "";
      return v === "" ? null : v;
    },
  };
}

/** How long a revealed secret stays on screen before it is hidden again, ms. */
export const REVEAL_MS = 120_000;

/**
 * A small form that gets a confirmation and hands it to `reveal`. With
 * `passphrase`, it asks for the wallet's passphrase; otherwise it asks the
 * core for a code (shown in a system dialog) and for the code as typed.
 */
export function confirmForm(opts: {
  target: ConfirmTarget;
  passphrase: boolean;
  action: string;
  testid: string;
  reveal: (c: Confirmation) => Promise<void>;
}): HTMLElement {
  const { target, testid } = opts;
  const box = h("div", { class: "confirm-form", "data-testid": `${testid}-form` });
  const go = h("button", { class: "secondary", "data-testid": `${testid}-submit` }, opts.action);
  const run = (confirmation: () => Confirmation) => {
    go.disabled = true;
    opts.reveal(confirmation()).catch((e: ApiError) => showError(e)).finally(() => { go.disabled = false; });
  };
  if (asksAppPassword()) {
    const input = h("input", { type: "password", autocomplete: "current-password", "data-testid": `${testid}-app-password` });
    go.addEventListener("click", () => run(() => {
      const c: Confirmation = { kind: "app_password", password: input.value };
      input.value = "";
      return c;
    }));
    box.append(field("App password", input, "Asked again before a secret is shown."), go);
    return box;
  }
  if (opts.passphrase) {
    const input = h("input", { type: "password", autocomplete: "off", "data-testid": `${testid}-passphrase` });
    go.addEventListener("click", () => run(() => {
      const c: Confirmation = { kind: "passphrase", passphrase: input.value };
      input.value = "";
      return c;
    }));
    box.append(field("This wallet's passphrase", input), go);
    return box;
  }
  const ask = h("button", { class: "secondary", "data-testid": `${testid}-ask` }, "Show me a code");
  const code = h("input", { type: "text", autocomplete: "off", spellcheck: "false", maxlength: 12, placeholder: "6 characters", "data-testid": `${testid}-code` });
  const step2 = h("div", { hidden: true }, field("The code from the Switchyard dialog", code,
    "A separate Switchyard window shows it (it may open behind this one). It works once, for 5 minutes."), go);
  let challenge: string | null = null;
  ask.addEventListener("click", () => {
    ask.disabled = true;
    api.beginConfirmation(target).then((t) => {
      challenge = t.challenge_id;
      code.value = "";
      step2.hidden = false;
      ask.textContent = "Show a new code";
      code.focus();
    }).catch((e: ApiError) => showError(e)).finally(() => { ask.disabled = false; });
  });
  go.addEventListener("click", () => {
    if (!challenge) return;
    const id = challenge;
    run(() => {
      const c: Confirmation = { kind: "code", challenge_id: id, code: code.value };
      code.value = "";
      return c;
    });
  });
  box.append(h("p", { class: "hint" }, "Switchyard shows a one-time code in a separate window; type it here to confirm it is you."), ask, step2);
  return box;
}

/**
 * Shows `content` (a revealed secret) in `slot` until the user hides it, the
 * time runs out or the screen is left; then the nodes holding it are removed
 * and `after` draws what comes next.
 */
export function showSecret(slot: HTMLElement, content: HTMLElement, after: () => void, hideLabel = "Hide"): void {
  const hide = h("button", { class: "ghost small", "data-testid": "secret-hide" }, hideLabel);
  const timer = window.setTimeout(() => done(), REVEAL_MS);
  const done = () => {
    window.clearTimeout(timer);
    content.replaceChildren();
    after();
  };
  hide.addEventListener("click", done);
  slot.replaceChildren(content, h("div", { class: "inline" }, hide,
    h("span", { class: "hint" }, `Hidden again after ${REVEAL_MS / 60_000} minutes.`)));
}
