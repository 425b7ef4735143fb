// The UI's modules import each other without cycles (a cycle makes module
// start-up order matter and hides which screen owns what).

import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const src = resolve(dirname(fileURLToPath(import.meta.url)), "../src");

function files(dir) {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return f === "bindings" ? [] : files(p);
    return p.endsWith(".ts") ? [p] : [];
  });
}

function imports(file) {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(/^import [^;]*? from "(\.{1,2}\/[^"]+)";/gm)]
    .map((m) => resolve(dirname(file), m[1]).replace(/\.js$/, "") + ".ts")
    .filter((p) => !p.includes("/bindings/"));
}

test("no import cycles among the UI's modules", () => {
  const all = files(src);
  assert.ok(all.length > 10, "the modules were found");
  const graph = new Map(all.map((f) => [f, imports(f)]));
  const state = new Map();
  const stack = [];
  const visit = (f) => {
    if (state.get(f) === "done") return;
    if (state.get(f) === "open") {
      const cycle = stack.slice(stack.indexOf(f)).concat(f).map((p) => relative(src, p));
      assert.fail(`import cycle: ${cycle.join(" → ")}`);
    }
    state.set(f, "open");
    stack.push(f);
    for (const d of graph.get(f) ?? []) visit(d);
    stack.pop();
    state.set(f, "done");
  };
  for (const f of all) visit(f);
});
