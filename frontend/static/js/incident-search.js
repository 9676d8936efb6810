// Incident search map: set the scene (tap, type an address, or move the pin with the arrow keys),
// see the radius; after a search, cones and clusters.
import { AddressFinder } from './address-search.js';
import {
  arrowKeys, baseMap, cameraClusters, conePoints, leaflet, numberFrom, textPopup,
} from './map-kit.js';
import { fromInputValue, isoWithZone } from './program-time.js';
import { t } from './words.js';

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
    if (scene) this.circle.addTo(this.map);
    // The pin is there from the start: until the place is set it waits, faint, at the middle of
    // the map (pan, then tap, drag it, or move it with the arrow keys).
    this.marker = incidentPin(scene || this.map.getCenter()).addTo(this.map);
    this.marker.getElement().setAttribute('aria-describedby', 'map-keys');
    this.setPlaced(Boolean(scene));
    this.map.on('move', () => { if (!this.placed) this.marker.setLatLng(this.map.getCenter()); });
    this.map.on('click', (e) => this.place([e.latlng.lat, e.latlng.lng]));
    this.marker.on('dragend', () => this.fromPin());
    arrowKeys(this.marker, PIN_STEP_M, () => this.fromPin({ keepInView: true }));
    for (const input of [this.lat, this.lon, this.radius]) input.addEventListener('input', () => this.redraw());
    const finder = form.querySelector('.js-address');
    if (finder) {
      this.finder = new AddressFinder(finder, {
        onChoose: ({ lat, lon }) => { this.place([lat, lon]); this.map.setView([lat, lon], 17); },
      });
    }
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

  // The pin was dragged or moved with a key: the fields and the circle follow it.
  fromPin({ keepInView = false } = {}) {
    const { lat, lng } = this.marker.getLatLng();
    this.place([lat, lng]);
    if (keepInView) this.map.panInside([lat, lng], { padding: [48, 48] });
  }

  setPlaced(placed) {
    this.placed = placed;
    this.marker.getElement().classList.toggle('is-unset', !placed);
  }

  redraw() {
    const at = this.scene();
    if (!at) return;
    this.setPlaced(true);
    this.circle.setLatLng(at).setRadius(this.radiusM()).addTo(this.map);
    this.marker.setLatLng(at);
  }

  // A bare "2026-11-21T19:40" is the program's time (the hint says so): the page adds its zone,
  // so the server knows the instant meant, whatever zone this device is set to.
  fillZone() {
    if (!this.when.value) this.when.value = isoWithZone(new Date(Date.now() - 30 * 60 * 1000));
    this.form.addEventListener('submit', () => {
      const bare = fromInputValue(this.when.value);
      if (bare) this.when.value = isoWithZone(bare);
    });
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
      const away = cam.approximate
        ? t('about %(metres)s m away (approximate place)', { metres: cam.distance_m })
        : t('%(metres)s m away', { metres: cam.distance_m });
      const facts = `${cam.nickname}: ${cam.covers ? t('points at the scene') : t('nearby')}, ${away}`;
      marker.bindPopup(textPopup(cam.rules ? t("%(facts)s. Owner's rules: %(rules)s", { facts, rules: cam.rules }) : facts));
      cluster.addLayer(marker);
    }
    cluster.addTo(this.map);
  }
}

const PIN_STEP_M = 10; // an arrow key moves the pin this far; Shift and an arrow, ten times as far

// The place of the incident: a red target, unlike the cameras' pins, with a name a screen reader
// says. It is a button that takes the arrow keys (Leaflet's `keyboard`), and it can be dragged.
function incidentPin(at) {
  const L = leaflet();
  const marker = L.marker(at, {
    icon: L.divIcon({
      className: 'incident-pin', html: '<span class="incident-pin-dot"></span>', iconSize: [44, 44], iconAnchor: [22, 22],
    }),
    draggable: true, keyboard: true, title: t('Place of the incident'), zIndexOffset: 1000,
  });
  marker.on('add', () => marker.getElement().setAttribute('aria-label', t('Place of the incident')));
  return marker;
}

const form = document.querySelector('.js-search-form');
if (form) {
  const ready = () => new IncidentMap(form);
  if (window.L) ready(); else window.addEventListener('load', ready, { once: true });
}
