// upload.js: which parts of the owner's video are still to send and which bytes each holds,
// and the recorder's clock (what it showed, its offset, the asked window in its own time).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { SCRIPTS, fakePage } from './page.mjs';

process.env.TZ = 'Asia/Kolkata';
fakePage({ zone: 'America/Chicago', zoneLabel: 'Chicago time' });
const {
  inGroups, offsetSeconds, offsetWords, partRange, partsToSend, percentSent, recorderShows, recorderWindow,
} = await import(new URL('upload.js', SCRIPTS));

const MB = 1024 * 1024;
const PART = 16 * MB;
const utc = (date) => date.toISOString();

describe('part bookkeeping', () => {
  test('a new upload sends every part, first to last', () => {
    assert.deepEqual(partsToSend(4, []), [1, 2, 3, 4]);
  });

  test('a resumed upload sends only the parts storage lacks', () => {
    assert.deepEqual(partsToSend(6, [1, 2, 4]), [3, 5, 6]);
    assert.deepEqual(partsToSend(6, [6, 1]), [2, 3, 4, 5]);
    assert.deepEqual(partsToSend(3, [1, 2, 3]), []);
  });

  test('parts cover the file exactly once, the last one shorter', () => {
    for (const size of [1, PART - 1, PART, PART + 1, 3 * PART, 2 * 1024 ** 3, 1234567891]) {
      const count = Math.ceil(size / PART);
      let next = 0;
      for (let n = 1; n <= count; n += 1) {
        const [start, end] = partRange(n, PART, size);
        assert.equal(start, next, `part ${n} of ${size} bytes starts where the last ended`);
        assert.ok(end > start && end - start <= PART, `part ${n} of ${size} bytes is 1..${PART} bytes`);
        next = end;
      }
      assert.equal(next, size, `${count} parts hold all ${size} bytes`);
    }
    assert.deepEqual(partRange(3, PART, 2.5 * PART), [2 * PART, 2.5 * PART]);
  });

  test('presigned URLs are asked for 64 parts at a time, and not at all when none remain', () => {
    const todo = partsToSend(130, [5]);
    assert.deepEqual(inGroups(todo).map((group) => group.length), [64, 64, 1]);
    assert.deepEqual(inGroups(todo).flat(), todo);
    assert.deepEqual(inGroups([]), []);
  });

  test('progress is whole per cent, and stays at 99 until the app has the whole file', () => {
    assert.equal(percentSent(0, 100 * MB), 0);
    assert.equal(percentSent(33.9 * MB, 100 * MB), 33);
    assert.equal(percentSent(100 * MB, 100 * MB), 99);
  });
});

describe("the recorder's clock", () => {
  const readAt = new Date('2026-12-04T23:31:30Z'); // 17:31:30 in Chicago

  test('a reading is the recorder time nearest the moment it was read', () => {
    assert.equal(utc(recorderShows('17:33:37', readAt)), '2026-12-04T23:33:37.000Z');
    assert.equal(utc(recorderShows('17:33', readAt)), '2026-12-04T23:33:00.000Z');
    assert.equal(utc(recorderShows('17:33:37.9', readAt)), '2026-12-04T23:33:37.000Z');
  });

  test('around midnight the reading belongs to the nearer day', () => {
    const justAfter = new Date('2026-12-05T06:10:00Z'); // 00:10 on Sat 5 Dec
    assert.equal(utc(recorderShows('23:59:30', justAfter)), '2026-12-05T05:59:30.000Z'); // Fri 4 Dec
    const justBefore = new Date('2026-12-05T05:50:00Z'); // 23:50 on Fri 4 Dec
    assert.equal(utc(recorderShows('00:05', justBefore)), '2026-12-05T06:05:00.000Z'); // Sat 5 Dec
  });

  test('the offset is counted from the middle of the second shown, as the server counts it', () => {
    assert.equal(offsetSeconds(recorderShows('17:33:37', readAt), readAt), 127.5);
    assert.equal(offsetSeconds(recorderShows('17:31:30', readAt), readAt), 0.5);
    assert.equal(offsetSeconds(recorderShows('16:29:25', readAt), readAt), -3724.5);
  });

  test('the offset in words', () => {
    assert.equal(offsetWords(0.5), 'on time');
    assert.equal(offsetWords(127.5), '2 min 8 s ahead');
    assert.equal(offsetWords(-3724.2), '1 h 2 min 4 s behind');
    assert.equal(offsetWords(3600), '1 h ahead');
  });

  test("the asked window in the recorder's time holds the whole window, to the second", () => {
    const start = new Date('2026-12-04T23:31:00Z');
    const end = new Date('2026-12-04T23:31:20Z');
    const asked = recorderWindow(start, end, 127.5);
    assert.equal(utc(asked.first), '2026-12-04T23:33:07.000Z');
    assert.equal(utc(asked.last), '2026-12-04T23:33:28.000Z');
    assert.equal(asked.words, 'Export 17:33:07 to 17:33:28 on Fri 4 Dec (Chicago time) as your recorder shows it.');
  });

  test('a window across midnight names both days', () => {
    const asked = recorderWindow(new Date('2026-12-05T05:59:50Z'), new Date('2026-12-05T06:00:10Z'), 0.5);
    assert.equal(asked.words, 'Export 23:59:50 to 00:00:11 (Fri 4 Dec to Sat 5 Dec) (Chicago time) as your recorder shows it.');
  });
});
