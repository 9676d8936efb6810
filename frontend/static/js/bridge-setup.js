// The Bridges page's camera setup (app/services/cameras/bridge_setup.py).
//
// A recorder's password is sealed here, in the owner's browser, with the bridge's own public
// key (RSA-OAEP with SHA-256): only the sealed text is posted, which only that bridge can open.
// The password field has no name, so the form can never send it as typed; without WebCrypto
// (an old browser, a page not served over HTTPS) the form says so and sends nothing.
// While the bridge works on a setup, the page reloads itself every few seconds to show its
// answer.

import { t } from './words.js';

const RELOAD_MS = 3000;

function bytesOf(base64) {
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

function base64Of(buffer) {
  return btoa(String.fromCharCode(...new Uint8Array(buffer)));
}

export async function seal(spkiBase64, secret) {
  const key = await crypto.subtle.importKey('spki', bytesOf(spkiBase64), { name: 'RSA-OAEP', hash: 'SHA-256' }, false, ['encrypt']);
  return base64Of(await crypto.subtle.encrypt({ name: 'RSA-OAEP' }, key, new TextEncoder().encode(secret)));
}

function say(form, words) {
  const box = form.querySelector('.js-seal-error');
  box.textContent = words;
  box.hidden = !words;
}

for (const form of document.querySelectorAll('.js-seal-form')) {
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const field = form.querySelector('.js-password');
    if (!field.value) {
      say(form, t('Type the password of the device (the one you use in its own app or web page).'));
      field.focus();
      return;
    }
    if (!window.crypto || !crypto.subtle) {
      say(form, t('This browser cannot seal the password (it needs a secure https page). Use a recent Chrome, Edge, Firefox or Safari.'));
      return;
    }
    try {
      form.querySelector('[name="sealed_password"]').value = await seal(form.dataset.key, field.value);
    } catch {
      say(form, t('The password could not be sealed for your bridge. Reload the page and try again.'));
      return;
    }
    field.value = '';
    say(form, '');
    form.submit(); // (no second submit event: what is sent is exactly the sealed form)
  });
}

// (not while the owner is typing into another form)
function busyTyping() {
  const typing = document.activeElement && ['INPUT', 'SELECT'].includes(document.activeElement.tagName);
  return typing || [...document.querySelectorAll('.js-password')].some((field) => field.value);
}

if (document.querySelector('.bridge-setup[data-working]')) {
  const again = () => (busyTyping() ? window.setTimeout(again, RELOAD_MS) : window.location.reload());
  window.setTimeout(again, RELOAD_MS);
}
