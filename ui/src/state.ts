// App state and navigation. The core is the source of truth: views re-read
// through the API after every change instead of patching local copies.

import type { LockStatus } from "./bindings/LockStatus";
import { api } from "./api";
import type { ApiError } from "./bindings/ApiError";
import type { AppStatus } from "./bindings/AppStatus";
import type { NodeStatus } from "./bindings/NodeStatus";
import type { WalletSummary } from "./bindings/WalletSummary";

export type Route =
  | { name: "welcome" }
  | { name: "create" }
  | { name: "restore" }
  | { name: "wallet"; id: string }
  | { name: "dashboard" }
  | { name: "channels" }
  | { name: "payments" }
  | { name: "onchain" }
  | { name: "profiles" }
  | { name: "routes" }
  | { name: "swaps" }
  | { name: "psbt" }
  | { name: "audit" };

export const state: {
  route: Route;
  wallets: WalletSummary[];
  status: AppStatus | null;
  node: NodeStatus | null;
  error: ApiError | null;
  lock: LockStatus | null;
} = { route: { name: "welcome" }, wallets: [], status: null, node: null, error: null, lock: null };

let renderer: () => void = () => undefined;

export function onRender(fn: () => void): void {
  renderer = fn;
}

export function navigate(route: Route): void {
  state.route = route;
  state.error = null;
  renderer();
}

export function showError(e: ApiError): void {
  state.error = e;
  renderer();
}

export function rerender(): void {
  renderer();
}

export const NETWORK_LABEL: Record<string, string> = {
  bitcoin: "Mainnet",
  testnet: "Testnet",
  signet: "Signet",
  regtest: "Regtest",
};

/** Re-reads the wallet list (after a create, restore or delete). */
export async function refreshWallets(): Promise<WalletSummary[]> {
  state.wallets = await api.listWallets();
  return state.wallets;
}
