// program-time.js: times in the program's one zone, whatever zone the device is set to. Every
// check compares instants in UTC (toISOString) or the strings the page shows, so it holds on
// any machine; the device here is put in India on purpose, far from the program's Chicago.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { SCRIPTS, fakePage } from './page.mjs';

process.env.TZ = 'Asia/Kolkata';
fakePage({ zone: 'America/Chicago', zoneLabel: 'Chicago time' });
const {
  clock, day, fromInputValue, fromWall, inputValue, isoWithZone, wall, when, zoneLabel,
} = await import(new URL('program-time.js', SCRIPTS));

const at = (iso) => new Date(iso);
const utc = (date) => date.toISOString();
const HOUR = 3600 * 1000;

describe('the wall clock in the program zone', () => {
  test('is Chicago time on a device set to India', () => {
    const moment = at('2026-12-04T23:31:30Z');
    assert.deepEqual(wall(moment), { year: 2026, month: 12, day: 4, hour: 17, minute: 31, second: 30 });
    assert.equal(clock(moment), '17:31:30');
    assert.equal(clock(moment, false), '17:31');
    assert.equal(day(moment), 'Fri 4 Dec');
    assert.equal(when(moment), 'Fri 4 Dec, 17:31 Chicago time');
    assert.equal(zoneLabel, 'Chicago time');
  });

  test('is 24-hour, with midnight as 00', () => {
    assert.equal(clock(at('2026-12-05T06:00:05Z')), '00:00:05');
  });
});

describe('fromWall and isoWithZone', () => {
  test('winter and summer carry their own offsets', () => {
    assert.equal(utc(fromWall({ year: 2026, month: 12, day: 4, hour: 17, minute: 31, second: 30 })), '2026-12-04T23:31:30.000Z');
    assert.equal(utc(fromWall({ year: 2026, month: 7, day: 4, hour: 12 })), '2026-07-04T17:00:00.000Z');
    assert.equal(isoWithZone(at('2026-12-04T23:31:30Z')), '2026-12-04T17:31:30-06:00');
    assert.equal(isoWithZone(at('2026-07-04T17:00:00Z')), '2026-07-04T12:00:00-05:00');
  });

  test('the spring-forward hour: 01:59:59 CST is one second before 03:00:00 CDT', () => {
    const before = fromWall({ year: 2026, month: 3, day: 8, hour: 1, minute: 59, second: 59 });
    const after = fromWall({ year: 2026, month: 3, day: 8, hour: 3 });
    assert.equal(utc(before), '2026-03-08T07:59:59.000Z');
    assert.equal(after - before, 1000);
    assert.equal(isoWithZone(before), '2026-03-08T01:59:59-06:00');
    assert.equal(isoWithZone(after), '2026-03-08T03:00:00-05:00');
  });

  test('the fall-back hour: 01:30 happens twice; a bare 01:30 is the first, as on the server', () => {
    assert.equal(isoWithZone(at('2026-11-01T06:30:00Z')), '2026-11-01T01:30:00-05:00');
    assert.equal(isoWithZone(at('2026-11-01T07:30:00Z')), '2026-11-01T01:30:00-06:00');
    assert.equal(utc(fromWall({ year: 2026, month: 11, day: 1, hour: 1, minute: 30 })), '2026-11-01T06:30:00.000Z');
    assert.equal(utc(fromWall({ year: 2026, month: 11, day: 1, hour: 2 })), '2026-11-01T08:00:00.000Z');
  });

  test('every quarter hour of both change days reads back to the same instant', () => {
    for (const start of ['2026-03-07T12:00:00Z', '2026-10-31T12:00:00Z']) {
      for (let t = at(start).getTime(); t < at(start).getTime() + 48 * HOUR; t += HOUR / 4) {
        const moment = new Date(t);
        const repeated = t >= at('2026-11-01T07:00:00Z').getTime() && t < at('2026-11-01T08:00:00Z').getTime();
        const back = fromWall(wall(moment));
        // The second 01:xx of the fall-back night reads as the first, an hour earlier.
        assert.equal(utc(back), utc(new Date(repeated ? t - HOUR : t)), `at ${utc(moment)}`);
        assert.equal(utc(fromInputValue(inputValue(moment))), utc(back));
        assert.equal(utc(new Date(isoWithZone(moment))), utc(moment), `at ${utc(moment)}`);
      }
    }
  });

  test('a day past the month runs into the next one', () => {
    assert.equal(utc(fromWall({ year: 2026, month: 12, day: 32 })), '2027-01-01T06:00:00.000Z');
    assert.equal(utc(fromWall({ year: 2026, month: 3, day: 0, hour: 23 })), '2026-03-01T05:00:00.000Z');
  });
});

describe('datetime-local values', () => {
  test('inputValue writes the program zone, with seconds', () => {
    assert.equal(inputValue(at('2026-12-04T23:31:30Z')), '2026-12-04T17:31:30');
  });

  test('fromInputValue reads them with or without seconds', () => {
    assert.equal(utc(fromInputValue('2026-12-04T17:31:30')), '2026-12-04T23:31:30.000Z');
    // The search form's hint gives this one; a browser also drops ":00" seconds.
    assert.equal(utc(fromInputValue('2026-11-21T19:40')), '2026-11-22T01:40:00.000Z');
    assert.equal(utc(fromInputValue(' 2026-12-04T17:31:30.250 ')), '2026-12-04T23:31:30.000Z');
  });

  test('fromInputValue leaves anything else alone (null)', () => {
    for (const value of ['2026-11-21T19:40-06:00', '2026-11-21T19:40Z', '19:40', '', 'tomorrow']) {
      assert.equal(fromInputValue(value), null, value);
    }
  });
});

describe('another program zone', () => {
  test('half-hour offsets, and the southern summer', async () => {
    fakePage({ zone: 'Australia/Adelaide', zoneLabel: 'Adelaide time' });
    const adelaide = await import(new URL('program-time.js?zone=adelaide', SCRIPTS));
    assert.equal(adelaide.isoWithZone(at('2026-12-04T07:01:30Z')), '2026-12-04T17:31:30+10:30');
    assert.equal(adelaide.isoWithZone(at('2026-07-04T07:01:30Z')), '2026-07-04T16:31:30+09:30');
    assert.equal(adelaide.isoWithZone(at('2026-10-03T16:30:00Z')), '2026-10-04T03:00:00+10:30');
    assert.equal(utc(adelaide.fromInputValue('2026-12-04T17:31:30')), '2026-12-04T07:01:30.000Z');
  });

  test('a page without a zone speaks UTC', async () => {
    fakePage({ zone: '', zoneLabel: '' });
    const plain = await import(new URL('program-time.js?zone=none', SCRIPTS));
    assert.equal(plain.isoWithZone(at('2026-12-04T07:01:30Z')), '2026-12-04T07:01:30+00:00');
    assert.equal(plain.zoneLabel, 'UTC');
  });
});
