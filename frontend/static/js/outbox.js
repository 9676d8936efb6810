// Forms kept while offline. A form marked data-outbox (see _forms.html: never one with a
// password) that is submitted while the phone is offline is kept in IndexedDB, on this device
// only, instead of ending on the browser's error page; the page says so in a role="status"
// region. The service worker sends it (sw.js, "outbox"): by Background Sync where the browser
// has it, even with the app closed, and when a page asks: on reconnect and on every page load.
// Entry states are listed in sw.js: waiting | login | other | refused | sent.
// ES module; no globals. Nothing kept here is ever written to the console.

import { t } from './words.js';

const DB = 'porchlight-outbox';
const STORE = 'forms';
const SYNC_TAG = 'porchlight-outbox';
const RETRY_MS = 60_000;
// After a failed send, sooner at first: just after reconnecting, the network (or the service
// worker's view of it) often needs a moment more than the page's 'online' event says.
const BACKOFF_MS = [2_000, 5_000, 15_000];

function outboxRequest(mode, use) {  // the same helper as in sw.js
  return new Promise((resolve, reject) => {
    const open = indexedDB.open(DB, 1);
    open.onupgradeneeded = () => open.result.createObjectStore(STORE, { keyPath: 'key' });
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      const tx = db.transaction(STORE, mode);
      const request = use(tx.objectStore(STORE));
      tx.oncomplete = () => { db.close(); resolve(request.result); };
      tx.onerror = tx.onabort = () => { db.close(); reject(tx.error); };
    };
  });
}

const path = (url) => url.pathname + url.search;
// Not form.action: a field named "action" (the answer forms have one) hides that property.
const addressOf = (form) => new URL(form.getAttribute('action') || '', location.href);

// The kept form's fields, as a later send posts them: no CSRF token (a fresh one is taken
// then), no files, and nothing at all from a form with a password.
function fieldsOf(form, submitter) {
  if (form.querySelector('input[type="password"]')) return null;
  return [...new FormData(form, submitter)]
    .filter(([name, value]) => name !== 'csrf_token' && typeof value === 'string');
}

// Whether this form is the one an entry was kept from: same address, same hidden values
// (the request page has three answer forms to one address).
function keptFrom(form, entry) {
  if (path(addressOf(form)) !== entry.url) return false;
  return [...form.querySelectorAll('input[type="hidden"]')]
    .filter((input) => input.name && input.name !== 'csrf_token')
    .every((input) => entry.fields.some(([name, value]) => name === input.name && value === input.value));
}

function fill(form, fields) {
  for (const element of form.elements) {
    if (!element.name || element.name === 'csrf_token' || ['hidden', 'file', 'password', 'submit', 'button'].includes(element.type)) continue;
    const values = fields.filter(([name]) => name === element.name).map(([, value]) => value);
    if (element.type === 'checkbox' || element.type === 'radio') element.checked = values.includes(element.value);
    else if (values.length) element.value = values[0];
    element.dispatchEvent(new Event('input', { bubbles: true }));
    element.dispatchEvent(new Event('change', { bubbles: true }));
  }
}

export class Outbox {
  constructor() {
    this.keys = new Map();  // form address -> idempotency key: one per form on this page view
    this.notes = [];        // "sent" and "not sent" lines this page has taken from the store
    this.sending = false;   // asked the worker, no answer yet
    this.retry = null;
    this.failures = 0;      // sends in a row the server or the network could not take
    this.rendering = Promise.resolve([]);
    this.latest = [];       // the paragraphs to show
    this.region = document.createElement('div');
    this.region.className = 'outbox-status';
    this.region.setAttribute('role', 'status');
    this.region.hidden = true;
  }

  start() {
    if (!('serviceWorker' in navigator) || !('indexedDB' in window)) return;  // forms post as before
    document.querySelector('main')?.prepend(this.region);
    document.addEventListener('submit', (event) => this.onSubmit(event));
    window.addEventListener('online', () => this.send());
    window.addEventListener('offline', () => this.render());
    navigator.serviceWorker.addEventListener('message', (event) => {
      if (event.data && event.data.type === 'outbox-changed') this.sent();
    });
    document.documentElement.dataset.outbox = 'ready';
    this.send();
  }

  onSubmit(event) {
    const form = event.target.closest('form[data-outbox]');
    if (!form || event.defaultPrevented || navigator.onLine) return;
    const fields = fieldsOf(form, event.submitter);
    const url = addressOf(form);
    if (!fields || url.origin !== location.origin) return;
    event.preventDefault();
    this.keep(form, path(url), fields);
  }

  async keep(form, url, fields) {
    // The same form sent again before it went (changed, say) replaces what was kept.
    const key = this.keys.get(url) || crypto.randomUUID();
    this.keys.set(url, key);
    const name = form.elements.namedItem(form.dataset.outboxNameField || '')?.value?.trim();
    const entry = {
      key, url, fields, state: 'waiting', reason: '', savedAt: Date.now(),
      label: name ? `${form.dataset.outbox} “${name}”` : form.dataset.outbox,
      user: form.dataset.outboxUser, done: form.dataset.outboxDone,
      page: path(new URL(location.href)),
    };
    form.after(this.region);  // the words appear where the person tapped
    try {
      await outboxRequest('readwrite', (store) => store.put(entry));
    } catch {
      this.show([{ text: t('You are offline, and this device could not keep the form. Send it again when you are back online.') }]);
      return;
    }
    this.render();
    navigator.serviceWorker.ready
      .then((registration) => registration.sync && registration.sync.register(SYNC_TAG))
      .catch(() => null);  // no Background Sync: the page sends on reconnect instead
  }

