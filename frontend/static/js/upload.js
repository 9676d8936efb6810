// The owner's video upload: straight to S3 in 16 MB parts through presigned URLs, three at a
// time, with a progress bar. A dropped connection pauses it; it goes on by itself when the
// network is back (or when the owner taps Upload again), sending only the parts S3 lacks.
// Before the file is picked, the owner reads the recorder's clock once; the page says the asked
// window in the recorder's own time, and sends the reading with its moment (never the moment of
// Upload) so the server computes the recorder's offset.

import { fetchJSON } from './http.js';
import {
  clock, day, fromInputValue, fromWall, inputValue, isoWithZone, wall, zoneLabel,
} from './program-time.js';
import { t } from './words.js';

const PARALLEL = 3;
const RETRIES = 5;
const clockMissing = () => t('Say what time the recorder showed, tapping “Now” as you read it.');

const api = (method, url, body) => fetchJSON(url, { method, body });

// Upload bookkeeping. The app splits the file into `part_count` parts of `part_bytes` (the last
// one shorter) and says which it holds (`parts_done`); only the others are sent, first to last.
export function partsToSend(partCount, partsDone) {
  const done = new Set(partsDone);
  const todo = [];
  for (let n = 1; n <= partCount; n += 1) if (!done.has(n)) todo.push(n);
  return todo;
}

// The bytes of part `n` (from 1) of a file of `size` bytes: [start, end).
export function partRange(n, partBytes, size) {
  return [(n - 1) * partBytes, Math.min(size, n * partBytes)];
}

// Part numbers in groups of at most `size`: the app presigns up to 64 URLs per ask
// (app.services.footage.uploads.MAX_PARTS_PER_CALL).
export function inGroups(parts, size = 64) {
  const groups = [];
  for (let i = 0; i < parts.length; i += size) groups.push(parts.slice(i, i + size));
  return groups;
}

// Per cent sent, whole, at most 99: 100 only once the app has put the parts together.
export function percentSent(bytes, size) {
  return Math.min(99, Math.floor((bytes / size) * 100));
}

// The recorder's date and time when the owner read "hh:mm[:ss]" on its screen at `readAt`: the
// day that puts it nearest to that moment (a recorder more than 12 hours off is on another day).
// The recorder stands in the program's city, so its screen shows the program's time zone.
export function recorderShows(reading, readAt) {
  const [h, m, s = '0'] = reading.split(':');
  const today = { ...wall(readAt), hour: Number(h), minute: Number(m), second: Math.floor(Number(s)) };
  let shown = fromWall(today);
  if (shown - readAt > 12 * 3600 * 1000) shown = fromWall({ ...today, day: today.day - 1 });
  if (shown - readAt < -12 * 3600 * 1000) shown = fromWall({ ...today, day: today.day + 1 });
  return shown;
}

// The recorder's clock minus real time, in seconds, counted as the server counts it
// (app.core.footage.reading_offset): its screen shows whole seconds, so a reading stands for
// the middle of its second. Only the moment of the reading counts, never the moment of Upload.
export function offsetSeconds(shown, readAt) {
  return (shown - readAt) / 1000 + 0.5;
}

export function offsetWords(offset) {
  if (Math.abs(offset) < 1) return t('on time');
  let rest = Math.round(Math.abs(offset));
  const hours = Math.floor(rest / 3600);
  rest -= hours * 3600;
  const minutes = Math.floor(rest / 60);
  const seconds = rest - minutes * 60;
  const parts = [hours && `${hours} h`, minutes && `${minutes} min`, seconds && `${seconds} s`].filter(Boolean);
  const amount = parts.join(' ');
  return offset > 0 ? t('%(amount)s ahead', { amount }) : t('%(amount)s behind', { amount });
}

// Times in the program's zone, 24-hour with seconds, named once (program-time.js).
const shownTime = (d) => clock(d, true);

// The asked window as the recorder shows it: from the second its start falls in to the one its
// end falls in, so an export of these times holds the whole window.
export function recorderWindow(start, end, offset) {
  const first = new Date(Math.floor((start.getTime() + offset * 1000) / 1000) * 1000);
  const last = new Date(Math.ceil((end.getTime() + offset * 1000) / 1000) * 1000);
  const values = { start: shownTime(first), end: shownTime(last), day: day(first), last_day: day(last), zone: zoneLabel };
  const words = day(first) === day(last)
    ? t('Export %(start)s to %(end)s on %(day)s (%(zone)s) as your recorder shows it.', values)
    : t('Export %(start)s to %(end)s (%(day)s to %(last_day)s) (%(zone)s) as your recorder shows it.', values);
  return { first, last, words };
}

