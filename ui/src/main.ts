// Entry point: load status and wallets, route, render.

import { api } from "./api";
import { h } from "./dom";
import { navigate, onRender, refreshWallets, showError, state } from "./state";
import { errorBanner, header } from "./views/chrome";
import { createFlow, restoreFlow } from "./views/setup";
import { listen } from "@tauri-apps/api/event";
import type { NodeEvent } from "./bindings/NodeEvent";
import { channelsView } from "./views/channels";
import { dashboardView } from "./views/dashboard";
import { onchainView } from "./views/onchain";
import { paymentsView } from "./views/payments";
import { reloadNodeView } from "./views/screen";
import { profilesView } from "./views/profiles";
import { psbtView } from "./views/psbt";
import { auditView } from "./views/audit";
import { unlockScreen } from "./views/lock";
import { routesView } from "./views/routes";
import { swapsView } from "./views/swaps";
import { walletView } from "./views/wallet";
import { welcome } from "./views/welcome";

const app = document.getElementById("app") as HTMLElement;

let mounted: { key: string; el: HTMLElement } | null = null;

function routeKey(): string {
  return state.route.name === "wallet" ? `wallet:${state.route.id}` : state.route.name;
}

function screen(): HTMLElement {
  switch (state.route.name) {
    case "welcome": return welcome();
    case "create": return createFlow();
    case "restore": return restoreFlow();
    case "wallet": return walletView(state.route.id);
    case "dashboard": return dashboardView();
    case "channels": return channelsView();
    case "payments": return paymentsView();
    case "onchain": return onchainView();
    case "profiles": return profilesView();
    case "routes": return routesView();
    case "swaps": return swapsView();
    case "psbt": return psbtView();
    case "audit": return auditView();
  }
}

const NODE_TABS: { name: "dashboard" | "channels" | "payments" | "routes" | "swaps" | "onchain" | "psbt" | "profiles" | "audit"; label: string }[] = [
  { name: "dashboard", label: "Dashboard" },
  { name: "channels", label: "Channels" },
  { name: "payments", label: "Payments" },
  { name: "routes", label: "Routes" },
  { name: "swaps", label: "Swaps" },
  { name: "onchain", label: "On-chain" },
  { name: "psbt", label: "PSBT" },
  { name: "profiles", label: "Nodes" },
  { name: "audit", label: "Audit" },
];

/** Sections: the wallet (keys) and the node's screens. */
function nav(): HTMLElement {
  const walletRoute = (): void => {
    if (state.wallets.length) navigate({ name: "wallet", id: state.wallets[0].id });
    else navigate({ name: "welcome" });
  };
  const on = (n: string) => state.route.name === n || (n === "wallet" && ["wallet", "welcome", "create", "restore"].includes(state.route.name));
  return h("nav", { class: "sections" },
    h("button", { class: `section ${on("wallet") ? "on" : ""}`, "data-testid": "nav-wallet", onclick: walletRoute }, "Wallet"),
    h("span", { class: "section-sep" }),
    ...NODE_TABS.map((t) => h("button", { class: `section ${on(t.name) ? "on" : ""}`, "data-testid": `nav-${t.name}`, onclick: () => navigate({ name: t.name }) }, t.label)));
}

// Stable slots: re-rendering the header (e.g. on every node poll) never
// detaches the screen, so focus and half-typed input survive.
const headerSlot = h("div", { class: "header-slot" });
const navSlot = h("div", { class: "header-slot" });
const bannerSlot = h("div", { class: "banner-slot" });
const screenSlot = h("div", {});
let shownError: typeof state.error | undefined;
app.append(headerSlot, navSlot, h("main", {}, bannerSlot, screenSlot));

// The header and the section bar are rebuilt only when what they show
// changes: a poll every 5 s must not replace the wallet menu or a button
// while the user reaches for it.
let headerShown = "";
let navShown = "";

function render(): void {
  if (state.lock?.locked) {
    // Locked: the password field and nothing else (no wallet names, no node).
    if (mounted?.key !== "locked") {
      headerShown = navShown = "";
      shownError = undefined;
      headerSlot.replaceChildren(h("header", { class: "topbar" }, h("div", { class: "brand" }, h("span", { class: "logo", "aria-hidden": "true" }), "Switchyard")));
      navSlot.replaceChildren();
      bannerSlot.replaceChildren();
      mounted = { key: "locked", el: unlockScreen(() => void unlocked()) };
      screenSlot.replaceChildren(mounted.el);
    }
    return;
  }
  const headerSig = JSON.stringify([state.wallets, state.route, state.status?.keychain, state.node, state.lock?.enabled]);
  if (headerSig !== headerShown) {
    headerShown = headerSig;
    headerSlot.replaceChildren(header());
  }
  const navSig = JSON.stringify([state.route.name, state.wallets.length]);
  if (navSig !== navShown) {
    navShown = navSig;
    navSlot.replaceChildren(nav());
  }
  // The banner is rebuilt only when the error changes: re-renders (every
  // live event re-reads the header) must not replace what the user reads.
  if (shownError !== state.error) {
    shownError = state.error;
    bannerSlot.replaceChildren(...(state.error ? [errorBanner(state.error)] : []));
  }
  const key = routeKey();
  if (!mounted || mounted.key !== key) {
    mounted = { key, el: screen() };
    screenSlot.replaceChildren(mounted.el);
  }
}

