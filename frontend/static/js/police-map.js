// The police camera map: it asks the server for its view as it pans and zooms. A few streets
// across, the view's cameras (clustered here, with view cones); wider, how many cameras each
// area holds (the server counts them: a city's registry is never sent whole). Agency cameras,
// calls and units are drawn over both.
import { fetchJSON } from './http.js';
import { baseMap, cameraClusters, conePoints, escaped, leaflet, textPopup } from './map-kit.js';
import { t } from './words.js';

const ASK_AFTER_MS = 250; // a pan or zoom settles before the view is asked for

// A camera's tier in words (app/core/cameras.py TIERS).
const TIER_WORDS = {
  registered: () => t('registered'), on_request: () => t('on request'), on_alert: () => t('on alert'), always: () => t('always'),
};
const tierWords = (tier) => (TIER_WORDS[tier] ? TIER_WORDS[tier]() : tier.replace('_', ' '));

// Where the map opens: ?lat=&lon=[&zoom=] (a case links to its scene), else the program's
// centre a few streets across.
export function openingView(search) {
  const asked = new URLSearchParams(search);
  const lat = Number.parseFloat(asked.get('lat'));
  const lon = Number.parseFloat(asked.get('lon'));
  const zoom = Number.parseInt(asked.get('zoom'), 10);
  const place = Math.abs(lat) <= 85 && Math.abs(lon) <= 180 ? [lat, lon] : undefined;
  return { centre: place, zoom: zoom >= 3 && zoom <= 19 ? zoom : 16 };
}

export function viewQuery(bounds) {
  const clamp = (value, low, high) => Math.min(high, Math.max(low, value)).toFixed(6);
  return `south=${clamp(bounds.getSouth(), -85, 85)}&west=${clamp(bounds.getWest(), -180, 180)}`
    + `&north=${clamp(bounds.getNorth(), -85, 85)}&east=${clamp(bounds.getEast(), -180, 180)}`;
}

class PoliceMap {
  constructor(root) {
    const L = leaflet();
    this.root = root;
    this.status = root.querySelector('.js-map-status');
    this.filters = root.querySelector('.js-map-filters');
    this.map = baseMap(root.querySelector('.js-police-map'), openingView(window.location.search));
    this.cluster = cameraClusters().addTo(this.map);
    this.areas = L.layerGroup().addTo(this.map);
    this.cones = L.layerGroup().addTo(this.map);
    this.field = L.layerGroup().addTo(this.map);
    this.asked = 0;
    this.filters.addEventListener('change', () => this.draw());
    this.map.on('moveend', () => {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.load(), ASK_AFTER_MS);
    });
    this.load();
  }

  async load() {
    const asked = ++this.asked;
    try {
      const data = await fetchJSON(`/api/map?${viewQuery(this.map.getBounds())}`);
      if (asked !== this.asked) return; // a later view was asked for meanwhile
      this.data = data;
      this.draw();
    } catch (err) {
      if (asked !== this.asked) return;
      this.status.textContent = t('The map could not load: %(error)s', { error: err.message });
    }
  }

  wanted() {
    const form = new FormData(this.filters);
    return {
      layers: new Set(form.getAll('layer')),
      tier: form.get('tier'),
      mount: form.get('mount'),
      fresh: form.get('fresh') === 'on',
    };
  }

  draw() {
    if (!this.data) return;
    const want = this.wanted();
    this.cluster.clearLayers();
    this.areas.clearLayers();
    this.cones.clearLayers();
    this.field.clearLayers();
    const cameras = this.data.mode === 'clusters' ? this.drawAreas() : this.drawCameras(want);
    const field = this.drawField(want);
    this.status.textContent = t('%(cameras)s; %(hidden)s hidden by their owners in this area; %(field)s calls and units.',
      { cameras, hidden: this.data.hidden_count, field });
  }

  drawAreas() {
    const L = leaflet();
    let total = 0;
    for (const area of this.data.clusters) {
      total += area.count;
      const size = area.count < 10 ? 'small' : area.count < 100 ? 'medium' : 'large';
      const marker = L.marker([area.lat, area.lon], {
        title: t('%(count)s cameras in this area', { count: area.count }),
        icon: L.divIcon({
          html: `<div><span aria-hidden="true">${area.count}</span><span class="visually-hidden">`
            + `${escaped(t('%(count)s cameras in this area, press Enter to zoom in', { count: area.count }))}</span></div>`,
          className: `marker-cluster marker-cluster-${size} map-area`,
          iconSize: L.point(40, 40),
        }),
      });
      const zoomIn = () => this.map.setView([area.lat, area.lon], this.map.getZoom() + 2);
      marker.on('click', zoomIn);
      marker.on('keypress', (event) => { if (event.originalEvent.key === 'Enter') zoomIn(); });
      this.areas.addLayer(marker);
    }
    return t('%(count)s cameras in %(areas)s areas of this view (zoom in to see them and to filter them)',
      { count: total, areas: this.data.clusters.length });
  }

  drawCameras(want) {
    const L = leaflet();
    const shown = this.data.cameras.filter((cam) => want.layers.has(cam.source)
      && (!want.tier || cam.tier === want.tier) && (!want.mount || cam.mount === want.mount)
      && (!want.fresh || !cam.stale));
    for (const cam of shown) {
      const at = [cam.lat, cam.lon];
      const marker = L.marker(at, { title: cam.name, alt: cam.name });
      const facts = `${cam.name}: ${tierWords(cam.tier)}${cam.stale ? ` ${t('(not confirmed for a year)')}` : ''}`
        + `${cam.approximate ? ` ${t('(approximate place)')}` : ''}`;
      marker.bindPopup(textPopup(cam.rules ? t("%(facts)s. Owner's rules: %(rules)s", { facts, rules: cam.rules }) : facts));
      this.cluster.addLayer(marker);
      if (!cam.approximate) {
        L.polygon(conePoints(at, { heading: cam.heading_deg, fov: cam.fov_deg, range: cam.range_m }), {
          color: cam.source === 'agency' ? '#6b2e8f' : '#1f3a5f', weight: 1, fillOpacity: 0.15, className: 'cone',
        }).addTo(this.cones);
      }
    }
    return t('%(count)s cameras shown', { count: shown.length });
  }

  drawField(want) {
    const L = leaflet();
    const field = this.data.field.filter((item) => want.layers.has(item.kind));
    for (const item of field) {
      L.circleMarker([item.lat, item.lon], {
        radius: 9, color: item.kind === 'call' ? '#b3261e' : '#1e6b3a', fillOpacity: 0.8,
        className: `field-${item.kind}`,
      }).bindPopup(textPopup(item.kind === 'call' ? t('Call %(id)s: %(label)s', { id: item.id, label: item.label })
        : t('Unit %(id)s: %(label)s', { id: item.id, label: item.label }))).addTo(this.field);
    }
    return field.length;
  }
}

const root = document.querySelector('.js-police-map-app');
if (root) {
  const ready = () => new PoliceMap(root);
  if (window.L) ready(); else window.addEventListener('load', ready, { once: true });
}
