// The audit log: every sensitive operation, chained with a key in the
// keychain and committed to by signed Merkle tree heads. Verify it (a clear
// verdict naming the first break), export it for someone else, check a file
// someone gave you, and read the entries (filtered by kind, rows updated in
// place).

import { api } from "../api";
import type { CheckReport } from "../bindings/CheckReport";
import type { Entry } from "../bindings/Entry";
import type { Kind } from "../bindings/Kind";
import type { Verdict } from "../bindings/Verdict";
import { field, h, keyedRows, setText } from "../dom";
import { short } from "../format";
import { lockCard } from "./lock";
import { action, textRow, view } from "./screen";

/** Each kind in words, in the order of the filter. */
const KINDS: Record<Kind, string> = {
  wallet_create: "Wallet created",
  wallet_restore: "Wallet restored",
  wallet_import_watch: "Watch-only wallet added",
  wallet_reveal: "Recovery words shown",
  wallet_delete: "Wallet deleted",
  profile_add: "Node added",
  profile_remove: "Node removed",
  profile_use: "Node put in use",
  node_password_reveal: "Node password shown",
  node_init: "Node initialised",
  node_unlock: "Node unlocked",
  channel_open: "Channel opened",
  channel_close: "Channel closed",
  channel_policy: "Channel fees changed",
  payment: "Payment",
  keysend: "Keysend",
  rebalance: "Rebalance",
  onchain_send: "On-chain send",
  swap_step: "Swap step",
  psbt_sign: "PSBT signed",
  psbt_publish: "PSBT published",
  backup_export: "Channel backup exported",
  backup_restore: "Channel backup restored",
  lock_settings: "Lock settings changed",
  unlock: "App unlocked",
  unlock_failed: "Wrong app password",
  lock: "App locked",
  audit_export: "Audit log exported",
  audit_proof: "Zero-knowledge proof made",
};

function verdictBox(v: Verdict): HTMLElement {
  if (v.broken) {
    return h("div", { class: "verdict bad", "data-testid": "audit-verdict", "data-ok": "false" },
      h("strong", {}, "Broken. "), v.broken_words ?? "",
      h("p", { class: "hint" }, "Someone changed the log after it was written, or its database was restored from an older copy. Keep the exports you gave others: they show what was there."));
  }
  return h("div", { class: "verdict good", "data-testid": "audit-verdict", "data-ok": "true" },
    h("strong", {}, "Intact. "),
    `${v.entries} ${v.entries === 1 ? "entry" : "entries"}; the chain${v.chain_checked ? " (HMAC, key in the keychain)" : ""} and ${v.heads} signed tree ${v.heads === 1 ? "head" : "heads"} hold.`,
    h("p", { class: "hint" }, `Root ${short(v.root, 16)}`));
}

function reportBox(r: CheckReport): HTMLElement {
  return h("div", { class: `verdict ${r.ok ? "good" : "bad"}`, "data-testid": "audit-check-result", "data-ok": String(r.ok) },
    h("strong", {}, r.ok ? "Holds. " : "Does not hold. "), r.summary,
    h("p", { class: "hint" }, `Checked against key ${short(r.public_key, 16)}`));
}

function detailText(e: Entry): string {
  const parts = Object.entries(e.detail).filter(([k]) => k !== "error").map(([k, v]) => `${k.replace(/_/g, " ")}: ${v}`);
  if (e.detail.error) parts.unshift(e.detail.error);
  return parts.join(" · ");
}

