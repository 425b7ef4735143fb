// A minimal W3C WebDriver client for tauri-driver (WebKitWebDriver on Linux).
// Node's fetch keeps connections alive, which tauri-driver needs: clients that
// send `Connection: close` see resets (see shared/e2e-notes.md).

import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const ELEMENT = "element-6066-11e4-a52e-4f735466cecf";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Starts tauri-driver on free ports; `stop()` kills it by PID. */
export async function startDriver() {
  const port = await freePort();
  const nativePort = await freePort();
  const proc = spawn("tauri-driver", ["--port", String(port), "--native-port", String(nativePort)], {
    stdio: ["ignore", "inherit", "inherit"],
  });
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      const r = await fetch(`${base}/status`);
      if (r.ok) break;
    } catch {
      /* not up yet */
    }
    if (proc.exitCode !== null) throw new Error(`tauri-driver exited with ${proc.exitCode}`);
    if (Date.now() > deadline) throw new Error("tauri-driver did not answer /status within 20 s");
    await sleep(100);
  }
  return {
    base,
    stop() {
      if (proc.exitCode === null) proc.kill("SIGTERM");
    },
  };
}

export class Session {
  constructor(base, id, artifacts) {
    this.base = base;
    this.id = id;
    this.artifacts = artifacts;
  }

  static async start(base, application, args, artifacts) {
    const r = await raw(base, "POST", "/session", {
      capabilities: { alwaysMatch: { "tauri:options": { application, args } } },
    });
    mkdirSync(artifacts, { recursive: true });
    return new Session(base, r.sessionId, artifacts);
  }

  cmd(method, path, body) {
    return raw(this.base, method, `/session/${this.id}${path}`, body);
  }

  async end() {
    await this.cmd("DELETE", "");
  }

  async find(css, { timeout = 15_000 } = {}) {
    const deadline = Date.now() + timeout;
    let last;
    for (;;) {
      try {
        const v = await this.cmd("POST", "/element", { using: "css selector", value: css });
        return new Element(this, v[ELEMENT]);
      } catch (e) {
        last = e;
      }
      if (Date.now() > deadline) throw new Error(`no element ${css} after ${timeout} ms: ${last?.message}`);
      await sleep(100);
    }
  }

  async findAll(css) {
    const v = await this.cmd("POST", "/elements", { using: "css selector", value: css });
    return v.map((e) => new Element(this, e[ELEMENT]));
  }

  /** Waits until `fn` returns a truthy value. */
  async until(what, fn, timeout = 15_000) {
    const deadline = Date.now() + timeout;
    let last;
    for (;;) {
      try {
        const v = await fn();
        if (v) return v;
      } catch (e) {
        last = e;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ""}`);
      await sleep(100);
    }
  }

  async text(css) {
    return (await this.find(css)).text();
  }

  async click(css) {
    await (await this.find(css)).click();
  }

  async type(css, text) {
    const el = await this.find(css);
    await el.clear();
    await el.type(text);
  }

  /** Saves a PNG after two animation frames, so it shows the latest paint. */
  async screenshot(name) {
    await this.cmd("POST", "/execute/async", {
      script: "const done = arguments[arguments.length - 1]; requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
      args: [],
    });
    const b64 = await this.cmd("GET", "/screenshot");
    const file = join(this.artifacts, `${name}.png`);
    writeFileSync(file, Buffer.from(b64, "base64"));
    return file;
  }
}

class Element {
  constructor(session, id) {
    this.s = session;
    this.id = id;
  }
  cmd(method, path, body) {
    return this.s.cmd(method, `/element/${this.id}${path}`, body);
  }
  text() {
    return this.cmd("GET", "/text");
  }
  attr(name) {
    return this.cmd("GET", `/attribute/${name}`);
  }
  prop(name) {
    return this.cmd("GET", `/property/${name}`);
  }
  enabled() {
    return this.cmd("GET", "/enabled");
  }
  click() {
    return this.cmd("POST", "/click", {});
  }
  clear() {
    return this.cmd("POST", "/clear", {});
  }
  type(text) {
    return this.cmd("POST", "/value", { text });
  }
}

async function raw(base, method, path, body) {
  const r = await fetch(base + path, {
    method,
    headers: body ? { "content-type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await r.json().catch(() => ({}));
  if (!r.ok) {
    const v = json.value ?? {};
    throw new Error(`${method} ${path}: ${r.status} ${v.error ?? ""} ${v.message ?? ""}`.trim());
  }
  return json.value;
}
