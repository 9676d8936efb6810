// The police live player: each shared camera (and the owner's phone, once it joins) plays
// through Media Source Extensions a few seconds behind real time.
//
// Every second each stream asks the app for the pieces after the last one it has; the app
// checks the share is still running and the owner's rules allow this camera now, and answers
// with URLs that lapse within seconds. Once it refuses (the owner ended the share, its time
// ran out, the rules no longer allow it) the player stops and empties the video: nothing here
// keeps playing on credentials it holds. Pieces are whole files (fMP4 from a bridge, WebM or
// MP4 from a phone), appended in "sequence" mode so each continues where the last one ended.

import { HttpError, csrfToken, fetchJSON } from './http.js';
import { clock, zoneLabel } from './program-time.js';
import { t } from './words.js';

const POLL_MS = 1000;
// Until its first piece arrives, for its first FAST_FOR_MS, a camera's stream asks four times as
// often: a view police just opened wakes the bridge, whose first piece is ready a fraction of a
// second after the first ask (bench/realtime.py: a whole second of the first frame's 1.2 s was
// this wait). Not longer: a camera that sends nothing (and the owner's phone, which may never
// join) is asked at the usual pace.
const FIRST_POLL_MS = 250;
const FAST_FOR_MS = 5000;
// Where a live view plays: right after a new piece is appended, the playhead sits LIVE_LEAD_S
// behind the end of the video held. The next piece comes about 2.3 s later (2 s of video, its
// upload, up to a 1 s poll), so a smaller lead runs the video dry and it freezes before each
// piece. A viewer joins at that lead; afterwards the playback rate is nudged (1.1x or 0.95x)
// whenever the lead after an append is off by more than LEAD_SLACK_S, so the delay settles at
// the same place whenever the page was opened. bench/live.py measures the result.
const LIVE_LEAD_S = 3.3;
// Shorter pieces (a bridge with `segment_seconds = 1` and cameras sending a keyframe every
// second) allow a shorter lead, asked for four times as often: the lead is one piece, one poll
// and SLACK_S for the upload, never below MIN_LEAD_S. bench.realtime --segment-seconds 1:
// glass to glass 2.2 s, no stall (3.8 s with 2 s pieces); without the slack 1.9 s, but 6
// stalls a minute, so the slack stays.
const SHORT_PIECE_S = 1.25;
const SHORT_POLL_MS = 250;
const SLACK_S = 0.2;
const MIN_LEAD_S = 1.4;

// The lead and the poll interval for pieces of `pieceSeconds` (0: not known yet).
export function pace(pieceSeconds) {
  if (!(pieceSeconds > 0) || pieceSeconds > SHORT_PIECE_S) return { lead: LIVE_LEAD_S, pollMs: POLL_MS };
  return { lead: Math.max(MIN_LEAD_S, pieceSeconds + SHORT_POLL_MS / 1000 + SLACK_S), pollMs: SHORT_POLL_MS };
}
const LEAD_SLACK_S = 0.5;
const BEHIND_JUMP_S = 8.0; // further behind than this (a long stall), jump back
const KEEP_S = 30; // seconds of played video kept in the browser
// Pieces are fetched by the play head, not as fast as the app offers them: only while less than
// AHEAD_S is held ahead of it (playing from before the alert, a paused view). The rest is asked
// for again later (its URLs lapse within seconds anyway). If the browser's memory for the video
// is full all the same (appendBuffer's QuotaExceededError), what was played is dropped and the
// piece tried again; failing that, less is held ahead (down to MIN_AHEAD_S) until it fits.
const AHEAD_S = 12;
const MIN_AHEAD_S = 4;
const BACKLOG_PIECES = 8; // a live view offered this many at once fell behind: back to live
// Pieces carry when their pictures were captured, and the app's answer its time now. No new
// piece arriving for OFFLINE_AFTER_S (they come every ~2 s): the camera is offline, said in words
// and the last picture hidden rather than left standing. Video captured more than BEHIND_SAY_S
// before it plays is said to be behind (a converting bridge that cannot keep up, a slow line).
const OFFLINE_AFTER_S = 12;
const BEHIND_SAY_S = 15;
// A wall tile's scrubber spans the share's video of its camera, from its first piece (the
// app's `first_start`) to now, in steps of SCRUB_STEP_S. Keys pressed in a row, or a drag,
// move the player once they pause for SCRUB_SETTLE_MS; let go within LIVE_SNAP_S of the right
// end, it plays live.
const SCRUB_STEP_S = 5;
const SCRUB_SETTLE_MS = 500;
const LIVE_SNAP_S = 6;
const MARKS_KEPT = 64;

