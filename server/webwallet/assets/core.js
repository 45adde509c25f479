// core.js: the payment code, byte for byte as shared/payload builds it (docs/protocol.md, sections 1-3).
// No network, no storage: pure functions over WebCrypto keys. The golden-vector test
// (server/webwallet/browsertest) runs buildPayload in Chromium and compares it with payload.Build.

export const PREFIX = 'SP2:';
export const VERSION = 2;
export const STEP_SECONDS = 30;
export const MAX_SKEW_STEPS = 1;
const STEP_SLACK = 16;
const EPOCH = 1735689600; // payload.Epoch, 2025-01-01T00:00:00Z
const MAX_OFFER_LEN = 112;
const MAX_BINARY_LEN = 354;
const MAX_CODE = 1000000000;
const SIGNING_CONTEXT = 'stillpay-payload-v2\u0000';
const CREDENTIAL_CONTEXT = 'stillpay-credential-v1\u0000';
export const MAC_LABEL = 'stillpay payload mac v2';

const utf8 = new TextEncoder();
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';

/** base45Encode is RFC 9285 (shared/base45.Encode). */
export function base45Encode(b) {
  let out = '';
  let i = 0;
  for (; i + 1 < b.length; i += 2) {
    const n = b[i] * 256 + b[i + 1];
    out += ALPHABET[n % 45] + ALPHABET[Math.floor(n / 45) % 45] + ALPHABET[Math.floor(n / 2025)];
  }
  if (i < b.length) {
    out += ALPHABET[b[i] % 45] + ALPHABET[Math.floor(b[i] / 45)];
  }
  return out;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) {
      c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    }
    t[n] = c >>> 0;
  }
  return t;
})();

/** crc32c is CRC-32C (Castagnoli), as Go's crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli)). */
export function crc32c(b) {
  let c = 0xffffffff;
  for (let i = 0; i < b.length; i++) {
    c = CRC_TABLE[(c ^ b[i]) & 0xff] ^ (c >>> 8);
  }
  return (c ^ 0xffffffff) >>> 0;
}

/** Bytes grows a byte array; numbers are appended big-endian or as minimal uvarints. */
class Bytes {
  constructor() { this.a = []; }
  byte(v) { this.a.push(v & 0xff); }
  bytes(b) { for (const x of b) this.a.push(x); }
  u16(v) { this.a.push((v >>> 8) & 0xff, v & 0xff); }
  u32(v) { this.a.push((v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff); }
  uvarint(v) {
    let x = BigInt(v);
    while (x >= 0x80n) {
      this.a.push(Number(x & 0x7fn) | 0x80);
      x >>= 7n;
    }
    this.a.push(Number(x));
  }
  out() { return Uint8Array.from(this.a); }
}

/** CredentialError is a credential the phone cannot use (it was damaged or is not for this format). */
export class CredentialError extends Error {}

/**
 * parseCredential reads shared/credential's encoding (docs/protocol.md, section 2): the fields the
 * payload re-encodes and the wallet shows. It checks the layout, not the server's signature.
 */
export function parseCredential(b) {
  const bad = (what) => { throw new CredentialError('credential: ' + what); };
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let o = 0;
  const take = (n, what) => {
    if (o + n > b.length) bad(what + ' truncated');
    const s = b.subarray(o, o + n);
    o += n;
    return s;
  };
  const ascii = (s) => String.fromCharCode(...s);
  if (take(1, 'version')[0] !== 1) bad('version');
  const keyID = ascii(take(take(1, 'key id')[0], 'key id'));
  const userID = ascii(take(take(1, 'user id')[0], 'user id'));
  const authorizationID = ascii(take(take(1, 'authorization id')[0], 'authorization id'));
  const devicePublicKey = take(32, 'device key');
  const currency = ascii(take(3, 'currency'));
  take(8 + 4 + 8 + 8, 'limits');
  const p = o - 28;
  const cap = dv.getBigInt64(p, false);
  const maxCodes = dv.getUint32(p + 8, false);
  const issuedAt = Number(dv.getBigInt64(p + 12, false));
  const expiresAt = Number(dv.getBigInt64(p + 20, false));
  const signature = take(64, 'signature');
  if (o !== b.length) bad('trailing bytes');
  if (!keyID || !userID || !authorizationID || cap <= 0n || maxCodes < 1 || !(expiresAt > issuedAt)) bad('bounds');
  return { keyID, userID, authorizationID, devicePublicKey, currency, cap, maxCodes, issuedAt, expiresAt, signature, bytes: b, signedLength: o - 64 };
}

/** verifyCredential checks the server's Ed25519 signature with the server's raw public key. */
export async function verifyCredential(cred, serverPublicKey) {
  const key = await crypto.subtle.importKey('raw', serverPublicKey, { name: 'Ed25519' }, false, ['verify']);
  const msg = concat(utf8.encode(CREDENTIAL_CONTEXT), cred.bytes.subarray(0, cred.signedLength));
  return crypto.subtle.verify({ name: 'Ed25519' }, key, cred.signature, msg);
}

function packable(id, prefix) {
  if (!id.startsWith(prefix)) return null;
  const d = id.slice(prefix.length);
  if (d.length === 0 || d.length % 2 !== 0 || d.length / 2 > 127 || !/^[0-9a-f]+$/.test(d)) return null;
  const raw = new Uint8Array(d.length / 2);
  for (let i = 0; i < raw.length; i++) raw[i] = parseInt(d.slice(2 * i, 2 * i + 2), 16);
  return raw;
}

function appendID(w, id, prefix) {
  const raw = packable(id, prefix);
  if (raw) {
    w.byte((raw.length << 1) | 1);
    w.bytes(raw);
  } else {
    w.byte(id.length << 1);
    w.bytes(utf8.encode(id));
  }
}

function packCurrency(c) {
  if (!/^[A-Z]{3}$/.test(c)) throw new CredentialError('currency ' + c);
  return (c.charCodeAt(0) - 65) * 676 + (c.charCodeAt(1) - 65) * 26 + (c.charCodeAt(2) - 65);
}

export function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** stepAt is otp.StepAt for unix seconds. */
export function stepAt(unixSeconds) {
  return Math.floor(unixSeconds / STEP_SECONDS);
}

/** paymentCode is otp.PaymentCode: HOTP-SHA-256 over step<<24|counter, 9 digits, keyed by otpKey. */
export async function paymentCode(otpKey, step, counter) {
  const msg = new Uint8Array(8);
  new DataView(msg.buffer).setBigUint64(0, (BigInt(step) << 24n) | BigInt(counter), false);
  const h = new Uint8Array(await crypto.subtle.sign('HMAC', otpKey, msg));
  const off = h[h.length - 1] & 0x0f;
  const v = (((h[off] & 0x7f) << 24) | (h[off + 1] << 16) | (h[off + 2] << 8) | h[off + 3]) >>> 0;
  return v % MAX_CODE;
}

/**
 * importSecret turns the authorization's 32-byte secret into the two non-extractable keys the
 * wallet keeps: otpKey (HMAC-SHA-256 keyed by the secret, for the one-time code) and macKey
 * (HMAC-SHA-256 keyed by HKDF-SHA-256(secret, no salt, MAC_LABEL), for the payload MAC).
 */
export async function importSecret(secret) {
  const hmac = { name: 'HMAC', hash: 'SHA-256' };
  const otpKey = await crypto.subtle.importKey('raw', secret, hmac, false, ['sign']);
  const base = await crypto.subtle.importKey('raw', secret, 'HKDF', false, ['deriveKey']);
  const macKey = await crypto.subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: utf8.encode(MAC_LABEL) },
    base, { name: 'HMAC', hash: 'SHA-256', length: 256 }, false, ['sign']);
  return { otpKey, macKey };
}

