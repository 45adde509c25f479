// app.js: the web wallet's screens (flow 1): log in, authorize offline codes, show a payment code
// with no network, revoke, log out. State lives in IndexedDB (store.js); codes are built in
// core.js; the QR is drawn in qr.js. The service worker (sw.js) serves all of this offline.

import * as core from './core.js';
import * as db from './store.js';
import { drawQR } from './qr.js';
import { t, applyStatic, lang } from './i18n.js';
import { initPay } from './pay.js';
import { initOffers } from './offers.js';
import { initPush } from './push.js';

const $ = (id) => document.getElementById(id);
const nowSeconds = () => Math.floor(Date.now() / 1000);
const locale = lang === 'zh' ? 'zh-CN' : undefined;

/** ApiError is a refusal from the server (a problem document) or 'network' when it was not reached. */
class ApiError extends Error {
  constructor(status, code, detail) {
    super(detail || code);
    this.status = status;
    this.code = code;
  }
}

async function api(method, path, body, token) {
  const headers = { Accept: 'application/json, application/problem+json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = 'Bearer ' + token;
  let resp;
  try {
    resp = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store', credentials: 'omit' });
  } catch {
    throw new ApiError(0, 'network', t('networkError'));
  }
  let data = null;
  try { data = await resp.json(); } catch { data = null; }
  if (!resp.ok) throw new ApiError(resp.status, (data && data.code) || 'http_' + resp.status, data && data.detail);
  return data;
}

// --- formatting ---

function fractionDigits(currency) {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits;
  } catch {
    return 2;
  }
}

function money(m) {
  const d = fractionDigits(m.currency);
  const v = Number(m.minor) / 10 ** d;
  return new Intl.NumberFormat(locale, { style: 'currency', currency: m.currency, minimumFractionDigits: d }).format(v);
}

/** parseMinor reads "20.00" as 2000 minor units of currency, exactly (no floating point). */
function parseMinor(text, currency) {
  const d = fractionDigits(currency);
  const m = /^\s*(\d{1,12})(?:[.,](\d+))?\s*$/.exec(text);
  if (!m || (m[2] && m[2].length > d)) return null;
  const frac = (m[2] || '').padEnd(d, '0');
  const v = BigInt(m[1]) * 10n ** BigInt(d) + (d ? BigInt(frac) : 0n);
  return v > 0n ? Number(v) : null;
}

function when(unix) {
  return new Date(unix * 1000).toLocaleString(locale, { dateStyle: 'medium', timeStyle: 'short' });
}

function whenTime(unix) {
  return new Date(unix * 1000).toLocaleTimeString(locale);
}

// --- screens ---

function show(name) {
  for (const s of document.querySelectorAll('[data-screen]')) s.hidden = s.dataset.screen !== name;
  document.body.dataset.current = name;
  const h = document.querySelector(`[data-screen="${name}"] h1, [data-screen="${name}"] h2`);
  if (h) h.focus();
}

function message(id, text, kind) {
  const el = $(id);
  el.textContent = text || '';
  el.hidden = !text;
  el.dataset.kind = kind || 'error';
}

function renderNetwork() {
  const on = navigator.onLine;
  const el = $('net');
  el.textContent = on ? t('online') : t('offline');
  el.dataset.state = on ? 'online' : 'offline';
  // Authorizing again needs the server: offline the button waits and says why.
  $('reauthorize').disabled = !on;
  $('reauth-note').hidden = $('reauthorize').hidden || on;
}

function errorText(err) {
  if (!(err instanceof ApiError)) return String(err && err.message ? err.message : err);
  switch (err.code) {
    case 'network': return t('networkError');
    case 'bad_credentials': return t('badCredentials');
    case 'user_locked': case 'throttled': return t('locked');
    case 'unauthenticated': return t('sessionExpired');
    case 'insufficient_funds': return t('insufficientFunds');
    case 'limits_not_allowed': return t('limitsNotAllowed');
    default: return t('serverError', err.code + (err.message && err.message !== err.code ? ': ' + err.message : ''));
  }
}

// --- state ---

