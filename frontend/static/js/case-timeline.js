// The case timeline: every clip of a case on one real-time axis, played in step.
//
// One clock, in real time (ms since the epoch), runs while playing (performance.now()). Every
// clip whose span holds that moment shows the picture captured at it: its video's time is
// (moment - the clip's real start) / 1000, the recorder's clock offset being applied already
// by the server. A clip that drifts from that by more than half a frame is nudged (its
// playback rate, in proportion), by more than DRIFT_SEEK_S it is put back (a seek); a clip
// outside its span, or in one
// of its gaps, is paused and says so. Paused, every clip shows exactly the moment's picture.
// The map highlights the cameras covering the moment; an activity mark seeks every clip to
// it. The clips' links come from the evidence link API, which audits each play.
import { fetchJSON } from './http.js';
import { baseMap, conePoints, leaflet } from './map-kit.js';
import { t } from './words.js';

const DRIFT_SEEK_S = 0.3; // further off than this: seek
const ON_TIME_S = 1 / 60; // within half a frame (at 30 fps): on time
const GAIN = 2; // a clip off by d seconds plays at 1 - GAIN * d: 0.1 s late is made up in 0.5 s
const NUDGE = 0.25; // the most a clip's rate is changed by to catch up

const ms = (iso) => Date.parse(iso);

function clockWords(at, zone) {
  return new Intl.DateTimeFormat(document.documentElement.lang || 'en', {
    hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false, timeZone: zone,
  }).format(new Date(at));
}

function secondsOfDay(at, zone) {
  const [h, m, s] = clockWords(at, zone).split(':').map(Number);
  return (h % 24) * 3600 + m * 60 + s;
}

class Clip {
  constructor(data, timeline) {
    this.data = data;
    this.timeline = timeline;
    this.start = ms(data.start);
    this.end = ms(data.end);
    this.gaps = data.gaps.map((g) => [ms(g.start), ms(g.end)]);
    this.figure = document.createElement('figure');
    this.figure.className = 'timeline-clip';
    this.figure.dataset.clip = data.id;
    this.video = document.createElement('video');
    this.video.muted = true;
    this.video.playsInline = true;
    this.video.preload = 'auto';
    this.video.crossOrigin = 'anonymous';
    this.video.setAttribute('aria-label', t('Clip of %(camera)s', { camera: data.camera }));
    const caption = document.createElement('figcaption');
    const name = document.createElement('strong');
    name.textContent = data.camera;
    this.state = document.createElement('span');
    this.state.className = 'meta js-clip-state';
    caption.append(name, ' ', this.state);
    if (data.masked) {
      const masked = document.createElement('span');
      masked.className = 'meta';
      masked.textContent = ` ${t('Parts of this view are masked by the owner.')}`;
      caption.append(masked);
    }
    this.figure.append(this.video, caption);
  }

  async load() {
    const answer = await fetchJSON(`/api/evidence/${encodeURIComponent(this.data.id)}/clip`, {
      method: 'POST', body: {}, fallback: t('The clip could not be opened.'),
    });
    this.video.src = answer.url;
    await new Promise((resolve) => {
      if (this.video.readyState >= 1) resolve();
      else {
        this.video.addEventListener('loadedmetadata', resolve, { once: true });
        this.video.addEventListener('error', resolve, { once: true });
      }
    });
  }

  covers(at) {
    return at >= this.start && at < this.end && !this.gaps.some(([a, b]) => at >= a && at < b);
  }

  expected(at) {
    return (at - this.start) / 1000;
  }

