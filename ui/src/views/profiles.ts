// The Nodes screen: node profiles (the one in use, switch, remove), adding
// one from an lndconnect link or LND's files, initialising a fresh LND from
// one of your wallets' words, and unlocking a locked node.

import { api } from "../api";
import type { ProfileInfo } from "../bindings/ProfileInfo";
import { field, h, keyedRows, type Row, setText } from "../dom";
import { NETWORK_LABEL, rerender, state } from "../state";
import { appPasswordField, confirmForm, showSecret } from "./confirm";
import { revealSealed } from "../seal";
import { action, badRequest, reloadNodeView, view } from "./screen";

const ROLE_LABEL: Record<string, string> = {
  serving: "serving",
  standby: "standby",
  starting: "starting or locked",
  down: "not answering",
};

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

/** One profile's row, updated in place on reloads (keyed by id). The cell
 * with the actions is rebuilt only when what it offers changes, so a button
 * stays the same element while the user reaches for it. */
function profileRow(first: ProfileInfo): Row<ProfileInfo> {
  let cur = first;
  const name = h("div", { class: "peer" });
  const kind = h("div", { class: "hint" });
  const network = h("td", {});
  const endpoints = h("td", {});
  const wallet = h("td", { class: "hint" });
  const actions = h("td", {});
  const extra = h("div", { class: "row-extra" });
  const el = h("tr", { "data-testid": "profile-row" }, h("td", {}, name, kind, extra), network, endpoints, wallet, actions);
  let shape = "";
  const drawActions = (p: ProfileInfo) => {
    const use = h("button", { class: "secondary small", "data-testid": "profile-use" }, "Use");
    action(use, "Connecting…", async () => {
      await api.switchProfile(cur.id);
      await refreshNode();
    });
    const remove = h("button", { class: "ghost small", "data-testid": "profile-remove" }, "Remove…");
    remove.addEventListener("click", () => {
      const yes = h("button", { class: "danger small", "data-testid": "profile-remove-confirm" }, "Remove");
      const no = h("button", { class: "ghost small", onclick: () => { shape = ""; update(cur); } }, "Keep");
      const pw = appPasswordField("profile-remove");
      action(yes, "Removing…", async () => { await api.removeProfile(cur.id, pw.take()); reloadNodeView(); });
      actions.replaceChildren(h("div", { class: "close-box" },
        h("p", { class: "hint" }, cur.kind === "stored" ? "Its macaroon (and wallet password) are deleted from the keychain." : "Only the profile is removed; LND's files stay."),
        pw.el, h("div", { class: "inline" }, yes, no)));
    });
    const password = h("button", { class: "ghost small", "data-testid": "profile-password" }, "Reveal password…");
    password.addEventListener("click", () => {
      extra.replaceChildren(confirmForm({
        target: { kind: "node_password", profile_id: cur.id },
        passphrase: false,
        action: "Reveal password",
        testid: "node-password",
        reveal: async (c) => {
          const password = await revealSealed((to) => api.revealNodePassword(cur.id, c, to));
          const shown = h("div", { class: "kv" }, h("span", { class: "k" }, "Wallet password"), h("code", { class: "v", "data-testid": "node-password-value" }, password));
          showSecret(extra, shown, () => { extra.replaceChildren(); reloadNodeView(); }, "Hide (I wrote it down)");
        },
      }));
    });
    actions.replaceChildren(p.active ? h("span", { class: "badge active" }, "In use") : use, " ",
      p.auto_unlock ? password : "", " ", p.kind === "regtest" || p.active ? "" : remove);
  };
  const update = (p: ProfileInfo) => {
    cur = p;
    el.setAttribute("data-name", p.name);
    el.setAttribute("data-active", String(p.active));
    setText(name, p.name);
    setText(kind, KIND_LABEL[p.kind]);
    setText(network, NETWORK_LABEL[p.network]);
    // The profile in use, an LND cluster: each endpoint's role from the header's last check.
    const roles = p.active ? state.node?.cluster?.instances : undefined;
    endpoints.replaceChildren(...p.endpoints.map((e, i) => {
      const role = roles?.find((r) => r.endpoint === e)?.role;
      const serving = role === "serving" && state.node?.cluster?.serving === e;
      return h("div", {}, h("code", {}, e),
        role
          ? h("span", { class: `hint role-${serving ? "serving" : role}`, "data-testid": "endpoint-role", "data-role": serving ? "serving" : role }, ` ${ROLE_LABEL[serving ? "serving" : role]}`)
          : i === 0 && p.endpoints.length > 1 ? h("span", { class: "hint" }, " preferred") : null);
    }));
    wallet.replaceChildren(p.password_only_here
      ? h("span", { class: "hint bad", "data-testid": "password-only-here", title: "Reveal the password and write it down: until then the profile cannot be removed." }, "password only in Switchyard")
      : p.auto_unlock ? "unlocks on start-up" : p.wallet_id ? "from your words" : "—");
    const next = `${p.active}|${p.kind}|${p.auto_unlock}`;
    if (next !== shape) {
      shape = next;
      drawActions(p);
    }
    if (p.macaroon_missing && !extra.querySelector("[data-testid=macaroon-path]")) extra.replaceChildren(macaroonForm(p));
    if (!p.macaroon_missing) extra.querySelector(".macaroon-form")?.remove();
  };
  update(first);
  return { el, update };
}

