// Porchlight page script: registers the service worker and moves focus to error summaries.
// ES module; no globals.

class ServiceWorkerRegistrar {
  // States: unsupported | registering | registered | failed
  constructor({ url = '/sw.js', scope = '/' } = {}) {
    this.url = url;
    this.scope = scope;
    this.state = 'serviceWorker' in navigator ? 'registering' : 'unsupported';
  }

  async register() {
    if (this.state === 'unsupported') return this.state;
    try {
      await navigator.serviceWorker.register(this.url, { scope: this.scope, type: 'classic' });
      this.state = 'registered';
    } catch (err) {
      console.warn('Porchlight: service worker not registered', err);
      this.state = 'failed';
    }
    document.documentElement.dataset.sw = this.state;
    return this.state;
  }
}

// After a submit, focus goes where the answer is: the errors, else the results (.js-focus-on-load),
// so keyboard and screen-reader users start there instead of at the top of the page.
function focusErrorSummary() {
  const target = document.querySelector('.error-summary') || document.querySelector('.js-focus-on-load');
  if (target) target.focus();
}

// Forms marked .js-confirm ask before doing something that cannot be undone.
function confirmDangerousForms() {
  document.addEventListener('submit', (event) => {
    const form = event.target.closest('.js-confirm');
    if (form && !window.confirm(form.dataset.confirm)) event.preventDefault();
  });
}

// The phone's "More" menu closes with Escape (focus back on it) and with a tap elsewhere.
function closableMenus() {
  document.addEventListener('keydown', (event) => {
    const open = document.querySelector('.js-nav-more[open]');
    if (event.key !== 'Escape' || !open) return;
    open.open = false;
    open.querySelector('summary').focus();
  });
  document.addEventListener('click', (event) => {
    const open = document.querySelector('.js-nav-more[open]');
    if (open && !open.contains(event.target)) open.open = false;
  });
}

new ServiceWorkerRegistrar().register();
closableMenus();
confirmDangerousForms();
focusErrorSummary();
// Forms kept while offline. Imported when needed, so that the lines above work even if it
// cannot load.
import('./outbox.js').then(({ Outbox }) => new Outbox().start()).catch(() => null);