async function session() {
  const s = await db.get('session');
  if (s && s.expiresAt <= nowSeconds()) {
    await db.del('session');
    return null;
  }
  return s || null;
}

/** authState is 'ok', 'expired' or 'used' for a stored authorization. */
function authState(a) {
  if (nowSeconds() >= a.expiresAt) return 'expired';
  if (a.nextCounter >= a.maxCodes) return 'used';
  return 'ok';
}

async function home(note) {
  renderNetwork();
  const [s, a, accts] = await Promise.all([session(), db.get('auth'), db.get('accounts')]);
  $('who').textContent = s ? t('loggedInAs', s.userID) : t('notLoggedIn');
  $('logout').hidden = !s;
  $('login-go').hidden = !!s;

  const card = $('auth-card');
  card.hidden = !a;
  if (a) {
    const st = authState(a);
    card.dataset.state = st;
    $('auth-left').textContent = st === 'expired' ? t('expiredTitle') : t('codesLeft', Math.max(0, a.maxCodes - a.nextCounter), a.maxCodes);
    $('auth-cap').textContent = t('capPer', money(a.cap));
    $('auth-hold').textContent = t('holdTaken', money(a.hold));
    $('auth-expiry').textContent = t('expiresAt', when(a.expiresAt));
    $('auth-expiry').hidden = st === 'expired';
    $('auth-state').textContent = st === 'expired' ? t('expired', when(a.expiresAt)) : st === 'used' ? t('allUsed') : '';
    $('auth-state').hidden = st === 'ok';
    $('show-code').disabled = st !== 'ok';
    $('revoke').hidden = !s;
    $('reauthorize').hidden = st === 'ok';
    renderNetwork();
  }
  $('no-auth').hidden = !!a;
  $('no-auth').textContent = s ? '' : t('noAuth');
  if (s && !a) $('no-auth').hidden = true;

  $('authorize-form').hidden = !s;
  $('flows').hidden = !s; // flows 2 and 3 need the server
  if (s) fillAccounts(accts);
  message('home-msg', note || '', 'info');
  show('home');
  if (s && navigator.onLine) refreshAccounts(s).catch(() => {});
}

function fillAccounts(accts) {
  const sel = $('account');
  const keep = sel.value;
  sel.replaceChildren();
  const list = (accts && accts.list) || [];
  for (const x of list) {
    const o = document.createElement('option');
    o.value = x.account_id;
    o.textContent = x.account_id;
    o.dataset.currency = x.balance.currency;
    o.dataset.minor = String(x.balance.minor);
    sel.append(o);
  }
  if (keep && list.some((x) => x.account_id === keep)) sel.value = keep;
  $('no-accounts').hidden = list.length > 0;
  $('authorize').disabled = list.length === 0;
  updateHold();
}

async function refreshAccounts(s) {
  try {
    const r = await api('GET', '/v1/accounts', undefined, s.token);
    const rec = { at: nowSeconds(), list: r.accounts };
    await db.put('accounts', rec);
    if (document.body.dataset.current === 'home') fillAccounts(rec);
  } catch (err) {
    if (err instanceof ApiError && err.code === 'unauthenticated') {
      await db.del('session');
      await home(t('sessionExpired'));
    }
  }
}

function selectedAccount() {
  const o = $('account').selectedOptions[0];
  return o ? { id: o.value, currency: o.dataset.currency, minor: Number(o.dataset.minor) } : null;
}

function updateHold() {
  const acct = selectedAccount();
  if (!acct) {
    $('balance').textContent = '';
    $('hold').textContent = '';
    return;
  }
  $('balance').textContent = t('balance', money({ minor: acct.minor, currency: acct.currency }));
  const cap = parseMinor($('cap').value, acct.currency);
  const n = Number($('codes').value);
  $('hold').textContent = cap && n >= 1 ? t('holdWillBe', money({ minor: cap * n, currency: acct.currency })) : '';
}

// --- actions ---

