// Secrets the user asked to see arrive sealed to this page (see
// crates/core/src/seal.rs): a one-time P-256 key pair made here (its private
// half not extractable), ECDH with the core's one-time key, HKDF-SHA256
// (salt: the core's public key then ours, info "switchyard/reveal/v1"),
// AES-256-GCM (the same string as associated data). Only ciphertext crosses
// the app's process on its way here.

import type { Sealed } from "./bindings/Sealed";

const INFO = new TextEncoder().encode("switchyard/reveal/v1");

function b64(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

function unb64(text: string): Uint8Array<ArrayBuffer> {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** Asks `call` for a secret sealed to a fresh key of this page; opens it. */
export async function revealSealed(call: (to: string) => Promise<Sealed>): Promise<string> {
  const pair = await crypto.subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, false, ["deriveBits"]);
  const ours = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  const sealed = await call(b64(ours));
  const from = unb64(sealed.from);
  const theirs = await crypto.subtle.importKey("raw", from, { name: "ECDH", namedCurve: "P-256" }, false, []);
  const shared = await crypto.subtle.deriveBits({ name: "ECDH", public: theirs }, pair.privateKey, 256);
  const ikm = await crypto.subtle.importKey("raw", shared, "HKDF", false, ["deriveKey"]);
  const salt = new Uint8Array(from.length + ours.length);
  salt.set(from);
  salt.set(ours, from.length);
  const key = await crypto.subtle.deriveKey({ name: "HKDF", hash: "SHA-256", salt, info: INFO }, ikm, { name: "AES-GCM", length: 256 }, false, ["decrypt"]);
  const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: unb64(sealed.nonce), additionalData: INFO }, key, unb64(sealed.ciphertext));
  return new TextDecoder().decode(plain);
}