/** PayloadError is a code that cannot be built for these inputs (step outside the credential, too large). */
export class PayloadError extends Error {}

/**
 * buildPayload is payload.Build: the "SP2:" text for one code. credential is the server's bytes;
 * otpKey/macKey come from importSecret; deviceKey is the Ed25519 private key the credential names.
 */
export async function buildPayload({ credential, otpKey, macKey, deviceKey, counter, step, offer }) {
  const c = parseCredential(credential);
  offer = offer || new Uint8Array(0);
  if (offer.length > MAX_OFFER_LEN) throw new PayloadError('offer too long');
  if (counter < 0 || counter >= c.maxCodes || counter >= 1 << 24) throw new PayloadError('counter ' + counter + ' out of range');
  const issued = c.issuedAt - EPOCH;
  const validity = c.expiresAt - c.issuedAt;
  if (issued < 0) throw new PayloadError('credential issued before 2025');
  const issuedStep = stepAt(c.issuedAt);
  const maxStep = issuedStep + Math.ceil(validity / STEP_SECONDS) + STEP_SLACK;
  if (step + STEP_SLACK < issuedStep || step > maxStep) throw new PayloadError('step ' + step + ' outside the credential');
  const code = await paymentCode(otpKey, step, counter);

  const w = new Bytes();
  w.byte(VERSION);
  appendID(w, c.keyID, 'k-');
  w.byte(c.userID.length);
  w.bytes(utf8.encode(c.userID));
  appendID(w, c.authorizationID, 'au_');
  w.bytes(c.devicePublicKey);
  w.u16(packCurrency(c.currency));
  w.uvarint(c.cap);
  w.uvarint(c.maxCodes);
  w.uvarint(issued);
  w.uvarint(validity);
  w.bytes(c.signature);
  w.uvarint(counter);
  w.uvarint(step + STEP_SLACK - issuedStep);
  w.u32(code);
  w.uvarint(offer.length);
  w.bytes(offer);
  const signed = w.out();
  if (signed.length + 64 + 16 + 4 > MAX_BINARY_LEN) throw new PayloadError('payload too large');
  const sig = new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, deviceKey, concat(utf8.encode(SIGNING_CONTEXT), signed)));
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', macKey, signed)).subarray(0, 16);
  const body = concat(signed, sig, mac, new Uint8Array(4));
  new DataView(body.buffer).setUint32(body.length - 4, crc32c(body.subarray(0, body.length - 4)), false);
  return { text: PREFIX + base45Encode(body), code, counter, step, validUntil: (step + MAX_SKEW_STEPS + 1) * STEP_SECONDS };
}

/** fromBase64 decodes standard Base64 (Go's encoding of []byte in JSON). */
export function fromBase64(s) {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** toBase64 is fromBase64's inverse. */
export function toBase64(b) {
  let s = '';
  for (const x of b) s += String.fromCharCode(x);
  return btoa(s);
}