class Refused extends Error {}

// The app's answer; a refusal (the share ended, its time ran out, the rules no longer allow
// this camera, the session is gone) is a Refused, which stops the player.
async function api(method, url) {
  try {
    return await fetchJSON(url, { method, body: method === 'GET' ? undefined : {} });
  } catch (err) {
    if (err instanceof HttpError && [401, 403, 404, 409, 410].includes(err.status)) {
      throw new Refused((err.problem && err.problem.detail) || err.message);
    }
    throw err;
  }
}

// When the picture at `time` (the video element's clock) was captured, in ms since the epoch,
// from `marks` ({ from, to, start }: each piece appended, where it sits in the video and when
// it was captured, oldest first); null when no piece held covers it.
export function captureTime(marks, time) {
  for (let index = marks.length - 1; index >= 0; index -= 1) {
    const mark = marks[index];
    if (mark.from <= time + 0.05) return time < mark.to + 1 ? mark.start + Math.max(time - mark.from, 0) * 1000 : null;
  }
  return null;
}

// What a scrubber let go at `value` (seconds since the epoch) asks for: '' (live) near its
// right end `max`, else the moment as ISO 8601 (the pieces API's `at`).
export function scrubbedTo(value, max) {
  return value >= max - LIVE_SNAP_S ? '' : new Date(value * 1000).toISOString();
}

// Where the play head goes after a poll: `seek` (a time to jump to) and `rate` (the playback
// rate), each only when it changes. From the video held (the first range starts at `heldFrom`,
// the newest runs from `newestFrom` to `end`), the head's place `at`, and whether the view is
// live, has joined live yet, and just appended a piece. A live view joins, or comes back after
// a long stall, at LIVE_LEAD_S behind the end; after each append its rate is nudged towards that
// lead; a view from before the alert plays at normal speed from the start of what is held.
export function leadControl({ heldFrom, newestFrom, end, at, live, joined, appended, target = LIVE_LEAD_S }) {
  const lead = end - at;
  if (live && (!joined || lead > BEHIND_JUMP_S)) return { seek: Math.max(newestFrom, end - target), rate: 1 };
  if (at < heldFrom) return { seek: heldFrom };
  if (live && appended) {
    const off = lead - target;
    return { rate: off > LEAD_SLACK_S ? 1.1 : off < -LEAD_SLACK_S ? 0.95 : 1 };
  }
  if (!live) return { rate: 1 };
  return {};
}

function waitUpdate(buffer) {
  return new Promise((resolve, reject) => {
    buffer.addEventListener('updateend', resolve, { once: true });
    buffer.addEventListener('error', () => reject(new Error(t('the browser could not use this piece'))), { once: true });
  });
}

class StreamPlayer {
  // `stream` is the camera's alias in this share (or 'phone'): police never hold a camera id.
  // With `timeline` it has a scrubber (a wall tile's): play from any moment the share holds.
  constructor(shareId, stream, label, container, onRefused, { hiddenUntilVideo = false, preroll = true, place = '', timeline = false } = {}) {
    this.shareId = shareId;
    this.stream = stream;
    this.onRefused = onRefused;
    this.after = '';
    this.pace = pace(0); // the lead and poll for this camera's piece length (set as they come)
    // What the view follows: '' live, 'start' the share's first piece, or an ISO moment.
    this.from = '';
    this.generation = 0; // a restart makes an ask already on its way stale
    this.marks = [];
    this.stopped = false;
    this.buffer = null;
    this.mime = '';
    this.figure = document.createElement('figure');
    this.figure.className = 'live-stream';
    this.figure.dataset.stream = stream;
    this.figure.dataset.from = 'live';
    this.figure.hidden = hiddenUntilVideo;
    this.fastUntil = hiddenUntilVideo ? 0 : Date.now() + FAST_FOR_MS;
    this.video = document.createElement('video');
    this.video.muted = true;
    this.video.playsInline = true;
    this.video.controls = true;
    this.video.setAttribute('aria-label', t('Live video: %(camera)s', { camera: label }));
    this.video.hidden = true; // shown with the first piece
    const caption = document.createElement('figcaption');
    const name = document.createElement('strong');
    name.textContent = label;
    const where = document.createElement('span');
    where.className = 'meta';
    where.textContent = place ? ` (${place})` : '';
    this.state = document.createElement('span');
    this.state.className = 'meta js-stream-state';
    this.state.setAttribute('role', 'status');
    this.state.textContent = ` ${t("No video from this camera yet (it comes from the owner's bridge).")}`;
    this.startButton = document.createElement('button');
    this.startButton.type = 'button';
    this.startButton.className = 'button';
    this.startButton.textContent = t('Play from before the alert');
    this.startButton.hidden = true;
    this.preroll = preroll;
    this.aheadCap = AHEAD_S;
    this.startButton.addEventListener('click', () => this.restart(this.from ? '' : 'start'));
    this.masked = document.createElement('span');
    this.masked.className = 'meta js-masked';
    this.masked.textContent = ` ${t('Parts of this view are masked by the owner.')}`;
    this.masked.hidden = true;
    caption.append(name, where, this.state, this.masked, this.startButton);
    this.figure.append(this.video, caption);
    if (timeline) this.figure.append(this.buildTimeline(label));
    container.append(this.figure);
    this.open();
  }

