// The incident screen: the scene on a map, its cameras with what each owner's rules allow now,
// and the video wall. Every few seconds it asks the app for the incident again; tiles come and
// go with what the app answers (an owner's share starts, a view ends). A camera the app calls
// "live now" that police may open themselves ("always", inside its schedule, its bridge
// online) is opened at once, nearest and pointing at the scene first, up to the wall's size;
// a tile the operator closes stays closed. An "on alert" camera's owner can be asked to share
// (their phone asks them; nothing opens without their tap), and their share joins the wall. Each tile is the police live player
// (live-player.js) for one camera: it asks the app for pieces every second, and stops at the
// first refusal (the incident closed, the owner ended it, the rules no longer allow it). A
// tile has a scrubber over the minutes the share holds (and Back to live); it shows the
// camera's substream, and Enlarge asks its bridge for the main stream.

import { HttpError, fetchJSON, problemWords } from './http.js';
import { start as startPlayer } from './live-player.js';
import { baseMap, leaflet } from './map-kit.js';
import { clock } from './program-time.js';
import { t } from './words.js';

const POLL_MS = 3000;

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// Which cameras to open now: those police may open that have no tile, were not closed by the
// operator and are not being opened, in the app's order, while the wall has room.
export function toOpen(cameras, { playing, dismissed, opening, room }) {
  const wanted = [];
  for (const camera of cameras) {
    if (wanted.length >= room) break;
    if (camera.availability !== 'live' || camera.tile) continue;
    if (playing.has(camera.camera_id) || dismissed.has(camera.camera_id) || opening.has(camera.camera_id)) continue;
    wanted.push(camera.camera_id);
  }
  return wanted;
}

// The bulletin: a frame frozen from a tile (a JPEG drawn from its video), words, and whom to
// send them to. The app checks the operator may still watch the tile's camera.
class BulletinForm {
  constructor(root, incidentId) {
    this.root = root;
    this.incidentId = incidentId;
    this.form = root.querySelector('.js-bulletin-form');
    this.figure = root.querySelector('.js-bulletin-still');
    this.from = root.querySelector('.js-bulletin-still-from');
    this.status = root.querySelector('.js-bulletin-status');
    this.still = null;
    this.source = null;
    root.querySelector('.js-bulletin-drop').addEventListener('click', () => this.drop());
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.send();
    });
    this.loadRecipients();
  }

  async loadRecipients() {
    const box = this.root.querySelector('.js-bulletin-recipients');
    try {
      const data = await fetchJSON(`/api/incidents/${this.incidentId}/recipients`);
      const choices = data.recipients.map((person, index) => {
        const choice = element('div', 'choice');
        const input = element('input');
        input.type = 'checkbox';
        input.id = `bulletin-to-${index}`;
        input.name = 'recipients';
        input.value = person.user_id;
        input.checked = Boolean(person.on_call); // the CAD feed's units on this call
        const role = person.role === 'officer' ? t('responding officer') : person.role;
        const label = element('label', '', person.on_call
          ? t('%(name)s (%(role)s, on this call)', { name: person.name, role }) : `${person.name} (${role})`);
        label.htmlFor = input.id;
        choice.append(input, label);
        return choice;
      });
      box.replaceChildren(...(choices.length ? choices : [element('p', 'meta', t('Nobody else in this program can get bulletins yet.'))]));
    } catch (err) {
      box.replaceChildren(element('p', 'attention', t('The officers could not be listed: %(error)s', { error: err.message })));
    }
  }

  freeze(tile, camera) {
    const video = tile.querySelector('video');
    if (!video || video.readyState < 2 || !video.videoWidth) {
      this.say(t('%(camera)s shows no picture yet.', { camera: camera.name }), true);
      return;
    }
    const canvas = document.createElement('canvas');
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext('2d').drawImage(video, 0, 0);
    this.still = canvas.toDataURL('image/jpeg', 0.85);
    this.source = { share_id: tile.dataset.share, stream: tile.dataset.stream };
    this.figure.querySelector('img').src = this.still;
    this.from.textContent = t('Frozen from %(camera)s at %(time)s.', { camera: camera.name, time: clock(new Date()) });
    this.figure.hidden = false;
    this.root.querySelector('textarea').focus();
  }

  drop() {
    this.still = null;
    this.source = null;
    this.figure.hidden = true;
  }

  say(words, attention = false) {
    this.status.textContent = words;
    this.status.classList.toggle('attention', attention);
  }

  async send() {
    const text = this.form.elements.text.value.trim();
    const recipients = [...this.form.querySelectorAll('input[name="recipients"]:checked')].map((i) => i.value);
    if (!text || !recipients.length) {
      this.say(t('Write what officers should look for and choose at least one of them.'), true);
      return;
    }
    const body = { text, recipients };
    if (this.still) Object.assign(body, { still: this.still, source: this.source });
    this.say(t('Sending…'));
    try {
      const sent = await fetchJSON(`/api/incidents/${this.incidentId}/bulletins`, { method: 'POST', body });
      const time = clock(new Date(sent.sent_at));
      this.say(sent.recipients === 1 ? t('Sent to 1 person at %(time)s.', { time })
        : t('Sent to %(count)s people at %(time)s.', { count: sent.recipients, time }));
      this.form.elements.text.value = '';
      this.drop();
    } catch (err) {
      this.say(t('The bulletin was not sent: %(problem)s', { problem: problemWords(err.problem, err.message) }), true);
    }
  }
}

