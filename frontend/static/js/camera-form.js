// Camera registration: pin, view cone, geolocation and compass. The form works without this
// script (type the numbers); with it, the map and the inputs stay in step both ways.
import { arrowKeys, baseMap, bearing, conePoints, destination, distance, leaflet, numberFrom } from './map-kit.js';
import { t } from './words.js';

class CompassReader {
  // States: unsupported | idle | asking | reading | denied
  constructor(onHeading, onState) {
    this.onHeading = onHeading;
    this.onState = onState;
    this.state = 'DeviceOrientationEvent' in window ? 'idle' : 'unsupported';
    this.handler = (event) => this.read(event);
  }

  async start() {
    const Orientation = window.DeviceOrientationEvent;
    if (Orientation && typeof Orientation.requestPermission === 'function') {
      this.setState('asking'); // iOS asks for permission, and only on a tap
      const answer = await Orientation.requestPermission().catch(() => 'denied');
      if (answer !== 'granted') { this.setState('denied'); return; }
    }
    window.addEventListener('deviceorientationabsolute', this.handler);
    window.addEventListener('deviceorientation', this.handler);
    this.setState('reading');
  }

  stop() {
    window.removeEventListener('deviceorientationabsolute', this.handler);
    window.removeEventListener('deviceorientation', this.handler);
    this.setState('idle');
  }

  read(event) {
    let heading = null;
    if (typeof event.webkitCompassHeading === 'number') heading = event.webkitCompassHeading;
    else if (event.absolute && typeof event.alpha === 'number') heading = (360 - event.alpha) % 360;
    if (heading !== null) this.onHeading(Math.round(heading));
  }

  setState(state) {
    this.state = state;
    this.onState(state);
  }
}

class CameraPlacer {
  constructor(form) {
    this.form = form;
    this.inputs = {
      lat: form.querySelector('#f-lat'),
      lon: form.querySelector('#f-lon'),
      heading: form.querySelector('#f-heading_deg'),
      fov: form.querySelector('#f-fov_deg'),
      range: form.querySelector('#f-range_m'),
    };
    const L = leaflet();
    const mapElement = form.querySelector('.js-camera-map');
    const start = this.position();
    // Zoomed in far enough that the cone's handle stands clear of the pin.
    this.map = baseMap(mapElement, { centre: start || undefined, zoom: start ? 19 : 18 });
    this.pin = L.marker(start || this.map.getCenter(), {
      draggable: true, keyboard: true, title: t('Camera position'), alt: t('Camera position'),
    }).addTo(this.map);
    this.cone = L.polygon([], { color: '#1f3a5f', weight: 2, fillOpacity: 0.2 }).addTo(this.map);
    this.handleMarker = L.marker([0, 0], {
      draggable: true, title: t('Where the camera looks'), alt: t('Where the camera looks'),
      zIndexOffset: 1000, // above the pin, so it can always be grabbed
      icon: L.divIcon({ className: 'cone-handle', iconSize: [28, 28] }),
    }).addTo(this.map);

    // The handle is a div icon: give it a name screen readers announce. Arrow keys move the
    // pin and the handle a metre at a time (ten with Shift); the number fields do the same.
    this.handleMarker.getElement()?.setAttribute('aria-label',
      t('Where the camera looks. Arrow keys move it.'));
    this.pin.getElement()?.setAttribute('aria-label', t('Camera position. Arrow keys move it.'));
    arrowKeys(this.pin, 1, () => this.fromPin());
    arrowKeys(this.handleMarker, 1, () => this.fromHandle());
    this.pin.on('drag', () => this.fromPin());
    this.pin.on('dragend', () => this.fromPin());
    this.map.on('click', (e) => { this.pin.setLatLng(e.latlng); this.fromPin(); });
    this.handleMarker.on('drag', () => this.fromHandle());
    for (const input of Object.values(this.inputs)) input.addEventListener('input', () => this.fromInputs());
    if (!start) this.fromPin(); else this.draw();
    this.setUpLocate();
    this.setUpCompass();
  }

  position() {
    const lat = Number.parseFloat(this.inputs.lat.value);
    const lon = Number.parseFloat(this.inputs.lon.value);
    return Number.isFinite(lat) && Number.isFinite(lon) ? [lat, lon] : null;
  }

  view() {
    return {
      heading: numberFrom(this.inputs.heading, 0),
      fov: Math.min(360, Math.max(1, numberFrom(this.inputs.fov, 90))),
      range: Math.min(500, Math.max(1, numberFrom(this.inputs.range, 30))),
    };
  }

  fromPin() {
    const { lat, lng } = this.pin.getLatLng();
    this.inputs.lat.value = lat.toFixed(6);
    this.inputs.lon.value = lng.toFixed(6);
    this.draw();
  }

  fromHandle() {
    const at = this.position();
    const tip = this.handleMarker.getLatLng();
    this.inputs.heading.value = Math.round(bearing(at, [tip.lat, tip.lng])) % 360;
    this.inputs.range.value = Math.max(1, Math.min(500, Math.round(distance(at, [tip.lat, tip.lng]))));
    this.draw({ keepHandle: true });
  }

  fromInputs() {
    const at = this.position();
    if (at) this.pin.setLatLng(at);
    this.draw();
  }

  draw({ keepHandle = false } = {}) {
    const at = this.position();
    if (!at) return;
    const view = this.view();
    this.cone.setLatLngs(conePoints(at, view));
    if (!keepHandle) this.handleMarker.setLatLng(destination(at, view.heading, view.range));
  }

  setUpLocate() {
    const button = this.form.querySelector('.js-locate');
    const status = this.form.querySelector('.js-locate-status');
    if (!('geolocation' in navigator)) return;
    button.hidden = false;
    button.addEventListener('click', () => {
      status.textContent = t('Finding where you are…');
      navigator.geolocation.getCurrentPosition((pos) => {
        const at = [pos.coords.latitude, pos.coords.longitude];
        this.pin.setLatLng(at);
        this.map.setView(at, 19);
        this.fromPin();
        status.textContent = t('Found you (within about %(metres)s m). Drag the pin to the exact spot.', { metres: Math.round(pos.coords.accuracy) });
      }, (err) => {
        status.textContent = err.code === 1
          ? t('Location is blocked for this site. Tap the map or drag the pin instead.')
          : t('Your location could not be found. Tap the map or drag the pin instead.');
      }, { enableHighAccuracy: true, timeout: 15000 });
    });
  }

  setUpCompass() {
    const button = this.form.querySelector('.js-compass');
    const status = this.form.querySelector('.js-compass-status');
    const words = {
      asking: t('Allow motion and orientation access to use the compass.'),
      reading: t('Reading the compass: hold the phone flat, top pointing where the camera looks, then tap "Done".'),
      denied: t('The compass is not allowed. Drag the round handle on the map instead.'),
      idle: '',
    };
    const compass = new CompassReader((heading) => {
      this.inputs.heading.value = heading;
      this.draw();
    }, (state) => {
      status.textContent = words[state] || '';
      button.textContent = state === 'reading' ? t('Done') : t('Use the compass');
    });
    if (compass.state === 'unsupported' || !matchMedia('(pointer: coarse)').matches) return;
    button.hidden = false;
    button.addEventListener('click', () => (compass.state === 'reading' ? compass.stop() : compass.start()));
  }
}

const form = document.querySelector('.js-camera-form');
if (form) {
  // Leaflet is a deferred classic script: wait for it, then build the map.
  const ready = () => new CameraPlacer(form);
  if (window.L) ready(); else window.addEventListener('load', ready, { once: true });
}
