// Formatting of amounts, fee rates, time locks and times for the screens.
// Pure functions (no DOM), unit-tested in ui/tests/format.test.ts.

/** "1,234,567 sats" */
export function sats(n: number): string {
  return `${Math.trunc(n).toLocaleString("en-US")} sats`;
}

/** msat shown as sats, with the msat kept when it is not a whole sat. */
export function msat(n: number): string {
  if (n % 1000 === 0) return sats(n / 1000);
  return `${(n / 1000).toLocaleString("en-US", { maximumFractionDigits: 3 })} sats (${n.toLocaleString("en-US")} msat)`;
}

export function when(unix: number | null): string {
  if (!unix) return "—";
  return new Date(unix * 1000).toLocaleString();
}

export function short(s: string, n = 10): string {
  return s.length > 2 * n ? `${s.slice(0, n)}…${s.slice(-6)}` : s;
}

/** "1 block" / "144 blocks" */
export function blocks(n: number): string {
  return `${Math.trunc(n).toLocaleString("en-US")} block${Math.trunc(n) === 1 ? "" : "s"}`;
}

/** Roughly how long `n` blocks take (10 minutes each): "~20 minutes", "~1 day". */
export function blocksAsTime(n: number): string {
  return `~${duration(Math.max(0, n) * 600)}`;
}

/** Seconds as the largest whole unit that fits: "45 seconds", "2 minutes", "1 hour", "3 days". */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.trunc(seconds));
  const unit = (n: number, name: string) => `${n} ${name}${n === 1 ? "" : "s"}`;
  if (s < 60) return unit(s, "second");
  if (s < 3600) return unit(Math.floor(s / 60), "minute");
  if (s < 86_400) return unit(Math.floor(s / 3600), "hour");
  return unit(Math.floor(s / 86_400), "day");
}

/** A countdown as minutes and seconds: "9:05", "0:00" once it has run out. */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.trunc(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

/** "12 sat/vB" */
export function feeRate(satPerVbyte: number): string {
  return `${satPerVbyte.toLocaleString("en-US", { maximumFractionDigits: 2 })} sat/vB`;
}

/** A channel's forwarding fee: "1,000 msat + 100 ppm". */
export function forwardingFee(baseMsat: number, ppm: number): string {
  return `${baseMsat.toLocaleString("en-US")} msat + ${ppm.toLocaleString("en-US")} ppm`;
}

/**
 * A whole, non-negative number as a user typed it ("1,000", "1 000",
 * "1_000"): null when empty, NaN when it is not one.
 */
export function parseWhole(text: string): number | null {
  const v = text.replace(/[,_\s]/g, "");
  if (v === "") return null;
  if (!/^\d+$/.test(v)) return NaN;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : NaN;
}

/** A short channel id from LND's decimal form: "492581209309184" → "448x1x0". */
export function scid(decimal: string): string {
  if (!/^\d{1,20}$/.test(decimal)) return decimal;
  const n = BigInt(decimal);
  if (n >= 1n << 64n) return decimal;
  return `${n >> 40n}x${(n >> 16n) & 0xffffffn}x${n & 0xffffn}`;
}

const TX_KINDS: Record<string, string> = {
  openchannel: "Channel opened",
  closechannel: "Channel closed",
  justicetx: "Justice transaction",
  sweep: "Sweep",
};

/**
 * What an on-chain transaction was, from LND's label ("0:openchannel:shortchanid-N",
 * "0:closechannel:shortchanid-N", …): "Channel closed · 448x1x0". Labels LND
 * did not write (or does not know) are shown as they are; none is "—".
 */
export function txKind(label: string): string {
  const parts = label.replace(/^0:/, "").split(":");
  const kind = TX_KINDS[parts[0] ?? ""];
  if (!kind) return label.replace(/^0:/, "") || "—";
  const id = /^shortchanid-(\d+)$/.exec(parts[1] ?? "");
  return id ? `${kind} · ${scid(id[1])}` : kind;
}
