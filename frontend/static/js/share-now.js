// The owner's live share: who is watching (refreshed every few seconds), and the phone's own
// camera as a live source.
//
// Phone camera: getUserMedia, then a MediaRecorder restarted every PIECE_MS so that each piece
// is a whole, playable file (WebM, or MP4 where WebM is not recorded, as on iPhones). Each piece
// is announced to the app, put straight into storage through the presigned URL it answers
// with, then confirmed. Sending is one piece at a time, oldest first; if the network falls
// behind, the oldest waiting pieces are dropped (this is live video; a recording is asked for
// through a footage request). When the app refuses (the share ended), the camera is released.

import { HttpError, fetchJSON } from './http.js';
import { clock, zoneLabel } from './program-time.js';
import { t } from './words.js';

const PIECE_MS = 2000;
const MAX_WAITING = 5;
const TYPES = ['video/webm;codecs=vp8', 'video/webm;codecs=vp9', 'video/webm', 'video/mp4;codecs=avc1', 'video/mp4'];

class Ended extends Error {}

// The app's answer; a share that is gone (404, 410) is an Ended.
async function api(method, url, body) {
  try {
    return await fetchJSON(url, { method, body });
  } catch (err) {
    if (err instanceof HttpError && [404, 410].includes(err.status)) {
      throw new Ended((err.problem && err.problem.detail) || t('the share has ended'));
    }
    throw err;
  }
}

function watchingWords(viewers) {
  const now = viewers.filter((v) => v.watching);
  const before = viewers.filter((v) => !v.watching);
  const time = (iso) => `${clock(new Date(iso), false)} ${zoneLabel}`;
  const parts = [];
  // (a t() inside another's values is not extracted: each is called on its own)
  if (now.length) {
    const viewing = now.map((v) => t('%(name)s (%(role)s), since %(time)s', { name: v.name, role: v.role, time: time(v.since) }));
    parts.push(t('Watching now: %(viewers)s.', { viewers: viewing.join('; ') }));
  }
  if (before.length) {
    const viewed = before.map((v) => t('%(name)s (%(role)s), until %(time)s', { name: v.name, role: v.role, time: time(v.last_seen) }));
    parts.push(t('Watched earlier: %(viewers)s.', { viewers: viewed.join('; ') }));
  }
  return parts.join(' ') || t('Nobody is watching yet.');
}

async function refresh(element) {
  try {
    const data = await api('GET', `/api/shares/${element.dataset.share}`);
    if (!data.active) {
      element.textContent = t('The share has ended. Police can no longer watch.');
      return;
    }
    element.textContent = watchingWords(data.viewers);
  } catch (err) {
    element.textContent = t('Could not check who is watching: %(error)s. Trying again.', { error: err.message });
  }
  window.setTimeout(() => refresh(element), 4000);
}

class PhoneCamera {
  constructor(root) {
    this.root = root;
    this.shareId = root.dataset.share;
    this.button = root.querySelector('.js-phone-toggle');
    this.preview = root.querySelector('.js-phone-preview');
    this.status = root.querySelector('.js-phone-status');
    this.waiting = [];
    this.sent = 0;
    this.stream = null;
    this.recorder = null;
    this.button.addEventListener('click', () => (this.stream ? this.stop(t('You stopped the phone camera.')) : this.start()));
    if (root.dataset.autostart === '1') this.start();
  }

  say(text) {
    this.status.textContent = text;
  }

  async start() {
    if (!navigator.mediaDevices || !window.MediaRecorder) {
      this.say(t('This browser cannot send its camera. Use the bridge or another phone.'));
      return;
    }
    this.type = TYPES.find((type) => MediaRecorder.isTypeSupported(type));
    if (!this.type) {
      this.say(t('This browser cannot record video to send.'));
      return;
    }
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: 'environment', width: { ideal: 1280 }, height: { ideal: 720 } }, audio: false,
      });
    } catch (err) {
      const error = err.name === 'NotAllowedError' ? t('permission refused') : err.message;
      this.say(t('The camera could not be opened (%(error)s). Allow the camera for this site and tap again.', { error }));
      return;
    }
    this.preview.srcObject = this.stream;
    this.preview.hidden = false;
    this.button.textContent = t("Stop sending this phone's camera");
    this.root.dataset.state = 'sending';
    this.say(t("Sending this phone's camera to the police. Keep this page open."));
    this.record();
    this.send();
  }

  record() {
    if (!this.stream) return;
    const recorder = new MediaRecorder(this.stream, { mimeType: this.type, videoBitsPerSecond: 1_500_000 });
    const started = performance.now();
    recorder.addEventListener('dataavailable', (event) => {
      if (!event.data || !event.data.size) return;
      const duration = Math.max(0.1, Math.min(10, (performance.now() - started) / 1000));
      this.waiting.push({ blob: event.data, duration });
      while (this.waiting.length > MAX_WAITING) this.waiting.shift();
    });
    recorder.start();
    const previous = this.recorder;
    this.recorder = recorder;
    if (previous && previous.state !== 'inactive') previous.stop();
    this.timer = window.setTimeout(() => this.record(), PIECE_MS);
  }

  async send() {
    while (this.stream || this.waiting.length) {
      const piece = this.waiting.shift();
      if (!piece) {
        await new Promise((resolve) => window.setTimeout(resolve, 200));
        continue;
      }
      try {
        const place = await api('POST', `/api/shares/${this.shareId}/phone`, {
          mime: piece.blob.type || this.type, duration_s: piece.duration, size: piece.blob.size,
        });
        if (!place.stored) {
          const put = await fetch(place.url, { method: 'PUT', headers: place.headers, body: piece.blob });
          if (!put.ok) throw new Error(t('storage answered %(status)s', { status: put.status }));
          await api('POST', `/api/shares/${this.shareId}/phone/${place.name}/done`, {});
        }
        this.sent += 1;
        this.root.dataset.sent = String(this.sent);
      } catch (err) {
        if (err instanceof Ended) {
          this.stop(t('The share has ended: %(reason)s The camera is off.', { reason: err.message }));
          return;
        }
        this.say(t('A piece of video could not be sent (%(error)s); still trying.', { error: err.message }));
      }
    }
  }

  stop(why) {
    window.clearTimeout(this.timer);
    if (this.recorder && this.recorder.state !== 'inactive') this.recorder.stop();
    if (this.stream) for (const track of this.stream.getTracks()) track.stop();
    this.stream = null;
    this.recorder = null;
    this.waiting = [];
    this.preview.srcObject = null;
    this.preview.hidden = true;
    this.button.textContent = t("Send this phone's camera");
    this.root.dataset.state = 'stopped';
    this.say(why);
  }
}

for (const element of document.querySelectorAll('.js-viewers')) refresh(element);
for (const root of document.querySelectorAll('.js-phone-camera')) new PhoneCamera(root);
