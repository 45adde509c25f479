// offertoken.js: the server-signed offer token (flow 3) as shared/offer reads it: strict parse,
// Ed25519 verification with the server keys the wallet trusts, the user and merchant bindings.
// The token's bytes travel unchanged in the payment code's offer field (core.buildPayload).

import { concat, fromBase64 } from './core.js';
import { SYSTEM_CURRENCIES } from './order.js';

const SIGNING_CONTEXT = 'stillpay-offer-v1\u0000';
const FORMAT_VERSION = 1;
const MAX_MINOR = 2 ** 28 - 1;
const MIN_LEN = 1 + 8 + 2 + 16 + 3 + 4 + 64 + 3 + 1;
const MAX_LEN = 1 + 8 + 2 + 16 + 3 + 4 + 64 + 12 + 2;
const MAX_HOURS = 366 * 24;
const utf8 = new TextEncoder();

/** OfferTokenError is a token the wallet cannot use (offer.ErrMalformed). */
export class OfferTokenError extends Error {}

const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

/** parseOfferToken is offer.Parse: every field bounded, minimal varints, no trailing bytes. */
export function parseOfferToken(b) {
  const bad = (why) => { throw new OfferTokenError('offer token: ' + why); };
  if (b.length < MIN_LEN || b.length > MAX_LEN) bad(b.length + ' bytes');
  if (b[0] >> 4 !== FORMAT_VERSION) bad('version ' + (b[0] >> 4));
  const kind = b[0] & 0x0f;
  let o = 1;
  const take = (n) => {
    if (o + n > b.length) bad('truncated');
    const s = b.subarray(o, o + n);
    o += n;
    return s;
  };
  const uvarint = () => {
    let v = 0, shift = 0, n = 0;
    for (;;) {
      const x = take(1)[0];
      n++;
      v += (x & 0x7f) * 2 ** shift;
      if (!(x & 0x80)) break;
      shift += 7;
      if (n >= 4) bad('varint too long');
    }
    if (v > MAX_MINOR) bad('amount out of range');
    if (n > 1 && b[o - 1] === 0) bad('non-minimal varint');
    return v;
  };
  const id = take(8);
  const keyTag = take(2);
  const userHash = take(8);
  const merchHash = take(8);
  const currency = String.fromCharCode(...take(3));
  const value = uvarint();
  const minSpend = uvarint();
  const maxDiscount = uvarint();
  const from = new DataView(b.buffer, b.byteOffset + o, 4).getUint32(0, false);
  take(4);
  const hours = uvarint();
  const signature = take(64);
  if (o !== b.length) bad('trailing bytes');
  if (!SYSTEM_CURRENCIES.has(currency)) bad('currency');
  if (kind === 1 ? value < 1 || value > 10000 : kind === 2 ? value < 1 : true) bad('rule');
  if (hours < 1 || hours > MAX_HOURS) bad('validity');
  return {
    id: hex(id), keyTag, userHash, merchHash, currency, kind: kind === 1 ? 'percent' : 'fixed', value, minSpend,
    maxDiscount, validFrom: from, validUntil: from + hours * 3600, signature, bytes: b, signedLength: b.length - 64,
  };
}

async function sha256(s) {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', utf8.encode(s)));
}

const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * verifyOfferToken is what shared/wallet's Inbox checks: the signature with a trusted key whose id
 * has the token's key tag, validity now, and the token bound to this user and this merchant.
 */
export async function verifyOfferToken(tok, keys, userID, merchantID, nowSeconds) {
  if (!same(tok.userHash, (await sha256(userID)).subarray(0, 8))) return false;
  if (!same(tok.merchHash, (await sha256(merchantID)).subarray(0, 8))) return false;
  if (nowSeconds < tok.validFrom || nowSeconds >= tok.validUntil) return false;
  const msg = concat(utf8.encode(SIGNING_CONTEXT), tok.bytes.subarray(0, tok.signedLength));
  for (const k of keys || []) {
    if (!same((await sha256(k.key_id)).subarray(0, 2), tok.keyTag)) continue;
    const pub = fromBase64(k.public_key);
    if (pub.length !== 32) continue;
    const key = await crypto.subtle.importKey('raw', pub, { name: 'Ed25519' }, false, ['verify']);
    if (await crypto.subtle.verify({ name: 'Ed25519' }, key, tok.signature, msg)) return true;
  }
  return false;
}