class IncidentScreen {
  constructor(root) {
    this.root = root;
    this.id = root.dataset.incident;
    this.maxTiles = Number(root.dataset.maxTiles) || 16;
    this.status = root.querySelector('.js-incident-status');
    this.list = root.querySelector('.js-incident-cameras');
    this.wall = root.querySelector('.js-wall');
    this.empty = root.querySelector('.js-wall-empty');
    this.tiles = new Map(); // camera id -> tile element
    this.dismissed = new Set(); // cameras not to open again by themselves
    this.gone = new Set(); // shares whose tile ended or was removed: not shown again
    this.opening = new Set();
    this.closed = root.dataset.closed === '1';
    this.markers = null;
    this.drawMap();
    const form = root.querySelector('.js-bulletin');
    this.bulletin = form ? new BulletinForm(form, this.id) : { freeze() {} };
  }

  drawMap() {
    const place = [Number(this.root.dataset.lat), Number(this.root.dataset.lon)];
    const element = this.root.querySelector('.js-incident-map');
    const draw = () => {
      try {
        const L = leaflet();
        this.map = baseMap(element, { centre: place, zoom: 17 });
        L.circle(place, { radius: Number(this.root.dataset.radius), className: 'search-circle', interactive: false }).addTo(this.map);
        L.circleMarker(place, { radius: 8, color: '#b42318', weight: 3 }).addTo(this.map).bindTooltip(t('The scene'));
        this.markers = L.layerGroup().addTo(this.map);
      } catch {
        element.hidden = true; // the list says everything the map shows
      }
    };
    if (window.L) draw();
    else window.addEventListener('load', draw, { once: true });
  }

  async run() {
    while (true) {
      try {
        const data = await fetchJSON(`/api/incidents/${this.id}`);
        this.show(data);
        if (data.incident.closed_at) return;
      } catch (err) {
        if (err instanceof HttpError && [401, 403, 404].includes(err.status)) {
          this.say(problemWords(err.problem, t('This incident cannot be shown.')), true);
          this.stopAll(t('the incident cannot be shown any more'));
          return;
        }
        this.say(t('The cameras could not be updated (%(error)s); trying again.', { error: err.message }), true);
      }
      await new Promise((resolve) => window.setTimeout(resolve, POLL_MS));
    }
  }

  say(words, attention = false) {
    this.status.textContent = words;
    this.status.classList.toggle('attention', attention);
  }

  show(data) {
    if (data.incident.closed_at) {
      this.closed = true;
      this.root.dataset.closed = '1';
      this.stopAll(t('the incident was closed'));
      this.say(t('This incident is closed: every view of it has ended.'));
    }
    this.showList(data.cameras);
    this.showMarkers(data.cameras);
    if (this.closed) return;
    this.syncTiles(data.cameras);
    const live = data.cameras.filter((c) => c.availability === 'live').length;
    this.say(t('%(count)s camera(s) around the scene; %(live)s live now, %(shown)s on the wall.', { count: data.cameras.length, live, shown: this.tiles.size }));
    for (const cameraId of toOpen(data.cameras, {
      playing: this.tiles, dismissed: this.dismissed, opening: this.opening, room: this.maxTiles - this.tiles.size - this.opening.size,
    })) {
      this.open(data.cameras.find((c) => c.camera_id === cameraId));
    }
  }

