// push.js: "Notify me of offers" (docs/wallet.md, "Web Push"). Shown on the offers screen only while
// offers are on and when both this browser (service worker, PushManager, Notification) and the
// server (GET /v1/push/key answers a VAPID key) can push. Turning it on asks for the notification
// permission, subscribes with the server's VAPID key as applicationServerKey and registers the
// subscription (endpoint and the browser's p256dh and auth keys) with the server; turning it off
// deletes it at the server and unsubscribes. sw.js shows what arrives.

import { t } from './i18n.js';

const $ = (id) => document.getElementById(id);

const SUBSCRIBE_TIMEOUT_MS = 15000;

let ui = null;
let vapidKey = null; // unpadded base64url of the server's VAPID public key, once fetched

const supported = () => 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;

function fromBase64url(s) {
  const b = atob(s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4));
  return Uint8Array.from(b, (c) => c.charCodeAt(0));
}

async function token() {
  const s = await ui.session();
  if (!s) throw new ui.ApiError(401, 'unauthenticated', t('sessionExpired'));
  return s.token;
}

/** register sends a subscription, as PushSubscription.toJSON() gives it, to the server. */
export async function register(sub) {
  const body = { endpoint: sub.endpoint, keys: { p256dh: sub.keys.p256dh, auth: sub.keys.auth } };
  await ui.api('POST', '/v1/push/subscriptions', body, await token());
}

/** unregister asks the server to forget a subscription's endpoint. */
export async function unregister(endpoint) {
  await ui.api('POST', '/v1/push/subscriptions/delete', { endpoint }, await token());
}

async function subscribe() {
  if ((await Notification.requestPermission()) !== 'granted') throw new Error(t('pushDenied'));
  const reg = await navigator.serviceWorker.ready;
  // A browser whose push service cannot be reached may never answer (headless Chromium offline does
  // not): give up after a while, and drop a subscription that still arrives later.
  const pending = reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: fromBase64url(vapidKey) });
  let sub;
  try {
    sub = await Promise.race([pending, new Promise((resolve) => setTimeout(() => resolve(null), SUBSCRIBE_TIMEOUT_MS))]);
  } catch {
    sub = null;
  }
  if (!sub) {
    pending.then((late) => late.unsubscribe()).catch(() => {});
    throw new Error(t('pushFailed'));
  }
  await register(sub.toJSON());
}

async function unsubscribe() {
  const reg = await navigator.serviceWorker.ready;
  const sub = await reg.pushManager.getSubscription();
  if (!sub) return;
  try {
    await unregister(sub.endpoint);
  } finally {
    await sub.unsubscribe();
  }
}

/** sync shows or hides the switch and sets it from this browser's subscription. */
async function sync(offersOn) {
  const row = $('push-row');
  if (!offersOn || !supported()) {
    row.hidden = true;
    return;
  }
  if (vapidKey === null) {
    try {
      vapidKey = (await ui.api('GET', '/v1/push/key', undefined, await token())).vapid_public_key;
    } catch {
      row.hidden = true; // offline, logged out, or a server that sends no pushes
      return;
    }
  }
  row.hidden = false;
  const reg = await navigator.serviceWorker.getRegistration();
  const sub = reg && (await reg.pushManager.getSubscription());
  $('push-on').checked = !!sub && Notification.permission === 'granted';
}

/** initPush wires the switch; offers.js announces the offer settings with an 'offer-settings' event. */
export function initPush(helpers) {
  ui = helpers;
  document.addEventListener('offer-settings', (ev) => { sync(!!(ev.detail && ev.detail.offers)).catch(() => {}); });
  $('push-on').addEventListener('change', async (ev) => {
    const on = ev.target.checked;
    ui.message('push-msg', '');
    try {
      if (on) await subscribe();
      else await unsubscribe();
      ui.message('push-msg', t(on ? 'pushOnDone' : 'pushOffDone'), 'info');
    } catch (err) {
      ev.target.checked = !on;
      ui.message('push-msg', err instanceof ui.ApiError ? ui.errorText(err) : err.message);
    }
  });
}
