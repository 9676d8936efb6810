// Map helpers shared by the camera form and the incident search. No globals; Leaflet (window.L)
// is loaded by a classic script before these modules run.

import { t } from './words.js';

const EARTH_RADIUS_M = 6371008.8;
// Only for a program with no centre of its own (`flask agency create --centre`): Nashville.
export const DEFAULT_CENTRE = [36.1612, -86.7775];

export function leaflet() {
  if (!window.L) throw new Error('Leaflet did not load');
  return window.L;
}

export function destination([lat, lon], bearingDeg, distM) {
  const d = distM / EARTH_RADIUS_M;
  const p1 = (lat * Math.PI) / 180;
  const l1 = (lon * Math.PI) / 180;
  const b = (bearingDeg * Math.PI) / 180;
  const p2 = Math.asin(Math.sin(p1) * Math.cos(d) + Math.cos(p1) * Math.sin(d) * Math.cos(b));
  const l2 = l1 + Math.atan2(Math.sin(b) * Math.sin(d) * Math.cos(p1),
    Math.cos(d) - Math.sin(p1) * Math.sin(p2));
  return [(p2 * 180) / Math.PI, ((((l2 * 180) / Math.PI) + 540) % 360) - 180];
}

export function bearing([lat1, lon1], [lat2, lon2]) {
  const p1 = (lat1 * Math.PI) / 180;
  const p2 = (lat2 * Math.PI) / 180;
  const dl = ((lon2 - lon1) * Math.PI) / 180;
  const y = Math.sin(dl) * Math.cos(p2);
  const x = Math.cos(p1) * Math.sin(p2) - Math.sin(p1) * Math.cos(p2) * Math.cos(dl);
  return (((Math.atan2(y, x) * 180) / Math.PI) + 360) % 360;
}

export function distance([lat1, lon1], [lat2, lon2]) {
  const p1 = (lat1 * Math.PI) / 180;
  const p2 = (lat2 * Math.PI) / 180;
  const dp = p2 - p1;
  const dl = ((lon2 - lon1) * Math.PI) / 180;
  const a = Math.sin(dp / 2) ** 2 + Math.cos(p1) * Math.cos(p2) * Math.sin(dl / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(a)));
}

// The view cone as polygon points: the camera, then an arc at `range` across the field of view.
export function conePoints(at, { heading, fov, range }) {
  if (fov >= 360) {
    return Array.from({ length: 37 }, (_, i) => destination(at, i * 10, range));
  }
  const steps = Math.max(4, Math.ceil(fov / 10));
  const points = [at];
  for (let i = 0; i <= steps; i += 1) {
    points.push(destination(at, heading - fov / 2 + (fov * i) / steps, range));
  }
  return points;
}

// What the server says about this page's maps (templates/_map.html): the base map (`kind`
// "pmtiles", the program's own archive; "raster", a tile server; "" none), its attribution, the
// program's street list and its centre.
export function mapConfig() {
  const element = document.getElementById('map-config');
  try {
    return element ? JSON.parse(element.textContent) : {};
  } catch {
    return {};
  }
}

const OSM_CREDIT = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors';
// The map DEPLOY.md makes is an extract of Protomaps' basemap, built from OpenStreetMap's data.
const PROTOMAPS_CREDIT = `<a href="https://protomaps.com">Protomaps</a> ${OSM_CREDIT}`;

// Leaflet shows attributions as markup: the program's own words go in escaped, as text.
export function escaped(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}

export function baseMap(element, { centre, zoom = 17 } = {}) {
  const L = leaflet();
  const config = mapConfig();
  // maxZoom on the map itself: the cluster plugin needs it even when there is no tile layer.
  const map = L.map(element, { zoomControl: true, maxZoom: 19 })
    .setView(centre || config.centre || DEFAULT_CENTRE, zoom);
  // The program's own words for its map's credit, as text; else the credit its source needs.
  const credit = config.attribution ? escaped(config.attribution) : '';
  if (config.kind === 'pmtiles' && window.protomapsL) {
    window.protomapsL.leafletLayer({
      url: config.tiles, flavor: 'light', lang: document.documentElement.lang || 'en', attribution: credit || PROTOMAPS_CREDIT,
    }).addTo(map);
    element.classList.add('map-own-tiles');
  } else if (config.kind === 'raster') {
    L.tileLayer(config.tiles, { maxZoom: 19, attribution: credit || OSM_CREDIT }).addTo(map);
  } else {
    element.classList.add('map-no-tiles');
    if (config.streets) streetOverlay(map, config.streets);
  }
  return map;
}