  open() {
    this.source = new MediaSource();
    this.buffer = null;
    this.mime = '';
    this.video.src = URL.createObjectURL(this.source);
  }

  // The scrubber: a labelled range (keyboard: arrows 5 s, Page Up/Down, Home, End) with the
  // clock time of its place beside it, and a button back to live while it is behind.
  buildTimeline(label) {
    const id = `timeline-${this.shareId}-${this.stream}`;
    const box = document.createElement('div');
    box.className = 'live-timeline';
    box.hidden = true; // shown with the first piece
    const name = document.createElement('label');
    name.htmlFor = id;
    name.textContent = t('Play from');
    const which = document.createElement('span');
    which.className = 'visually-hidden';
    which.textContent = ` (${label})`;
    name.append(which);
    const input = document.createElement('input');
    input.type = 'range';
    input.id = id;
    input.step = String(SCRUB_STEP_S);
    const shown = document.createElement('span');
    shown.className = 'live-timeline-at';
    shown.id = `${id}-at`;
    shown.setAttribute('aria-hidden', 'true'); // (the range's value text says it)
    const back = document.createElement('button');
    back.type = 'button';
    back.className = 'button';
    back.textContent = t('Back to live');
    back.setAttribute('aria-label', t('Back to live: %(camera)s', { camera: label }));
    back.hidden = true;
    back.addEventListener('click', () => {
      this.restart('');
      input.focus(); // (the button is hidden now: focus stays on the tile's scrubber)
    });
    const moved = () => {
      this.scrubbing = true;
      const max = Number(input.max);
      this.sayPlace(Number(input.value) * 1000, !scrubbedTo(Number(input.value), max));
      window.clearTimeout(this.scrubTimer);
      this.scrubTimer = window.setTimeout(() => {
        this.scrubbing = false;
        const from = scrubbedTo(Number(input.value), max);
        if (from || this.from) this.restart(from); // (live already: nothing to do)
      }, SCRUB_SETTLE_MS);
    };
    input.addEventListener('input', moved);
    input.addEventListener('change', moved);
    box.append(name, input, shown, back);
    this.timeline = { box, input, shown, back };
    return box;
  }

  // The scrubber's words: the clock time of its place (and "live" at its right end).
  sayPlace(moment, live) {
    const words = `${clock(new Date(moment))} ${zoneLabel}`;
    const text = live ? t('Live (%(time)s)', { time: words }) : words;
    this.timeline.shown.textContent = text;
    this.timeline.input.setAttribute('aria-valuetext', text);
  }

  // After each ask: the scrubber spans the camera's first piece to the app's now, and sits
  // where the video plays (unless the officer is moving it).
  showTimeline(data) {
    if (!this.timeline || this.scrubbing) return;
    const first = Date.parse(data.first_start || '');
    const now = Date.parse(data.now || '');
    if (Number.isNaN(first) || Number.isNaN(now)) return;
    const { box, input, back } = this.timeline;
    box.hidden = false;
    input.min = String(Math.floor(first / 1000));
    input.max = String(Math.max(Math.ceil(now / 1000), Math.floor(first / 1000) + SCRUB_STEP_S));
    const requested = this.from === 'start' ? first : Date.parse(this.from);
    const playing = this.from ? (captureTime(this.marks, this.video.currentTime) ?? requested) : now;
    input.value = String(Math.round(playing / 1000));
    this.sayPlace(playing, !this.from);
    back.hidden = !this.from;
  }

