// The little of a page that Porchlight's scripts read as they load, for their unit tests under
// Node: <html data-zone> (the program's time zone), the CSRF field, and no page elements, so
// that no page script starts. Install it before importing a script (await import(...)).
export function fakePage({ zone = 'America/Chicago', zoneLabel = 'Chicago time', csrf = '' } = {}) {
  globalThis.document = {
    documentElement: { dataset: { zone, zoneLabel } },
    querySelector: (selector) => (csrf && selector === 'input[name="csrf_token"]' ? { value: csrf } : null),
    querySelectorAll: () => [],
  };
}

export const SCRIPTS = new URL('../../frontend/static/js/', import.meta.url);