export function auditView(): HTMLElement {
  // Verify.
  const verdict = h("div", { "data-testid": "audit-verdict-slot" });
  const verifyBtn = h("button", { class: "secondary", "data-testid": "audit-verify" }, "Verify the log");
  const verify = async (): Promise<void> => { verdict.replaceChildren(verdictBox(await api.auditVerify())); };
  action(verifyBtn, "Verifying…", verify);

  // Export.
  const exported = h("div", { "data-testid": "audit-export-result" });
  const exportBtn = h("button", { class: "secondary", "data-testid": "audit-export" }, "Export for someone else");
  action(exportBtn, "Exporting…", async () => {
    const f = await api.auditExport();
    exported.replaceChildren(
      h("p", { class: "hint good" }, `${f.entries} entries exported.`),
      h("div", { class: "kv" }, h("span", { class: "k" }, "To check"), h("code", { class: "v" }, f.bundle)),
      h("div", { class: "kv" }, h("span", { class: "k" }, "CSV"), h("code", { class: "v" }, f.csv)),
      h("div", { class: "kv" }, h("span", { class: "k" }, "Public key"), h("code", { class: "v", "data-testid": "audit-public-key" }, f.public_key)),
      h("p", { class: "hint" }, "Give them the key by another way than the file (a message, on paper): they check the file with `switchyard audit check FILE --key KEY`, or on this screen."));
    reloadEntries();
  });

  // Check a file.
  const file = h("input", { type: "file", accept: ".json,application/json", "data-testid": "audit-check-file" });
  const key = h("input", { type: "text", spellcheck: "false", placeholder: "the log's public key (64 hex characters)", "data-testid": "audit-check-key" });
  const checked = h("div", { "data-testid": "audit-check-slot" });
  const checkBtn = h("button", { class: "secondary", "data-testid": "audit-check" }, "Check");
  action(checkBtn, "Checking…", async () => {
    const f = file.files?.[0];
    if (!f) { checked.replaceChildren(h("p", { class: "hint bad" }, "Choose an export or a proof file first.")); return; }
    checked.replaceChildren(reportBox(await api.auditCheck(await f.text(), key.value.trim() || null)));
  });

  // Entries.
  const kind = h("select", { "data-testid": "audit-kind" }, h("option", { value: "" }, "Every kind"),
    ...Object.entries(KINDS).map(([k, label]) => h("option", { value: k }, label)));
  const body = h("tbody", {});
  const count = h("p", { class: "hint", "data-testid": "audit-count" });
  const row = textRow<Entry>("audit-row", (e) => [
    String(e.index),
    new Date(e.at_ms).toLocaleString(),
    KINDS[e.kind],
    h("td", {}, h("span", { class: `badge ${e.ok ? "succeeded" : "failed"}` }, e.ok ? "done" : "failed")),
    e.subject ?? "—",
    e.actor,
    detailText(e),
  ], (e) => ({ "data-kind": e.kind, "data-ok": String(e.ok) }));
  const table = h("table", { class: "grid audit" },
    h("thead", {}, h("tr", {}, ...["#", "When", "What", "Outcome", "On", "By", "Details"].map((t) => h("th", {}, t)))), body);
  let reloadEntries = (): void => undefined;
  kind.addEventListener("change", () => { reloadEntries(); });

  const cards = h("div", { class: "columns even" },
    h("div", {},
      h("div", { class: "card" }, h("h3", {}, "Verify"),
        h("p", { class: "hint" }, "Each entry is chained to the one before with a key kept in the keychain, and after each one a tree head over all of them is signed. An edit, a deletion, a reorder or a cut is named here."),
        verifyBtn, verdict),
      h("div", { class: "card" }, h("h3", {}, "Check a file someone gave you"),
        h("p", { class: "hint" }, "An export or a proof from another Switchyard: checked against the public key its owner gave you, not the one the file names."),
        field("Export or proof", file), field("Public key", key), checkBtn, checked)),
    h("div", { class: "card" }, h("h3", {}, "Share"),
      h("p", { class: "hint" }, "An export lets someone without your keys check every entry against the signed heads; nothing secret is in it."),
      exportBtn, exported));
  const list = h("div", { class: "card" }, h("div", { class: "title-row" }, h("h3", {}, "Entries"), kind), count, table);

  return view("audit-view", "Audit log and app lock", "Every sensitive operation — what, when, by whom, on what, and whether it worked. Never a secret.", [lockCard(), cards],
    async (root) => {
      if (!root.contains(list)) root.replaceChildren(list);
      reloadEntries = () => {
        void api.auditEntries(kind.value || null, 500).then((entries) => {
          keyedRows(body, entries, (e) => String(e.index), row);
          setText(count, entries.length === 0 ? "No entries yet." : `${entries.length} ${entries.length === 1 ? "entry" : "entries"}, newest first.`);
        });
      };
      reloadEntries();
      if (!verdict.firstChild) await verify();
    }, { always: true });
}
