// The Nodes screen: node profiles (the one in use, switch, remove), adding
// one from an lndconnect link or LND's files, initialising a fresh LND from
// one of your wallets' words, and unlocking a locked node.

import { api } from "../api";
import type { ProfileInfo } from "../bindings/ProfileInfo";
import { field, h } from "../dom";
import { NETWORK_LABEL, rerender, state } from "../state";
import { action, badRequest, reloadNodeView, view } from "./node";

const KIND_LABEL: Record<string, string> = {
  regtest: "Local regtest network",
  files: "Certificate and macaroon files",
  stored: "Macaroon in the keychain",
};

function networkSelect(testid: string): HTMLSelectElement {
  const s = h("select", { "data-testid": testid });
  for (const n of ["regtest", "signet", "testnet", "bitcoin"]) s.append(h("option", { value: n }, NETWORK_LABEL[n]));
  return s;
}

async function refreshNode(): Promise<void> {
  state.node = await api.nodeStatus();
  rerender();
  reloadNodeView();
}

function profileRow(p: ProfileInfo): HTMLElement {
  const use = h("button", { class: "secondary small", "data-testid": "profile-use" }, "Use");
  action(use, "Connecting…", async () => {
    await api.switchProfile(p.id);
    await refreshNode();
  });
  const remove = h("button", { class: "ghost small", "data-testid": "profile-remove" }, "Remove…");
  remove.addEventListener("click", () => {
    const cell = remove.parentElement as HTMLElement;
    const yes = h("button", { class: "danger small", "data-testid": "profile-remove-confirm" }, "Remove");
    const no = h("button", { class: "ghost small", onclick: () => reloadNodeView() }, "Keep");
    action(yes, "Removing…", async () => { await api.removeProfile(p.id); reloadNodeView(); });
    cell.replaceChildren(h("div", { class: "close-box" },
      h("p", { class: "hint" }, p.kind === "stored" ? "Its macaroon (and wallet password) are deleted from the keychain." : "Only the profile is removed; LND's files stay."),
      h("div", { class: "inline" }, yes, no)));
  });
  return h("tr", { "data-testid": "profile-row", "data-name": p.name, "data-active": String(p.active) },
    h("td", {}, h("div", { class: "peer" }, p.name), h("div", { class: "hint" }, KIND_LABEL[p.kind])),
    h("td", {}, NETWORK_LABEL[p.network]),
    h("td", {}, ...p.endpoints.map((e, i) => h("div", {}, h("code", {}, e), i === 0 && p.endpoints.length > 1 ? h("span", { class: "hint" }, " preferred") : null))),
    h("td", { class: "hint" }, p.auto_unlock ? "unlocks on start-up" : p.wallet_id ? "from your words" : "—"),
    h("td", {}, p.active ? h("span", { class: "badge active" }, "In use") : use, " ", p.kind === "regtest" || p.active ? null : remove));
}

function addCard(): HTMLElement {
  const name = h("input", { type: "text", placeholder: "e.g. home node", "data-testid": "profile-name" });
  const network = networkSelect("profile-network");
  const link = h("textarea", { rows: 3, placeholder: "lndconnect://host:10009?cert=…&macaroon=…", "data-testid": "profile-lndconnect" });
  const endpoints = h("input", { type: "text", placeholder: "host:10009, backup-host:10009", "data-testid": "profile-endpoints" });
  const cert = h("input", { type: "text", placeholder: "/home/me/.lnd/tls.cert", "data-testid": "profile-cert" });
  const mac = h("input", { type: "text", placeholder: "/home/me/.lnd/data/chain/bitcoin/mainnet/admin.macaroon", "data-testid": "profile-macaroon" });
  const out = h("p", { class: "hint", "data-testid": "profile-result" });
  const btn = h("button", { class: "primary", "data-testid": "profile-add" }, "Add profile");
  action(btn, "Adding…", async () => {
    const list = endpoints.value.split(/[,\s]+/).filter(Boolean);
    const p = link.value.trim()
      ? await api.addProfile({ kind: "lndconnect", name: name.value, uri: link.value.trim(), network: network.value as ProfileInfo["network"], extra_endpoints: list })
      : cert.value.trim() && mac.value.trim()
        ? await api.addProfile({ kind: "files", name: name.value, endpoints: list, tls_cert_path: cert.value.trim(), macaroon_path: mac.value.trim(), network: network.value as ProfileInfo["network"] })
        : (() => { throw badRequest("Paste an lndconnect link, or give the certificate and macaroon files with the endpoint."); })();
    link.value = "";
    out.textContent = `Added “${p.name}”. Choose “Use” to connect to it.`;
    reloadNodeView();
  });
  return h("details", { class: "card", "data-testid": "profile-add-form" }, h("summary", {}, h("strong", {}, "Add a node")),
    h("div", { class: "form-row" }, field("Name", name), field("Network", network)),
    field("lndconnect link", link, "From your node's package (Umbrel, Start9, Voltage, lndconnect). Its macaroon is kept in the system keychain, never on disk."),
    h("p", { class: "hint" }, "Or LND's own files, read at each connection:"),
    h("div", { class: "form-row thirds" }, field("Endpoints", endpoints, "host:port of gRPC; list every member of an LND cluster to fail over between them."), field("tls.cert", cert), field("Macaroon", mac)),
    h("div", { class: "inline" }, btn), out);
}

