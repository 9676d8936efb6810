// Incident search map: tap the scene, see the radius; after a search, cones and clusters.
import { baseMap, cameraClusters, conePoints, leaflet, numberFrom, textPopup } from './map-kit.js';

class IncidentMap {
  constructor(form) {
    const L = leaflet();
    this.form = form;
    this.lat = form.querySelector('#f-lat');
    this.lon = form.querySelector('#f-lon');
    this.radius = form.querySelector('#f-radius_m');
    this.when = form.querySelector('#f-incident_at');
    const element = form.querySelector('.js-search-map');
    const scene = this.scene();
    this.map = baseMap(element, { centre: scene || undefined, zoom: scene ? 17 : 16 });
    this.circle = L.circle(scene || this.map.getCenter(), { radius: this.radiusM(), color: '#b3261e', fill: false });
    this.marker = L.marker(scene || this.map.getCenter(), {
      title: 'Incident', alt: 'Place of the incident', keyboard: false,
    });
    if (scene) { this.circle.addTo(this.map); this.marker.addTo(this.map); }
    this.map.on('click', (e) => this.place([e.latlng.lat, e.latlng.lng]));
    for (const input of [this.lat, this.lon, this.radius]) input.addEventListener('input', () => this.redraw());
    this.fillZone();
    if (element.dataset.results) this.showResults(JSON.parse(element.dataset.results));
  }

  scene() {
    const lat = Number.parseFloat(this.lat.value);
    const lon = Number.parseFloat(this.lon.value);
    return Number.isFinite(lat) && Number.isFinite(lon) ? [lat, lon] : null;
  }

  radiusM() { return Math.max(1, numberFrom(this.radius, 300)); }

  place(at) {
    this.lat.value = at[0].toFixed(6);
    this.lon.value = at[1].toFixed(6);
    this.redraw();
  }

  redraw() {
    const at = this.scene();
    if (!at) return;
    this.circle.setLatLng(at).setRadius(this.radiusM()).addTo(this.map);
    this.marker.setLatLng(at).addTo(this.map);
  }

  // A bare "2026-11-21T19:40" gets this device's zone, so the server knows the instant meant.
  fillZone() {
    if (!this.when.value) {
      const now = new Date(Date.now() - 30 * 60 * 1000);
      this.when.value = this.isoWithZone(now);
    }
    this.form.addEventListener('submit', () => {
      const value = this.when.value.trim();
      if (/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?$/.test(value)) {
        this.when.value = this.isoWithZone(new Date(value));
      }
    });
  }

  isoWithZone(date) {
    const pad = (n) => String(Math.abs(n)).padStart(2, '0');
    const offset = -date.getTimezoneOffset();
    const sign = offset >= 0 ? '+' : '-';
    return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}${sign}${pad(Math.trunc(offset / 60))}:${pad(offset % 60)}`;
  }

  showResults({ cameras }) {
    const L = leaflet();
    const cluster = L.markerClusterGroup ? cameraClusters() : L.layerGroup();
    for (const cam of cameras) {
      const at = [cam.lat, cam.lon];
      if (!cam.approximate) {
        L.polygon(conePoints(at, { heading: cam.heading_deg, fov: cam.fov_deg, range: cam.range_m }), {
          color: cam.covers ? '#1e6b3a' : '#4a5361', weight: 1, fillOpacity: cam.covers ? 0.35 : 0.12,
          className: cam.covers ? 'cone cone-covers' : 'cone',
        }).addTo(this.map);
      }
      const marker = L.marker(at, { title: cam.nickname, alt: cam.nickname });
      marker.bindPopup(textPopup(`${cam.nickname}: ${cam.covers ? 'points at the scene' : 'nearby'}, `
        + `${cam.approximate ? 'about ' : ''}${cam.distance_m} m away${cam.approximate ? ' (approximate place)' : ''}`
        + `${cam.rules ? `. Owner's rules: ${cam.rules}` : ''}`));
      cluster.addLayer(marker);
    }
    cluster.addTo(this.map);
  }
}

const form = document.querySelector('.js-search-form');
if (form) {
  const ready = () => new IncidentMap(form);
  if (window.L) ready(); else window.addEventListener('load', ready, { once: true });
}