  // Play from `from`: '' live, 'start' the share's first piece, or an ISO moment.
  restart(from = '') {
    this.from = from;
    this.startButton.textContent = from ? t('Go back to live') : t('Play from before the alert');
    this.figure.dataset.from = from || 'live';
    delete this.figure.dataset.playedFrom;
    if (this.timeline) this.timeline.back.hidden = !from;
    this.after = '';
    this.joined = false;
    this.marks = [];
    this.generation += 1;
    this.restarting = true;
  }

  // Back at the live edge by playing on (no ask offers more and little is left to play).
  caughtUp() {
    this.from = '';
    this.figure.dataset.from = 'live';
    this.startButton.textContent = t('Play from before the alert');
    if (this.timeline) this.timeline.back.hidden = true;
  }

  async ensureBuffer(mime) {
    if (this.source.readyState !== 'open') {
      await new Promise((resolve) => this.source.addEventListener('sourceopen', resolve, { once: true }));
    }
    if (!MediaSource.isTypeSupported(mime)) throw new Error(t('this browser cannot play %(type)s', { type: mime }));
    if (!this.buffer) {
      this.buffer = this.source.addSourceBuffer(mime);
      this.buffer.mode = 'sequence';
    } else if (mime !== this.mime && this.buffer.changeType) {
      this.buffer.changeType(mime);
    }
    this.mime = mime;
  }

  // Seconds of video held ahead of the play head (from the start of the newest range when the
  // head is still before it: chase() moves it there).
  ahead() {
    const ranges = this.video.buffered;
    if (!ranges.length) return 0;
    const from = Math.max(this.video.currentTime, ranges.start(ranges.length - 1));
    return Math.max(ranges.end(ranges.length - 1) - from, 0);
  }

  // Appends a piece; false when the browser has no room for it yet (asked for again later).
  async append(piece) {
    const response = await fetch(piece.url);
    if (!response.ok) throw new Error(t('a piece could not be fetched (%(status)s)', { status: response.status }));
    const bytes = await response.arrayBuffer();
    await this.ensureBuffer(piece.mime);
    this.trim();
    for (let attempt = 0; ; attempt += 1) {
      if (this.buffer.updating) await waitUpdate(this.buffer);
      try {
        this.buffer.appendBuffer(bytes); // (throws at once when there is no room)
      } catch (err) {
        if (err.name !== 'QuotaExceededError') throw err;
        if (attempt === 0 && await this.evict()) continue;
        this.aheadCap = Math.max(MIN_AHEAD_S, Math.min(this.aheadCap, this.ahead()) - 2);
        return false;
      }
      await waitUpdate(this.buffer);
      this.aheadCap = Math.min(AHEAD_S, this.aheadCap + 0.5);
      return true;
    }
  }

  // Drops what has been played (all but the last 2 s); false when that frees nothing.
  async evict() {
    const ranges = this.buffer.buffered;
    const cut = this.video.currentTime - 2;
    if (!ranges.length || cut <= ranges.start(0) + 0.5) return false;
    this.buffer.remove(ranges.start(0), cut);
    await waitUpdate(this.buffer);
    return true;
  }

  trim() {
    const ranges = this.buffer && this.buffer.buffered;
    if (!ranges || !ranges.length || this.buffer.updating) return;
    const cut = this.video.currentTime - KEEP_S;
    if (cut > ranges.start(0) + 1) this.buffer.remove(ranges.start(0), cut);
  }

  chase(appended) {
    const ranges = this.video.buffered;
    if (!ranges.length || this.userPaused) return;
    const live = !this.from;
    const step = leadControl({
      heldFrom: ranges.start(0), newestFrom: ranges.start(ranges.length - 1), end: ranges.end(ranges.length - 1),
      at: this.video.currentTime, live, joined: this.joined, appended, target: this.pace.lead,
    });
    if (step.seek !== undefined) this.video.currentTime = step.seek;
    if (step.rate !== undefined) this.video.playbackRate = step.rate;
    this.joined = this.joined || live;
    if (this.video.paused) this.video.play().catch(() => {});
  }