function initCard(): HTMLElement {
  const name = h("input", { type: "text", placeholder: "e.g. my new node", "data-testid": "init-name" });
  const endpoint = h("input", { type: "text", placeholder: "127.0.0.1:10009", "data-testid": "init-endpoint" });
  const cert = h("input", { type: "text", placeholder: "/path/to/lnd/tls.cert", "data-testid": "init-cert" });
  const wallet = h("select", { "data-testid": "init-wallet" });
  for (const w of state.wallets) wallet.append(h("option", { value: w.id }, `${w.name} · ${NETWORK_LABEL[w.network]}`));
  const rescan = h("input", { type: "checkbox", "data-testid": "init-rescan" });
  const out = h("p", { class: "hint", "data-testid": "init-result" });
  const btn = h("button", { class: "primary", "data-testid": "init-submit", disabled: state.wallets.length === 0 }, "Initialise node");
  action(btn, "Creating the node's wallet…", async () => {
    const p = await api.initNode({ name: name.value, endpoint: endpoint.value.trim(), tls_cert_path: cert.value.trim(), wallet: wallet.value, rescan: rescan.checked });
    out.textContent = `“${p.name}” now derives its on-chain wallet from your words. Its password is in the keychain; Switchyard unlocks it when it starts.`;
    reloadNodeView();
  });
  return h("details", { class: "card", "data-testid": "init-form" }, h("summary", {}, h("strong", {}, "Initialise a new LND from your words")),
    h("p", { class: "hint" }, "For a fresh LND that has no wallet yet (started without --noseedbackup). Its on-chain funds become recoverable from this wallet's recovery words."),
    h("div", { class: "form-row" }, field("Profile name", name), field("Endpoint", endpoint), field("tls.cert", cert), field("Wallet", wallet)),
    h("label", { class: "check" }, rescan, "These words already hold funds: scan the chain from the start"),
    h("div", { class: "inline" }, btn), out);
}

/** Shown when the node in use reports a locked wallet. */
function unlockCard(active: ProfileInfo): HTMLElement {
  const pw = h("input", { type: "password", autocomplete: "off", "data-testid": "unlock-password" });
  const remember = h("input", { type: "checkbox", "data-testid": "unlock-remember" });
  const btn = h("button", { class: "primary", "data-testid": "unlock-submit" }, "Unlock");
  action(btn, "Unlocking…", async () => {
    if (!pw.value) throw badRequest("Enter the node's wallet password.");
    await api.unlockNode(active.id, pw.value, remember.checked);
    pw.value = "";
    await refreshNode();
  });
  return h("div", { class: "card warn", "data-testid": "unlock-card" }, h("h3", {}, `${active.name}: wallet locked`),
    h("p", { class: "hint" }, "LND started with its wallet locked. Enter its wallet password to unlock it."),
    field("Wallet password", pw), h("label", { class: "check" }, remember, "Remember in the system keychain and unlock automatically"),
    h("div", { class: "inline" }, btn));
}

export function profilesView(): HTMLElement {
  return view("profiles", "Nodes", "The LND nodes Switchyard knows; the one in use drives every node screen.", [addCard(), initCard()], async (body) => {
    const profiles = await api.listProfiles();
    const active = profiles.find((p) => p.active);
    const locked = state.node?.error?.code === "wallet_locked" && active;
    body.replaceChildren(
      ...(locked ? [unlockCard(active)] : []),
      h("div", { class: "card" }, h("h3", {}, `Profiles (${profiles.length})`),
        profiles.length
          ? h("table", { class: "grid", "data-testid": "profile-table" },
            h("thead", {}, h("tr", {}, ...["Profile", "Network", "Endpoints", "Wallet", ""].map((t) => h("th", {}, t)))),
            h("tbody", {}, ...profiles.map(profileRow)))
          : h("p", { class: "hint" }, "No node yet: add one above, or start the local regtest network with scripts/run.sh.")),
    );
  }, { always: true, dataFirst: true });
}
