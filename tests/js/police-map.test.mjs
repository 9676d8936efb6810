// police-map.js: the view the map asks the server for (viewQuery). Leaflet's bounds run past
// the poles and the antimeridian when zoomed far out; the server takes edges within ±85° and
// ±180° (app.services.cameras.registry.check_viewport), so the query clamps them.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { SCRIPTS, fakePage } from './page.mjs';

fakePage();
const { openingView, viewQuery } = await import(new URL('police-map.js', SCRIPTS));

const bounds = (south, west, north, east) => ({
  getSouth: () => south, getWest: () => west, getNorth: () => north, getEast: () => east,
});

describe('the map view asked for', () => {
  test('names its four edges to six decimals', () => {
    assert.equal(viewQuery(bounds(36.15, -86.79, 36.17, -86.77)),
      'south=36.150000&west=-86.790000&north=36.170000&east=-86.770000');
  });

  test('keeps a world-wide view within what the server takes', () => {
    assert.equal(viewQuery(bounds(-89.9, -540, 89.9, 540)),
      'south=-85.000000&west=-180.000000&north=85.000000&east=180.000000');
  });
});

describe('where the map opens', () => {
  test('at the place and zoom of its address', () => {
    assert.deepEqual(openingView('?lat=36.1613&lon=-86.7837&zoom=17'),
      { centre: [36.1613, -86.7837], zoom: 17 });
  });

  test("at the program's centre a few streets across, without a usable place", () => {
    assert.deepEqual(openingView(''), { centre: undefined, zoom: 16 });
    assert.deepEqual(openingView('?lat=95&lon=x&zoom=40'), { centre: undefined, zoom: 16 });
  });
});