// Without a base map, the program's streets drawn light with their names, under everything
// else: something to aim at before the first search. None (a 404): the plain background.
// Each name stands at its street's last point (the grid's edge), under the pins.
async function streetOverlay(map, url) {
  let data;
  try {
    const response = await fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/geo+json' } });
    if (!response.ok) return;
    data = await response.json();
  } catch {
    return;
  }
  const L = leaflet();
  map.createPane('streetNames').style.zIndex = 450; // above the streets and circles, below pins
  const names = L.layerGroup().addTo(map);
  const streets = L.geoJSON(data, {
    interactive: false,
    style: () => ({ className: 'street', color: '#a9b4c2', weight: 9, opacity: 0.7, lineCap: 'round' }),
    onEachFeature(feature, line) {
      const name = feature.properties && feature.properties.name;
      if (typeof name !== 'string') return;
      const label = document.createElement('span');
      label.textContent = name;
      const end = line.getLatLngs().flat(Infinity).at(-1);
      L.tooltip({ permanent: true, direction: 'center', className: 'street-label', pane: 'streetNames' })
        .setLatLng(end).setContent(label).addTo(names);
    },
  }).addTo(map);
  streets.bringToBack();
}

export function numberFrom(input, fallback) {
  const value = Number.parseFloat(input.value);
  return Number.isFinite(value) ? value : fallback;
}

// Clustered camera markers whose cluster icons say what they are: a screen reader hears
// "12 cameras here, press Enter to zoom in" where the plugin's default gives a bare "12".
export function cameraClusters() {
  const L = leaflet();
  const group = L.markerClusterGroup({
    disableClusteringAtZoom: 18,
    iconCreateFunction(cluster) {
      const count = cluster.getChildCount();
      const size = count < 10 ? 'small' : count < 100 ? 'medium' : 'large';
      return L.divIcon({
        html: `<div><span aria-hidden="true">${count}</span>`
          + `<span class="visually-hidden">${escaped(t('%(count)s cameras here, press Enter to zoom in', { count }))}</span></div>`,
        className: `marker-cluster marker-cluster-${size}`,
        iconSize: L.point(40, 40),
      });
    },
  });
  // Enter on a focused cluster zooms in, as a click does: the plugin takes only the click, and
  // the key reached it as a keypress that changed nothing (WCAG 2.1.1).
  group.on('clusterkeypress', (event) => {
    if (event.originalEvent.key === 'Enter') event.layer.zoomToBounds();
  });
  return group;
}

// Arrow keys move a focused marker (Shift for bigger steps); `onMove` runs after each step.
// Dragging needs a pointer; this is the keyboard's way to do the same (WCAG 2.1.1, 2.5.7).
export function arrowKeys(marker, stepM, onMove) {
  const element = marker.getElement();
  if (!element) return;
  element.setAttribute('tabindex', '0');
  element.addEventListener('keydown', (event) => {
    const bearings = { ArrowUp: 0, ArrowRight: 90, ArrowDown: 180, ArrowLeft: 270 };
    if (!(event.key in bearings)) return;
    event.preventDefault();
    const { lat, lng } = marker.getLatLng();
    marker.setLatLng(destination([lat, lng], bearings[event.key], event.shiftKey ? stepM * 10 : stepM));
    onMove();
  });
}

// Popup content as text, never HTML: nicknames come from owners and labels from CAD feeds.
export function textPopup(text) {
  const element = document.createElement('p');
  element.textContent = text;
  return element;
}
