// QR codes as a scanner reads them, one at a time, into the text the PSBT
// reader takes: a BBQr series (frames in any order, each once or many times,
// joined one per line once every frame was seen) or a single QR code holding
// a base64 PSBT. Pure: the camera and image code (views/qrscan.ts) feeds it.

/** Where a scan stands after a code was read. */
export interface ScanState {
  /** Every frame is in: `text` is what the PSBT reader takes. */
  done: boolean;
  /** Frames of the series read so far, and how many there are (0: none yet). */
  read: number;
  total: number;
  /** The frames joined (BBQr, one per line) or the base64 PSBT, once done. */
  text: string | null;
  /** What was wrong with the last code read, in words (the scan goes on). */
  error: string | null;
}

/** A BBQr frame's header: `B$`, encoding, file type, frame count and this
 * frame's index (two base-36 digits each). */
export interface BbqrHeader {
  encoding: string;
  fileType: string;
  total: number;
  index: number;
}

const BASE36 = /^[0-9A-Z]{2}$/;

/** The header of a BBQr frame, or null when `text` is not one. */
export function bbqrHeader(text: string): BbqrHeader | null {
  const t = text.trim();
  if (!t.startsWith("B$") || t.length < 8) return null;
  const total = t.slice(4, 6);
  const index = t.slice(6, 8);
  if (!BASE36.test(total) || !BASE36.test(index)) return null;
  const h = { encoding: t.charAt(2), fileType: t.charAt(3), total: parseInt(total, 36), index: parseInt(index, 36) };
  return h.total > 0 && h.index < h.total ? h : null;
}

/** BBQr's file types other than a PSBT, for the message. */
const OTHER_FILES: Record<string, string> = { T: "signed transaction", J: "JSON file", U: "text", C: "CBOR file" };

/** Collects the codes of one PSBT as they are scanned. */
export class FrameCollector {
  private parts = new Map<number, string>();
  private series = "";
  private total = 0;
  private whole: string | null = null;

  /** Takes one code's text; a frame of another series starts over with it. */
  add(raw: string): ScanState {
    const text = raw.trim();
    if (this.whole !== null) return this.state(null);
    const h = bbqrHeader(text);
    if (h === null) {
      if (/^cHNidP8/.test(text)) {
        this.whole = text;
        return this.state(null);
      }
      if (/^ur:/i.test(text)) {
        return this.state("This is a UR code (ur:…): Switchyard reads BBQr. Show the PSBT as BBQr on the signer, or save it to a file.");
      }
      return this.state("This QR code is not a PSBT (neither BBQr frames nor base64).");
    }
    if (h.fileType !== "P") {
      const what = OTHER_FILES[h.fileType] ?? "file of another kind";
      return this.state(`This QR code holds a ${what}, not a PSBT.`);
    }
    const series = `${h.encoding}${h.fileType}${h.total}`;
    if (series !== this.series) {
      this.parts.clear();
      this.series = series;
      this.total = h.total;
    }
    this.parts.set(h.index, text);
    if (this.parts.size === this.total) {
      this.whole = [...this.parts.entries()].sort((a, b) => a[0] - b[0]).map(([, t]) => t).join("\n");
    }
    return this.state(null);
  }

  /** Where the scan stands. */
  state(error: string | null = null): ScanState {
    const done = this.whole !== null;
    const total = done && this.total === 0 ? 1 : this.total;
    return { done, read: done ? total : this.parts.size, total, text: this.whole, error };
  }
}

/** "Read 2 of 5 frames" and the like. */
export function scanProgress(s: ScanState): string {
  if (s.done) return s.total > 1 ? `All ${s.total} frames read.` : "Read.";
  if (s.total === 0) return "Looking for a QR code…";
  return `Read ${s.read} of ${s.total} frames: keep the camera on the codes until every frame is read.`;
}
