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
