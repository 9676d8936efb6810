// Photo of the view: ask the app for a presigned POST, send the file straight to storage with
// a progress bar, then tell the app it has arrived. States: idle | asking | uploading | saving
// | done | failed.
import { fetchJSON } from './http.js';
import { t } from './words.js';

class PhotoUploader {
  constructor(section) {
    this.section = section;
    this.camera = section.dataset.camera;
    this.input = section.querySelector('.js-photo-input');
    this.progress = section.querySelector('.js-photo-progress');
    this.status = section.querySelector('.js-photo-status');
    this.input.addEventListener('change', () => this.upload(this.input.files[0]));
  }

  say(text) { this.status.textContent = text; }

  api(method, path, body) {
    return fetchJSON(path, { method, body, fallback: t('The photo could not be saved.') });
  }

  send(form, file) {
    return new Promise((resolve, reject) => {
      const body = new FormData();
      for (const [name, value] of Object.entries(form.fields)) body.append(name, value);
      body.append('file', file);
      const xhr = new XMLHttpRequest();
      xhr.open('POST', form.url);
      xhr.upload.addEventListener('progress', (event) => {
        if (event.lengthComputable) this.progress.value = Math.round((100 * event.loaded) / event.total);
      });
      xhr.addEventListener('load', () => (xhr.status < 300 ? resolve() : reject(new Error(t('Storage refused the photo.')))));
      xhr.addEventListener('error', () => reject(new Error(t('The connection dropped; choose the photo again to retry.'))));
      xhr.send(body);
    });
  }

  async upload(file) {
    if (!file) return;
    if (file.size > 5 * 1024 * 1024) { this.say(t('This photo is larger than 5 MB. Choose a smaller one.')); return; }
    try {
      this.say(t('Preparing the upload…'));
      const form = await this.api('POST', `/api/cameras/${this.camera}/photo-upload`, { content_type: file.type });
      this.progress.hidden = false;
      this.say(t('Uploading the photo…'));
      await this.send(form, file);
      this.say(t('Checking the photo…'));
      const saved = await this.api('PUT', `/api/cameras/${this.camera}/photo`, { key: form.key });
      this.showPhoto(saved.photo_url);
      this.say(t('The photo is saved.'));
    } catch (err) {
      this.say(err.message);
    } finally {
      this.progress.hidden = true;
    }
  }

  showPhoto(url) {
    let img = this.section.querySelector('.view-photo');
    if (!img) {
      img = document.createElement('img');
      img.className = 'view-photo';
      img.alt = t('The view from this camera');
      this.input.closest('.field').before(img);
    }
    img.src = url;
  }
}

for (const section of document.querySelectorAll('.js-photo')) new PhotoUploader(section);