/** For a profile whose macaroon is not stored yet (a `node init` LND did not confirm). */
function macaroonForm(p: ProfileInfo): HTMLElement {
  const path = h("input", { type: "text", placeholder: "/path/to/lnd/data/chain/bitcoin/regtest/admin.macaroon", "data-testid": "macaroon-path" });
  const btn = h("button", { class: "secondary small", "data-testid": "macaroon-save" }, "Add macaroon");
  action(btn, "Saving…", async () => {
    if (!path.value.trim()) throw badRequest("Enter the path of the node's admin.macaroon.");
    await api.setProfileMacaroon(p.id, path.value);
    reloadNodeView();
  });
  return h("div", { class: "macaroon-form warning-box" }, h("p", { class: "hint" }, "No macaroon yet: add the node's admin.macaroon (LND writes it in its data directory)."),
    h("div", { class: "inline" }, path, btn));
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
  const unlockSlot = h("div", {});
  const title = h("h3", {}, "Profiles");
  const tbody = h("tbody", {});
  const table = h("table", { class: "grid", "data-testid": "profile-table" },
    h("thead", {}, h("tr", {}, ...["Profile", "Network", "Endpoints", "Wallet", ""].map((t) => h("th", {}, t)))), tbody);
  const empty = h("p", { class: "hint" }, "No node yet: add one above, or start the local regtest network with scripts/run.sh.");
  const listCard = h("div", { class: "card" }, title, table, empty);
  let unlockFor = "";
  return view("profiles", "Nodes", "The LND nodes Switchyard knows; the one in use drives every node screen.", [addCard(), initCard()], async (body) => {
    const profiles = await api.listProfiles();
    const active = profiles.find((p) => p.active);
    const locked = state.node?.error?.code === "wallet_locked" && active;
    if (!body.contains(listCard)) body.replaceChildren(unlockSlot, listCard);
    // The unlock form is kept while the same node is locked (the password typed stays).
    const want = locked ? active.id : "";
    if (want !== unlockFor) {
      unlockFor = want;
      unlockSlot.replaceChildren(...(locked ? [unlockCard(active)] : []));
    }
    setText(title, `Profiles (${profiles.length})`);
    table.hidden = profiles.length === 0;
    empty.hidden = profiles.length > 0;
    keyedRows(tbody, profiles, (p) => p.id, profileRow);
  }, { always: true, dataFirst: true });
}
