// The app lock: the unlock screen (all there is while locked), and the
// settings card (set or change the password, the idle time, lock now).

import { api } from "../api";
import type { ApiError } from "../bindings/ApiError";
import type { LockStatus } from "../bindings/LockStatus";
import { field, h } from "../dom";
import { rerender, state } from "../state";
import { action, badRequest } from "./screen";

/** What the window shows while locked: the password field, nothing else. */
export function unlockScreen(onUnlocked: () => void): HTMLElement {
  const password = h("input", { type: "password", autocomplete: "current-password", "data-testid": "unlock-password", "aria-label": "App password" });
  const problem = h("p", { class: "hint bad", "data-testid": "unlock-error" });
  const submit = h("button", { class: "primary", "data-testid": "unlock-submit" }, "Unlock");
  const go = (): void => {
    submit.disabled = true;
    problem.textContent = "";
    api.unlockApp(password.value).then(() => {
      password.value = "";
      onUnlocked();
    }).catch((e: ApiError) => {
      password.value = "";
      problem.textContent = e.message;
      password.focus();
    }).finally(() => { submit.disabled = false; });
  };
  submit.addEventListener("click", go);
  password.addEventListener("keydown", (e) => { if (e.key === "Enter") go(); });
  queueMicrotask(() => password.focus());
  return h("section", { class: "unlock", "data-testid": "unlock-screen" },
    h("div", { class: "card" },
      h("h1", {}, "Switchyard is locked"),
      h("p", { class: "hint" }, "Enter the app password to continue. Swaps in flight are still being watched."),
      field("App password", password), submit, problem));
}

function statusWords(s: LockStatus): string {
  if (!s.enabled) return "No app password: anyone at this computer can use Switchyard and see your wallets.";
  const cost = `${Math.round(s.memory_kib / 1024)} MiB × ${s.passes} passes of Argon2id`;
  const idle = s.idle_secs % 60 === 0 ? `${s.idle_secs / 60} minute${s.idle_secs === 60 ? "" : "s"}` : `${s.idle_secs} seconds`;
  return `On: locks after ${idle} without input, and when you press Lock. The password is kept only as a verifier (${cost}).`;
}

/** Settings: set or change the password, the idle time, lock now;
 * `onSaved` runs once a password is saved. */
export function lockCard(onSaved?: () => void): HTMLElement {
  const status = h("p", { class: "hint", "data-testid": "lock-status" });
  const current = h("input", { type: "password", autocomplete: "current-password", "data-testid": "lock-current" });
  const next = h("input", { type: "password", autocomplete: "new-password", "data-testid": "lock-new" });
  const repeat = h("input", { type: "password", autocomplete: "new-password", "data-testid": "lock-repeat" });
  const currentField = field("Current password", current);
  const setBtn = h("button", { class: "secondary", "data-testid": "lock-set" }, "Set password");
  const idle = h("input", { type: "number", min: "1", max: "1440", "data-testid": "lock-idle" });
  const idlePw = h("input", { type: "password", autocomplete: "current-password", "data-testid": "lock-idle-password" });
  const idleBtn = h("button", { class: "secondary", "data-testid": "lock-idle-set" }, "Save idle time");
  const lockBtn = h("button", { class: "ghost", "data-testid": "lock-now" }, "Lock now");
  const done = h("p", { class: "hint good", "data-testid": "lock-done" });
  const idleBox = h("div", {}, field("Minutes without input before it locks", idle), field("App password", idlePw), idleBtn);

  const show = (s: LockStatus): void => {
    state.lock = s;
    status.textContent = statusWords(s);
    currentField.hidden = !s.enabled;
    setBtn.textContent = s.enabled ? "Change password" : "Set password";
    idleBox.hidden = !s.enabled;
    lockBtn.hidden = !s.enabled;
    if (document.activeElement !== idle) idle.value = String(Math.max(1, Math.round(s.idle_secs / 60)));
  };
  const refresh = async (): Promise<void> => { show(await api.lockStatus()); };
  void refresh();

  action(setBtn, "Measuring…", async () => {
    if (next.value !== repeat.value) throw badRequest("The two new passwords differ: type the same one twice.");
    await api.setAppPassword(state.lock?.enabled ? current.value : null, next.value);
    current.value = next.value = repeat.value = "";
    done.textContent = "App password saved.";
    await refresh();
    rerender();
    onSaved?.();
  });
  action(idleBtn, "Saving…", async () => {
    await api.setIdleMinutes(idlePw.value, Number(idle.value));
    idlePw.value = "";
    done.textContent = `Locks after ${idle.value} minutes without input.`;
    await refresh();
  });
  action(lockBtn, "Locking…", async () => { await api.lockApp(); });

  return h("div", { class: "card", "data-testid": "lock-card" }, h("h3", {}, "App lock"), status,
    h("div", { class: "columns even" },
      h("div", {}, currentField, field("New password (at least 8 characters)", next), field("New password again", repeat), setBtn, done),
      h("div", {}, idleBox, h("div", { class: "inline" }, lockBtn))));
}
