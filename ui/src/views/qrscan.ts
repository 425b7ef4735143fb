// Reading a PSBT from QR codes: with the computer's camera (a signer's screen
// held up to it, an animated BBQr series read frame by frame), or from
// images of the codes (screenshots, photos). Decoding is jsQR's; which frames
// make a PSBT is qrframes.ts's; the PSBT itself is read by the core.

import jsQR from "jsqr";
import { h } from "../dom";
import { FrameCollector, scanProgress, type ScanState } from "../qrframes";

/** Largest side a camera frame is decoded at (enough for a version-20 code
 * filling a third of the picture; keeps each frame's decode fast). */
const DECODE_SIDE = 720;

/** The text of the QR code in `source` (w × h pixels), or null. */
function decode(source: CanvasImageSource, w: number, hgt: number, canvas: HTMLCanvasElement): string | null {
  if (w === 0 || hgt === 0) return null;
  const scale = Math.min(1, DECODE_SIDE / Math.max(w, hgt));
  canvas.width = Math.max(1, Math.round(w * scale));
  canvas.height = Math.max(1, Math.round(hgt * scale));
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  if (!ctx) return null;
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.drawImage(source, 0, 0, canvas.width, canvas.height);
  const img = ctx.getImageData(0, 0, canvas.width, canvas.height);
  return jsQR(img.data, img.width, img.height, { inversionAttempts: "attemptBoth" })?.data ?? null;
}

/** `f` as a data: URL (the page's policy loads images from data: URLs, not blob: ones). */
function dataUrl(f: Blob): Promise<string> {
  return new Promise((ok, fail) => {
    const r = new FileReader();
    r.onload = () => { ok(String(r.result)); };
    r.onerror = () => { fail(r.error ?? new Error("unreadable")); };
    r.readAsDataURL(f);
  });
}

/** The QR code in an image file (PNG, JPEG, SVG), or null. */
async function decodeFile(f: Blob, canvas: HTMLCanvasElement): Promise<string | null> {
  const img = new Image();
  img.src = await dataUrl(f);
  await img.decode();
  // An SVG without a size of its own is drawn at a size jsQR reads well.
  const w = img.naturalWidth || 800;
  const hgt = img.naturalHeight || 800;
  const up = Math.max(1, 400 / Math.max(w, hgt));
  return decode(img, Math.round(w * up), Math.round(hgt * up), canvas);
}

/**
 * "Scan with camera" and "Or QR images": the codes read go through one
 * collector; once a whole PSBT is in, `onText` gets the text the PSBT
 * reader takes (BBQr frames one per line, or base64). Ids: `{testid}-camera`,
 * `{testid}-stop`, `{testid}-images`, `{testid}-status`, `{testid}-video`.
 */
export function qrScanner(testid: string, onText: (text: string) => void): HTMLElement {
  const camera = h("button", { class: "ghost small", "data-testid": `${testid}-camera` }, "Scan with camera");
  const stop = h("button", { class: "ghost small", "data-testid": `${testid}-stop`, hidden: true }, "Stop");
  const images = h("input", { type: "file", accept: "image/*", multiple: true, "data-testid": `${testid}-images`, "aria-label": "QR code images" });
  const status = h("p", { class: "hint", "data-testid": `${testid}-status` });
  const video = h("video", { class: "qr-video", muted: true, playsinline: true, hidden: true, "data-testid": `${testid}-video` });
  const canvas = h("canvas", { hidden: true });
  const root = h("div", { class: "qr-scan" },
    h("div", { class: "inline" }, camera, stop, h("label", { class: "hint" }, "Or QR images ", images)),
    status, video, canvas);

  let collector = new FrameCollector();
  let stream: MediaStream | null = null;

  const show = (s: ScanState): void => {
    status.className = s.error ? "hint bad" : s.done ? "hint good" : "hint";
    status.textContent = s.error ? `${s.error} ${scanProgress(s)}` : scanProgress(s);
  };
  const finish = (s: ScanState): boolean => {
    show(s);
    if (!s.done || s.text === null) return false;
    halt();
    onText(s.text);
    collector = new FrameCollector();
    return true;
  };
  const halt = (): void => {
    stream?.getTracks().forEach((t) => t.stop());
    stream = null;
    video.srcObject = null;
    video.hidden = true;
    stop.hidden = true;
    camera.hidden = false;
  };

  let last = "";
  const tick = (): void => {
    if (stream === null) return;
    if (!root.isConnected) { halt(); return; }
    if (video.readyState >= HTMLMediaElement.HAVE_CURRENT_DATA) {
      const text = decode(video, video.videoWidth, video.videoHeight, canvas);
      // The same frame seen again (an animation's frame held still) is not news.
      if (text !== null && text !== last) {
        last = text;
        if (finish(collector.add(text))) return;
      }
    }
    requestAnimationFrame(tick);
  };

  camera.addEventListener("click", () => {
    collector = new FrameCollector();
    last = "";
    status.className = "hint";
    status.textContent = "Opening the camera…";
    const media = navigator.mediaDevices as MediaDevices | undefined;
    if (!media?.getUserMedia) {
      status.className = "hint bad";
      status.textContent = "No camera can be opened here: choose images of the codes, paste the frames' text, or choose a .psbt file.";
      return;
    }
    media.getUserMedia({ video: { facingMode: "environment" }, audio: false }).then(async (s) => {
      stream = s;
      video.srcObject = s;
      video.hidden = false;
      stop.hidden = false;
      camera.hidden = true;
      await video.play();
      show(collector.state());
      requestAnimationFrame(tick);
    }).catch((e: unknown) => {
      halt();
      const why = e instanceof DOMException ? e.name : String(e);
      status.className = "hint bad";
      status.textContent = why === "NotAllowedError"
        ? "The camera was not allowed: allow it for Switchyard, or choose images of the codes instead."
        : `No camera could be opened (${why}): choose images of the codes, paste the frames' text, or choose a .psbt file.`;
    });
  });
  stop.addEventListener("click", () => { halt(); status.textContent = ""; });

  images.addEventListener("change", () => {
    const files = Array.from(images.files ?? []);
    images.value = "";
    void (async () => {
      for (const f of files) {
        const text = await decodeFile(f, canvas).catch(() => null);
        if (text === null) {
          show({ ...collector.state(), error: `No QR code was found in ${f.name || "the image"}.` });
          continue;
        }
        if (finish(collector.add(text))) return;
      }
    })();
  });
  return root;
}