async function onLogin(ev) {
  ev.preventDefault();
  message('login-msg', '');
  if (!navigator.onLine) {
    message('login-msg', t('offlineLogin'));
    return;
  }
  const userID = $('user').value.trim();
  const password = $('password').value;
  $('login-submit').disabled = true;
  try {
    const r = await api('POST', '/v1/sessions', { user_id: userID, password });
    await db.put('session', { token: r.token, userID: r.user_id, expiresAt: Math.floor(Date.parse(r.expires_at) / 1000) });
    $('password').value = '';
    await home();
  } catch (err) {
    message('login-msg', err instanceof ApiError && err.code === 'network' ? t('offlineLogin') : errorText(err));
  } finally {
    $('login-submit').disabled = false;
  }
}

async function onAuthorize(ev) {
  ev.preventDefault();
  message('home-msg', '');
  const s = await session();
  if (!s) return home(t('sessionExpired'));
  const acct = selectedAccount();
  const cap = acct && parseMinor($('cap').value, acct.currency);
  if (!cap) return message('home-msg', t('badAmount'));
  const codes = Number($('codes').value);
  const ttl = Math.round(Number($('hours').value) * 3600);
  $('authorize').disabled = true;
  try {
    const dev = await db.deviceKey();
    const r = await api('POST', '/v1/authorizations', {
      account_id: acct.id, device_public_key: core.toBase64(dev.publicKey),
      cap_per_payment: { minor: cap, currency: acct.currency }, max_codes: codes, ttl_seconds: ttl,
    }, s.token);
    const a = await accept(r, s, acct.id, dev);
    await db.put('auth', a);
    await home();
    refreshAccounts(s).catch(() => {});
  } catch (err) {
    if (err instanceof ApiError && err.code === 'unauthenticated') await db.del('session');
    message('home-msg', errorText(err));
  } finally {
    $('authorize').disabled = false;
  }
}

/** accept checks a first approval as the Go wallet package does and turns it into the stored record. */
async function accept(r, s, accountID, dev) {
  const secret = core.fromBase64(r.secret);
  const credBytes = core.fromBase64(r.credential);
  const cred = core.parseCredential(credBytes);
  const key = (r.server_keys || []).find((k) => k.key_id === cred.keyID);
  const bad = (why) => { throw new Error('the server answer is not acceptable: ' + why); };
  if (secret.length !== 32) bad('secret size');
  if (!key || !(await core.verifyCredential(cred, core.fromBase64(key.public_key)))) bad('credential signature');
  if (core.toBase64(cred.devicePublicKey) !== core.toBase64(dev.publicKey)) bad('credential names another device');
  if (cred.userID !== s.userID || cred.authorizationID !== r.authorization_id) bad('credential for another user or authorization');
  const { otpKey, macKey } = await core.importSecret(secret);
  secret.fill(0);
  return {
    authorizationID: cred.authorizationID, accountID, userID: cred.userID, credential: credBytes, otpKey, macKey,
    cap: { minor: Number(cred.cap), currency: cred.currency }, maxCodes: cred.maxCodes,
    hold: { minor: Number(cred.cap) * cred.maxCodes, currency: cred.currency },
    issuedAt: cred.issuedAt, expiresAt: cred.expiresAt, nextCounter: 0, serverKeys: r.server_keys,
  };
}

let codeTimer = null;

/**
 * onShowCode spends a counter (stored before anything is shown), builds the payload and draws it.
 * offer ({token: bytes, title}, from offers.js) goes into the payload's offer field.
 */
