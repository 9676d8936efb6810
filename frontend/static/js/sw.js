// Porchlight service worker. SHELL_VERSION and SHELL_URLS are prepended by the server (/sw.js).
// App shell cached at install; pages from the network with the offline page as fallback;
// API responses and video are never cached.
/* global SHELL_VERSION, SHELL_URLS */
const CACHE = `porchlight-shell-${SHELL_VERSION}`;
const NEVER_CACHE = [/^\/api\//, /^\/healthz$/, /\.(mp4|mov|webm|mkv|avi)$/i, /^\/sw\.js$/];

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches.open(CACHE).then((cache) => cache.addAll(SHELL_URLS)).then(() => self.skipWaiting())
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(
        keys.filter((key) => key.startsWith('porchlight-') && key !== CACHE)
          .map((key) => caches.delete(key))
      ))
      .then(() => self.clients.claim())
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (NEVER_CACHE.some((pattern) => pattern.test(url.pathname))) return;

  if (request.mode === 'navigate') {
    // Pages carry personal data: always from the network, never stored; offline page if down.
    event.respondWith(
      fetch(request).catch(() => caches.match('/offline'))
    );
    return;
  }
  if (SHELL_URLS.includes(url.pathname)) {
    event.respondWith(
      caches.match(request).then((hit) => hit || fetch(request))
    );
  }
});
