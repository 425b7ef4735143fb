// Entry point: load status and wallets, route, render.

import { api } from "./api";
import type { WalletSummary } from "./bindings/WalletSummary";
import { h } from "./dom";
import { onRender, showError, state } from "./state";
import { errorBanner, header } from "./views/chrome";
import { createFlow, restoreFlow } from "./views/setup";
import { walletView } from "./views/wallet";
import { welcome } from "./views/welcome";

const app = document.getElementById("app") as HTMLElement;

export async function refreshWallets(): Promise<WalletSummary[]> {
  state.wallets = await api.listWallets();
  return state.wallets;
}

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
  }
}

// Stable slots: re-rendering the header (e.g. on every node poll) never
// detaches the screen, so focus and half-typed input survive.
const headerSlot = h("div", { class: "header-slot" });
const bannerSlot = h("div", {});
const screenSlot = h("div", {});
app.append(headerSlot, h("main", {}, bannerSlot, screenSlot));

function render(): void {
  headerSlot.replaceChildren(header());
  bannerSlot.replaceChildren(...(state.error ? [errorBanner(state.error)] : []));
  const key = routeKey();
  if (!mounted || mounted.key !== key) {
    mounted = { key, el: screen() };
    screenSlot.replaceChildren(mounted.el);
  }
}

onRender(render);

async function start(): Promise<void> {
  render();
  requestAnimationFrame(() => requestAnimationFrame(() => void api.firstPaint().catch(() => undefined)));
  try {
    const wallets = await refreshWallets();
    if (wallets.length) state.route = { name: "wallet", id: wallets[0].id };
    render();
    state.status = await api.appStatus();
    render();
  } catch (e) {
    showError(e as never);
  }
  await pollNode();
}

/** Re-reads the node's state every few seconds: the header always says how it stands. */
async function pollNode(): Promise<void> {
  try {
    state.node = await api.nodeStatus();
    render();
  } catch {
    /* the status call itself reports failures inside NodeStatus */
  }
  setTimeout(() => void pollNode(), 5000);
}

void start();
