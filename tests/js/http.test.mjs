// http.js: the one way pages call the app's JSON API. What it sends (the session cookie, the
// CSRF token, JSON), and the plain words it makes of a refusal (RFC 9457 problem+json).
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';

import { SCRIPTS, fakePage } from './page.mjs';

fakePage({ csrf: 'token-123' });
const { HttpError, csrfToken, fetchJSON, problemWords } = await import(new URL('http.js', SCRIPTS));

const realFetch = globalThis.fetch;
afterEach(() => { globalThis.fetch = realFetch; });

// The app, answering every call with `response` (a Response or a function making one).
function app(response) {
  const calls = [];
  globalThis.fetch = async (url, init) => {
    calls.push({ url, ...init });
    return typeof response === 'function' ? response() : response;
  };
  return calls;
}

const json = (body, status = 200, statusText = 'OK') => new Response(JSON.stringify(body), {
  status, statusText, headers: { 'Content-Type': status < 300 ? 'application/json' : 'application/problem+json' },
});

describe('csrfToken', () => {
  test("is the page's csrf_token field, or '' without one", () => {
    assert.equal(csrfToken(), 'token-123');
    fakePage();
    assert.equal(csrfToken(), '');
    fakePage({ csrf: 'token-123' });
  });
});

describe('fetchJSON', () => {
  test('a GET asks for JSON with the session and the token, and sends no body', async () => {
    const calls = app(json({ ok: 1 }));
    assert.deepEqual(await fetchJSON('/api/map'), { ok: 1 });
    assert.equal(calls.length, 1);
    const [call] = calls;
    assert.equal(call.url, '/api/map');
    assert.equal(call.method, 'GET');
    assert.equal(call.credentials, 'same-origin');
    assert.deepEqual(call.headers, { Accept: 'application/json', 'X-CSRF-Token': 'token-123' });
    assert.equal(call.body, undefined);
  });

  test('a body goes as JSON', async () => {
    const calls = app(json({ url: 'https://storage/clip' }));
    await fetchJSON('/api/evidence/t1/hold', { method: 'PUT', body: { hold: true, reason: 'court order' } });
    assert.equal(calls[0].method, 'PUT');
    assert.equal(calls[0].headers['Content-Type'], 'application/json');
    assert.equal(calls[0].body, '{"hold":true,"reason":"court order"}');
  });

  test('an answer without JSON is {}', async () => {
    app(() => new Response(null, { status: 204 }));
    assert.deepEqual(await fetchJSON('/api/targets/t1/upload/complete', { method: 'POST', body: {} }), {});
  });

  test("a refusal says the problem's detail, then each field's error", async () => {
    const problem = {
      type: '/problems/validation', title: 'Invalid', status: 422, detail: 'Some of it needs changing.',
      errors: { size: 'The file is larger than 2 GB.', filename: 'Choose a video file.' },
    };
    app(json(problem, 422, 'UNPROCESSABLE ENTITY'));
    const err = await fetchJSON('/api/targets/t1/upload', { method: 'POST', body: {} }).catch((e) => e);
    assert.ok(err instanceof HttpError);
    assert.equal(err.message, 'Some of it needs changing. (The file is larger than 2 GB. Choose a video file.)');
    assert.equal(err.status, 422);
    assert.deepEqual(err.problem, problem);
  });

  test('a refusal with no words of its own falls back to the status text, or to the words given', async () => {
    app(() => new Response('<h1>Bad gateway</h1>', { status: 502, statusText: 'Bad Gateway' }));
    const plain = await fetchJSON('/api/map').catch((e) => e);
    assert.equal(plain.message, 'Bad Gateway');
    assert.equal(plain.status, 502);
    const own = await fetchJSON('/api/cameras/c1/photo', { method: 'PUT', body: {}, fallback: 'The photo could not be saved.' }).catch((e) => e);
    assert.equal(own.message, 'The photo could not be saved.');
  });

  test("a dropped connection is fetch's own error, not an HttpError", async () => {
    globalThis.fetch = async () => { throw new TypeError('Failed to fetch'); };
    const err = await fetchJSON('/api/geocode', { method: 'POST', body: { q: 'Elm' } }).catch((e) => e);
    assert.ok(err instanceof TypeError && !(err instanceof HttpError));
  });
});

describe('problemWords', () => {
  test('detail alone, fields alone, or nothing', () => {
    assert.equal(problemWords({ detail: 'The share has ended.' }, 'Gone'), 'The share has ended.');
    assert.equal(problemWords({ errors: { q: 'Type an address.' } }, 'Bad Request'), 'Bad Request (Type an address.)');
    assert.equal(problemWords({}, 'Not Found'), 'Not Found');
    assert.equal(problemWords(null, 'Not Found'), 'Not Found');
  });
});