async function onShowCode(offer) {
  message('home-msg', '');
  let spent;
  try {
    spent = await db.spendCounter(nowSeconds());
  } catch (err) {
    // Expired or used: the home screen's card says so (with the date) and offers new codes.
    if (err instanceof db.SpendError) return home(err.kind === 'none' ? t('noAuth') : '');
    return message('home-msg', t('storageError'));
  }
  const { auth: a, counter } = spent;
  const dev = await db.get('device');
  const code = await core.buildPayload({
    credential: a.credential, otpKey: a.otpKey, macKey: a.macKey, deviceKey: dev.privateKey,
    counter, step: core.stepAt(nowSeconds()), offer: offer && offer.token,
  });
  const canvas = $('qr');
  const info = drawQR(canvas, code.text, Math.min(328, document.documentElement.clientWidth - 32)) // clientWidth: without the scroll bar;
  canvas.dataset.counter = String(counter);
  canvas.dataset.version = String(info.version);
  canvas.setAttribute('aria-label', t('codeNumber', counter + 1, a.maxCodes));
  $('code-number').textContent = t('codeNumber', counter + 1, a.maxCodes);
  $('code-left').textContent = t('codesLeft', a.maxCodes - a.nextCounter, a.maxCodes);
  $('code-cred').textContent = t('credentialExpires', when(a.expiresAt));
  $('code-valid').textContent = t('validUntil', whenTime(code.validUntil));
  $('code-expired').hidden = true;
  $('code-offer').textContent = offer ? t('codeWithOffer', offer.title) : '';
  $('code-offer').hidden = !offer;
  $('qr-box').hidden = false;
  show('code');
  clearInterval(codeTimer);
  const tick = () => {
    const now = Date.now() / 1000;
    if (now >= code.validUntil) {
      clearInterval(codeTimer);
      $('qr-box').hidden = true;
      $('code-expired').hidden = false;
      return;
    }
    const next = (core.stepAt(now) + 1) * core.STEP_SECONDS;
    $('countdown').textContent = t('nextStep', Math.ceil(next - now));
  };
  tick();
  codeTimer = setInterval(tick, 1000);
}

async function onRevoke() {
  const [s, a] = await Promise.all([session(), db.get('auth')]);
  if (!s || !a) return home();
  try {
    await api('POST', '/v1/authorizations/' + encodeURIComponent(a.authorizationID) + '/revoke', undefined, s.token);
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 404)) return message('home-msg', errorText(err));
  }
  await db.del('auth');
  await home(t('revoked'));
}

async function onLogout() {
  await db.del('session');
  await db.del('accounts');
  await home();
}

/** onReauthorize leads to the authorize form, or to logging in first when the session has ended. */
function onReauthorize() {
  if ($('authorize-form').hidden) return show('login');
  $('authorize-form').scrollIntoView({ block: 'start' });
  $('cap').focus();
}

function onDone() {
  clearInterval(codeTimer);
  home();
}

// --- start ---

async function start() {
  applyStatic(document);
  $('login-form').addEventListener('submit', onLogin);
  $('authorize-form').addEventListener('submit', onAuthorize);
  $('account').addEventListener('change', updateHold);
  $('cap').addEventListener('input', updateHold);
  $('codes').addEventListener('input', updateHold);
  $('show-code').addEventListener('click', () => onShowCode());
  $('new-code').addEventListener('click', () => onShowCode());
  $('done').addEventListener('click', onDone);
  $('revoke').addEventListener('click', onRevoke);
  $('reauthorize').addEventListener('click', onReauthorize);
  $('logout').addEventListener('click', onLogout);
  $('login-go').addEventListener('click', () => show('login'));
  // Flows 2 and 3 (pay.js, offers.js) use this file's API client, formatting and screens.
  const helpers = { api, ApiError, money, parseMinor, when, show, message, errorText, session, home, showCode: onShowCode };
  initPay(helpers);
  initOffers(helpers);
  initPush(helpers);
  window.addEventListener('online', renderNetwork);
  window.addEventListener('offline', renderNetwork);
  setInterval(() => { if (document.body.dataset.current === 'home') homeTick(); }, 5000);
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register('./sw.js', { scope: './' }).catch(() => {});
  }
  try {
    const [s, a] = await Promise.all([session(), db.get('auth')]);
    if (!s && !a) {
      message('login-msg', navigator.onLine ? t('noAuth') : t('offlineLogin'), 'info');
      show('login');
      renderNetwork();
      return;
    }
    await home();
  } catch {
    message('login-msg', t('storageError'));
    show('login');
  }
  document.body.dataset.ready = '1';
}

/** homeTick re-renders the home screen's state (an authorization that just expired, the network). */
async function homeTick() {
  renderNetwork();
  const a = await db.get('auth');
  if (a && $('auth-card').dataset.state !== authState(a)) home();
}

start().finally(() => { document.body.dataset.ready = '1'; });
