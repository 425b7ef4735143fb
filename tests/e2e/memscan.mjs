// Reads another process's memory (/proc/PID/smaps, pagemap and mem, as its
// owner or a debugger may) and says where any of the given byte strings
// occur: the test of "a locked Switchyard holds no seed". Only writable or
// anonymous mappings are read (heap, stacks, anonymous maps): what the
// process made at run time, not its code or the libraries' constant data;
// and of those only the pages in memory (pagemap's "present" bit), since
// WebKit reserves gigabytes it never touches.

import { closeSync, openSync, readFileSync, readSync } from "node:fs";

const PAGE = 4096n;
/** Pagemap entries read at once (8 bytes each). */
const ENTRIES = 1 << 16;
/** Bytes of memory read at once. */
const CHUNK = 8 << 20;

/** The mappings worth reading: readable, writable or anonymous, resident. */
function regions(pid) {
  const out = [];
  let cur = null;
  for (const line of readFileSync(`/proc/${pid}/smaps`, "utf8").split("\n")) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (m) {
      const [, from, to, perms, name] = m;
      const anonymous = name === "" || name.startsWith("[");
      const skip = perms[0] !== "r" || ["[vvar]", "[vsyscall]", "[vvar_vclock]"].includes(name) || (perms[1] !== "w" && !anonymous);
      cur = skip ? null : { from: BigInt(`0x${from}`), to: BigInt(`0x${to}`), name: name || "anon" };
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss && cur && Number(rss[1]) > 0) out.push(cur);
  }
  return out;
}

/** The runs of present pages of a mapping, as [from, to) addresses. */
function presentRuns(pagemap, r) {
  const runs = [];
  const buf = Buffer.alloc(ENTRIES * 8);
  let start = null;
  for (let page = r.from / PAGE; page < r.to / PAGE; page += BigInt(ENTRIES)) {
    const n = Number((r.to / PAGE - page < BigInt(ENTRIES)) ? r.to / PAGE - page : BigInt(ENTRIES));
    const got = readSync(pagemap, buf, 0, n * 8, page * 8n) / 8;
    for (let i = 0; i < got; i++) {
      const present = (buf.readUInt32LE(i * 8 + 4) & 0x80000000) !== 0;
      const addr = (page + BigInt(i)) * PAGE;
      if (present && start === null) start = addr;
      if (!present && start !== null) {
        runs.push([start, addr]);
        start = null;
      }
    }
  }
  if (start !== null) runs.push([start, r.to]);
  return runs;
}

/**
 * Where each needle ({ label, bytes }) occurs in process `pid`'s memory:
 * a list of { label, region, address } (empty: nowhere). Also how many
 * bytes were read, so a caller can tell an empty answer from no reading.
 */
export function scanProcess(pid, needles) {
  const mem = openSync(`/proc/${pid}/mem`, "r");
  const pagemap = openSync(`/proc/${pid}/pagemap`, "r");
  const found = [];
  let bytes = 0;
  const longest = Math.max(...needles.map((n) => n.bytes.length));
  const buf = Buffer.alloc(CHUNK + longest);
  try {
    for (const r of regions(pid)) {
      for (const [from, to] of presentRuns(pagemap, r)) {
        for (let at = from; at < to; at += BigInt(CHUNK)) {
          // Each read overlaps the next by a needle's length, so none is cut.
          const end = at + BigInt(CHUNK + longest) < to ? at + BigInt(CHUNK + longest) : to;
          let got = 0;
          try {
            got = readSync(mem, buf, 0, Number(end - at), at);
          } catch {
            break; // unmapped meanwhile
          }
          bytes += Math.min(got, CHUNK);
          const view = buf.subarray(0, got);
          for (const n of needles) {
            for (let i = view.indexOf(n.bytes); i !== -1; i = view.indexOf(n.bytes, i + 1)) {
              found.push({ label: n.label, region: r.name, address: `0x${(at + BigInt(i)).toString(16)}` });
            }
          }
        }
      }
    }
  } finally {
    closeSync(mem);
    closeSync(pagemap);
  }
  const seen = new Set();
  return { bytes, found: found.filter((f) => !seen.has(`${f.label}${f.address}`) && seen.add(`${f.label}${f.address}`)) };
}
