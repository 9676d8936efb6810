// Map helpers shared by the camera form and the incident search. No globals; Leaflet (window.L)
// is loaded by a classic script before these modules run.

const EARTH_RADIUS_M = 6371008.8;
export const DEFAULT_CENTRE = [36.1612, -86.7775]; // downtown Nashville, the demo program

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

export function baseMap(element, { centre = DEFAULT_CENTRE, zoom = 17 } = {}) {
  const L = leaflet();
  // maxZoom on the map itself: the cluster plugin needs it even when there is no tile layer.
  const map = L.map(element, { zoomControl: true, maxZoom: 19 }).setView(centre, zoom);
  const tiles = element.dataset.tiles;
  if (tiles) {
    L.tileLayer(tiles, {
      maxZoom: 19,
      attribution: '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>',
    }).addTo(map);
  } else {
    element.classList.add('map-no-tiles');
  }
  return map;
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
          + `<span class="visually-hidden">${count} cameras here, press Enter to zoom in</span></div>`,
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