onRender(render);

/** Unlocked (here, or the lock's event): everything is read again. */
async function unlocked(): Promise<void> {
  if (state.lock) state.lock.locked = false;
  mounted = null;
  await load();
}

/** Reads the wallets, the app's status and the node's (after start and unlock). */
async function load(): Promise<void> {
  render();
  try {
    const wallets = await refreshWallets();
    if (wallets.length) state.route = { name: "wallet", id: wallets[0].id };
    render();
    state.status = await api.appStatus();
    render();
  } catch (e) {
    showError(e as never);
  }
  await refreshNodeStatus();
}

async function start(): Promise<void> {
  render();
  requestAnimationFrame(() => requestAnimationFrame(() => void api.firstPaint().catch(() => undefined)));
  state.lock = await api.lockStatus().catch(() => null);
  if (state.lock?.locked) render();
  else await load();
  await followEvents();
  await followLock();
  await pollNode();
}

/** The lock: locked by the core (idle time, Lock now) → the unlock screen;
 * the user's input (at most every 5 s) keeps the idle time from running out. */
async function followLock(): Promise<void> {
  let last = 0;
  const active = (): void => {
    const now = Date.now();
    if (state.lock?.locked || now - last < 5000) return;
    last = now;
    void api.appActivity().catch(() => undefined);
  };
  document.addEventListener("keydown", active, { capture: true });
  document.addEventListener("pointerdown", active, { capture: true });
  try {
    await listen<boolean>("app-lock", (e) => {
      if (e.payload) {
        state.lock = { ...(state.lock ?? { enabled: true, idle_secs: 0, retry_in_secs: 0, memory_kib: 0, passes: 0 }), locked: true };
        state.wallets = [];
        state.node = null;
        state.error = null;
        render();
      } else if (state.lock?.locked) {
        void unlocked();
      }
    });
  } catch (e) {
    console.warn("lock events unavailable", e);
  }
}

/** Live events from the node: the mounted node screen reloads (debounced). */
async function followEvents(): Promise<void> {
  let pending: number | undefined;
  try {
    await listen<NodeEvent>("node-event", (e) => {
      if (e.payload.kind === "stream") return; // the header's poll shows stream state
      if (e.payload.kind === "backup" && e.payload.error) {
        // Never silent: without the file, new channels cannot be recovered.
        showError({ code: "backup_not_saved", message: e.payload.error, detail: null });
      }
      window.clearTimeout(pending);
      pending = window.setTimeout(() => {
        reloadNodeView();
        void refreshNodeStatus(); // the header's channel count and height change too
      }, 250);
    });
    // A swap's step changed: the Swaps screen updates its row in place.
    // Swap steps mostly move with blocks: the header's height follows too.
    await listen<string>("swap-update", () => {
      if (state.route.name !== "swaps") return;
      window.clearTimeout(pending);
      pending = window.setTimeout(() => {
        reloadNodeView();
        void refreshNodeStatus();
      }, 250);
    });
  } catch (e) {
    console.warn("live events unavailable", e);
  }
}

/** Re-reads the node's state for the header; true if the block height moved
 * or a cluster's instances changed roles (the Nodes screen shows them). */
async function refreshNodeStatus(): Promise<boolean> {
  try {
    const before = state.node?.block_height;
    const roles = JSON.stringify(state.node?.cluster ?? null);
    state.node = await api.nodeStatus();
    render();
    return (before !== undefined && before !== state.node.block_height)
      || roles !== JSON.stringify(state.node.cluster ?? null);
  } catch {
    return false; // the status call itself reports failures inside NodeStatus
  }
}

/** Re-reads the node's state every few seconds: the header always says how it stands. */
async function pollNode(): Promise<void> {
  // A new block moves confirmations and time locks along (not while locked).
  if (!state.lock?.locked && await refreshNodeStatus()) reloadNodeView();
  setTimeout(() => void pollNode(), 5000);
}

void start();
