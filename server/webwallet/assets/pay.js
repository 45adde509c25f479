// pay.js: flow 2, "Pay a shop's QR". The customer scans the terminal's order QR (scan.js) or pastes
// its text; the order's server signature is checked with the server keys the wallet trusts
// (order.js); merchant, amount, reference and expiry are shown; Pay sends the device-signed
// confirmation exactly as shared/wallet.PayOrder does, and the server's signed approval is checked
// before "Paid" is shown. Another scheme's code is shown as "not a stillpay order" and never paid.

import * as order from './order.js';
import * as db from './store.js';
import { startScan } from './scan.js';
import { t } from './i18n.js';

const $ = (id) => document.getElementById(id);
const nowSeconds = () => Math.floor(Date.now() / 1000);
const MAX_CONFIRM_ATTEMPTS = 3; // wallet.MaxConfirmAttempts
const RETRY_DELAY_MS = 500;

let ui = null; // helpers from app.js: api, ApiError, money, parseMinor, when, show, message, errorText, session
let current = null; // {o, text, paymentID}
let stopScan = null;

/** learnKeys fetches GET /v1/keys and keeps the keys a trusted one endorses (all, if none is trusted yet). */
async function learnKeys(trusted) {
  const r = await ui.api('GET', '/v1/keys');
  const offered = (r && r.keys) || [];
  const merged = trusted.length ? await order.acceptKeys(trusted, offered) : offered;
  if (merged.length > trusted.length) await db.put('serverKeys', merged);
  return merged;
}

function orderErrorText(err) {
  if (!(err instanceof order.OrderError)) return ui.errorText(err);
  switch (err.kind) {
    case 'not-stillpay': return t('notStillpay');
    case 'signature': return t('orderSignature');
    case 'unknown-key': return t('orderUnknownKey');
    case 'expired': return t('orderExpired');
    case 'bad-response': return t('orderBadResponse', err.message);
    default: return t('orderMalformed', err.message);
  }
}

function problemText(err) {
  if (err instanceof ui.ApiError) {
    const known = { order_expired: 'orderExpired', order_already_paid: 'orderAlreadyPaid', order_cancelled: 'orderCancelled',
      order_signature_mismatch: 'orderSignature', order_amount_mismatch: 'orderSignature' };
    if (known[err.code]) return t(known[err.code]);
  }
  return orderErrorText(err);
}

function reset() {
  current = null;
  for (const id of ['order-card', 'order-other', 'order-paid']) $(id).hidden = true;
  $('order-confirm').disabled = false;
  ui.message('pay-msg', '');
}

async function open() {
  reset();
  $('order-text').value = '';
  $('scan-box').hidden = true;
  ui.show('pay');
}

/** read decodes and verifies a scanned or pasted text and shows what its signature vouches for. */
async function read(text) {
  reset();
  text = text.trim();
  let o;
  try {
    o = order.decodeOrder(text);
    let keys = await db.trustedKeys();
    if (!order.lookupKey(keys, o.keyID)) keys = await learnKeys(keys);
    await order.verifyOrder(o, keys, nowSeconds());
  } catch (err) {
    if (err instanceof order.OrderError && err.kind === 'not-stillpay') return showOther(err.summary);
    $('pay-result').dataset.state = 'refused';
    return ui.message('pay-msg', orderErrorText(err));
  }
  current = { o, text, paymentID: o.static ? order.newPaymentID() : '' };
  $('order-merchant').textContent = o.merchantName + ' (' + o.merchantID + ')';
  $('order-city').textContent = o.city + ', ' + o.country;
  $('order-amount').textContent = o.static ? t('stickerAmount') : ui.money({ minor: o.minor, currency: o.currency });
  $('order-amount').dataset.minor = String(o.minor);
  $('sticker-amount-box').hidden = !o.static;
  $('order-ref').textContent = o.reference ? t('orderReference', o.reference) : '';
  $('order-exp').textContent = o.expiresAt ? t('orderExpires', ui.when(o.expiresAt)) : '';
  $('order-id').textContent = t('orderLane', o.id, o.terminalID, o.keyID);
  await fillAccounts();
  $('order-card').hidden = false;
  $('pay-result').dataset.state = 'verified';
  $('order-confirm').focus();
}

function showOther(s) {
  const amount = s.amount ? s.amount + ' ' + s.currency : t('payerEnters');
  $('order-other').textContent = t('notStillpayWho', s.merchantName, s.merchantCity, amount);
  $('order-other').hidden = false;
  $('pay-result').dataset.state = 'other';
  ui.message('pay-msg', t('notStillpay'));
}

