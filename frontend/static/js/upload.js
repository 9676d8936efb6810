// The owner's video upload: straight to S3 in 16 MB parts through presigned URLs, three at a
// time, with a progress bar. A dropped connection pauses it; it goes on by itself when the
// network is back (or when the owner taps Upload again), sending only the parts S3 lacks.

const PARALLEL = 3;
const RETRIES = 5;

function csrfToken() {
  const input = document.querySelector('input[name="csrf_token"]');
  return input ? input.value : '';
}

async function api(method, url, body) {
  const response = await fetch(url, {
    method,
    headers: { Accept: 'application/json', 'Content-Type': 'application/json', 'X-CSRF-Token': csrfToken() },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const fields = data.errors ? Object.values(data.errors).join(' ') : '';
    throw new Error(`${data.detail || response.statusText}${fields ? ` (${fields})` : ''}`);
  }
  return data;
}

// "What time does the recorder show now?" → recorder clock minus real time, in seconds.
export function offsetSeconds(recorderTime, now = new Date()) {
  const [h, m, s = '0'] = recorderTime.split(':');
  const shown = new Date(now);
  shown.setHours(Number(h), Number(m), Number(s), 0);
  let diff = (shown - now) / 1000;
  if (diff > 12 * 3600) diff -= 24 * 3600;
  if (diff < -12 * 3600) diff += 24 * 3600;
  return Math.round(diff);
}

function localInputValue(date) {
  const pad = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

function putPart(url, blob, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', url);
    xhr.upload.onprogress = (event) => onProgress(event.loaded);
    xhr.onload = () => (xhr.status >= 200 && xhr.status < 300 ? resolve() : reject(new Error(`storage answered ${xhr.status}`)));
    xhr.onerror = () => reject(new Error('the network dropped'));
    xhr.send(blob);
  });
}

class Upload {
  constructor(root) {
    this.root = root;
    this.target = root.dataset.target;
    this.windowStart = new Date(root.dataset.windowStart);
    this.file = root.querySelector('.js-file');
    this.recorderNow = root.querySelector('.js-recorder-now');
    this.videoStarts = root.querySelector('.js-video-starts');
    this.error = root.querySelector('.js-upload-error');
    this.button = root.querySelector('.js-upload-start');
    this.progressWrap = root.querySelector('.js-progress-wrap');
    this.progress = root.querySelector('.js-progress');
    this.progressText = root.querySelector('.js-progress-text');
    this.videoStarts.value = localInputValue(this.windowStart);
    this.videoStarts.addEventListener('input', () => { this.videoStarts.dataset.edited = 'yes'; });
    this.recorderNow.addEventListener('input', () => this.suggestStart());
    this.button.addEventListener('click', () => this.run());
    window.addEventListener('online', () => { if (this.paused) this.run(); });
    if (root.dataset.status === 'uploading') {
      this.say('An upload of this request was interrupted. Choose the same file and tap Upload to go on where it stopped.');
    }
  }

  say(text) { this.progressText.textContent = text; this.progressWrap.hidden = false; }

  suggestStart() {
    if (this.videoStarts.dataset.edited || !this.recorderNow.value) return;
    const offset = offsetSeconds(this.recorderNow.value);
    this.videoStarts.value = localInputValue(new Date(this.windowStart.getTime() + offset * 1000));
  }

  check() {
    const file = this.file.files[0];
    if (!file) return 'Choose the video file first.';
    if (!/\.(mp4|mov|avi|mkv|m4v)$/i.test(file.name)) return 'Choose an MP4, MOV, AVI or MKV file.';
    if (file.size > 2 * 1024 ** 3) return 'The file is larger than 2 GB. Export a shorter stretch around the asked time.';
    if (!this.recorderNow.value) return 'Say what time the recorder shows now.';
    if (!this.videoStarts.value) return 'Say what time the recorder shows at the start of the video.';
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
      let state = await api('GET', `/api/targets/${this.target}/upload`).catch(() => null);
      if (!state || state.filename !== file.name || state.size !== file.size) {
        state = await api('POST', `/api/targets/${this.target}/upload`, {
          filename: file.name, size: file.size,
          clock_offset_s: offsetSeconds(this.recorderNow.value),
          video_starts_at: new Date(this.videoStarts.value).toISOString(),
        });
      }
      await this.sendParts(file, state);
      this.say('Finishing…');
      await api('POST', `/api/targets/${this.target}/upload/complete`, {});
      this.progress.value = 100;
      this.say('Uploaded. We are cutting the asked minutes out of it now.');
      this.watch();
    } catch (err) {
      this.paused = !navigator.onLine || /network/.test(err.message);
      this.error.textContent = this.paused
        ? 'The connection dropped. The upload goes on by itself when you are back online.'
        : `The upload stopped: ${err.message}`;
      this.button.disabled = false;
    }
  }

  async sendParts(file, state) {
    const done = new Set(state.parts_done);
    const sent = new Map();
    let base = state.bytes_done;
    const show = () => {
      const bytes = base + [...sent.values()].reduce((a, b) => a + b, 0);
      this.progress.value = Math.min(99, Math.floor((bytes / file.size) * 100));
      this.say(`${this.progress.value}% sent (${(bytes / 1048576).toFixed(1)} of ${(file.size / 1048576).toFixed(1)} MB)`);
    };
    const todo = [];
    for (let n = 1; n <= state.part_count; n += 1) if (!done.has(n)) todo.push(n);
    show();
    const urls = {};
    for (let i = 0; i < todo.length; i += 64) {
      Object.assign(urls, (await api('POST', `/api/targets/${this.target}/upload/parts`, { parts: todo.slice(i, i + 64) })).urls);
    }
    const worker = async () => {
      while (todo.length) {
        const n = todo.shift();
        const blob = file.slice((n - 1) * state.part_bytes, Math.min(file.size, n * state.part_bytes));
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
