// words.js: t() gives the page language's words (base.html's #pl-words JSON), English where
// the dictionary has none, with %(name)s filled in and %% a percent sign.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { SCRIPTS } from './page.mjs';

const WORDS = {
  'Sending…': 'Enviando…',
  'Sent to %(count)s people at %(time)s.': 'Enviado a %(count)s personas a las %(time)s.',
  '%(percent)s%% sent': '%(percent)s%% enviado',
};
globalThis.document = {
  documentElement: { dataset: {} },
  querySelector: (selector) => (selector === '#pl-words' ? { textContent: JSON.stringify(WORDS) } : null),
};
const { t } = await import(new URL('words.js', SCRIPTS));

describe('t', () => {
  test("is the dictionary's translation", () => {
    assert.equal(t('Sending…'), 'Enviando…');
  });

  test('fills the values in, by name, in the translation', () => {
    assert.equal(t('Sent to %(count)s people at %(time)s.', { count: 3, time: '17:31:30' }),
      'Enviado a 3 personas a las 17:31:30.');
    assert.equal(t('%(percent)s%% sent', { percent: 42 }), '42% enviado');
  });

  test('is the English where the dictionary has no translation', () => {
    assert.equal(t('The pin is at %(place)s.', { place: 'Main St & 5th Ave' }), 'The pin is at Main St & 5th Ave.');
    assert.equal(t('constructor'), 'constructor'); // (not an Object property)
  });

  test('leaves a placeholder with no value as it is', () => {
    assert.equal(t('Hello %(name)s'), 'Hello %(name)s');
  });
});
