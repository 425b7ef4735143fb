// End to end in the real window against the real regtest network: the
// dashboard's balances; open a channel from alice to carol, see it pending,
// mine a block (CLI), see it active without a refresh; pay an invoice from
// carol after checking its fee; a malformed invoice is refused in words;
// set its fees; close the channel; preview a route with our router beside
// LND's and pay along it; coins and the CSV history; node profiles:
// add one from an lndconnect link and switch the app to it; a swap out with
// the regtest provider on carol, from its quote to its end; a swap in funded
// from another wallet (bob's node signs the PSBT the user pastes); the PSBT
// screen: a wallet's account imported into LND, funded and spent through a
// reviewed PSBT, a channel opened from it through LND's PSBT shim, and a
// hostile PSBT's review with its warnings; a Ledger (its Bitcoin app under
// Speculos) found by the app, its account watched and sent from, signed on
// the device while the test presses its buttons. Screenshots
// land in $E2E_ARTIFACTS.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Speculos, holdPorts } from "./speculos.mjs";
import { Session, startDriver } from "./webdriver.mjs";

const APP = process.env.SWITCHYARD_APP;
const CLI = process.env.SWITCHYARD_CLI;
const ARTIFACTS = resolve(process.env.E2E_ARTIFACTS ?? "artifacts/e2e");
assert.ok(APP && CLI, "SWITCHYARD_APP and SWITCHYARD_CLI must name the built binaries");

let driver;
let dataDir;
// Ledger's app under Speculos for the device test: its ports are chosen
// before the driver starts, so the app it launches knows where to look.
let ledgerPorts;

before(async () => {
  ledgerPorts = await holdPorts(2);
  process.env.SWITCHYARD_HWI_EMULATORS = "1";
  process.env.SWITCHYARD_LEDGER_EMULATOR = `127.0.0.1:${ledgerPorts.ports[0]}`;
  // WebKit's mock camera, for "Scan with camera" on the PSBT screen.
  process.env.SWITCHYARD_MOCK_CAMERA = "1";
  driver = await startDriver();
  dataDir = mkdtempSync(join(tmpdir(), "switchyard-e2e-node-"));
});

after(async () => {
  await ledgerPorts?.release();
  await driver?.stop();
  if (dataDir) {
    execFileSync(CLI, ["regtest", "down", "--dir", join(dataDir, "regtest"), "--purge"]);
    rmSync(dataDir, { recursive: true, force: true });
  }
});

/** The node watches wallet `id`'s account: the dry run (LND's addresses are the wallet's own), then the import. */
async function letNodeWatch(s, id, screenshot) {
  await s.click(`[data-testid=lnd-wallet] option[value="${id}"]`);
  await s.click("[data-testid=lnd-dry-run]");
  await s.until("dry run", async () => (await s.text("[data-testid=lnd-import-out]")).includes("derive exactly your addresses"));
  assert.ok(!(await s.text("[data-testid=lnd-import-out]")).includes("≠"));
  if (screenshot) {
    await s.scrollIntoView("[data-testid=lnd-import-out]");
    await s.screenshot(screenshot);
  }
  await s.click("[data-testid=lnd-import]");
  await s.until("imported", async () => (await s.text("[data-testid=lnd-import-out]")).includes("the node watches"));
}

/** A receive address of wallet `id` from the node (the screen checks it is the wallet's own). */
async function nodeReceiveAddress(s, id) {
  await s.click(`[data-testid=receive-wallet] option[value="${id}"]`);
  await s.click("[data-testid=receive-address]");
  return s.until("receive address", async () => (await s.text("[data-testid=receive-out]")).includes("Checked")
    ? (await s.text("[data-testid=receive-address-value]")).trim() : null);
}

/** A send of `amount` sats to bob from wallet `id`'s account, up to its review (the coins locked). */
async function reviewColdSend(s, id, amount) {
  const to = cli("--node", "bob", "onchain", "address").address;
  await s.click(`[data-testid=cold-wallet] option[value="${id}"]`);
  await s.type("[data-testid=cold-address]", to);
  await s.type("[data-testid=cold-amount]", amount);
  await s.click("[data-testid=cold-prepare]");
  await s.until("send review", async () => (await s.findAll("[data-testid=cold-review] [data-testid=psbt-outputs]")).length === 1, 60_000);
}

const cli = (...args) => JSON.parse(execFileSync(CLI, ["--json", "--data-dir", dataDir, ...args]).toString());
const points = () => new Set(cli("channel", "list").channels.map((c) => c.channel_point));