  async tick() {
    const generation = this.generation;
    if (this.restarting) {
      this.restarting = false;
      if (this.source.readyState === 'open' && this.buffer && !this.buffer.updating && this.video.buffered.length) {
        this.buffer.abort();
        this.buffer.remove(0, Infinity);
        await waitUpdate(this.buffer).catch(() => {});
      }
    }
    const query = new URLSearchParams({ camera: this.stream });
    if (this.after) query.set('after', this.after);
    else if (this.from === 'start') query.set('from', 'start');
    else if (this.from) query.set('at', this.from);
    const data = await api('GET', `/api/live/${this.shareId}/pieces?${query}`);
    this.masked.hidden = !data.masked;
    let appended = 0;
    for (const piece of data.pieces) {
      if (this.stopped || generation !== this.generation) return; // restarted meanwhile
      if (this.buffer && this.ahead() >= this.aheadCap) break; // enough ahead: the rest later
      if (!(await this.append(piece))) break;
      if (generation !== this.generation) return;
      appended += 1;
      this.after = piece.name;
      this.pace = pace((Date.parse(piece.end) - Date.parse(piece.start)) / 1000);
      this.mark(piece);
      this.figure.hidden = false;
      this.video.hidden = false;
      this.startButton.hidden = !this.preroll;
      this.figure.dataset.pieces = String(Number(this.figure.dataset.pieces || 0) + 1);
      this.state.textContent = ` ${t('Video up to %(time)s.', { time: `${clock(new Date(piece.end))} ${zoneLabel}` })}`;
    }
    if (generation !== this.generation) return;
    if (!this.from && !this.userPaused && data.pieces.length >= BACKLOG_PIECES
        && appended < data.pieces.length) {
      this.after = ''; // fell behind live (an outage, a pause): the next ask starts at live
    }
    const ranges = this.video.buffered;
    if (this.from && ranges.length && data.pieces.length === 0
        && ranges.end(ranges.length - 1) - this.video.currentTime < BEHIND_JUMP_S) {
      this.caughtUp(); // played up to the newest piece: the view is live again
    }
    this.chase(appended > 0);
    this.sayTiming(data);
    this.showTimeline(data);
  }

  // Where a piece just appended sits in the video, and when it was captured (the scrubber
  // shows the clock time of what plays); the figure says where a restarted view began.
  mark(piece) {
    const ranges = this.video.buffered;
    const start = Date.parse(piece.start);
    if (!this.figure.dataset.playedFrom) this.figure.dataset.playedFrom = piece.start;
    if (!ranges.length || Number.isNaN(start)) return;
    const to = ranges.end(ranges.length - 1);
    const length = Math.max((Date.parse(piece.end) - start) / 1000, 0);
    this.marks.push({ from: to - length, to, start });
    if (this.marks.length > MARKS_KEPT) this.marks.shift();
  }

  // How old the video is, from the pieces' capture times and the app's clock (not the
  // browser's): "camera offline" when pieces stop, "N s behind live" when they come late.
  sayTiming(data) {
    const serverNow = Date.parse(data.now || '');
    if (Number.isNaN(serverNow)) return;
    const newest = data.pieces.length ? Date.parse(data.pieces[data.pieces.length - 1].end) : NaN;
    if (!Number.isNaN(newest)) {
      this.newestEnd = Math.max(this.newestEnd || 0, newest);
      this.lastArrival = Date.now();
    }
    if (!this.newestEnd) return;
    const at = (moment) => `${clock(new Date(moment))} ${zoneLabel}`;
    const silent = (Date.now() - this.lastArrival) / 1000;
    const offline = silent > OFFLINE_AFTER_S;
    this.figure.dataset.offline = String(offline);
    if (offline) {
      if (!this.from) this.video.hidden = true;
      this.state.textContent = ` ${t('Camera offline: no video since %(time)s (%(seconds)s s).', { time: at(this.newestEnd), seconds: Math.round(silent) })}`;
      return;
    }
    this.video.hidden = false;
    const ranges = this.video.buffered;
    const held = ranges.length ? Math.max(ranges.end(ranges.length - 1) - this.video.currentTime, 0) : 0;
    const behind = (serverNow - this.newestEnd) / 1000 + held;
    this.figure.dataset.behind = String(Math.round(behind));
    this.state.textContent = ` ${behind > BEHIND_SAY_S && !this.from
      ? t('Video up to %(time)s: %(seconds)s s behind live.', { time: at(this.newestEnd), seconds: Math.round(behind) })
      : t('Video up to %(time)s.', { time: at(this.newestEnd) })}`;
  }

