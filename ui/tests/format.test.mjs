// Unit tests for the UI's pure helpers (amounts, fee rates, time locks,
// durations, typed numbers). Run by `npm test`: tsc compiles src/format.ts
// to .test-build/, then node --test runs this file against it.

import assert from "node:assert/strict";
import { test } from "node:test";
import { blocks, blocksAsTime, clock, duration, feeRate, forwardingFee, msat, parseWhole, sats, scid, short, txKind } from "../.test-build/src/format.js";

test("sats are grouped, whole, with their unit", () => {
  assert.equal(sats(0), "0 sats");
  assert.equal(sats(1_234_567), "1,234,567 sats");
  assert.equal(sats(2_100_000_000_000_000), "2,100,000,000,000,000 sats");
  assert.equal(sats(12.9), "12 sats");
});

test("msat show as sats, keeping the msat only when they are not whole sats", () => {
  assert.equal(msat(5_000), "5 sats");
  assert.equal(msat(0), "0 sats");
  assert.equal(msat(1_500), "1.5 sats (1,500 msat)");
  assert.equal(msat(1), "0.001 sats (1 msat)");
  assert.equal(msat(1_234_567_891), "1,234,567.891 sats (1,234,567,891 msat)");
});

test("time locks in blocks, with the time they take", () => {
  assert.equal(blocks(1), "1 block");
  assert.equal(blocks(144), "144 blocks");
  assert.equal(blocks(2016), "2,016 blocks");
  assert.equal(blocksAsTime(1), "~10 minutes");
  assert.equal(blocksAsTime(6), "~1 hour");
  assert.equal(blocksAsTime(144), "~1 day");
  assert.equal(blocksAsTime(-3), "~0 seconds");
});

test("a countdown reads as minutes and seconds and stops at zero", () => {
  assert.equal(clock(600), "10:00");
  assert.equal(clock(545.9), "9:05");
  assert.equal(clock(59), "0:59");
  assert.equal(clock(-3), "0:00");
});

test("durations use the largest whole unit", () => {
  assert.equal(duration(0), "0 seconds");
  assert.equal(duration(1), "1 second");
  assert.equal(duration(59), "59 seconds");
  assert.equal(duration(60), "1 minute");
  assert.equal(duration(3599), "59 minutes");
  assert.equal(duration(7200), "2 hours");
  assert.equal(duration(86_400 * 3 + 5), "3 days");
});

test("fee rates and forwarding fees say their units", () => {
  assert.equal(feeRate(12), "12 sat/vB");
  assert.equal(feeRate(1.25), "1.25 sat/vB");
  assert.equal(feeRate(2.123), "2.12 sat/vB");
  assert.equal(forwardingFee(1000, 100), "1,000 msat + 100 ppm");
});

test("typed numbers: separators allowed, anything else refused", () => {
  assert.equal(parseWhole(""), null);
  assert.equal(parseWhole("  "), null);
  assert.equal(parseWhole("1,000"), 1000);
  assert.equal(parseWhole("1 000 000"), 1_000_000);
  assert.equal(parseWhole("1_000"), 1000);
  assert.ok(Number.isNaN(parseWhole("-5")));
  assert.ok(Number.isNaN(parseWhole("1.5")));
  assert.ok(Number.isNaN(parseWhole("1e6")));
  assert.ok(Number.isNaN(parseWhole("12abc")));
  assert.ok(Number.isNaN(parseWhole("99999999999999999999")));
});

test("long keys and ids are shortened in the middle", () => {
  assert.equal(short("abc"), "abc");
  const key = "02" + "ab".repeat(32);
  assert.equal(short(key, 8), `${key.slice(0, 8)}…${key.slice(-6)}`);
});

test("short channel ids read from LND's decimal form, past 2^53 too", () => {
  assert.equal(scid("492581209309184"), "448x1x0");
  assert.equal(scid(String((870000n << 40n) | (2345n << 16n) | 1n)), "870000x2345x1");
  assert.equal(scid("0"), "0x0x0");
  assert.equal(scid("abc"), "abc");
  assert.equal(scid("99999999999999999999"), "99999999999999999999");
});

test("on-chain transactions say what they were", () => {
  assert.equal(txKind("0:closechannel:shortchanid-492581209309184"), "Channel closed · 448x1x0");
  assert.equal(txKind("0:openchannel:shortchanid-492581209309184"), "Channel opened · 448x1x0");
  assert.equal(txKind("0:sweep"), "Sweep");
  assert.equal(txKind("rent"), "rent");
  assert.equal(txKind("0:mystery:x"), "mystery:x");
  assert.equal(txKind(""), "—");
});