function putPart(url, blob, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', url);
    xhr.upload.onprogress = (event) => onProgress(event.loaded);
    xhr.onload = () => (xhr.status >= 200 && xhr.status < 300 ? resolve() : reject(new Error(t('storage answered %(status)s', { status: xhr.status }))));
    xhr.onerror = () => reject(Object.assign(new Error(t('the network dropped')), { network: true }));
    xhr.send(blob);
  });
}

// The recorder's clock, read once: the moment of the reading is the tap on "Now" (the owner
// looks at the recorder and taps), or else the moment the owner finished typing the time.
// Typing, picking the file and tapping Upload may take minutes; none of it moves the reading.
class Upload {
  constructor(root) {
    this.root = root;
    this.target = root.dataset.target;
    this.windowStart = new Date(root.dataset.windowStart);
    this.windowEnd = new Date(root.dataset.windowEnd);
    this.file = root.querySelector('.js-file');
    this.readNow = root.querySelector('.js-read-now');
    this.readAtText = root.querySelector('.js-read-at');
    this.recorderShows = root.querySelector('.js-recorder-shows');
    this.windowText = root.querySelector('.js-recorder-window');
    this.videoStarts = root.querySelector('.js-video-starts');
    this.audio = root.querySelector('.js-include-audio');
    this.error = root.querySelector('.js-upload-error');
    this.button = root.querySelector('.js-upload-start');
    this.progressWrap = root.querySelector('.js-progress-wrap');
    this.progress = root.querySelector('.js-progress');
    this.progressText = root.querySelector('.js-progress-text');
    this.readAt = null; // when the reading was taken (this device's clock)
    this.tapped = false; // by a tap on "Now" (else: when the typing ended)
    this.videoStarts.value = inputValue(this.windowStart);
    this.videoStarts.addEventListener('input', () => { this.videoStarts.dataset.edited = 'yes'; });
    this.readNow.addEventListener('click', () => this.tapNow());
    this.recorderShows.addEventListener('input', () => this.typed());
    this.button.addEventListener('click', () => this.run());
    window.addEventListener('online', () => { if (this.paused) this.run(); });
    this.resuming = root.dataset.status === 'uploading';
    if (this.resuming) {
      this.say(t('An upload of this request was interrupted. Choose the same file and tap Upload to go on where it stopped.'));
    }
  }

  say(text) { this.progressText.textContent = text; this.progressWrap.hidden = false; }

  tapNow() {
    this.readAt = new Date();
    this.tapped = true;
    this.readAtText.textContent = this.recorderShows.value
      ? t("Noted at %(time)s by this phone's clock, as the moment the recorder showed the time below.", { time: shownTime(this.readAt) })
      : t("Noted at %(time)s by this phone's clock. Now type the time the recorder showed then.", { time: shownTime(this.readAt) });
    this.update();
  }

  typed() {
    if (!this.recorderShows.value) return;
    if (!this.tapped) {
      this.readAt = new Date();
      this.readAtText.textContent = t("Counted as read at %(time)s by this phone's clock, when you finished typing. For the exact second, tap “Now” while you look at the recorder.", { time: shownTime(this.readAt) });
    }
    this.update();
  }

  offset() {
    if (!this.readAt || !this.recorderShows.value) return null;
    return offsetSeconds(recorderShows(this.recorderShows.value, this.readAt), this.readAt);
  }

  // The asked window in the recorder's own time, said before the owner picks the file.
  update() {
    const offset = this.offset();
    if (offset === null) return;
    const asked = recorderWindow(this.windowStart, this.windowEnd, offset);
    this.windowText.textContent = t('Your recorder runs %(offset)s. %(window)s', { offset: offsetWords(offset), window: asked.words });
    this.windowText.hidden = false;
    if (!this.videoStarts.dataset.edited) this.videoStarts.value = inputValue(asked.first);
  }

