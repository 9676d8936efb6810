// Porchlight service worker. SHELL_VERSION, SHELL_URLS and WORDS are prepended by the server
// (/sw.js). App shell cached at install; pages from the network with the offline page as
// fallback; API responses and video are never cached.
/* global SHELL_VERSION, SHELL_URLS, WORDS */
const CACHE = `porchlight-shell-${SHELL_VERSION}`;
const NEVER_CACHE = [/^\/api\//, /^\/healthz$/, /\.(mp4|mov|webm|mkv|avi)$/i, /^\/sw\.js$/];

// The words this worker shows, in the language of the request that fetched it (the account's,
// else the language switch's, else the browser's: app/web/i18n.py). WORDS holds the
// translations of the t('...') texts below (app/web/js_words.py); English shows where it has none.
// A change of language changes this script, so the browser installs it again.
function t(text, values) {
  const said = typeof WORDS === 'object' && WORDS && typeof WORDS[text] === 'string' ? WORDS[text] : text;
  return said.replace(/%(?:\((\w+)\)s|%)/g, (whole, name) => {
    if (name === undefined) return '%';
    return values && Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole;
  });
}

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
// Approve and Decline (a footage request), Share and Not now (police ask to watch live for an
// incident: kind live_ask) work with the app closed: each button carries a signed, single-use token
// that the server takes instead of a session cookie. A plain tap opens the request page.

self.addEventListener('push', (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch {
    data = { title: 'Porchlight', body: event.data ? event.data.text() : '' };
  }
  const actions = (data.actions || []).slice(0, 2);
  const options = {
    body: data.body || '',
    tag: data.tag || 'porchlight',
    icon: '/static/icons/icon-192.png',
    badge: '/static/icons/icon-192.png',
    requireInteraction: data.kind === 'footage_request' || data.kind === 'live_ask',
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
    // A live ask's answer says what to show (sharing now, or not shared); nothing to open.
    if (answer.title) return self.registration.showNotification(answer.title, { body: answer.body || '', tag: notification.tag });
    if (action === 'approve') return openPage(`${answer.url}?done=approve`); // choose the file next
    return self.registration.showNotification(t('Declined'), {
      body: t('The detective sees “declined” and nothing else.'), tag: notification.tag,
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

// ---------------------------------------------------------------- outbox: forms kept offline
// A page keeps an opt-in form (data-outbox) submitted while offline in IndexedDB, on this
// device only (outbox.js): its fields without the CSRF token, the account that filled it in,
// and a random idempotency key the server honours, so that sending it twice never registers a
// second camera or answers twice. This worker sends what waits when Background Sync fires
// ('sync', even with the app closed) and when a page asks ('outbox-send': on reconnect and on
// every page load). Each send takes a fresh CSRF token from /api/me, so a form filled in an
// earlier session still passes; with no session, or another account's, it waits for its own
// account to log in. An entry's state, shown by outbox.js:
//   waiting  not sent yet (offline, or the server could not take it just now)
//   login    no session: sent after the person logs in
//   other    filled in under another account: sent when that account logs in here
//   refused  the server said no (reason kept): the person opens the form to fix it
//   sent     its fields are deleted; only its words stay until a page has said "sent"

const OUTBOX_DB = 'porchlight-outbox';
const OUTBOX_STORE = 'forms';
const OUTBOX_TAG = 'porchlight-outbox';

function outboxRequest(mode, use) {  // the same helper as in outbox.js
  return new Promise((resolve, reject) => {
    const open = indexedDB.open(OUTBOX_DB, 1);
    open.onupgradeneeded = () => open.result.createObjectStore(OUTBOX_STORE, { keyPath: 'key' });
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      const tx = db.transaction(OUTBOX_STORE, mode);
      const request = use(tx.objectStore(OUTBOX_STORE));
      tx.oncomplete = () => { db.close(); resolve(request.result); };
      tx.onerror = tx.onabort = () => { db.close(); reject(tx.error); };
    };
  });
}

// Write the entry's new state unless the page replaced it meanwhile (the person sent the
// same form again, changed, while this send was on its way).
function outboxUpdate(sent, changes) {
  return outboxRequest('readwrite', (store) => {
    const read = store.get(sent.key);
    read.onsuccess = () => {
      if (read.result && read.result.savedAt === sent.savedAt) store.put({ ...sent, ...changes });
    };
    return read;
  });
}

async function outboxReason(response) {
  const type = response.headers.get('Content-Type') || '';
  if (type.includes('json')) {
    const problem = await response.json().catch(() => ({}));
    const fields = Object.values(problem.errors || {});
    if (fields.length || problem.detail) return fields.length ? fields.join(' ') : problem.detail;
  }
  return response.status === 422 ? t('Some of it needs changing.') : t('Porchlight did not accept it.');
}

// Returns false when the network or the server failed: the entry waits for the next try.
async function outboxSendOne(entry, csrfToken) {
  const body = new URLSearchParams(entry.fields);
  body.set('csrf_token', csrfToken);
  body.set('idempotency_key', entry.key);
  const response = await fetch(entry.url, {
    method: 'POST', body, credentials: 'same-origin', redirect: 'manual',
    headers: { Accept: 'application/json' },  // errors as problem+json, with plain words
  }).catch(() => null);
  if (!response || response.status === 429 || response.status >= 500) {
    if (entry.state !== 'waiting') await outboxUpdate(entry, { state: 'waiting' });
    return false;
  }
  if (response.type === 'opaqueredirect' || response.ok) {  // the pages answer with a redirect
    await outboxUpdate(entry, { state: 'sent', fields: [], reason: '' });
  } else if (response.status === 401) {
    await outboxUpdate(entry, { state: 'login' });
  } else {
    await outboxUpdate(entry, { state: 'refused', reason: await outboxReason(response) });
  }
  return true;
}

async function outboxSendAll() {
  const entries = await outboxRequest('readonly', (store) => store.getAll());
  const due = entries.filter((entry) => ['waiting', 'login', 'other'].includes(entry.state));
  if (!due.length) return;
  const me = await fetch('/api/me', {
    credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'application/json' },
  });  // offline: throws, and Background Sync tries again later
  if (me.status >= 500) throw new Error(`Porchlight answered ${me.status}`);
  const who = me.ok ? await me.json() : null;
  let failed = false;
  for (const entry of due) {
    if (!who) await outboxUpdate(entry, { state: 'login' });
    else if (who.user.id !== entry.user) await outboxUpdate(entry, { state: 'other' });
    else if (!failed) failed = !(await outboxSendOne(entry, who.csrf_token));
  }
  if (failed) throw new Error('Porchlight could not take a form just now');
}

// One run at a time: a sync and a page's ask often come together on reconnect.
let outboxRun = null;
function outboxSend() {
  if (!outboxRun) {
    outboxRun = outboxSendAll().finally(async () => {
      outboxRun = null;
      const pages = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
      pages.forEach((page) => page.postMessage({ type: 'outbox-changed' }));
    });
  }
  return outboxRun;
}

self.addEventListener('sync', (event) => {
  if (event.tag === OUTBOX_TAG) event.waitUntil(outboxSend());
});

self.addEventListener('message', (event) => {
  if (event.data && event.data.type === 'outbox-send') {
    event.waitUntil(outboxSend().catch(() => null));  // the page says what still waits
  }
});
