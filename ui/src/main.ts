// Entry point: load status and wallets, route, render.

import { api } from "./api";
import type { WalletSummary } from "./bindings/WalletSummary";
import { clear, h } from "./dom";
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

function render(): void {
  // Keep the current screen (and what the user typed) across re-renders of
  // the frame; rebuild it only when the route changes.
  const key = routeKey();
  if (!mounted || mounted.key !== key) mounted = { key, el: screen() };
  clear(app);
  app.append(header(), h("main", {}, state.error ? errorBanner(state.error) : null, mounted.el));
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
}

void start();
