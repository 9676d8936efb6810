// The police camera map: clustered cameras with view cones, agency cameras, calls and units.
import { fetchJSON } from './http.js';
import { baseMap, cameraClusters, conePoints, leaflet, textPopup } from './map-kit.js';

class PoliceMap {
  constructor(root) {
    const L = leaflet();
    this.root = root;
    this.status = root.querySelector('.js-map-status');
    this.filters = root.querySelector('.js-map-filters');
    this.map = baseMap(root.querySelector('.js-police-map'), { zoom: 15 });
    this.cluster = cameraClusters().addTo(this.map);
    this.cones = L.layerGroup().addTo(this.map);
    this.field = L.layerGroup().addTo(this.map);
    this.filters.addEventListener('change', () => this.draw());
    this.load();
  }

  async load() {
    try {
      this.data = await fetchJSON('/api/map');
      this.draw();
      const points = this.data.cameras.map((cam) => [cam.lat, cam.lon]);
      if (points.length) this.map.fitBounds(leaflet().latLngBounds(points), { maxZoom: 17, padding: [20, 20] });
    } catch (err) {
      this.status.textContent = `The map could not load: ${err.message}. Reload to try again.`;
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
    const L = leaflet();
    const want = this.wanted();
    this.cluster.clearLayers();
    this.cones.clearLayers();
    this.field.clearLayers();
    const shown = this.data.cameras.filter((cam) => want.layers.has(cam.source)
      && (!want.tier || cam.tier === want.tier) && (!want.mount || cam.mount === want.mount)
      && (!want.fresh || !cam.stale));
    for (const cam of shown) {
      const at = [cam.lat, cam.lon];
      const marker = L.marker(at, { title: cam.name, alt: cam.name });
      marker.bindPopup(textPopup(`${cam.name}: ${cam.tier.replace('_', ' ')}${cam.stale ? ' (not confirmed for a year)' : ''}${cam.approximate ? ' (approximate place)' : ''}${cam.rules ? `. Owner's rules: ${cam.rules}` : ''}`));
      this.cluster.addLayer(marker);
      if (!cam.approximate) {
        L.polygon(conePoints(at, { heading: cam.heading_deg, fov: cam.fov_deg, range: cam.range_m }), {
          color: cam.source === 'agency' ? '#6b2e8f' : '#1f3a5f', weight: 1, fillOpacity: 0.15, className: 'cone',
        }).addTo(this.cones);
      }
    }
    const field = this.data.field.filter((item) => want.layers.has(item.kind));
    for (const item of field) {
      L.circleMarker([item.lat, item.lon], {
        radius: 9, color: item.kind === 'call' ? '#b3261e' : '#1e6b3a', fillOpacity: 0.8,
        className: `field-${item.kind}`,
      }).bindPopup(textPopup(`${item.kind === 'call' ? 'Call' : 'Unit'} ${item.id}: ${item.label}`)).addTo(this.field);
    }
    this.status.textContent = `${shown.length} cameras shown, ${this.data.hidden_count} hidden by their owners; `
      + `${field.length} calls and units.`;
  }
}

const root = document.querySelector('.js-police-map-app');
if (root) {
  const ready = () => new PoliceMap(root);
  if (window.L) ready(); else window.addEventListener('load', ready, { once: true });
}