test("open, watch, pay and close a channel in the window", async () => {
  const up = cli("regtest", "up");
  const carol = up.profiles.find((p) => p.name === "carol");
  const s = await Session.start(driver.base, APP, ["--data-dir", dataDir], ARTIFACTS);
  try {
    await s.until("node connected", async () => (await (await s.find("[data-testid=node-status]")).attr("data-state")) === "connected");

    // Dashboard: balances with their unit.
    await s.click("[data-testid=nav-dashboard]");
    const onchain = await s.until("balances", async () => {
      const t = await s.text("[data-testid=balance-onchain]");
      return t.endsWith("sats") ? t : null;
    });
    assert.match(onchain, /^[\d,]+ sats$/);
    assert.match(await s.text("[data-testid=balance-local]"), /^[\d,]+ sats$/);
    await s.screenshot("10-dashboard");

    // Open alice → carol.
    await s.click("[data-testid=nav-channels]");
    await s.until("two active channels", async () => (await s.findAll("[data-testid=channel-row][data-state=active]")).length === 2);
    const before = points();
    await s.type("[data-testid=open-peer]", carol.p2p_uri);
    await s.type("[data-testid=open-amount]", "400000");
    await s.type("[data-testid=open-fee]", "2");
    await s.click("[data-testid=open-submit]");
    await s.until("open result", async () => (await s.text("[data-testid=open-result]")).includes("Funding transaction published"), 60_000);
    const point = [...points()].find((p) => !before.has(p));
    assert.ok(point, "a new channel point");
    const row = `[data-testid=channel-row][data-point="${point}"]`;
    const pending = await s.until("pending row", async () => {
      const el = await s.find(row);
      return (await el.attr("data-state")) === "opening" ? el.text() : null;
    });
    assert.match(pending, /carol/);
    assert.match(pending, /0 of 1 confirmation/);
    assert.match(pending, /400,000 sats/);
    await s.screenshot("11-channel-opening");

    // One block: active, without touching the window.
    cli("regtest", "mine", "1");
    await s.until("channel active", async () => (await (await s.find(row)).attr("data-state")) === "active", 60_000);
    // The balance bars render (their width is set through the CSSOM: the CSP blocks style attributes).
    const widths = await s.cmd("POST", "/execute/sync", {
      script: "return Array.from(document.querySelectorAll('[data-testid=channel-row] .balance-bar .ours')).map((e) => e.getBoundingClientRect().width)",
      args: [],
    });
    assert.ok(widths.length >= 3 && widths.every((w) => w > 0), `balance bars: ${widths}`);
    await s.screenshot("12-channel-active");

    // Pay an invoice from carol: check it (amount, memo, fee), then pay.
    const inv = cli("--node", "carol", "invoice", "create", "1500", "--memo", "e2e coffee");
    await s.click("[data-testid=nav-payments]");
    await s.type("[data-testid=pay-invoice]", "lnbcrt1notaninvoice");
    await s.click("[data-testid=pay-check]");
    const banner = await s.find("[data-testid=error-banner]");
    assert.equal(await banner.attr("data-code"), "invalid_invoice");
    assert.match(await banner.text(), /not a valid Lightning invoice/);
    await s.screenshot("13-bad-invoice");
    await s.type("[data-testid=pay-invoice]", inv.payment_request);
    await s.click("[data-testid=pay-check]");
    const preview = await s.until("preview", async () => {
      const t = await s.text("[data-testid=pay-preview]");
      return t.includes("1,500 sats") ? t : null;
    });
    assert.match(preview, /e2e coffee/);
    assert.match(preview, /Estimated fee/);
    await s.screenshot("14-pay-preview");
    await s.click("[data-testid=pay-submit]");
    await s.until("paid", async () => (await s.text("[data-testid=pay-result]")).startsWith("Paid 1,500 sats"), 60_000);
    const paidRow = `[data-testid=payment-row][data-hash="${inv.payment_hash}"]`;
    await s.until("history row", async () => (await (await s.find(paidRow)).attr("data-status")) === "succeeded");
    await s.screenshot("15-paid");

    // Its fees, as the graph sees them.
    await s.click("[data-testid=nav-channels]");
    await s.click(`${row} [data-testid=channel-fees]`);
    const dialog = `[data-testid=channel-dialog][data-point="${point}"]`;
    await s.type(`${dialog} [data-testid=policy-base]`, "2000");
    await s.type(`${dialog} [data-testid=policy-ppm]`, "150");
    await s.screenshot("16-fees-dialog");
    await s.click(`${dialog} [data-testid=policy-save]`);
    await s.until("new fees shown", async () => (await (await s.find(row)).text()).includes("2,000 msat + 150 ppm"), 30_000);

    // Close it cooperatively: closing, then gone from the open list after a block.
    await s.click(`${row} [data-testid=close-channel]`);
    await s.type(`${dialog} [data-testid=close-fee]`, "2");
    await s.screenshot("17-close-dialog");
    await s.click(`${dialog} [data-testid=close-confirm]`);
    await s.until("closing", async () => (await (await s.find(row)).attr("data-state")) === "closing", 60_000);
    await s.screenshot("18-channel-closing");
    cli("regtest", "mine", "1");
    await s.until("closed", async () => (await s.findAll(row)).length === 0, 60_000);
    assert.ok(cli("channel", "list").channels.some((c) => c.channel_point === point && c.state === "closed"));
    await s.screenshot("19-channel-closed");

    // Routes: preview a payment to carol with our router beside LND's, see
    // the neighbourhood picture, and pay along our best route.
    const routeInv = cli("--node", "carol", "invoice", "create", "2500", "--memo", "route preview");
    await s.click("[data-testid=nav-routes]");
    await s.until("neighbourhood picture", async () => (await s.findAll("[data-testid=hood] circle")).length >= 3, 30_000);
    await s.type("[data-testid=route-to]", routeInv.payment_request);
    await s.click("[data-testid=route-preview]");
    const bestFee = await s.until("our best route", async () => {
      const t = await s.text("[data-testid=route-1-fee]");
      return t.endsWith("sats") || t.endsWith("msat)") ? t : null;
    }, 30_000);
    assert.match(bestFee, /sats/);
    assert.match(await s.text("[data-testid=route-lnd]"), /LND's QueryRoutes/);
    assert.ok((await s.findAll("[data-testid=hood] line.hot")).length >= 1, "the best route is drawn on the picture");
    await s.screenshot("20-route-preview");
    await s.click("[data-testid=pay-route-1]");
    await s.until("paid along our route", async () => (await s.text("[data-testid=pay-route-1-result]")).startsWith("Paid."), 60_000);
    await s.screenshot("21-route-paid");
    // An invoice with route hints: bob names his private channel from carol,
    // which alice's graph cannot know; the preview adds it and says so.
    const hinted = cli("--node", "bob", "invoice", "create", "3000", "--memo", "behind a private channel", "--private");
    await s.type("[data-testid=route-to]", hinted.payment_request);
    await s.click("[data-testid=route-preview]");
    await s.until("the hinted channel counted", async () => (await s.text("[data-testid=route-graph]")).includes("1 private from the invoice"), 30_000);
    await s.screenshot("21a-route-hints");
    // Rebalance: out through the channel to bob, back in through carol's.
    await s.click("[data-testid=rebal-form] summary");
    await s.until("channels to choose", async () => (await s.findAll("[data-testid=rebal-in] option")).length >= 2);
    const bobOpt = (await s.findAll("[data-testid=rebal-out] option")).length;
    assert.ok(bobOpt >= 2);
    const outText = await s.text("[data-testid=rebal-out]");
    assert.match(outText, /bob/);
    await s.type("[data-testid=rebal-amount]", "50000");
    await s.click("[data-testid=rebal-preview]");
    await s.until("rebalance route", async () => (await s.text("[data-testid=rebal-plan]")).includes("Circular route"), 30_000);
    await s.click("[data-testid=rebal-go]");
    await s.until("rebalanced", async () => (await s.text("[data-testid=rebal-result]")).startsWith("Moved 50,000 sats"), 60_000);
    await s.until("rebalance finished", async () => (await s.text("[data-testid=rebal-go]")) === "Rebalance");
    await s.click("[data-testid=rebal-result]");
    await s.screenshot("21b-rebalanced");

    // On-chain: the wallet's coins, and the accounting export.
    await s.click("[data-testid=nav-onchain]");
    await s.until("coins", async () => (await s.findAll("[data-testid=coin-table] tbody tr")).length > 0);
    // A fee rate far above the node's estimate is not sent: the fee in sats
    // is shown, to confirm or to change.
    const txsBefore = cli("onchain", "txs").length;
    await s.type("[data-testid=send-address]", cli("--node", "carol", "onchain", "address").address);
    await s.type("[data-testid=send-amount]", "10000");
    await s.type("[data-testid=send-fee]", "900");
    await s.click("[data-testid=send-submit]");
    const warning = await s.until("high fee warning", async () => {
      const box = await s.find("[data-testid=fee-confirm]");
      return (await box.attr("hidden")) === null ? box.text() : null;
    });
    assert.match(warning, /900 sat\/vB .*about [\d,]+ sats in fees/);
    await s.screenshot("22a-high-fee-warning");
    await s.click("[data-testid=fee-confirm-cancel]");
    await s.until("warning closed", async () => (await (await s.find("[data-testid=fee-confirm]")).attr("hidden")) !== null);
    assert.equal(await s.text("[data-testid=send-result]"), "");
    assert.equal(cli("onchain", "txs").length, txsBefore, "nothing was sent");
    await s.click("[data-testid=export-history]");
    const exported = await s.until("history exported", async () => {
      const t = await s.text("[data-testid=history-result]");
      return t.startsWith("Saved") ? t : null;
    });
    assert.match(exported, /channel open/);
    assert.match(exported, /payment sent/);
    await s.screenshot("22-onchain-coins-history");

    // Nodes: the network's nodes, alice in use; add bob from his lndconnect
    // link, switch the whole app to him, and back.
    await s.click("[data-testid=nav-profiles]");
    await s.until("three profiles", async () => (await s.findAll("[data-testid=profile-row]")).length === 3);
    assert.equal(await (await s.find("[data-testid=profile-row][data-name=alice]")).attr("data-active"), "true");
    await s.click("[data-testid=profile-add-form] summary");
    await s.type("[data-testid=profile-name]", "bob (link)");
    await s.type("[data-testid=profile-lndconnect]", "lndconnect://127.0.0.1:1?cert=broken");
    await s.click("[data-testid=profile-add]");
    const linkErr = await s.find("[data-testid=error-banner]");
    assert.equal(await linkErr.attr("data-code"), "invalid_lndconnect");
    await s.screenshot("23-nodes-bad-link");
    const bob = up.profiles.find((p) => p.name === "bob");
    await s.type("[data-testid=profile-lndconnect]", bob.lndconnect);
    await s.click("[data-testid=profile-add]");
    const bobRow = '[data-testid=profile-row][data-name="bob (link)"]';
    await s.click(`${bobRow} [data-testid=profile-use]`);
    await s.until("header shows bob", async () => (await s.text("[data-testid=node-status]")).startsWith("bob ·"), 30_000);
    assert.equal(await (await s.find(bobRow)).attr("data-active"), "true");
    await s.screenshot("24-nodes-switched");
    await s.click("[data-testid=profile-row][data-name=alice] [data-testid=profile-use]");
    await s.until("header shows alice", async () => (await s.text("[data-testid=node-status]")).startsWith("alice ·"), 30_000);
  } catch (e) {
    await s.screenshot("99-node-failure").catch(() => undefined);
    throw e;
  } finally {
    await s.end();
  }
});

test("swap out in the window: quote, start, watch its timeline to the end", async () => {
  cli("regtest", "up"); // the running network, its swap provider on carol the default
  // Swap keys come from a wallet's words.
  execFileSync(CLI, ["--data-dir", dataDir, "wallet", "restore", "--name", "swapper", "--network", "regtest", "--mnemonic-stdin"],
    { input: "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about\n" });
  const s = await Session.start(driver.base, APP, ["--data-dir", dataDir], ARTIFACTS);
  try {
    await s.until("node connected", async () => (await (await s.find("[data-testid=node-status]")).attr("data-state")) === "connected");
    await s.click("[data-testid=nav-swaps]");
    await s.until("provider prefilled", async () => (await (await s.find("[data-testid=swap-provider]")).prop("value")).startsWith("http://127.0.0.1:"));
    // A provider that does not answer: said in words, nothing done.
    const provider = await (await s.find("[data-testid=swap-provider]")).prop("value");
    await s.type("[data-testid=swap-provider]", "http://127.0.0.1:9");
    await s.type("[data-testid=swap-amount]", "60,000");
    await s.click("[data-testid=swap-quote-btn]");
    const err = await s.find("[data-testid=error-banner]");
    assert.equal(await err.attr("data-code"), "swap_provider_unreachable");
    assert.match(await err.text(), /did not answer/);
    await s.screenshot("30-swap-provider-unreachable");
    // The real one: a quote in sats and %, limits and the time lock.
    await s.type("[data-testid=swap-provider]", provider);
    await s.click("[data-testid=swap-direction] option[value=out]");
    await s.click("[data-testid=swap-quote-btn]");
    const quote = await s.until("quote", async () => {
      const t = await s.text("[data-testid=swap-quote]");
      return t.includes("Total fees") ? t : null;
    });
    assert.match(quote, /Provider fee[\s\S]*sats \(0\.25 %\)/);
    assert.match(quote, /Time lock[\s\S]*144 blocks/);
    await s.screenshot("31-swap-quote");
    await s.click("[data-testid=swap-start]");
    const row = await s.until("swap row", async () => (await s.findAll("[data-testid=swap-row]")).length === 1 ? "[data-testid=swap-row]" : null, 60_000);
    assert.match(await s.text(row), /time lock in \d+ blocks/);
    await s.screenshot("32-swap-started");
    // Blocks come in (CLI); the row moves on in place until the claim is confirmed.
    const done = await s.until("swap succeeded", async () => {
      cli("regtest", "mine", "1");
      await new Promise((r) => setTimeout(r, 700)); // a block at a time: the claim must come 20 before the time lock
      const el = await s.find(row);
      return (await el.attr("data-final")) === "true" ? el.attr("data-outcome") : null;
    }, 120_000);
    assert.equal(done, "succeeded");
    assert.equal(await (await s.find(`${row} li:nth-child(4)`)).attr("data-state"), "done", "the claim step is done");
    assert.match(await s.text(row), /claimed to your wallet/i);
    await s.screenshot("33-swap-succeeded");
    // Every step is in the audit log, the last one the claim's success.
    const steps = cli("audit", "list", "--kind", "swap_step", "--limit", "100");
    const swapId = await (await s.find(row)).attr("data-id");
    const ours = steps.filter((e) => e.subject === `swap:${swapId}`);
    assert.ok(ours.length >= 3, JSON.stringify(steps.map((e) => e.subject)));
    assert.equal(ours[0].detail.outcome, "succeeded");
    assert.ok(ours.every((e) => e.ok));
  } catch (e) {
    await s.screenshot("98-swap-failure").catch(() => undefined);
    throw e;
  } finally {
    await s.end();
  }
});

test("swap in funded from another wallet: address and amount shown, a bad PSBT refused, the signed one broadcast", async () => {
  const up = cli("regtest", "up");
  const bob = up.profiles.find((p) => p.name === "bob");
  const bin = process.env.SWITCHYARD_REGTEST_BIN;
  assert.ok(bin, "SWITCHYARD_REGTEST_BIN names the regtest binaries (lncli for the other wallet)");
  // Bob's node stands for the user's other wallet (a hardware wallet, Sparrow).
  // Swap keys come from a wallet's words (the swap out above made it; alone, this test does).
  if (!cli("wallet", "list").some?.((w) => w.name === "swapper")) {
    execFileSync(CLI, ["--data-dir", dataDir, "wallet", "restore", "--name", "swapper", "--network", "regtest", "--mnemonic-stdin"],
      { input: "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about\n" });
  }
  const otherWallet = (...args) => JSON.parse(execFileSync(join(bin, "lncli"), ["--network", "regtest",
    "--rpcserver", bob.grpc_host, "--tlscertpath", bob.tls_cert_path, "--macaroonpath", bob.macaroon_path, ...args]).toString());
  const s = await Session.start(driver.base, APP, ["--data-dir", dataDir], ARTIFACTS);
  try {
    await s.until("node connected", async () => (await (await s.find("[data-testid=node-status]")).attr("data-state")) === "connected");
    await s.click("[data-testid=nav-swaps]");
    await s.until("provider prefilled", async () => (await (await s.find("[data-testid=swap-provider]")).prop("value")).startsWith("http://127.0.0.1:"));
    const before = (await s.findAll("[data-testid=swap-row]")).length;
    await s.click("[data-testid=swap-direction] option[value=in]");
    await s.type("[data-testid=swap-amount]", "50,000");
    await s.click("[data-testid=swap-quote-btn]");
    await s.until("quote", async () => (await s.text("[data-testid=swap-quote]")).includes("Total fees"));
    await s.click("[data-testid=swap-external]");
    await s.click("[data-testid=swap-start]");
    const row = await s.until("new swap row", async () => (await s.findAll("[data-testid=swap-row]")).length === before + 1
      ? "[data-testid=swap-row]:first-child" : null, 60_000);
    const box = `${row} [data-testid=swap-funding]`;
    await s.until("funding box", async () => (await (await s.find(box)).prop("hidden")) === false);
    const address = (await s.text(`${row} [data-testid=swap-fund-address]`)).trim();
    const bip21 = (await s.text(`${row} [data-testid=swap-fund-bip21]`)).trim();
    const amount = Number(new URL(bip21.replace("bitcoin:", "bitcoin://")).searchParams.get("amount"));
    const sat = Math.round(amount * 1e8);
    assert.match(await s.text(box), new RegExp(`Pay exactly ${sat.toLocaleString("en-US")} sats`));
    await s.scrollIntoView(box);
    await s.screenshot("34-swap-in-awaiting-funding");

    // The other wallet funds a PSBT; unsigned, it is refused in words.
    const funded = otherWallet("wallet", "psbt", "fund", "--outputs", JSON.stringify({ [address]: sat }), "--sat_per_vbyte", "2");
    await s.type(`${row} [data-testid=swap-fund-psbt]`, funded.psbt);
    await s.click(`${row} [data-testid=swap-fund-submit]`);
    const err = await s.find("[data-testid=error-banner]");
    assert.match(await err.text(), /not signed yet/);
    await s.screenshot("35-swap-in-psbt-not-signed");
    // Signed there, pasted here: checked and broadcast by our node.
    const signed = otherWallet("wallet", "psbt", "finalize", "--funded_psbt", funded.psbt);
    await s.type(`${row} [data-testid=swap-fund-psbt]`, signed.psbt);
    await s.click(`${row} [data-testid=swap-fund-submit]`);
    await s.until("broadcast", async () => (await s.text(`${row} [data-testid=swap-fund-result]`)).includes("broadcast by your node"));
    const outcome = await s.until("swap in succeeded", async () => {
      cli("regtest", "mine", "1");
      await new Promise((r) => setTimeout(r, 700));
      const el = await s.find(row);
      return (await el.attr("data-outcome")) || null;
    }, 120_000);
    assert.equal(outcome, "succeeded");
    assert.equal(await (await s.find(box)).prop("hidden"), true, "the funding box is gone once funded");
    assert.match(await s.text(row), /Lockup paid from your other wallet/);
    await s.scrollIntoView(row);
    await s.screenshot("36-swap-in-succeeded");
  } catch (e) {
    await s.screenshot("97-swap-in-failure").catch(() => undefined);
    throw e;
  } finally {
    await s.end();
  }
});

test("PSBT screen: a wallet watched by the node sends through a reviewed PSBT; a hostile PSBT's review warns and signing is refused", async () => {
  const up = cli("regtest", "up");
  assert.ok(up.profiles.some((p) => p.name === "bob"));
  // BIP39's first vector with the passphrase "TREZOR": the wallet the hostile
  // fixture (built by crates/pure/tests/psbt_review.rs) is made for.
  if (!cli("wallet", "list").some?.((w) => w.name === "cold")) {
    execFileSync(CLI, ["--data-dir", dataDir, "wallet", "restore", "--name", "cold", "--network", "regtest", "--mnemonic-stdin", "--passphrase-stdin"],
      { input: "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about\nTREZOR\n" });
  }
  const cold = cli("wallet", "list").find((w) => w.name === "cold");
  const s = await Session.start(driver.base, APP, ["--data-dir", dataDir], ARTIFACTS);
  try {
    await s.until("node connected", async () => (await (await s.find("[data-testid=node-status]")).attr("data-state")) === "connected");
    await s.click("[data-testid=nav-psbt]");

    // The node watches the wallet's account after a dry run shows LND's
    // addresses are the wallet's own.
    await letNodeWatch(s, cold.id, "37-psbt-lnd-dry-run");

    // Bob pays the address the node hands out (checked to be the wallet's
    // own); the balance row appears when the block does.
    const first = await nodeReceiveAddress(s, cold.id);
    assert.equal(first, cli("wallet", "addresses", "cold", "--count", "1")[0].address);
    cli("--node", "bob", "onchain", "send", first, "250000", "--sat-per-vbyte", "2");
    cli("regtest", "mine", "1");
    await s.until("cold balance", async () => {
      const rows = await s.findAll("[data-testid=cold-balance-row]");
      if (rows.length === 0) return null;
      return (await rows[0].text()).includes("250,000 sats") ? true : null;
    }, 60_000);

    // Send from it: the review first (the coins locked), then signed by its
    // seed and published.
    await reviewColdSend(s, cold.id, "100000");
    const review = await s.text("[data-testid=cold-review]");
    assert.match(review, /100,000 sats/);
    assert.match(review, /change, back to you/);
    assert.match(review, /No warnings/);
    await s.scrollIntoView("[data-testid=cold-review]");
    await s.screenshot("38-psbt-send-review");
    await s.click("[data-testid=cold-confirm]");
    await s.until("sent", async () => (await s.text("[data-testid=cold-result]")).startsWith("Sent in transaction"), 60_000);
    await s.scrollIntoView("[data-testid=cold-send-card]");
    await s.screenshot("39-psbt-sent");
    cli("regtest", "mine", "1");

    // A channel to carol funded from the same account: the peer agrees, the
    // review marks LND's address as the channel's, a countdown runs while
    // the peer waits; signed, LND publishes.
    const carol = up.profiles.find((p) => p.name === "carol");
    await s.click(`[data-testid=open-wallet] option[value="${cold.id}"]`);
    await s.type("[data-testid=open-peer]", carol.p2p_uri);
    await s.type("[data-testid=open-amount]", "60000");
    await s.click("[data-testid=open-prepare]");
    await s.until("open review", async () => (await s.findAll("[data-testid=open-review] [data-testid=psbt-outputs]")).length === 1, 60_000);
    const openReview = await s.text("[data-testid=open-review]");
    assert.match(openReview, /channel funding/);
    assert.match(openReview, /60,000 sats/);
    assert.match(await s.text("[data-testid=open-countdown]"), /^\d+:\d\d$/);
    await s.scrollIntoView("[data-testid=open-review]");
    await s.screenshot("40-psbt-open-review");
    await s.click("[data-testid=open-confirm]");
    await s.until("opened", async () => (await s.text("[data-testid=open-result]")).startsWith("Opening channel"), 60_000);
    await s.scrollIntoView("[data-testid=cold-open-card]");
    await s.screenshot("41-psbt-open-sent");
    cli("regtest", "mine", "3");

    // A hostile PSBT: its review names each trap, and signing is refused.
    const hostile = readFileSync(new URL("./fixtures/hostile-psbt.txt", import.meta.url), "utf8").trim();
    await s.click(`[data-testid=psbt-wallet] option[value="${cold.id}"]`);
    await s.type("[data-testid=psbt-input]", hostile);
    await s.click("[data-testid=psbt-review-button]");
    await s.until("hostile review", async () => (await s.findAll("[data-testid=psbt-review-out] [data-testid=psbt-warning]")).length >= 3);
    const warnings = await s.text("[data-testid=psbt-review-out]");
    assert.match(warnings, /SIGHASH_NONE/);
    assert.match(warnings, /witness UTXO says 200000 sats/);
    assert.match(warnings, /m\/84'\/1'\/0'\/1\/5/);
    await s.scrollIntoView("[data-testid=psbt-review-out]");
    await s.screenshot("42-psbt-hostile-review");
    // Out to an air-gapped signer: as BBQr QR frames, and as a .psbt file.
    await s.click("[data-testid=psbt-export-show-qr]");
    await s.until("QR drawn", async () => (await s.findAll("[data-testid=psbt-export-qr] img")).length === 1);
    assert.match(await s.text("[data-testid=psbt-export-qr-frame]"), /BBQr/);
    await s.click("[data-testid=psbt-export-save]");
    await s.until("PSBT saved", async () => /\.psbt$/.test((await s.text("[data-testid=psbt-export-saved]")).trim()));
    await s.scrollIntoView("[data-testid=psbt-export-qr]");
    await s.screenshot("43-psbt-qr");
    // And back in from QR codes: the frame shown, given to "Or QR images" as
    // an image file, is decoded in the window into the frames' text (the
    // CLI's for the same PSBT) and reviewed again.
    const frames = JSON.parse(execFileSync(CLI, ["--json", "psbt", "qr", "-"], { input: hostile }).toString()).parts;
    await s.cmd("POST", "/execute/sync", {
      script: `document.querySelector("[data-testid=psbt-input]").value = "";
        const src = document.querySelector("[data-testid=psbt-export-qr] img").src;
        const svg = atob(src.slice(src.indexOf(",") + 1));
        const dt = new DataTransfer();
        dt.items.add(new File([svg], "frame-01.svg", { type: "image/svg+xml" }));
        const input = document.querySelector("[data-testid=psbt-scan-images]");
        input.files = dt.files;
        input.dispatchEvent(new Event("change"));
        return true;`,
      args: [],
    });
    await s.until("QR image read", async () => (await s.cmd("POST", "/execute/sync", {
      script: "return document.querySelector('[data-testid=psbt-input]').value;", args: [],
    })) === frames.join("\n"), 30_000);
    assert.match(await s.text("[data-testid=psbt-scan-status]"), /^Read\.$/);
    await s.until("reviewed from the QR code", async () => (await s.findAll("[data-testid=psbt-review-out] [data-testid=psbt-warning]")).length >= 3);
    assert.match(await s.text("[data-testid=psbt-review-out]"), /SIGHASH_NONE/);
    // The camera (WebKit's mock device here): it opens, shows its picture
    // and looks for codes until stopped.
    await s.click("[data-testid=psbt-scan-camera]");
    await s.until("camera open", async () => (await s.text("[data-testid=psbt-scan-status]")) === "Looking for a QR code…", 30_000);
    await s.scrollIntoView("[data-testid=psbt-scan-video]");
    await s.screenshot("43b-psbt-scan-camera");
    await s.click("[data-testid=psbt-scan-stop]");
    await s.until("camera stopped", async () => (await s.findAll("[data-testid=psbt-scan-camera]:not([hidden])")).length === 1);
    await s.click("[data-testid=psbt-sign]");
    const err = await s.find("[data-testid=error-banner]");
    assert.match(await err.text(), /Not signed/);
    assert.equal(await (await s.find("[data-testid=psbt-signed]")).text(), "");
    await s.screenshot("44-psbt-hostile-refused");
  } catch (e) {
    await s.screenshot("96-psbt-failure").catch(() => undefined);
    throw e;
  } finally {
    await s.end();
  }
});

test("a Ledger in the window: found directly, its account watched by the node, a send signed on the device", async () => {
  cli("regtest", "up");
  await ledgerPorts.release();
  const dev = await Speculos.start(ledgerPorts.ports[0], ledgerPorts.ports[1], ARTIFACTS);
  const s = await Session.start(driver.base, APP, ["--data-dir", dataDir], ARTIFACTS);
  try {
    await s.until("node connected", async () => (await (await s.find("[data-testid=node-status]")).attr("data-state")) === "connected");
    await s.click("[data-testid=nav-psbt]");

    // Found without HWI, its fingerprint read; its BIP84 account watched.
    await s.click("[data-testid=device-scan]");
    const row = await s.until("device found", async () => {
      const rows = await s.findAll("[data-testid=device-row]");
      for (const r of rows) {
        const t = await r.text();
        if (t.includes("f5acc2fd")) return t;
      }
      return null;
    }, 30_000);
    assert.match(row, /direct/);
    assert.match(row, /emulator/);
    await s.type("[data-testid=device-wallet-name]", "ledger-e2e");
    await s.click("[data-testid=device-watch]");
    await s.until("watched", async () => (await s.text("[data-testid=device-watch-result]")).includes("Added"), 30_000);
    await s.scrollIntoView("[data-testid=devices-card]");
    await s.screenshot("45-ledger-found");
    const w = cli("wallet", "list").find((x) => x.name === "ledger-e2e");
    assert.equal(w.fingerprint, "f5acc2fd");
    assert.ok(w.watch_only);

    // The node watches it (dry run first); bob pays the first address the
    // node hands out (LND watches the addresses it has handed out).
    await letNodeWatch(s, w.id, null);
    const first = await nodeReceiveAddress(s, w.id);
    assert.equal(first, cli("wallet", "addresses", "ledger-e2e", "--count", "1")[0].address);
    cli("--node", "bob", "onchain", "send", first, "300000", "--sat-per-vbyte", "2");
    cli("regtest", "mine", "1");
    await s.until("device balance", async () => {
      for (const r of await s.findAll("[data-testid=cold-balance-row]")) {
        const t = await r.text();
        if (t.includes("ledger-e2e") && t.includes("300,000 sats")) return true;
      }
      return null;
    }, 60_000);

    // A send: reviewed, then confirmed on the device while the test reads
    // its screens and approves.
    await reviewColdSend(s, w.id, "120000");
    assert.match(await s.text("[data-testid=cold-confirm]"), /Sign on the device and send/);
    await s.scrollIntoView("[data-testid=cold-review]");
    await s.screenshot("46-ledger-send-review");
    await dev.clear();
    let sent = false;
    const pressing = dev.approveUntil(() => sent);
    await s.click("[data-testid=cold-confirm]");
    try {
      await s.until("sent", async () => (await s.text("[data-testid=cold-result]")).startsWith("Sent in transaction"), 180_000);
    } finally {
      sent = true;
    }
    const screens = await pressing;
    const lines = screens.map((l) => l.join(" "));
    assert.ok(lines.some((l) => l.startsWith("Amount") && l.includes("0.0012")), JSON.stringify(screens));
    assert.ok(lines.some((l) => l.startsWith("Fees")), JSON.stringify(screens));
    await s.scrollIntoView("[data-testid=cold-send-card]");
    await s.screenshot("47-ledger-sent");
  } catch (e) {
    await s.screenshot("95-ledger-failure").catch(() => undefined);
    throw e;
  } finally {
    await s.end();
  }

  // A swap in (its keys from a wallet's words, made from the command line
  // while the app is closed) whose lockup comes from the device's account,
  // in the window: LND funds it, the review, the device signs, the swap
  // checks it and the node broadcasts it; the app drives the swap to its end.
  try {
    cli("regtest", "mine", "1");
    if (!cli("wallet", "list").some?.((x) => x.name === "swapper")) {
      execFileSync(CLI, ["--data-dir", dataDir, "wallet", "restore", "--name", "swapper", "--network", "regtest", "--mnemonic-stdin"],
        { input: "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about\n" });
    }
    const swap = cli("swap", "in", "--amount", "50000", "--max-fee", "5000", "--external", "--wallet", "swapper");
    assert.ok(swap.awaitingFunding, JSON.stringify(swap));
    const w = cli("wallet", "list").find((x) => x.name === "ledger-e2e");
    const s2 = await Session.start(driver.base, APP, ["--data-dir", dataDir], ARTIFACTS);
    try {
      await s2.until("node connected", async () => (await (await s2.find("[data-testid=node-status]")).attr("data-state")) === "connected");
      await s2.click("[data-testid=nav-swaps]");
      const row = `[data-testid=swap-row][data-id="${swap.id}"]`;
      await s2.until("funding box", async () => (await s2.findAll(`${row} [data-testid=swap-lockup]`)).length === 1
        && (await (await s2.find(`${row} [data-testid=swap-funding]`)).prop("hidden")) === false, 30_000);
      await s2.click(`${row} [data-testid=swap-lockup-wallet] option[value="${w.id}"]`);
      await s2.click(`${row} [data-testid=swap-lockup-prepare]`);
      await s2.until("lockup review", async () => (await s2.findAll(`${row} [data-testid=swap-lockup-review] [data-testid=psbt-outputs]`)).length === 1, 60_000);
      const review = await s2.text(`${row} [data-testid=swap-lockup-review]`);
      assert.match(review, new RegExp(`${swap.onchain.toLocaleString("en-US")} sats`));
      assert.match(await s2.text(`${row} [data-testid=swap-lockup-confirm]`), /Sign on the device and fund/);
      await s2.scrollIntoView(`${row} [data-testid=swap-lockup-review]`);
      await s2.screenshot("48-ledger-swap-lockup-review");
      await dev.clear();
      let funded = false;
      const pressing = dev.approveUntil(() => funded);
      await s2.click(`${row} [data-testid=swap-lockup-confirm]`);
      try {
        await s2.until("lockup broadcast", async () => (await s2.text(`${row} [data-testid=swap-fund-result]`)).includes("broadcast by your node"), 180_000);
      } finally {
        funded = true;
      }
      const screens = (await pressing).map((l) => l.join(" "));
      assert.ok(screens.some((l) => l.startsWith("Fees")), JSON.stringify(screens));
      const outcome = await s2.until("swap in succeeded", async () => {
        cli("regtest", "mine", "1");
        await new Promise((r) => setTimeout(r, 700));
        return (await (await s2.find(row)).attr("data-outcome")) || null;
      }, 120_000);
      assert.equal(outcome, "succeeded");
      await s2.scrollIntoView(row);
      await s2.screenshot("49-ledger-swap-in-succeeded");
    } catch (e) {
      await s2.screenshot("94-ledger-swap-failure").catch(() => undefined);
      throw e;
    } finally {
      await s2.end();
    }
  } finally {
    dev.stop();
  }
});

test("an LND cluster in the header: the instance that serves, a failover followed, a lost quorum said", async () => {
  // The node `cluster`: three LND instances on a three-member etcd cluster.
  cli("regtest", "up", "--cluster", "--fresh", "--no-provider");
  const leaderOf = () => cli("regtest", "cluster", "status").leader;
  const s = await Session.start(driver.base, APP, ["--data-dir", dataDir], ARTIFACTS);
  const header = async () => s.text("[data-testid=node-status]");
  try {
    await s.click("[data-testid=nav-profiles]");
    const row = "[data-testid=profile-row][data-name=cluster]";
    await s.until("the cluster's profile", async () => (await s.findAll(row)).length === 1, 30_000);
    await s.click(`${row} [data-testid=profile-use]`);
    await s.until("the header shows the cluster's leader", async () =>
      (await header()).includes("instance 1 of 3 (2 standby)"), 60_000);
    assert.ok((await header()).startsWith("cluster-1 ·"));
    // The Nodes screen: each endpoint's role.
    const roles = await s.until("the endpoints' roles", async () => {
      const els = await s.findAll(`${row} [data-testid=endpoint-role]`);
      if (els.length !== 3) return null;
      const r = [];
      for (const e of els) r.push(await e.attr("data-role"));
      return r[0] === "serving" ? r : null;
    }, 30_000);
    assert.deepEqual(roles, ["serving", "standby", "standby"]);
    await s.screenshot("50-cluster-leader");

    // The leader is killed: the header follows the one that takes over.
    cli("regtest", "cluster", "kill-leader");
    const next = await s.until("the header follows the new leader", async () => {
      const t = await header();
      return /^cluster-[23] · .* instance [23] of 3/.test(t) ? t : null;
    }, 90_000);
    assert.ok(next.includes("(1 standby)"), next);
    await s.screenshot("51-cluster-failover");
    // The killed instance comes back as a standby (as a supervisor would restart it).
    cli("regtest", "cluster", "start", "1");
    await s.until("two standbys again", async () => (await header()).includes("(2 standby)"), 60_000);

    // Two etcd members die: no quorum, and the header says so.
    const lead = Number(leaderOf().split("-")[1]);
    const others = [1, 2, 3].filter((m) => m !== lead);
    for (const m of others) cli("regtest", "cluster", "kill-etcd", String(m));
    await s.until("the header says the cluster lost its quorum", async () =>
      (await header()).includes("cluster lost its quorum"), 180_000);
    assert.equal(await (await s.find("[data-testid=node-status]")).attr("data-code"), "cluster_no_leader");
    await s.screenshot("52-cluster-quorum-lost");

    // One comes back: a quorum, a leader, the header connected again.
    cli("regtest", "cluster", "start-etcd", String(others[0]));
    await s.until("connected again", async () =>
      (await (await s.find("[data-testid=node-status]")).attr("data-state")) === "connected", 120_000);
    await s.screenshot("53-cluster-back");
  } catch (e) {
    await s.screenshot("97-cluster-failure").catch(() => undefined);
    throw e;
  } finally {
    await s.end();
  }
});
