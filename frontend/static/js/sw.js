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

// ---------------------------------------------------------------- footage-request notifications
// The push worker sends {kind, title, body, url, tag, answer_url, actions: [{action, title, token}]}.
// Approve and Decline work with the app closed: each button carries a signed, single-use token
// that the server takes instead of a session cookie. A plain tap opens the request page.

self.addEventListener('push', (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (err) {
    data = { title: 'Porchlight', body: event.data ? event.data.text() : '' };
  }
  const actions = (data.actions || []).slice(0, 2);
  const options = {
    body: data.body || '',
    tag: data.tag || 'porchlight',
    icon: '/static/icons/icon-192.png',
    badge: '/static/icons/icon-192.png',
    requireInteraction: data.kind === 'footage_request',
    data: {
      url: data.url || '/', answerUrl: data.answer_url || '/api/answers',
      tokens: Object.fromEntries(actions.map((a) => [a.action, a.token])),
    },
    actions: actions.map((a) => ({ action: a.action, title: a.title })),
  };
  event.waitUntil(self.registration.showNotification(data.title || 'Porchlight', options));
});

async function openPage(url) {
  const absolute = new URL(url, self.location.origin).href;
  const open = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const same = open.find((client) => client.url === absolute);
  if (same) return same.focus();
  return self.clients.openWindow(absolute);
}

async function answerFromNotification(notification, action) {
  const { answerUrl, tokens, url } = notification.data || {};
  const response = await fetch(answerUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ token: tokens[action] }),
    credentials: 'omit',
  }).catch(() => null);
  if (response && response.ok) {
    const answer = await response.json();
    if (action === 'approve') return openPage(`${answer.url}?done=approve`); // choose the file next
    return self.registration.showNotification('Declined', {
      body: 'The detective sees “declined” and nothing else.', tag: notification.tag,
    });
  }
  // Expired, already answered or offline: the request page says which and lets them answer.
  return openPage(url);
}

self.addEventListener('notificationclick', (event) => {
  const notification = event.notification;
  notification.close();
  const action = event.action;
  if (action && notification.data && notification.data.tokens && notification.data.tokens[action]) {
    event.waitUntil(answerFromNotification(notification, action));
  } else {
    event.waitUntil(openPage((notification.data && notification.data.url) || '/'));
  }
});