  seek(at) {
    const covered = this.covers(at);
    this.figure.classList.toggle('timeline-idle', !covered);
    this.state.textContent = covered ? '' : t('No video at this moment.');
    if (!covered) {
      this.video.pause();
      return Promise.resolve();
    }
    const target = Math.min(this.expected(at), Math.max(0, (this.video.duration || 0) - 0.001));
    if (Math.abs(this.video.currentTime - target) < 0.0005 && this.video.readyState >= 2) {
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.video.addEventListener('seeked', resolve, { once: true });
      this.video.currentTime = target;
    });
  }

  follow(at) {
    if (!this.covers(at)) {
      if (!this.video.paused || !this.figure.classList.contains('timeline-idle')) this.seek(at);
      return;
    }
    if (this.figure.classList.contains('timeline-idle')) {
      this.seek(at).then(() => this.timeline.playing && this.video.play().catch(() => {}));
      return;
    }
    const drift = this.video.currentTime - this.expected(at);
    if (Math.abs(drift) > DRIFT_SEEK_S) {
      this.video.currentTime = this.expected(at);
      this.video.playbackRate = 1;
    } else if (Math.abs(drift) > ON_TIME_S) {
      this.video.playbackRate = 1 - Math.max(-NUDGE, Math.min(NUDGE, GAIN * drift));
    } else {
      this.video.playbackRate = 1;
    }
    if (this.video.paused && this.timeline.playing) this.video.play().catch(() => {});
  }
}

class Timeline {
  constructor(root) {
    this.root = root;
    this.data = JSON.parse(document.getElementById('timeline-data').textContent);
    this.zone = this.data.zone;
    this.clips = this.data.clips.map((c) => new Clip(c, this));
    this.first = Math.min(...this.clips.map((c) => c.start));
    this.last = Math.max(...this.clips.map((c) => c.end));
    this.at = this.first;
    this.playing = false;
    this.playButton = root.querySelector('.js-tl-play');
    this.scrub = root.querySelector('.js-tl-scrub');
    this.clock = root.querySelector('.js-tl-clock');
    this.timeField = root.querySelector('.js-tl-at');
    this.status = root.querySelector('.js-tl-status');
    this.scrub.min = '0';
    this.scrub.max = String(Math.ceil((this.last - this.first) / 1000));
    this.scrub.step = '1';
    this.rows();
    const videos = root.querySelector('.js-tl-videos');
    this.clips.forEach((clip) => videos.append(clip.figure));
    this.map();
    this.playButton.addEventListener('click', () => (this.playing ? this.pause() : this.play()));
    this.scrub.addEventListener('input', () => this.goTo(this.first + Number(this.scrub.value) * 1000));
    root.querySelector('.js-tl-go').addEventListener('submit', (event) => {
      event.preventDefault();
      this.goToClock(this.timeField.value);
    });
    this.ready = Promise.all(this.clips.map((clip) => clip.load().catch(() => {
      clip.state.textContent = t('The clip could not be opened.');
    }))).then(() => this.goTo(this.at));
    window.caseTimeline = this; // for the page's tests and benchmark (bench.beyond)
  }

  rows() {
    const list = this.root.querySelector('.js-tl-rows');
    const span = this.last - this.first || 1;
    const pct = (at) => `${(100 * (at - this.first)) / span}%`;
    this.clips.forEach((clip) => {
      const item = document.createElement('li');
      item.className = 'timeline-row';
      const label = document.createElement('span');
      label.className = 'timeline-label';
      label.textContent = `${clip.data.camera} · ${clockWords(clip.start, this.zone)}–${clockWords(clip.end, this.zone)}`;
      const track = document.createElement('div');
      track.className = 'timeline-track';
      const bar = document.createElement('span');
      bar.className = 'timeline-bar';
      bar.style.left = pct(clip.start);
      bar.style.width = `${(100 * (clip.end - clip.start)) / span}%`;
      track.append(bar);
      clip.gaps.forEach(([a, b]) => {
        const gap = document.createElement('span');
        gap.className = 'timeline-gap';
        gap.style.left = pct(Math.max(a, this.first));
        gap.style.width = `${(100 * (Math.min(b, this.last) - Math.max(a, this.first))) / span}%`;
        gap.title = t('No video');
        track.append(gap);
      });
      const marks = document.createElement('span');
      marks.className = 'timeline-marks';
      clip.data.activity.forEach((moving) => {
        const at = ms(moving.start);
        const mark = document.createElement('button');
        mark.type = 'button';
        mark.className = 'timeline-mark js-tl-mark';
        mark.style.left = pct(at);
        mark.textContent = t('Motion at %(time)s', { time: clockWords(at, this.zone) });
        mark.addEventListener('click', () => this.goTo(at));
        marks.append(mark);
      });
      item.append(label, track, marks);
      list.append(item);
    });
  }

