// store.js: the wallet's state in IndexedDB (never localStorage). Keys are WebCrypto CryptoKey
// objects stored by structured clone: non-extractable keys stay non-extractable, so no script, this
// one included, can read their bytes.
//
// Records of the "kv" store:
//   device   {privateKey: CryptoKey (Ed25519, non-extractable), publicKey: Uint8Array (32 raw bytes)}
//   session  {token, userID, expiresAt (unix s)}
//   auth     {authorizationID, accountID, userID, credential: Uint8Array, otpKey, macKey: CryptoKey,
//             cap: {minor, currency}, maxCodes, hold, issuedAt, expiresAt, nextCounter, serverKeys}
//   accounts {at (unix s), list: [{account_id, balance}]}: the last balances seen, for offline display
//   serverKeys [{key_id, public_key, ...}]: server keys learned through endorsements (pay.js)
//   offers   [{messageID, offerID, merchantID, title, text, token, ...}]: held offers (offers.js)
//   offerSettings {offers, opt_outs}: the last offer settings seen

const DB_NAME = 'stillpay-wallet';
const STORE = 'kv';

let dbPromise = null;

function open() {
  if (!dbPromise) {
    dbPromise = new Promise((resolve, reject) => {
      const req = indexedDB.open(DB_NAME, 1);
      req.onupgradeneeded = () => req.result.createObjectStore(STORE);
      req.onsuccess = () => {
        const db = req.result;
        // Another tab (or a test) deleting the database: close so it can go, and reopen next time.
        db.onversionchange = () => { db.close(); dbPromise = null; };
        resolve(db);
      };
      req.onerror = () => { dbPromise = null; reject(req.error); };
    });
  }
  return dbPromise;
}

// run runs fn(store) in one transaction and resolves with fn's result once the transaction has
// committed ("strict" durability: flushed to disk before complete fires where the browser can).
async function run(mode, fn) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(STORE, mode, { durability: 'strict' });
    let result;
    tx.oncomplete = () => resolve(result);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error('transaction aborted'));
    Promise.resolve(fn(tx.objectStore(STORE))).then((r) => { result = r; }, (e) => { tx.abort(); reject(e); });
  });
}

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

export function get(key) {
  return run('readonly', (s) => request(s.get(key)));
}

export function put(key, value) {
  return run('readwrite', (s) => request(s.put(value, key)));
}

export function del(key) {
  return run('readwrite', (s) => request(s.delete(key)));
}

/** SpendError says why no counter could be spent. */
export class SpendError extends Error {
  constructor(kind) { super(kind); this.kind = kind; }
}

/**
 * spendCounter takes the next counter of the stored authorization and stores counter+1 in the same
 * transaction. It resolves only after that transaction committed, so a code shown with the counter
 * can never be shown again, whatever happens to the page afterwards. Rejects with SpendError
 * 'none' | 'expired' | 'used'.
 */
export function spendCounter(nowSeconds) {
  return run('readwrite', async (s) => {
    const a = await request(s.get('auth'));
    if (!a) throw new SpendError('none');
    if (nowSeconds >= a.expiresAt) throw new SpendError('expired');
    if (a.nextCounter >= a.maxCodes) throw new SpendError('used');
    const counter = a.nextCounter;
    a.nextCounter = counter + 1;
    await request(s.put(a, 'auth'));
    return { auth: a, counter };
  });
}

/** deviceKey returns the device key, making one (Ed25519, private half non-extractable) the first time. */
export async function deviceKey() {
  const have = await get('device');
  if (have) return have;
  const pair = await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify']);
  const publicKey = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
  const rec = { privateKey: pair.privateKey, publicKey };
  await put('device', rec);
  return rec;
}

/**
 * trustedKeys is shared/wallet's: the server keys the wallet saved (record serverKeys, grown by
 * pay.js through endorsements), else its first approval's, else none. Flows 2 and 3 check the
 * server's order, approval and offer signatures with them.
 */
export async function trustedKeys() {
  const saved = await get('serverKeys');
  if (saved && saved.length) return saved;
  const a = await get('auth');
  return (a && a.serverKeys) || [];
}