  showList(cameras) {
    const rows = cameras.map((camera) => {
      const row = element('li', 'incident-camera');
      row.dataset.camera = camera.camera_id;
      row.dataset.availability = camera.availability;
      row.append(element('h3', '', camera.name));
      const facts = [camera.where, camera.covers ? t('points at the scene') : t('may not see the scene')];
      row.append(element('p', 'meta', facts.join(' · ')));
      const state = element('p', 'js-availability');
      const strong = element('strong', '', camera.availability_words);
      state.append(strong, document.createTextNode(` (${camera.reason})`));
      row.append(state);
      row.append(element('p', 'meta', t("Owner's limits: %(limits)s.", { limits: camera.limits })));
      if (camera.ask) {
        const asked = element('p', 'js-ask-state', t('Asked at %(time)s: %(answer)s.', { time: clock(new Date(camera.ask.asked_at)), answer: camera.ask.words }));
        asked.dataset.state = camera.ask.state;
        row.append(asked);
      }
      for (const taken of camera.pulls || []) {
        const line = element('p', 'js-pull');
        const link = element('a', '', t('Recent minutes %(start)s–%(end)s', { start: clock(new Date(taken.window_start), false), end: clock(new Date(taken.window_end), false) }));
        link.href = `/cases/${taken.request_id}`;
        line.append(link, document.createTextNode(`: ${taken.status_words}.`));
        row.append(line);
      }
      if (camera.recent_minutes > 0 && !this.closed) {
        const button = element('button', 'button', t('Take the last %(minutes)s min', { minutes: camera.recent_minutes }));
        button.type = 'button';
        button.setAttribute('aria-label', t('Take the last %(minutes)s minutes of %(camera)s as evidence', { minutes: camera.recent_minutes, camera: camera.name }));
        button.addEventListener('click', () => this.pull(camera, button));
        row.append(button);
      }
      if (camera.availability === 'ask' && !camera.tile && !this.closed
          && !(camera.ask && ['asked', 'shared'].includes(camera.ask.state))) {
        const button = element('button', 'button', t('Ask to share'));
        button.type = 'button';
        button.setAttribute('aria-label', t('Ask the owner of %(camera)s (%(place)s) to share it live', { camera: camera.name, place: camera.where }));
        button.addEventListener('click', () => this.ask(camera, button));
        row.append(button);
      }
      if (camera.availability === 'live' && !this.tiles.has(camera.camera_id) && !camera.tile && !this.closed) {
        const button = element('button', 'button', t('Watch'));
        button.type = 'button';
        button.setAttribute('aria-label', t('Watch %(camera)s (%(place)s)', { camera: camera.name, place: camera.where }));
        button.addEventListener('click', () => {
          this.dismissed.delete(camera.camera_id);
          this.open(camera);
        });
        row.append(button);
      }
      return row;
    });
    this.list.replaceChildren(...rows);
  }

  showMarkers(cameras) {
    if (!this.markers) return;
    const L = leaflet();
    this.markers.clearLayers();
    for (const camera of cameras) {
      const colour = camera.availability === 'live' ? '#1a7f37' : camera.availability === 'ask' ? '#9a6700' : '#4a5361';
      L.circleMarker([camera.lat, camera.lon], { radius: 6, color: colour, weight: 2 })
        .bindTooltip(`${camera.name}: ${camera.availability_words}`).addTo(this.markers);
    }
  }

  // The owner's phone asks them; their share, if they tap Share, comes as a tile by itself.
  async ask(camera, button) {
    button.disabled = true;
    try {
      await fetchJSON(`/api/incidents/${this.id}/ask`, { method: 'POST', body: { camera_id: camera.camera_id } });
      this.say(t('Asked the owner of %(camera)s to share live; their answer shows here.', { camera: camera.name }));
    } catch (err) {
      button.disabled = false;
      this.say(t('The owner of %(camera)s could not be asked: %(problem)s', { camera: camera.name, problem: problemWords(err.problem, err.message) }), true);
    }
  }

  // The owner's bridge sends the window from its buffer; the evidence lands on the case board.
  async pull(camera, button) {
    button.disabled = true;
    try {
      const made = await fetchJSON(`/api/incidents/${this.id}/pull`, { method: 'POST', body: { camera_id: camera.camera_id, minutes: camera.recent_minutes } });
      this.say(t('Taking the last %(minutes)s minutes of %(camera)s for case %(case)s: it shows on the case board as it arrives.', { minutes: camera.recent_minutes, camera: camera.name, case: made.case_number }));
    } catch (err) {
      this.say(t('Recent minutes of %(camera)s could not be taken: %(problem)s', { camera: camera.name, problem: problemWords(err.problem, err.message) }), true);
    } finally {
      button.disabled = false;
    }
  }

