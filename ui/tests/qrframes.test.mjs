// Unit tests for the QR scan's frame collector (src/qrframes.ts): BBQr
// frames in any order, repeats, a new series, other file types, UR and
// base64. The camera and image decoding run in the e2e test.

import assert from "node:assert/strict";
import { test } from "node:test";
import { FrameCollector, bbqrHeader, scanProgress } from "../.test-build/src/qrframes.js";

test("a BBQr header is read in base 36", () => {
  assert.deepEqual(bbqrHeader("B$ZP0A03ABCDEF"), { encoding: "Z", fileType: "P", total: 10, index: 3 });
  assert.deepEqual(bbqrHeader("  B$2P1Z1Y  "), { encoding: "2", fileType: "P", total: 71, index: 70 });
  assert.equal(bbqrHeader("B$ZP0202XY"), null, "an index past the count");
  assert.equal(bbqrHeader("B$ZP00"), null, "too short");
  assert.equal(bbqrHeader("B$ZPa0b1"), null, "lower case is not base 36 here");
  assert.equal(bbqrHeader("cHNidP8BAH"), null);
});

test("frames in any order, some read twice, make the series in order", () => {
  const c = new FrameCollector();
  assert.equal(scanProgress(c.state()), "Looking for a QR code…");
  let s = c.add("B$ZP0302CCC");
  assert.deepEqual([s.done, s.read, s.total], [false, 1, 3]);
  assert.match(scanProgress(s), /^Read 1 of 3 frames/);
  s = c.add("B$ZP0302CCC");
  assert.equal(s.read, 1, "a frame read again counts once");
  c.add("B$ZP0300AAA");
  s = c.add("B$ZP0301BBB");
  assert.equal(s.done, true);
  assert.equal(s.text, "B$ZP0300AAA\nB$ZP0301BBB\nB$ZP0302CCC");
  assert.equal(scanProgress(s), "All 3 frames read.");
  // Once done, later codes change nothing.
  assert.equal(c.add("B$ZP0200XXX").text, s.text);
});

test("a frame of another series starts over", () => {
  const c = new FrameCollector();
  c.add("B$ZP0300AAA");
  c.add("B$ZP0301BBB");
  let s = c.add("B$ZP0200NEW");
  assert.deepEqual([s.read, s.total, s.done], [1, 2, false]);
  s = c.add("B$ZP0201NEW2");
  assert.equal(s.text, "B$ZP0200NEW\nB$ZP0201NEW2");
});

test("codes that are not a PSBT say what they are, and the scan goes on", () => {
  const c = new FrameCollector();
  assert.match(c.add("B$ZT0100AAAA").error, /signed transaction, not a PSBT/);
  assert.match(c.add("ur:crypto-psbt/1-3/lpadaxcs").error, /UR code/);
  assert.match(c.add("https://example.com").error, /not a PSBT/);
  const s = c.add("B$ZP0100ONLY");
  assert.equal(s.error, null);
  assert.equal(s.done, true);
  assert.equal(s.text, "B$ZP0100ONLY");
  assert.equal(scanProgress(s), "Read.");
});

test("one code with a base64 PSBT is the whole PSBT", () => {
  const c = new FrameCollector();
  const s = c.add(" cHNidP8BAHECAAAAAQ== ");
  assert.deepEqual([s.done, s.read, s.total, s.text], [true, 1, 1, "cHNidP8BAHECAAAAAQ=="]);
});
