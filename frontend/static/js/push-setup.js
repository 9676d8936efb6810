// "Notifications on this device": asks for permission only on a tap, subscribes this browser
// with the server's VAPID key, and can turn it off again.

import { fetchJSON } from './http.js';
import { t } from './words.js';

function keyBytes(base64url) {
  const padded = (base64url + '='.repeat((4 - (base64url.length % 4)) % 4)).replace(/-/g, '+').replace(/_/g, '/');
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}

class PushSetup {
  constructor(root) {
    this.root = root;
    this.status = root.querySelector('.js-push-status');
    this.on = root.querySelector('.js-push-on');
    this.off = root.querySelector('.js-push-off');
    this.fallback = root.dataset.fallback || t('you get email instead');
    this.on.addEventListener('click', () => this.subscribe());
    this.off.addEventListener('click', () => this.unsubscribe());
    this.refresh();
  }

  say(text) { this.status.textContent = text; }

  async registration() {
    if (!('serviceWorker' in navigator) || !('PushManager' in window)) return null;
    return navigator.serviceWorker.ready;
  }

  async refresh() {
    if (!this.root.dataset.enabled) { this.say(t('Notifications are not set up on this server; %(fallback)s.', { fallback: this.fallback })); return; }
    const registration = await this.registration();
    if (!registration) { this.say(t('This browser cannot show notifications; %(fallback)s.', { fallback: this.fallback })); return; }
    if (Notification.permission === 'denied') {
      this.say(t('Notifications are blocked for this site in your browser settings; %(fallback)s.', { fallback: this.fallback }));
      return;
    }
    const existing = await registration.pushManager.getSubscription();
    this.on.hidden = Boolean(existing);
    this.off.hidden = !existing;
    this.say(existing ? t('Notifications are on for this device.') : t('Notifications are off for this device.'));
  }

  async send(method, body) {
    await fetchJSON('/api/push/subscriptions', { method, body });
  }

  async subscribe() {
    this.say(t('Asking your browser…'));
    try {
      const { public_key: key } = await fetchJSON('/api/push/key');
      if ((await Notification.requestPermission()) !== 'granted') {
        this.say(t('You did not allow notifications; %(fallback)s. You can change this later.', { fallback: this.fallback }));
        return;
      }
      const registration = await this.registration();
      // A browser that cannot reach its push service never settles: give up after 20 s.
      const subscription = await Promise.race([
        registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(key) }),
        new Promise((_, reject) => {
          setTimeout(() => reject(new DOMException('timed out', 'TimeoutError')), 20000);
        }),
      ]);
      const json = subscription.toJSON();
      await this.send('POST', { endpoint: json.endpoint, keys: json.keys, device: navigator.userAgent.slice(0, 80) });
      this.refresh();
    } catch (err) {
      // The browser's own wording ("Registration failed - permission denied") confuses right
      // after the owner allowed notifications; the server's errors are already plain words.
      this.say(err instanceof DOMException
        ? t('This browser could not turn notifications on; %(fallback)s. You can try again later.', { fallback: this.fallback })
        : t('Notifications could not be turned on: %(error)s', { error: err.message }));
    }
  }

  async unsubscribe() {
    try {
      const registration = await this.registration();
      const subscription = registration && await registration.pushManager.getSubscription();
      if (subscription) {
        await this.send('DELETE', { endpoint: subscription.endpoint });
        await subscription.unsubscribe();
      }
      this.refresh();
    } catch (err) {
      this.say(t('Notifications could not be turned off: %(error)s', { error: err.message }));
    }
  }
}

const root = document.querySelector('.js-push');
if (root) new PushSetup(root);