  // Ask the service worker to send what waits; it answers "outbox-changed" (sent()).
  async send() {
    clearTimeout(this.retry);
    this.sending = navigator.onLine;
    const kept = await this.render();
    if (!this.sending || !kept.some((entry) => entry.state !== 'refused')) {
      this.sending = false;
      return;
    }
    const registration = await navigator.serviceWorker.ready;
    registration.active?.postMessage({ type: 'outbox-send' });
    this.retry = setTimeout(() => this.send(), RETRY_MS);  // in case no answer comes
  }

  async sent() {
    clearTimeout(this.retry);
    this.sending = false;
    const kept = await this.render();
    if (navigator.onLine && kept.some((entry) => entry.state === 'waiting')) {
      // the server or the network could not take it: again soon, then once a minute
      this.retry = setTimeout(() => this.send(), BACKOFF_MS[this.failures] || RETRY_MS);
      this.failures += 1;
    } else {
      this.failures = 0;
    }
  }

  // Read the store and say what it holds; returns the entries still kept. One at a time, so
  // that a "sent" is said once.
  render() {
    this.rendering = this.rendering.then(() => this.renderNow(), () => this.renderNow());
    return this.rendering;
  }

  async renderNow() {
    let entries = [];
    try {
      entries = await outboxRequest('readonly', (store) => store.getAll());
    } catch {
      return [];
    }
    const kept = [];
    for (const entry of entries) {
      if (entry.state === 'sent') await this.take(entry, { text: t('Sent: %(form)s.', { form: entry.label }), link: entry.done, words: t('See it') });
      else if (entry.state === 'refused' && entry.page === path(new URL(location.href))) await this.giveBack(entry);
      else kept.push(entry);
    }
    this.show([...this.notes, ...this.lines(kept)]);
    return kept;
  }

  lines(entries) {
    const lines = [];
    const inState = (state) => entries.filter((entry) => entry.state === state);
    // One sentence for one form and one for more (English and Spanish count alike).
    const labels = (list) => list.map((entry) => entry.label).join('; ');
    const waiting = inState('waiting');
    if (waiting.length && !navigator.onLine) {
      lines.push({ text: waiting.length === 1
        ? t('1 form waiting to be sent when you are back online: %(forms)s. It is kept on this device.', { forms: labels(waiting) })
        : t('%(count)s forms waiting to be sent when you are back online: %(forms)s. They are kept on this device.', { count: waiting.length, forms: labels(waiting) }) });
    } else if (waiting.length && this.sending) {
      lines.push({ text: waiting.length === 1
        ? t('Sending 1 form: %(forms)s…', { forms: labels(waiting) })
        : t('Sending %(count)s forms: %(forms)s…', { count: waiting.length, forms: labels(waiting) }) });
    } else if (waiting.length) {
      lines.push({ text: waiting.length === 1
        ? t('1 form waiting: Porchlight could not take it just now, and tries again shortly: %(forms)s.', { forms: labels(waiting) })
        : t('%(count)s forms waiting: Porchlight could not take them just now, and tries again shortly: %(forms)s.', { count: waiting.length, forms: labels(waiting) }) });
    }
    const login = inState('login');
    if (login.length) {
      lines.push({ text: login.length === 1
        ? t('1 form waiting for you to log in: %(forms)s. It is sent once you have.', { forms: labels(login) })
        : t('%(count)s forms waiting for you to log in: %(forms)s. They are sent once you have.', { count: login.length, forms: labels(login) }),
        link: `/login?next=${encodeURIComponent(path(new URL(location.href)))}`, words: t('Log in') });
    }
    const other = inState('other');
    if (other.length) {
      lines.push({ text: other.length === 1
        ? t('1 form filled in under another account waiting on this device: sent when that account logs in here.')
        : t('%(count)s forms filled in under another account waiting on this device: sent when that account logs in here.', { count: other.length }) });
    }
    for (const entry of inState('refused')) {
      lines.push({ text: t('Not sent: %(form)s. %(reason)s', { form: entry.label, reason: entry.reason }), link: entry.page, words: t('Open the form to check it') });
    }
    return lines;
  }

  // A form the server refused, on the page it was filled in: back into the form if it is
  // still here, so the person can check it and send it again; said once in any case.
  async giveBack(entry) {
    const form = [...document.querySelectorAll('form[data-outbox]')].find((f) => keptFrom(f, entry));
    if (form) fill(form, entry.fields);
    const text = form
      ? t('Not sent: %(form)s. %(reason)s It is back in the form: check it and send it again.', { form: entry.label, reason: entry.reason })
      : t('Not sent: %(form)s. %(reason)s', { form: entry.label, reason: entry.reason });
    await this.take(entry, { text });
  }

  async take(entry, note) {
    this.notes.push(note);
    await outboxRequest('readwrite', (store) => store.delete(entry.key)).catch(() => null);
    for (const [url, key] of this.keys) if (key === entry.key) this.keys.delete(url);
  }

  show(lines) {
    const paragraphs = lines.map(({ text, link, words }) => {
      const p = document.createElement('p');
      p.textContent = text;
      if (link) {
        const a = document.createElement('a');
        a.href = link;
        a.textContent = words;
        p.append(' ', a);
      }
      return p;
    });
    this.latest = paragraphs;
    if (!paragraphs.length) {
      this.region.hidden = true;
      this.region.replaceChildren();
    } else if (this.region.hidden) {
      // Shown first, then filled, so that screen readers announce the words.
      this.region.hidden = false;
      requestAnimationFrame(() => this.region.replaceChildren(...this.latest));
    } else {
      this.region.replaceChildren(...paragraphs);
    }
  }
}
