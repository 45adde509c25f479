// order.js: a merchant-presented order (flow 2) as shared/order reads it: the EMVCo MPM text
// (shared/emvqr), the server's Ed25519 signature over the canonical bytes, the expiry, and the
// confirmation the phone signs with its device key. Pure functions over WebCrypto; no DOM, no
// network. docs/protocol.md ("Merchant-presented orders") has the layout byte by byte.

import { concat, fromBase64, toBase64 } from './core.js';

export const GUI = 'com.stillpay';
const FORMAT_VERSION = 1;
const SIGNING_CONTEXT = 'stillpay-order-v1\u0000';
const CONFIRMATION_CONTEXT = 'stillpay-order-confirm-v1\u0000';
const APPROVAL_CONTEXT = 'stillpay-approval-v1\u0000';
const ENDORSEMENT_CONTEXT = 'stillpay-key-endorsement-v1\u0000';
const STATIC_ORDER_CONTEXT = 'stillpay-static-order-v1\u0000';
const MAX_LEN = 512; // emvqr.MaxLen, characters
const utf8 = new TextEncoder();

// ISO 4217 numeric code -> [alphabetic code, minor-unit exponent], as shared/emvqr's table.
const CURRENCIES = {
  784: ['AED', 2], '032': ['ARS', 2], '036': ['AUD', 2], '050': ['BDT', 2], '048': ['BHD', 3],
  986: ['BRL', 2], 124: ['CAD', 2], 756: ['CHF', 2], 152: ['CLP', 0], 156: ['CNY', 2],
  170: ['COP', 2], 978: ['EUR', 2], 826: ['GBP', 2], 344: ['HKD', 2], 360: ['IDR', 2],
  356: ['INR', 2], 392: ['JPY', 0], 404: ['KES', 2], 116: ['KHR', 2], 410: ['KRW', 0],
  414: ['KWD', 3], 418: ['LAK', 2], 144: ['LKR', 2], 104: ['MMK', 2], 496: ['MNT', 2],
  484: ['MXN', 2], 458: ['MYR', 2], 566: ['NGN', 2], 524: ['NPR', 2], 554: ['NZD', 2],
  604: ['PEN', 2], 608: ['PHP', 2], 586: ['PKR', 2], 682: ['SAR', 2], 702: ['SGD', 2],
  764: ['THB', 2], 949: ['TRY', 2], 901: ['TWD', 2], 840: ['USD', 2], 704: ['VND', 0],
  710: ['ZAR', 2],
};
/** SYSTEM_CURRENCIES is shared/money's table: the currencies orders and offers may be in. */
export const SYSTEM_CURRENCIES = new Set(['CNY', 'EUR', 'USD', 'GBP', 'CHF', 'HKD', 'SGD', 'JPY', 'KRW', 'BHD', 'KWD']);
const NUMERIC = Object.fromEntries(Object.entries(CURRENCIES).map(([n, [a, e]]) => [a, [n.padStart(3, '0'), e]]));

/**
 * OrderError says why a scanned code is not paid. kind is one of shared/order's errors:
 * 'malformed', 'not-stillpay' (summary: another scheme's name, city, amount), 'noncanonical',
 * 'version', 'unknown-key', 'signature', 'expired'; and 'bad-response' for a server answer the
 * wallet does not accept.
 */
export class OrderError extends Error {
  constructor(kind, detail, summary) {
    super(detail ? kind + ': ' + detail : kind);
    this.kind = kind;
    this.summary = summary;
  }
}

const malformed = (why) => new OrderError('malformed', why);