async function fillAccounts() {
  const [accts, a] = await Promise.all([db.get('accounts'), db.get('auth')]);
  const sel = $('pay-account');
  sel.replaceChildren();
  const ids = ((accts && accts.list) || []).map((x) => x.account_id);
  if (a && !ids.includes(a.accountID)) ids.unshift(a.accountID);
  for (const id of ids) {
    const opt = document.createElement('option');
    opt.value = opt.textContent = id;
    sel.append(opt);
  }
  if (a) sel.value = a.accountID;
}

async function postRetrying(path, body, token) {
  let last;
  for (let attempt = 1; attempt <= MAX_CONFIRM_ATTEMPTS; attempt++) {
    try {
      return await ui.api('POST', path, body, token);
    } catch (err) {
      last = err;
      if (!(err instanceof ui.ApiError) || err.code !== 'network') throw err;
      if (attempt < MAX_CONFIRM_ATTEMPTS) await new Promise((r) => setTimeout(r, RETRY_DELAY_MS));
    }
  }
  throw last;
}

/** confirm signs and sends the confirmation, then checks the signed approval. */
async function confirm() {
  if (!current) return;
  ui.message('pay-msg', '');
  const s = await ui.session();
  if (!s) return ui.message('pay-msg', t('sessionExpired'));
  const { o, text } = current;
  let amount = { minor: o.minor, currency: o.currency };
  if (o.static) {
    const minor = ui.parseMinor($('sticker-amount').value, o.currency);
    if (!minor) return ui.message('pay-msg', t('badAmount'));
    amount = { minor, currency: o.currency };
  }
  const accountID = $('pay-account').value;
  if (!accountID) return ui.message('pay-msg', t('noAccounts'));
  $('order-confirm').disabled = true;
  try {
    const dev = await db.deviceKey();
    const req = await order.confirmRequest(o, text, { accountID, amount, paymentID: current.paymentID, deviceKey: dev.privateKey, devicePublic: dev.publicKey });
    const paid = await postRetrying(req.path, req.body, s.token);
    let keys = await db.trustedKeys();
    let approval;
    try {
      approval = await order.checkPaid(paid, keys, req.orderID, o.merchantID, amount);
    } catch (err) {
      if (!(err instanceof order.OrderError && err.kind === 'unknown-key')) throw err;
      keys = await learnKeys(keys); // the server rotated its key since the order was made
      approval = await order.checkPaid(paid, keys, req.orderID, o.merchantID, amount);
    }
    showPaid(o, approval);
  } catch (err) {
    $('order-confirm').disabled = false;
    $('pay-result').dataset.state = 'refused';
    ui.message('pay-msg', problemText(err));
  }
}

function showPaid(o, a) {
  $('order-card').hidden = true;
  $('paid-what').textContent = t('paidWhat', ui.money(a.amount), o.merchantName);
  $('paid-code').textContent = t('paidApproval', a.approval_code);
  $('paid-code').dataset.code = a.approval_code;
  $('paid-order').textContent = t('paidOrder', a.terminal_txn_id);
  $('order-paid').hidden = false;
  $('pay-result').dataset.state = 'paid';
  current = null;
}

async function scan() {
  ui.message('pay-msg', '');
  $('scan-box').hidden = false;
  try {
    stopScan = await startScan($('scan-video'), (text) => {
      stopScan = null;
      $('scan-box').hidden = true;
      $('order-text').value = text;
      read(text);
    });
  } catch (err) {
    $('scan-box').hidden = true;
    ui.message('pay-msg', t('noCamera', err && err.name ? err.name : String(err)));
  }
}

function leave() {
  if (stopScan) stopScan();
  stopScan = null;
  reset();
}

/** initPay wires the pay screen; helpers come from app.js so both use one API client and one formatter. */
export function initPay(helpers) {
  ui = helpers;
  $('pay-go').addEventListener('click', open);
  $('scan-start').addEventListener('click', scan);
  $('scan-stop').addEventListener('click', () => { if (stopScan) stopScan(); stopScan = null; $('scan-box').hidden = true; });
  $('order-form').addEventListener('submit', (ev) => { ev.preventDefault(); read($('order-text').value); });
  $('order-confirm').addEventListener('click', confirm);
  $('pay-back').addEventListener('click', () => { leave(); ui.home(); });
}
