// live-player.js: where the play head of a live view goes (leadControl). A live view joins
// 3.3 s behind the newest video held, jumps back there after a long stall, and otherwise nudges
// its playback rate after each new piece so that the delay settles at that lead.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { SCRIPTS, fakePage } from './page.mjs';

fakePage();
const { captureTime, leadControl, scrubbedTo } = await import(new URL('live-player.js', SCRIPTS));

const LEAD = 3.3;
// One range of video held, [0, end), the head at `at`.
const held = (end, at, rest = {}) => leadControl({
  heldFrom: 0, newestFrom: 0, end, at, live: true, joined: true, appended: true, ...rest,
});

describe('a live view', () => {
  test('joins 3.3 s behind the newest video, at normal speed', () => {
    assert.deepEqual(held(20, 0, { joined: false }), { seek: 20 - LEAD, rate: 1 });
  });

  test('joins at the start of the newest range when it holds less than the lead', () => {
    assert.deepEqual(held(12, 0, { joined: false, newestFrom: 10 }), { seek: 10, rate: 1 });
  });

  test('jumps back to the lead after a long stall (more than 8 s behind), not before', () => {
    assert.deepEqual(held(30, 21.9), { seek: 30 - LEAD, rate: 1 });
    assert.deepEqual(held(30, 22.1), { rate: 1.1 });
  });

  test('after a piece, speeds up when too far behind and slows down when too close', () => {
    assert.deepEqual(held(20, 20 - LEAD), { rate: 1 });
    assert.deepEqual(held(20, 20 - 3.79), { rate: 1 });
    assert.deepEqual(held(20, 20 - 2.81), { rate: 1 });
    assert.deepEqual(held(20, 20 - 3.81), { rate: 1.1 });
    assert.deepEqual(held(20, 20 - 2.79), { rate: 0.95 });
  });

  test('leaves the rate alone between pieces', () => {
    assert.deepEqual(held(20, 20 - 5, { appended: false }), {});
  });

  test('moves a head left before the video held to its start', () => {
    assert.deepEqual(held(20, 13, { heldFrom: 14, newestFrom: 14 }), { seek: 14 });
  });
});

describe('a view played from before the alert', () => {
  const replay = (end, at, rest = {}) => held(end, at, { live: false, joined: false, ...rest });

  test('never jumps to live, however far behind, and plays at normal speed', () => {
    assert.deepEqual(replay(120, 0), { rate: 1 });
    assert.deepEqual(replay(120, 100, { appended: false }), { rate: 1 });
  });

  test('starts at the first video held', () => {
    assert.deepEqual(replay(120, 0, { heldFrom: 2 }), { seek: 2 });
  });
});

// A viewer who opens the page at any moment ends up the same distance behind live. Pieces of
// 2 s arrive every 2 s on average, each up to 0.3 s early or late; between them the head plays at the rate
// chosen (until it runs out of video).
function leadsAfterJoining({ joinedAt, jitter }) {
  let end = 0;
  let at = 0;
  let rate = 1;
  let joined = false;
  const leads = [];
  for (let piece = 0; piece < 60; piece += 1) {
    if (joined) at = Math.min(end, at + rate * (2 + jitter[piece % jitter.length]));
    end += 2;
    if (piece < joinedAt) continue; // the page is not open yet
    const step = leadControl({ heldFrom: 0, newestFrom: 0, end, at, live: true, joined, appended: true });
    if (step.seek !== undefined) at = step.seek;
    if (step.rate !== undefined) rate = step.rate;
    joined = true;
    leads.push(end - at);
  }
  return leads;
}

test('the delay settles at the lead, whenever the viewer joined', () => {
  for (const joinedAt of [0, 3, 17]) {
    for (const jitter of [[0], [0.3, -0.3], [0.25, -0.1, 0.05, -0.3, 0.1]]) {
      const leads = leadsAfterJoining({ joinedAt, jitter });
      // At once at the lead, or at the start when less is held (the very first piece).
      assert.ok(Math.abs(leads[0] - Math.min(LEAD, 2 * (joinedAt + 1))) < 1e-9, `joined at ${leads[0]} s`);
      for (const lead of leads.slice(10)) {
        assert.ok(Math.abs(lead - LEAD) <= 0.5 + 0.3, `${lead.toFixed(2)} s behind (joined at piece ${joinedAt}, jitter ${jitter})`);
      }
    }
  }
});

describe("a tile's scrubber", () => {
  // Two pieces captured at t0 and t0 + 10 s (a gap between), held at 0-2 s and 2-4 s.
  const t0 = Date.UTC(2026, 2, 14, 12, 0, 0);
  const marks = [{ from: 0, to: 2, start: t0 }, { from: 2, to: 4, start: t0 + 10_000 }];

  test('says when the picture playing was captured, per piece', () => {
    assert.equal(captureTime(marks, 1.5), t0 + 1500);
    assert.equal(captureTime(marks, 2.5), t0 + 10_500);
    assert.equal(captureTime(marks, 30), null);
    assert.equal(captureTime([], 1), null);
  });

  test('let go near its right end plays live, else from that moment', () => {
    assert.equal(scrubbedTo(1000, 1005), '');
    assert.equal(scrubbedTo(1000, 1100), new Date(1_000_000).toISOString());
  });
});

test('shorter pieces play closer to live, asked for more often', async () => {
  const { pace } = await import(new URL('live-player.js', SCRIPTS));
  assert.deepEqual(pace(0), { lead: 3.3, pollMs: 1000 });
  assert.deepEqual(pace(2.0), { lead: 3.3, pollMs: 1000 });
  const short = pace(1.0);
  assert.equal(short.pollMs, 250);
  assert.ok(Math.abs(short.lead - 1.45) < 1e-9);
  assert.equal(pace(0.2).lead, 1.4);
});