  async open(camera) {
    if (this.opening.has(camera.camera_id) || this.tiles.has(camera.camera_id)) return;
    this.opening.add(camera.camera_id);
    try {
      const tile = await fetchJSON(`/api/incidents/${this.id}/watch`, { method: 'POST', body: { camera_id: camera.camera_id } });
      if (!this.closed) this.addTile(camera, { ...tile, by: 'police' });
    } catch (err) {
      this.dismissed.add(camera.camera_id); // not again by itself: the operator may press Watch
      this.say(t('%(camera)s could not be opened: %(problem)s', { camera: camera.name, problem: problemWords(err.problem, err.message) }), true);
    } finally {
      this.opening.delete(camera.camera_id);
    }
  }

  syncTiles(cameras) {
    // A tile goes when its player stopped (refused: the view ended, the rules no longer allow
    // it); the camera is then not opened again by itself, only by the operator's Watch.
    for (const [cameraId, tile] of this.tiles) {
      if (tile.dataset.state === 'ended') {
        this.dismissed.add(cameraId);
        this.removeTile(cameraId, t('its view ended'));
      }
    }
    for (const camera of cameras.filter((c) => c.tile)) {
      if (!this.tiles.has(camera.camera_id) && !this.gone.has(camera.tile.share_id)
          && this.tiles.size < this.maxTiles) {
        this.addTile(camera, camera.tile);
      }
    }
    this.empty.hidden = this.tiles.size > 0;
  }

  addTile(camera, tile) {
    if (this.tiles.has(camera.camera_id)) return;
    const root = element('section', 'wall-tile js-live-player');
    root.dataset.share = tile.share_id;
    root.dataset.stream = tile.stream;
    root.dataset.camera = camera.camera_id;
    root.setAttribute('aria-label', `${camera.name}, ${camera.where}`);
    const header = element('header');
    header.append(element('strong', '', camera.name), element('span', 'meta', camera.where));
    header.append(element('span', 'meta', tile.by === 'owner' ? t("the owner's share") : t('opened by police')));
    const enlarge = element('button', 'button', t('Enlarge'));
    enlarge.type = 'button';
    enlarge.setAttribute('aria-pressed', 'false');
    enlarge.addEventListener('click', () => {
      const large = root.classList.toggle('wall-tile-large');
      enlarge.setAttribute('aria-pressed', String(large));
      this.setQuality(root, camera, large ? 'main' : 'sub');
    });
    const remove = element('button', 'button', t('Remove'));
    remove.type = 'button';
    remove.setAttribute('aria-label', t('Remove %(camera)s from the wall', { camera: camera.name }));
    remove.addEventListener('click', () => {
      this.dismissed.add(camera.camera_id);
      this.removeTile(camera.camera_id, t('removed from the wall'));
    });
    const freeze = element('button', 'button', t('Freeze frame'));
    freeze.type = 'button';
    freeze.setAttribute('aria-label', t('Freeze a frame of %(camera)s for a bulletin', { camera: camera.name }));
    freeze.addEventListener('click', () => this.bulletin.freeze(root, camera));
    header.append(enlarge, freeze, remove);
    const limits = element('p', 'meta', t("Owner's limits: %(limits)s.", { limits: camera.limits }));
    const status = element('p', 'meta js-live-status', t('Waking the camera…'));
    status.setAttribute('role', 'status');
    const streams = element('div', 'live-grid js-live-streams');
    root.append(header, limits, status, streams);
    this.wall.append(root);
    this.tiles.set(camera.camera_id, root);
    this.empty.hidden = true;
    startPlayer(root);
  }

  // An enlarged tile gets the camera's main stream, a tile of the wall its substream: the
  // owner's bridge hears at once and sends that recording from its next piece.
  async setQuality(root, camera, quality) {
    try {
      await fetchJSON(`/api/live/${root.dataset.share}/quality`, { method: 'POST', body: { camera: root.dataset.stream, quality } });
      root.dataset.quality = quality;
    } catch (err) {
      const words = { camera: camera.name, problem: problemWords(err.problem, err.message) };
      this.say(quality === 'main' ? t('%(camera)s keeps its smaller picture: %(problem)s', words)
        : t('%(camera)s keeps its sharper picture: %(problem)s', words), true);
    }
  }

  removeTile(cameraId, why) {
    const tile = this.tiles.get(cameraId);
    if (!tile) return;
    this.tiles.delete(cameraId);
    this.gone.add(tile.dataset.share);
    if (tile.stopPlayer) tile.stopPlayer(why);
    tile.remove();
    this.empty.hidden = this.tiles.size > 0;
  }

  stopAll(why) {
    for (const tile of this.tiles.values()) {
      if (tile.stopPlayer) tile.stopPlayer(why);
      tile.dataset.state = 'ended';
    }
  }
}

for (const root of document.querySelectorAll('.js-incident-screen')) new IncidentScreen(root).run();