  map() {
    const element = this.root.querySelector('.js-tl-map');
    const placed = this.clips.filter((c) => c.data.place);
    if (!placed.length || !window.L) {
      element.hidden = true;
      return;
    }
    const L = leaflet();
    const first = placed[0].data.place;
    this.leaflet = baseMap(element, { centre: [first.lat, first.lon], zoom: 17 });
    const bounds = [];
    placed.forEach((clip) => {
      const { place } = clip.data;
      const at = [place.lat, place.lon];
      bounds.push(at);
      clip.cone = L.polygon(conePoints(at, { heading: place.heading_deg, fov: place.fov_deg, range: place.range_m }), {
        className: 'timeline-cone', weight: 1, color: '#1f5fa8', fillOpacity: 0.15,
      }).addTo(this.leaflet);
      clip.pin = L.circleMarker(at, { radius: 7, weight: 2, color: '#1f5fa8', fillOpacity: 0.9 })
        .bindTooltip(clip.data.camera).addTo(this.leaflet);
    });
    if (bounds.length > 1) this.leaflet.fitBounds(bounds, { padding: [30, 30], maxZoom: 18 });
  }

  highlight() {
    this.clips.forEach((clip) => {
      const on = clip.covers(this.at);
      clip.figure.classList.toggle('timeline-on', on);
      if (clip.cone) {
        clip.cone.setStyle({ fillOpacity: on ? 0.45 : 0.1, color: on ? '#b3261e' : '#1f5fa8' });
        clip.pin.setStyle({ color: on ? '#b3261e' : '#1f5fa8' });
      }
    });
  }

  show() {
    this.clock.textContent = clockWords(this.at, this.zone);
    this.scrub.value = String(Math.round((this.at - this.first) / 1000));
    this.scrub.setAttribute('aria-valuetext', this.clock.textContent);
    this.highlight();
  }

  async goTo(at) {
    this.at = Math.max(this.first, Math.min(this.last, at));
    const wasPlaying = this.playing;
    if (wasPlaying) this.clips.forEach((clip) => clip.video.pause());
    this.show();
    await Promise.all(this.clips.map((clip) => clip.seek(this.at)));
    if (wasPlaying) this.startClock();
  }

  goToClock(words) {
    const [h, m, s = 0] = String(words).split(':').map(Number);
    if ([h, m, s].some((n) => !Number.isFinite(n))) {
      this.status.textContent = t('Give a time like 17:30:12.');
      return;
    }
    const wanted = h * 3600 + m * 60 + s;
    const from = secondsOfDay(this.first, this.zone);
    const at = this.first + (((wanted - from) % 86400) + 86400) % 86400 * 1000;
    if (at > this.last) {
      this.status.textContent = t('No clip of this case covers %(time)s.', { time: words });
      return;
    }
    this.status.textContent = '';
    this.goTo(at);
  }

  startClock() {
    this.anchor = { perf: performance.now(), at: this.at };
    this.clips.forEach((clip) => {
      if (clip.covers(this.at)) clip.video.play().catch(() => {});
    });
    const tick = () => {
      if (!this.playing) return;
      this.at = this.anchor.at + (performance.now() - this.anchor.perf);
      if (this.at >= this.last) {
        this.pause();
        return;
      }
      this.clips.forEach((clip) => clip.follow(this.at));
      this.show();
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  }

  async play() {
    if (this.at >= this.last) this.at = this.first;
    this.playing = true;
    this.playButton.textContent = t('Pause');
    await Promise.all(this.clips.map((clip) => clip.seek(this.at)));
    if (this.playing) this.startClock();
  }

  pause() {
    this.playing = false;
    this.playButton.textContent = t('Play');
    this.clips.forEach((clip) => { clip.video.pause(); clip.video.playbackRate = 1; });
    return this.goTo(this.at);
  }
}

const root = document.querySelector('.js-timeline');
if (root) new Timeline(root);