/** crc16 is CRC-16/CCITT-FALSE, tag 63's checksum (emvqr.CRC16). */
export function crc16(bytes) {
  let crc = 0xffff;
  for (const b of bytes) {
    crc ^= b << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

const isTemplate = (id) => (id >= 26 && id <= 51) || id === 62 || id === 64 || (id >= 80 && id <= 99);
const hasGUI = (id) => (id >= 26 && id <= 51) || (id >= 80 && id <= 99);

// splitList splits characters (code points) into ID-length-value objects.
function splitList(r) {
  const out = [];
  for (let i = 0; i < r.length;) {
    if (r.length - i < 4) throw malformed('truncated data object');
    const head = r.slice(i, i + 4).join('');
    if (!/^\d{4}$/.test(head)) throw malformed('ID or length is not two digits');
    const id = Number(head.slice(0, 2));
    const n = Number(head.slice(2));
    if (n === 0 || n > r.length - i - 4) throw malformed('bad length of ' + head.slice(0, 2));
    out.push({ id, value: r.slice(i + 4, i + 4 + n).join('') });
    i += 4 + n;
  }
  return out;
}

/**
 * parseMPM reads EMVCo merchant-presented text: the ID-length-value layout, 00 first, the CRC
 * (63) last and correct, templates split into their objects. It is the structural part of
 * emvqr.Parse; a stillpay order is then held to its one canonical text (decodeOrder).
 */
export function parseMPM(text) {
  if (typeof text !== 'string') throw malformed('not text');
  const r = Array.from(text);
  if (r.length === 0 || r.length > MAX_LEN) throw malformed(r.length + ' characters');
  const top = splitList(r);
  if (top[0].id !== 0) throw malformed('the payload must start with ID 00');
  const last = top[top.length - 1];
  if (last.id !== 63 || !/^[0-9A-Fa-f]{4}$/.test(last.value)) throw malformed('no CRC at the end');
  const signedPart = r.slice(0, r.length - 4).join('');
  if (crc16(utf8.encode(signedPart)) !== parseInt(last.value, 16)) throw malformed('CRC mismatch');
  return top.slice(0, -1).map((o) => (isTemplate(o.id) ? { id: o.id, sub: splitList(Array.from(o.value)) } : o));
}

const find = (objs, id) => objs.find((o) => o.id === id);
const value = (objs, id) => (find(objs, id) || {}).value || '';
const subValue = (tmpl, id) => (tmpl && tmpl.sub ? value(tmpl.sub, id) : '');

/** summarize is emvqr's Summary of another scheme's code: who, where, how much. */
function summarize(objs) {
  const cur = CURRENCIES[value(objs, 53)];
  return {
    merchantName: value(objs, 59), merchantCity: value(objs, 60), country: value(objs, 58),
    currency: cur ? cur[0] : value(objs, 53), amount: value(objs, 54), static: value(objs, 1) === '11',
    schemes: objs.filter((o) => hasGUI(o.id) && o.sub).map((o) => subValue(o, 0)).filter(Boolean),
  };
}

/** minorUnits is emvqr.MinorUnits: "12.50" in a currency of exponent 2 is 1250, exactly. */
export function minorUnits(a, exp) {
  const m = /^(\d+)(?:\.(\d*))?$/.exec(a);
  if (!m || a.length > 13 || (m[2] || '').length > exp) return null;
  const v = BigInt(m[1] + (m[2] || '').padEnd(exp, '0'));
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? null : Number(v);
}

/** formatAmount is emvqr.FormatAmount: positive minor units as tag 54 writes them. */
export function formatAmount(minor, exp) {
  let d = String(minor);
  if (exp <= 0) return d;
  if (d.length <= exp) d = '0'.repeat(exp - d.length + 1) + d;
  return d.slice(0, d.length - exp) + '.' + d.slice(d.length - exp);
}

function b64url(bytes) {
  return toBase64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromB64url(s) {
  if (!/^[A-Za-z0-9_-]{43}$/.test(s)) return null;
  return fromBase64(s.replace(/-/g, '+').replace(/_/g, '/') + '=');
}

function tlv(id, v) {
  const n = Array.from(v).length;
  return String(id).padStart(2, '0') + String(n).padStart(2, '0') + v;
}

const tmpl = (id, ...subs) => tlv(id, subs.join(''));

/** encodeMPM is Signed.MPM: the one text of a signed order. */
export function encodeMPM(o) {
  const [num, exp] = NUMERIC[o.currency] || [];
  if (!num) throw malformed('currency ' + o.currency);
  let s = tlv(0, '01') + tlv(1, o.static ? '11' : '12') +
    tmpl(26, tlv(0, GUI), tlv(1, o.id), tlv(2, o.merchantID)) + tlv(52, o.mcc) + tlv(53, num);
  if (!o.static) s += tlv(54, formatAmount(o.minor, exp));
  s += tlv(58, o.country) + tlv(59, o.merchantName) + tlv(60, o.city) +
    tmpl(62, ...(o.reference ? [tlv(5, o.reference)] : []), tlv(7, o.terminalID)) +
    tmpl(80, tlv(0, GUI), tlv(1, String(FORMAT_VERSION)), tlv(2, o.keyID), tlv(3, b64url(o.signature.subarray(0, 32)))) +
    tmpl(81, tlv(0, GUI), ...(o.expiresAt ? [tlv(1, String(o.expiresAt))] : []), tlv(2, b64url(o.signature.subarray(32))));
  s += '6304';
  return s + crc16(utf8.encode(s)).toString(16).toUpperCase().padStart(4, '0');
}

const ID_RE = /^[\x21-\x7e]+$/;
const TEXT_RE = /^[\x20-\x7e]*$/;

// checkFields is shared/order's validate for a decoded order.
function checkFields(o) {
  const ids = [['key id', o.keyID, 16], ['order id', o.id, 40], ['merchant id', o.merchantID, 35], ['terminal id', o.terminalID, 25]];
  for (const [name, v, max] of ids) if (!v || v.length > max || !ID_RE.test(v)) throw malformed(name);
  const texts = [['merchant name', o.merchantName, 1, 25], ['city', o.city, 1, 15], ['reference', o.reference, 0, 25]];
  for (const [name, v, min, max] of texts) if (v.length < min || v.length > max || !TEXT_RE.test(v)) throw malformed(name);
  if (!/^\d{4}$/.test(o.mcc) || !/^[A-Z]{2}$/.test(o.country)) throw malformed('MCC or country');
  if (o.static ? o.minor !== 0 : !(o.minor > 0) || !o.expiresAt) throw malformed('amount or expiry');
}

/**
 * decodeOrder is order.Decode: the fields of a stillpay order, without checking its signature.
 * Another scheme's code is OrderError 'not-stillpay' with its summary; a stillpay order written in
 * any other way than the server writes it is 'noncanonical'.
 */
export function decodeOrder(text) {
  const objs = parseMPM(text);
  const acct = find(objs, 26);
  if (!acct || !acct.sub || subValue(acct, 0) !== GUI) {
    if (objs.some((o) => hasGUI(o.id) && o.sub && subValue(o, 0).toLowerCase() === GUI)) {
      throw new OrderError('noncanonical', 'the stillpay template is not template 26');
    }
    throw new OrderError('not-stillpay', '', summarize(objs));
  }
  const head = find(objs, 80);
  const tail = find(objs, 81);
  if (!head || !tail || !head.sub || !tail.sub || subValue(head, 0) !== GUI || subValue(tail, 0) !== GUI) {
    throw malformed('no stillpay signature templates 80 and 81');
  }
  if (subValue(head, 1) !== String(FORMAT_VERSION)) throw new OrderError('version', subValue(head, 1));
  const cur = CURRENCIES[value(objs, 53)];
  if (!cur || !SYSTEM_CURRENCIES.has(cur[0])) throw malformed('currency ' + value(objs, 53));
  const isStatic = value(objs, 1) === '11';
  let minor = 0;
  if (!isStatic) {
    minor = minorUnits(value(objs, 54), cur[1]);
    if (minor === null) throw malformed('amount ' + value(objs, 54));
  }
  const exp = subValue(tail, 1);
  if (exp && !/^\d{1,12}$/.test(exp)) throw malformed('expiry');
  const h1 = fromB64url(subValue(head, 3));
  const h2 = fromB64url(subValue(tail, 2));
  if (!h1 || !h2 || h1.length !== 32 || h2.length !== 32) throw malformed('signature halves');
  const extra = find(objs, 62);
  const o = {
    id: subValue(acct, 1), merchantID: subValue(acct, 2), merchantName: value(objs, 59), city: value(objs, 60),
    mcc: value(objs, 52), country: value(objs, 58), terminalID: subValue(extra, 7), reference: subValue(extra, 5),
    static: isStatic, currency: cur[0], minor, expiresAt: exp ? Number(exp) : 0, keyID: subValue(head, 2),
    signature: concat(h1, h2),
  };
  checkFields(o);
  if (encodeMPM(o) !== text) throw new OrderError('noncanonical');
  return o;
}

function str8(s) {
  const b = utf8.encode(s);
  return concat(Uint8Array.of(b.length), b);
}

function i64(v) {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigInt64(0, BigInt(v), false);
  return b;
}

/** signedBytes is Signed.SignedBytes: what the server's key signed. */
export function signedBytes(o) {
  return concat(utf8.encode(SIGNING_CONTEXT), Uint8Array.of(FORMAT_VERSION, o.static ? 2 : 1),
    str8(o.keyID), str8(o.id), str8(o.merchantID), str8(o.merchantName), str8(o.city),
    utf8.encode(o.mcc), utf8.encode(o.country), str8(o.terminalID), utf8.encode(o.currency),
    i64(o.minor), str8(o.reference), i64(o.expiresAt || 0));
}

async function ed25519Verify(publicKey, signature, message) {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  const key = await crypto.subtle.importKey('raw', publicKey, { name: 'Ed25519' }, false, ['verify']);
  return crypto.subtle.verify({ name: 'Ed25519' }, key, signature, message);
}

/** lookupKey finds a trusted server key ({key_id, public_key: base64}) by id. */
export function lookupKey(keys, keyID) {
  const k = (keys || []).find((x) => x.key_id === keyID);
  return k ? fromBase64(k.public_key) : null;
}

/** verifyOrder is Signed.Verify: the signature with the trusted key the order names, then the expiry. */
export async function verifyOrder(o, keys, nowSeconds) {
  const pub = lookupKey(keys, o.keyID);
  if (!pub) throw new OrderError('unknown-key', o.keyID);
  if (!(await ed25519Verify(pub, o.signature, signedBytes(o)))) throw new OrderError('signature');
  if (o.expiresAt && nowSeconds >= o.expiresAt) throw new OrderError('expired', new Date(o.expiresAt * 1000).toISOString());
}

function endorsementBytes(k) {
  return concat(utf8.encode(ENDORSEMENT_CONTEXT), utf8.encode(k.key_id), Uint8Array.of(0), fromBase64(k.public_key),
    i64(Math.floor(Date.parse(k.created) / 1000)));
}

/**
 * acceptKeys is protocol.AcceptKeys: the trusted keys plus every offered key endorsed by an
 * accepted one (transitively); a trusted id offered with another public key refuses the offer.
 */
export async function acceptKeys(trusted, offered) {
  const known = new Map(trusted.map((k) => [k.key_id, k.public_key]));
  for (const k of offered) if (known.has(k.key_id) && known.get(k.key_id) !== k.public_key) return trusted;
  const merged = [...trusted];
  for (let grew = true; grew;) {
    grew = false;
    for (const k of offered) {
      if (known.has(k.key_id) || !k.endorsed_by || !k.endorsement || !known.has(k.endorsed_by)) continue;
      if (!/^[\x21-\x7e]{1,64}$/.test(k.key_id) || fromBase64(k.public_key).length !== 32) continue;
      if (await ed25519Verify(fromBase64(known.get(k.endorsed_by)), fromBase64(k.endorsement), endorsementBytes(k))) {
        known.set(k.key_id, k.public_key);
        merged.push(k);
        grew = true;
      }
    }
  }
  return merged;
}

/** staticOrderID is protocol.StaticOrderID: the id of the order a sticker payment creates. */
export async function staticOrderID(stickerID, paymentID) {
  const sum = new Uint8Array(await crypto.subtle.digest('SHA-256', utf8.encode(STATIC_ORDER_CONTEXT + stickerID + '\u0000' + paymentID)));
  const abc = 'abcdefghijklmnopqrstuvwxyz234567';
  let bits = 0, acc = 0, out = '';
  for (const b of sum.subarray(0, 16)) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += abc[(acc >>> (bits - 5)) & 31];
      bits -= 5;
    }
    acc &= (1 << bits) - 1;
  }
  if (bits > 0) out += abc[(acc << (5 - bits)) & 31];
  return 'ord_' + out;
}

/** newPaymentID is a random sticker payment id, "p-" and 24 hex digits, as shared/wallet makes. */
export function newPaymentID() {
  const b = crypto.getRandomValues(new Uint8Array(12));
  return 'p-' + Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/**
 * confirmationBytes is order.ConfirmationBytes: order id, merchant id, currency, amount, account
 * id and the SHA-256 of the order's signature, under the confirmation context.
 */
export async function confirmationBytes({ orderID, merchantID, amount, accountID, signature }) {
  const sigHash = new Uint8Array(await crypto.subtle.digest('SHA-256', signature));
  for (const [name, v, max] of [['order id', orderID, 40], ['merchant id', merchantID, 35], ['account id', accountID, 64]]) {
    if (!v || v.length > max || !ID_RE.test(v)) throw malformed(name);
  }
  if (!(amount.minor > 0) || !/^[A-Z]{3}$/.test(amount.currency)) throw malformed('amount');
  return {
    bytes: concat(utf8.encode(CONFIRMATION_CONTEXT), str8(orderID), str8(merchantID), utf8.encode(amount.currency),
      i64(amount.minor), str8(accountID), sigHash),
    sigHash,
  };
}

/**
 * confirmRequest builds what shared/wallet.PayOrder sends: the endpoint and the body, signed with
 * the device key (Ed25519 CryptoKey) whose raw public half is devicePublic.
 */
export async function confirmRequest(o, text, { accountID, amount, paymentID, deviceKey, devicePublic }) {
  let orderID = o.id;
  if (o.static) {
    if (amount.currency !== o.currency) throw malformed('currency ' + amount.currency + ', the sticker says ' + o.currency);
    orderID = await staticOrderID(o.id, paymentID);
  } else if (amount.minor !== o.minor || amount.currency !== o.currency) {
    throw malformed('amount differs from the order');
  }
  const c = await confirmationBytes({ orderID, merchantID: o.merchantID, amount, accountID, signature: o.signature });
  const sig = new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, deviceKey, c.bytes));
  const common = { account_id: accountID, amount: { minor: amount.minor, currency: amount.currency },
    order_signature_sha256: toBase64(c.sigHash), device_public_key: toBase64(devicePublic), signature: toBase64(sig) };
  if (o.static) {
    return { orderID, path: '/v1/sticker-payments', body: { sticker: text, payment_id: paymentID, ...common } };
  }
  return { orderID, path: '/v1/orders/' + encodeURIComponent(o.id) + '/confirm', body: { ...common, merchant_id: o.merchantID } };
}