  check() {
    const file = this.file.files[0];
    // an interrupted upload goes on with the reading it started with
    if (!this.resuming && this.offset() === null) return clockMissing();
    if (!file) return t('Choose the video file first.');
    if (!/\.(mp4|mov|avi|mkv|m4v)$/i.test(file.name)) return t('Choose an MP4, MOV, AVI or MKV file.');
    if (file.size > 2 * 1024 ** 3) return t('The file is larger than 2 GB. Export a shorter stretch around the asked time.');
    if (!this.videoStarts.value) return t('Say what time the recorder shows at the start of the video.');
    return '';
  }

  async run() {
    const problem = this.check();
    this.error.textContent = problem;
    if (problem) return;
    const file = this.file.files[0];
    this.button.disabled = true;
    this.paused = false;
    try {
      // Ask which parts arrived only when an upload may be under way (interrupted on an earlier
      // visit, or paused on this one): before the first one there is none, and asking errs.
      let state = this.resuming || this.started
        ? await api('GET', `/api/targets/${this.target}/upload`).catch(() => null) : null;
      if (!state || state.filename !== file.name || state.size !== file.size) {
        if (this.offset() === null) throw new Error(clockMissing());
        state = await api('POST', `/api/targets/${this.target}/upload`, {
          filename: file.name, size: file.size,
          recorder_shows: isoWithZone(recorderShows(this.recorderShows.value, this.readAt)),
          read_at: this.readAt.toISOString(),
          video_starts_at: fromInputValue(this.videoStarts.value).toISOString(),
          include_audio: this.audio.checked,
        });
        this.started = true;
      }
      await this.sendParts(file, state);
      this.say(t('Finishing…'));
      await api('POST', `/api/targets/${this.target}/upload/complete`, {});
      this.progress.value = 100;
      this.say(t('Uploaded. We are cutting the asked minutes out of it now.'));
      this.watch();
    } catch (err) {
      this.paused = !navigator.onLine || Boolean(err.network) || /network/.test(err.message);
      this.error.textContent = this.paused
        ? t('The connection dropped. The upload goes on by itself when you are back online.')
        : t('The upload stopped: %(error)s', { error: err.message });
      this.button.disabled = false;
    }
  }

  async sendParts(file, state) {
    const sent = new Map();
    let base = state.bytes_done;
    const show = () => {
      const bytes = base + [...sent.values()].reduce((a, b) => a + b, 0);
      this.progress.value = percentSent(bytes, file.size);
      this.say(t('%(percent)s%% sent (%(sent)s of %(total)s MB)', {
        percent: this.progress.value, sent: (bytes / 1048576).toFixed(1), total: (file.size / 1048576).toFixed(1),
      }));
    };
    const todo = partsToSend(state.part_count, state.parts_done);
    show();
    const urls = {};
    for (const parts of inGroups(todo)) {
      Object.assign(urls, (await api('POST', `/api/targets/${this.target}/upload/parts`, { parts })).urls);
    }
    const worker = async () => {
      while (todo.length) {
        const n = todo.shift();
        const blob = file.slice(...partRange(n, state.part_bytes, file.size));
        for (let attempt = 0; ; attempt += 1) {
          try {
            await putPart(urls[n], blob, (loaded) => { sent.set(n, loaded); show(); });
            break;
          } catch (err) {
            sent.delete(n);
            if (attempt >= RETRIES || !navigator.onLine) throw err;
            await new Promise((r) => { setTimeout(r, 500 * 2 ** attempt); });
          }
        }
        sent.delete(n);
        base += blob.size;
        show();
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL, todo.length || 1) }, worker));
  }

  async watch() {
    const data = await api('GET', `/api/targets/${this.target}`).catch(() => null);
    if (data && (data.status === 'ready' || data.status === 'failed')) {
      window.location.reload();
      return;
    }
    window.setTimeout(() => this.watch(), 3000);
  }
}

const root = document.querySelector('.js-upload');
if (root) new Upload(root);

const processing = document.querySelector('.js-processing');
if (processing) {
  const poll = async () => {
    const data = await api('GET', `/api/targets/${processing.dataset.target}`).catch(() => null);
    if (data && data.status !== 'processing') window.location.reload();
    else window.setTimeout(poll, 3000);
  };
  poll();
}
