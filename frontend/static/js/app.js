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

function focusErrorSummary() {
  const summary = document.querySelector('.error-summary');
  if (summary) summary.focus();
}

// Forms marked .js-confirm ask before doing something that cannot be undone.
function confirmDangerousForms() {
  document.addEventListener('submit', (event) => {
    const form = event.target.closest('.js-confirm');
    if (form && !window.confirm(form.dataset.confirm)) event.preventDefault();
  });
}

new ServiceWorkerRegistrar().register();
confirmDangerousForms();
focusErrorSummary();
