// offers.js: flow 3 in the web wallet, as shared/wallet and `wallet inbox|offers|settings` do it.
// Offers are off by default: the customer turns them on (PUT /v1/offer-settings) and may opt out
// of single merchants. The inbox (GET /v1/messages) keeps each new offer in IndexedDB, de-duplicated
// by message id, before it acknowledges them (POST /v1/messages/ack), so a crash in between only
// gets the same messages again. Paying with an offer shows a payment code whose payload carries the
// offer token's bytes (core.buildPayload's offer field), as `wallet code --offer`.

import * as db from './store.js';
import { parseOfferToken, verifyOfferToken } from './offertoken.js';
import { fromBase64 } from './core.js';
import { t } from './i18n.js';

const $ = (id) => document.getElementById(id);
const nowSeconds = () => Math.floor(Date.now() / 1000);
const MAX_OFFERS = 200; // wallet.MaxOffers

let ui = null;

/** inbox fetches new messages, stores their offers, then acknowledges them; returns the new ones. */
async function inbox(s) {
  const r = await ui.api('GET', '/v1/messages', undefined, s.token);
  const msgs = (r && r.messages) || [];
  if (msgs.length === 0) return [];
  const held = (await db.get('offers')) || [];
  const trusted = await db.trustedKeys();
  const fresh = [];
  for (const m of msgs) {
    if (held.some((o) => o.messageID === m.id)) continue; // a redelivery
    let tok;
    try {
      tok = parseOfferToken(fromBase64(m.offer || ''));
    } catch {
      continue; // a malformed offer is dropped, as shared/wallet does
    }
    const verified = await verifyOfferToken(tok, trusted, s.userID, m.merchant_id, nowSeconds());
    fresh.push({ messageID: m.id, offerID: tok.id, merchantID: m.merchant_id, title: m.title, text: m.text, token: m.offer,
      kind: tok.kind, value: tok.value, minSpend: tok.minSpend, maxOff: tok.maxDiscount, currency: tok.currency,
      validFrom: tok.validFrom, validUntil: tok.validUntil, verified, receivedAt: nowSeconds() });
  }
  await db.put('offers', [...held, ...fresh].slice(-MAX_OFFERS));
  await ui.api('POST', '/v1/messages/ack', { ids: msgs.map((m) => m.id) }, s.token);
  return fresh;
}

function discountText(o) {
  let d = o.kind === 'fixed' ? t('offerFixed', ui.money({ minor: o.value, currency: o.currency }))
    : t('offerPercent', (o.value / 100).toFixed(o.value % 100 ? 2 : 0));
  if (o.minSpend > 0) d += ' ' + t('offerMin', ui.money({ minor: o.minSpend, currency: o.currency }));
  return d;
}

async function render() {
  const held = ((await db.get('offers')) || []).filter((o) => nowSeconds() < o.validUntil).reverse();
  const settings = await db.get('offerSettings');
  const optOuts = (settings && settings.opt_outs) || [];
  const list = $('offer-list');
  list.replaceChildren();
  for (const o of held) {
    if (optOuts.includes(o.merchantID)) continue;
    const li = document.createElement('li');
    li.className = 'card';
    li.dataset.offer = o.offerID;
    const h = document.createElement('h2');
    h.textContent = o.title;
    const p = document.createElement('p');
    p.textContent = o.text;
    const d = document.createElement('p');
    d.className = 'big';
    d.textContent = discountText(o);
    const m = document.createElement('p');
    m.className = 'note';
    m.textContent = t('offerFrom', o.merchantID, ui.when(o.validUntil)) + (o.verified ? '' : ' ' + t('offerUnverified'));
    const pay = document.createElement('button');
    pay.type = 'button';
    pay.className = 'primary';
    pay.textContent = t('payWithOffer');
    pay.dataset.action = 'pay';
    pay.addEventListener('click', () => payWith(o));
    const out = document.createElement('button');
    out.type = 'button';
    out.className = 'secondary';
    out.textContent = t('optOutMerchant');
    out.dataset.action = 'opt-out';
    out.addEventListener('click', () => change({ optOut: o.merchantID }));
    li.append(h, p, d, m, pay, out);
    list.append(li);
  }
  $('no-offers').hidden = list.children.length > 0;
  $('offers-on').checked = !!(settings && settings.offers);
  document.dispatchEvent(new CustomEvent('offer-settings', { detail: settings })); // push.js
  const outs = $('opt-outs');
  outs.replaceChildren();
  for (const id of optOuts) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'secondary';
    b.textContent = t('optInAgain', id);
    b.dataset.merchant = id;
    b.addEventListener('click', () => change({ optIn: id }));
    outs.append(b);
  }
}

/** change reads the settings, applies one change and writes them back (wallet.ChangeOfferSettings). */
async function change({ offers, optOut, optIn }) {
  ui.message('offers-msg', '');
  const s = await ui.session();
  if (!s) return ui.message('offers-msg', t('sessionExpired'));
  try {
    const cur = await ui.api('GET', '/v1/offer-settings', undefined, s.token);
    if (offers !== undefined) cur.offers = offers;
    let outs = cur.opt_outs || [];
    if (optOut && !outs.includes(optOut)) outs = [...outs, optOut];
    if (optIn) outs = outs.filter((m) => m !== optIn);
    const saved = await ui.api('PUT', '/v1/offer-settings', { offers: cur.offers, opt_outs: outs }, s.token);
    await db.put('offerSettings', saved);
  } catch (err) {
    ui.message('offers-msg', ui.errorText(err));
  }
  await render();
}

async function refresh() {
  $('offer-list').dataset.state = 'loading'; // 'ready' once the inbox answered (tests wait for it)
  try {
    await fetchInbox();
  } finally {
    $('offer-list').dataset.state = 'ready';
  }
}

async function fetchInbox() {
  ui.message('offers-msg', '');
  const s = await ui.session();
  if (!s) return ui.message('offers-msg', t('sessionExpired'));
  try {
    await db.put('offerSettings', await ui.api('GET', '/v1/offer-settings', undefined, s.token));
    const fresh = await inbox(s);
    await render();
    ui.message('offers-msg', fresh.length ? t('newOffers', fresh.length) : t('noNewOffers'), 'info');
    if (fresh.length) {
      // Shown on screen: the customer opened them (as `wallet inbox` marks them).
      ui.api('POST', '/v1/messages/ack', { ids: fresh.map((o) => o.messageID), opened: true }, s.token).catch(() => {});
    }
  } catch (err) {
    await render();
    ui.message('offers-msg', ui.errorText(err));
  }
}

/** payWith checks the offer is valid now (before any counter is spent) and shows a code carrying it. */
async function payWith(o) {
  let tok;
  try {
    tok = parseOfferToken(fromBase64(o.token));
  } catch {
    return ui.message('offers-msg', t('offerExpired'));
  }
  const now = nowSeconds();
  if (now < tok.validFrom || now >= tok.validUntil) return ui.message('offers-msg', t('offerExpired'));
  await ui.showCode({ token: tok.bytes, title: o.title });
}

async function open() {
  $('offer-list').dataset.state = 'loading';
  ui.show('offers');
  await render();
  if (navigator.onLine) await refresh();
  else $('offer-list').dataset.state = 'ready';
}

/** initOffers wires the offers screen; helpers come from app.js. */
export function initOffers(helpers) {
  ui = helpers;
  $('offers-go').addEventListener('click', open);
  $('offers-refresh').addEventListener('click', refresh);
  $('offers-on').addEventListener('change', (ev) => change({ offers: ev.target.checked }));
  $('offers-back').addEventListener('click', () => ui.home());
}
