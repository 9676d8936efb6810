// A bulletin's place on the officer's phone: the incident's point on the program's map.
import { baseMap, leaflet } from './map-kit.js';
import { t } from './words.js';

function draw(element) {
  const place = [Number(element.dataset.lat), Number(element.dataset.lon)];
  try {
    const map = baseMap(element, { centre: place, zoom: 17 });
    leaflet().circleMarker(place, { radius: 9, color: '#b42318', weight: 3 }).addTo(map).bindTooltip(t('The scene'));
  } catch {
    element.hidden = true; // the words say where; the map is extra
  }
}

const ready = () => document.querySelectorAll('.js-bulletin-map').forEach(draw);
if (window.L) ready();
else window.addEventListener('load', ready, { once: true });
