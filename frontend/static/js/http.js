// Talking to the app's JSON API from a page: the CSRF token and one fetch wrapper. ES module;
// no globals, nothing done at import. (The service worker, a classic script, keeps its own:
// sw.js cannot import modules.)

// The page's CSRF token (every page with a form carries one); '' when there is none.
export function csrfToken() {
  const input = document.querySelector('input[name="csrf_token"]');
  return input ? input.value : '';
}

// An answer other than 2xx. `message` is the problem's own words (RFC 9457 `detail`, with the
// fields' errors after it); `status` and the parsed `problem` let a caller tell cases apart
// (live-player.js: a share that ended; address-search.js: the address field's own error).
export class HttpError extends Error {
  constructor(message, status, problem) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.problem = problem;
  }
}

// The plain words of an application/problem+json body: its detail, then what is wrong with
// each field in brackets ("Check the form. (Choose a day within 30 days.)"); `fallback` when
// it says nothing.
export function problemWords(problem, fallback) {
  const errors = problem && typeof problem.errors === 'object' && problem.errors
    ? Object.values(problem.errors).join(' ') : '';
  const detail = (problem && problem.detail) || fallback;
  return errors ? `${detail} (${errors})` : detail;
}

// A JSON call to the app: the session cookie, the CSRF token, JSON in (`body`, when given) and
// out. Resolves to the answer's JSON ({} when it has none); rejects with an HttpError when the
// app says no, and with fetch's own TypeError when the network fails. `fallback` words stand in
// for a problem with no detail (the status text by default).
export async function fetchJSON(url, { method = 'GET', body, fallback } = {}) {
  const headers = { Accept: 'application/json', 'X-CSRF-Token': csrfToken() };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(url, {
    method,
    credentials: 'same-origin',
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new HttpError(problemWords(data, fallback || response.statusText), response.status, data);
  return data;
}
