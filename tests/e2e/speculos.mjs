// Ledger's Bitcoin app under Speculos for the end-to-end tests, as
// crates/regtest/src/speculos.rs runs it for the Rust ones: the emulator
// installed by scripts/test.sh (ensure_speculos), Speculos's known seed, an
// APDU port the app connects to and a REST API through which the test reads
// the screens and presses the buttons. Started in a process group of its own
// and stopped with it.

import { spawn } from "node:child_process";
import { openSync } from "node:fs";
import { createServer } from "node:net";
import { homedir } from "node:os";
import { join } from "node:path";

export const SEED = "glory promote mansion idle axis finger extra february uncover one trip resource lawn turtle enact monster seven myth punch hobby comfort wild raise skin";
const APP = "nanosp#btc-test#1.0.3#17bf7619.elf";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * `n` free ports, kept bound until `release()`: the app learns the
 * emulator's port when it starts, minutes before the emulator does, and a
 * port merely noted as free could be taken by then (a regtest daemon took
 * one once). Released right before Speculos binds them.
 */
export async function holdPorts(n) {
  const servers = [];
  for (let i = 0; i < n; i++) {
    servers.push(await new Promise((resolve, reject) => {
      const srv = createServer();
      srv.unref();
      srv.on("error", reject);
      srv.listen(0, "127.0.0.1", () => resolve(srv));
    }));
  }
  return {
    ports: servers.map((srv) => srv.address().port),
    release: () => Promise.all(servers.map((srv) => new Promise((r) => srv.close(() => r())))),
  };
}

export class Speculos {
  constructor(proc, apiPort) {
    this.proc = proc;
    this.api = `http://127.0.0.1:${apiPort}`;
  }

  static async start(apduPort, apiPort, logDir) {
    const dir = process.env.SWITCHYARD_SPECULOS_DIR ?? join(homedir(), ".cache/switchyard/speculos");
    const log = openSync(join(logDir, "speculos.log"), "a");
    const proc = spawn(join(dir, "venv/bin/speculos"), [
      "--model", "nanosp", "--sdk", "1.0.3", "--display", "headless", "--seed", SEED,
      "--apdu-port", String(apduPort), "--api-port", String(apiPort), join(dir, "apps", APP),
    ], { stdio: ["ignore", log, log], detached: true });
    const dev = new Speculos(proc, apiPort);
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null) throw new Error(`speculos exited (${proc.exitCode}); see speculos.log`);
      const screen = await dev.screen().catch(() => []);
      if (screen.some((l) => l.includes("is ready"))) return dev;
      await sleep(300);
    }
    dev.stop();
    throw new Error("the Ledger app did not show its home screen within 90 s");
  }

  async texts(path) {
    const r = await fetch(this.api + path);
    const v = await r.json();
    return (v.events ?? []).map((e) => e.text);
  }

  screen() {
    return this.texts("/events?currentscreenonly=true");
  }

  async clear() {
    await fetch(this.api + "/events", { method: "DELETE" });
  }

  async press(button) {
    await fetch(`${this.api}/button/${button}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ action: "press-and-release" }),
    });
  }

  /**
   * Approves whatever the device asks until `done()` says stop: right to go
   * on, both buttons on a screen that approves. A screen is acted on only
   * when two reads 60 ms apart agree (never one caught mid-draw), and the
   * next decision waits for the next screen. Returns the screens seen, in
   * order, each as its lines.
   */
  async approveUntil(done) {
    const seen = [];
    const same = (a, b) => a.length === b.length && a.every((l, i) => l === b[i]);
    while (!done()) {
      const screen = await this.screen().catch(() => []);
      await sleep(60);
      const again = await this.screen().catch(() => []);
      if (!same(screen, again) || screen.length === 0 || screen.some((l) => l.includes("is ready"))) {
        await sleep(40);
        continue;
      }
      if (seen.length === 0 || !same(seen[seen.length - 1], screen)) seen.push(screen);
      const approve = ["Approve", "Accept", "Sign"].some((w) => screen[0].startsWith(w));
      await this.press(approve ? "both" : "right");
      const deadline = Date.now() + 3000;
      while (Date.now() < deadline && same(await this.screen().catch(() => []), screen)) await sleep(20);
    }
    return seen;
  }

  stop() {
    try {
      process.kill(-this.proc.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}