// goJSON writes a parsed JSON value back as Go's encoding/json wrote it (compact, object keys in
// their order, <, >, &, U+2028 and U+2029 escaped), so a signature over Go's bytes can be checked.
export function goJSON(v) {
  return JSON.stringify(v).replace(/[<>&\u2028\u2029]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

/**
 * checkPaid is shared/wallet's checkPaid: the answer is this order, paid, with a server-signed
 * approval (verified with the trusted keys) for this order, merchant and amount. It returns the
 * approval. OrderError 'unknown-key' when the approval names a key not trusted.
 */
export async function checkPaid(paid, keys, orderID, merchantID, amount) {
  const bad = (why) => new OrderError('bad-response', why);
  if (!paid || paid.order_id !== orderID || paid.state !== 'paid' || !paid.approval) throw bad('the order is not paid');
  const sa = paid.approval;
  const pub = lookupKey(keys, sa.key_id);
  if (!pub) throw new OrderError('unknown-key', sa.key_id);
  const raw = utf8.encode(goJSON(sa.approval));
  if (!(await ed25519Verify(pub, fromBase64(sa.signature || ''), concat(utf8.encode(APPROVAL_CONTEXT), raw)))) {
    throw bad('the approval signature does not verify');
  }
  const a = sa.approval;
  if (a.terminal_txn_id !== orderID || a.merchant_id !== merchantID || a.amount.minor !== amount.minor || a.amount.currency !== amount.currency) {
    throw bad('the approval pays another order, merchant or amount');
  }
  return a;
}
