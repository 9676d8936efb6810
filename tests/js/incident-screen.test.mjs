// incident-screen.js: which cameras the wall opens by itself (toOpen). Only those the app calls
// "live now" with no tile yet, never one the operator closed or one being opened, in the app's
// order (pointing at the scene, then nearest), while the wall has room.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { SCRIPTS, fakePage } from './page.mjs';

fakePage();
const { toOpen } = await import(new URL('incident-screen.js', SCRIPTS));

const camera = (id, availability, tile = null) => ({ camera_id: id, availability, tile });
const none = () => ({ playing: new Map(), dismissed: new Set(), opening: new Set(), room: 16 });

describe('the cameras the wall opens by itself', () => {
  test('only live ones without a tile, in order', () => {
    const cameras = [camera('a', 'live'), camera('b', 'ask'), camera('c', 'later'),
      camera('d', 'live', { share_id: 's' }), camera('e', 'live')];
    assert.deepEqual(toOpen(cameras, none()), ['a', 'e']);
  });
  test('not those playing, closed by the operator, or being opened', () => {
    const cameras = ['a', 'b', 'c', 'd'].map((id) => camera(id, 'live'));
    const state = { ...none(), playing: new Map([['a', {}]]), dismissed: new Set(['b']), opening: new Set(['c']) };
    assert.deepEqual(toOpen(cameras, state), ['d']);
  });
  test('no more than the wall has room for', () => {
    const cameras = Array.from({ length: 20 }, (_, i) => camera(`c${i}`, 'live'));
    assert.equal(toOpen(cameras, { ...none(), room: 3 }).length, 3);
    assert.deepEqual(toOpen(cameras, { ...none(), room: 0 }), []);
  });
});
