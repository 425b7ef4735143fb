// A minimal W3C WebDriver client for tauri-driver (WebKitWebDriver on Linux).
// Node's fetch keeps connections alive, which tauri-driver needs: clients that
// send `Connection: close` see resets (see shared/e2e-notes.md).

import { execFileSync, spawn } from "node:child_process";
import { createServer } from "node:net";
import { mkdirSync, openSync, writeFileSync } from "node:fs";
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

/**
 * Starts tauri-driver on free ports, in a process group of its own: the
 * WebKitWebDriver it starts and the app that one starts are in it too.
 * `stop()` ends the whole group and waits until it is gone. (An app that
 * outlived its session, orphaned when the driver was killed, kept the test
 * runner's output pipe open and so hung the run after every test had passed.)
 * The driver's output goes to `driver.log` in `logDir`, not to the runner.
 */
export async function startDriver(logDir = process.env.E2E_ARTIFACTS ?? "artifacts/e2e") {
  const port = await freePort();
  const nativePort = await freePort();
  mkdirSync(logDir, { recursive: true });
  const log = openSync(join(logDir, "driver.log"), "a");
  const proc = spawn("tauri-driver", ["--port", String(port), "--native-port", String(nativePort)], {
    stdio: ["ignore", log, log],
    detached: true,
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
  const group = -proc.pid;
  const alive = () => {
    try {
      process.kill(group, 0);
      return true;
    } catch {
      return false;
    }
  };
  return {
    base,
    async stop() {
      for (const [signal, wait] of [["SIGTERM", 10_000], ["SIGKILL", 5_000]]) {
        if (!alive()) return;
        process.kill(group, signal);
        const until = Date.now() + wait;
        while (alive() && Date.now() < until) await sleep(100);
      }
      if (alive()) throw new Error("the driver's processes outlived SIGKILL");
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

  /**
   * Finds `css` and runs `fn` on it in one step. A list may legitimately be
   * re-rendered between the find and the action (the element goes stale and
   * the action did not happen): then the element is found again and the
   * action made on the new one, until `timeout`.
   */
  async act(css, fn, { timeout = 15_000 } = {}) {
    const deadline = Date.now() + timeout;
    for (;;) {
      const el = await this.find(css, { timeout: Math.max(1, deadline - Date.now()) });
      try {
        return await fn(el);
      } catch (e) {
        if (!/stale element/i.test(e.message) || Date.now() > deadline) throw e;
      }
    }
  }

  text(css) {
    return this.act(css, (el) => el.text());
  }

  /** Clicks `css` after scrolling it (an option: its select) to the middle
   * of the window: scrolled only to an edge, it can sit under the sticky
   * header, which then takes the click ("element click intercepted"). */
  click(css) {
    return this.act(css, async (el) => {
      await this.cmd("POST", "/execute/sync", {
        script: "const e = document.querySelector(arguments[0]); (e?.closest('select') ?? e)?.scrollIntoView({ block: 'center' }); return true;",
        args: [css],
      });
      return el.click();
    });
  }

  type(css, text) {
    return this.act(css, async (el) => {
      await el.clear();
      await el.type(text);
    });
  }

  /** Scrolls `css` to the middle of the window (before a screenshot of it). */
  scrollIntoView(css) {
    return this.cmd("POST", "/execute/sync", {
      script: "document.querySelector(arguments[0])?.scrollIntoView({ block: 'center' }); return true;",
      args: [css],
    });
  }

  /** The whole document as the page holds it now, with every field's value. */
  dom() {
    return this.cmd("POST", "/execute/sync", {
      script: "return document.documentElement.outerHTML + '\\n' + Array.from(document.querySelectorAll('input, textarea')).map((e) => e.value).join('\\n');",
      args: [],
    });
  }

  /**
   * Saves a PNG of the latest paint. WebKit answers a screenshot after the
   * page's next presentation update, and a page that does not change never
   * has one (the request then waits forever; it used to be rescued by the
   * header's re-render every 5 s). So a 1-pixel element, invisible (1-2 %
   * opacity) in a corner, is animated for two seconds to paint frames while
   * the screenshot is taken, after two animation frames for the latest paint.
   */
  async screenshot(name) {
    await this.cmd("POST", "/execute/async", {
      script: `const done = arguments[arguments.length - 1];
        let p = document.getElementById("e2e-paint");
        if (!p) {
          p = document.createElement("div");
          p.id = "e2e-paint";
          Object.assign(p.style, { position: "fixed", right: "0", bottom: "0", width: "1px", height: "1px", background: "#000", opacity: "0.01", pointerEvents: "none" });
          document.body.append(p);
        }
        p.animate([{ opacity: 0.01 }, { opacity: 0.02 }], { duration: 200, iterations: 10 });
        requestAnimationFrame(() => requestAnimationFrame(() => done(true)));`,
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
  // E2E_TRACE=1 logs every WebDriver request (to see where a run stands).
  if (process.env.E2E_TRACE) console.error(`${new Date().toISOString()} ${method} ${path} ${body ? JSON.stringify(body).slice(0, 120) : ""}`);
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

/**
 * The confirmation codes the app shows in native dialogs (outside the web
 * view, where no script of the page can read them), read from the X server
 * by their window titles: "Switchyard confirmation code: ABC123".
 * Returns [{ id, code }] for the dialogs open now.
 */
export function dialogCodes() {
  let ids = "";
  try {
    ids = execFileSync("xdotool", ["search", "--name", "Switchyard confirmation code"], { encoding: "utf8" });
  } catch {
    return []; // xdotool exits 1 when no window matches
  }
  return ids.split("\n").filter(Boolean).map((id) => {
    const title = execFileSync("xdotool", ["getwindowname", id], { encoding: "utf8" }).trim();
    return { id, code: title.split(": ").pop() };
  });
}

/** Waits for a confirmation dialog that is not among `seen` (window ids) and returns its code. */
export async function newDialogCode(seen, timeout = 15_000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const fresh = dialogCodes().find((d) => !seen.has(d.id));
    if (fresh) {
      seen.add(fresh.id);
      return fresh.code;
    }
    if (Date.now() > deadline) throw new Error("no confirmation dialog appeared");
    await sleep(100);
  }
}