  async run() {
    // Only the detective (the video's own controls) pauses a stream; a stall is 'waiting'.
    this.video.addEventListener('pause', () => { this.userPaused = !this.stopped; });
    this.video.addEventListener('play', () => { this.userPaused = false; });
    while (!this.stopped) {
      try {
        await this.tick();
      } catch (err) {
        if (err instanceof Refused) {
          this.onRefused(err.message);
          return;
        }
        // the place is kept: the next ask resumes after the last piece played
        this.state.textContent = ` ${t('%(error)s; trying again.', { error: err.message })}`;
      }
      const fast = !this.after && Date.now() < this.fastUntil;
      await new Promise((resolve) => window.setTimeout(resolve, fast ? FIRST_POLL_MS : this.pace.pollMs));
    }
  }

  stop() {
    this.stopped = true;
    this.video.pause();
    this.video.removeAttribute('src');
    this.video.load();
    this.state.textContent = ` ${t('Stopped.')}`;
    this.startButton.disabled = true;
    if (this.timeline) {
      window.clearTimeout(this.scrubTimer);
      this.timeline.input.disabled = true;
      this.timeline.back.disabled = true;
    }
  }
}

// Plays the share named by root's data-share: every camera the rules allow now, and the owner's
// phone when it joins; with data-stream, that one camera only (a tile of the incident screen's
// wall). root.stopPlayer(why) stops it and ends this officer's time watching.
export async function start(root) {
  const status = root.querySelector('.js-live-status');
  const grid = root.querySelector('.js-live-streams');
  const shareId = root.dataset.share;
  const players = [];
  let ended = false;
  const end = (why) => {
    if (ended) return;
    ended = true;
    for (const player of players) player.stop();
    status.textContent = t('The video has stopped: %(why)s', { why });
    status.classList.add('attention');
    root.dataset.state = 'ended';
  };
  let view;
  try {
    view = await api('POST', `/api/live/${shareId}/view`);
  } catch (err) {
    end(err.message);
    return;
  }
  // Leaving the page ends this officer's time watching, which the owner reads. A beacon
  // outlives the page (a keepalive fetch from a page the service worker controls may not);
  // it cannot carry headers, so the CSRF token goes as a form field. It is sent as the page
  // starts to go (beforeunload: the page is still whole; a beacon sent only as it goes was
  // seen lost in Chromium) and again as it goes (pagehide: phones, the back-forward cache); the
  // app takes the first. A page that comes back (the back button) opens the share again.
  const leave = () => {
    if (!ended) navigator.sendBeacon(`/live/${shareId}/leave`, new URLSearchParams({ csrf_token: csrfToken() }));
  };
  root.stopPlayer = (why) => {
    leave();
    end(why);
  };
  window.addEventListener('beforeunload', leave);
  window.addEventListener('pagehide', leave);
  window.addEventListener('pageshow', (event) => {
    if (event.persisted && !ended) api('POST', `/api/live/${shareId}/view`).catch(() => {});
  });
  if (!('MediaSource' in window)) {
    status.textContent = t('This browser cannot play live video (no Media Source Extensions). Use Chrome, Edge or Firefox.');
    return;
  }
  const refused = view.cameras.filter((c) => !c.allowed);
  status.textContent = refused.length
    ? t("Playing. Not allowed now by the owner's rules: %(cameras)s.", { cameras: refused.map((c) => `${c.name} (${c.reason})`).join('; ') })
    : t('Playing a few seconds behind real time.');
  root.dataset.state = 'playing';
  const only = root.dataset.stream;
  for (const camera of view.cameras.filter((c) => c.allowed && (!only || c.stream === only))) {
    players.push(new StreamPlayer(shareId, camera.stream, camera.name, grid, end, { place: camera.place || '', preroll: !only, timeline: Boolean(only) }));
  }
  if (!only) players.push(new StreamPlayer(shareId, 'phone', t("Owner's phone camera"), grid, end, { hiddenUntilVideo: true, preroll: false }));
  for (const player of players) player.run();
}

for (const root of document.querySelectorAll('.js-live-player')) start(root);
