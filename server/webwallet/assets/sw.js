// sw.js: the web wallet's service worker. It keeps the app shell (this app's own static files, no
// data and no secret: those live in IndexedDB) in a cache named after the build, so the app opens
// with no network at all. settlementd replaces BUILD below with a hash of the embedded assets, so a
// new server build installs a new worker and drops the old cache. API calls (/v1/...) never touch
// the cache.

const BUILD = '__BUILD__';
const CACHE = 'stillpay-wallet-' + BUILD;
const SHELL = [
  './',
  'index.html',
  'style.css',
  'app.js',
  'core.js',
  'store.js',
  'qr.js',
  'i18n.js',
  'vendor/qrcode-generator/qrcode.mjs',
  'order.js',
  'pay.js',
  'scan.js',
  'offers.js',
  'offertoken.js',
  'push.js',
  'vendor/jsqr/jsQR.js',
  'manifest.webmanifest',
  'icon-192.png',
  'icon-512.png',
];

self.addEventListener('install', (ev) => {
  ev.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL.map((p) => new Request(p, { cache: 'reload' })))).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (ev) => {
  ev.waitUntil((async () => {
    for (const k of await caches.keys()) {
      if (k.startsWith('stillpay-wallet-') && k !== CACHE) await caches.delete(k);
    }
    await self.clients.claim();
  })());
});

self.addEventListener('fetch', (ev) => {
  const req = ev.request;
  const url = new URL(req.url);
  if (req.method !== 'GET' || url.origin !== self.location.origin || !url.pathname.startsWith('/wallet/')) {
    return; // the API and anything else: straight to the network
  }
  ev.respondWith((async () => {
    const cache = await caches.open(CACHE);
    const key = req.mode === 'navigate' ? './' : req;
    const hit = await cache.match(key, { ignoreSearch: true });
    if (hit) return hit;
    return fetch(req);
  })());
});

// --- Web Push (push.js registers the subscription; docs/wallet.md, "Web Push") ---
// The payload is settlementd's push.Payload, decrypted by the browser: {type: "offer", title, body,
// merchant, message_id}. Only display text: the offer itself is fetched from the inbox.

self.addEventListener('push', (ev) => {
  let p = {};
  try {
    p = ev.data ? ev.data.json() : {};
  } catch {
    p = {};
  }
  const zh = (self.navigator.languages || [self.navigator.language || '']).some((l) => /^zh\b/i.test(l));
  const title = p.merchant ? (zh ? '来自 ' + p.merchant + ' 的新优惠' : 'New offer from ' + p.merchant) : (zh ? '新优惠' : 'New offer');
  ev.waitUntil(self.registration.showNotification(title.slice(0, 120), {
    body: String(p.body || '').slice(0, 200), tag: 'offer-' + String(p.message_id || ''), icon: 'icon-192.png',
    data: { messageID: p.message_id || '' },
  }));
});

self.addEventListener('notificationclick', (ev) => {
  ev.notification.close();
  ev.waitUntil((async () => {
    const url = new URL('./#offers', self.registration.scope).href;
    for (const c of await self.clients.matchAll({ type: 'window', includeUncontrolled: true })) {
      if (c.url.startsWith(self.registration.scope) && 'focus' in c) return c.focus();
    }
    return self.clients.openWindow(url);
  })());
});
