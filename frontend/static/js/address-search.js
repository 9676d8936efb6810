// Address search on the incident map: type an address or two streets that cross, Find, choose
// one of the places found. The server looks it up (POST /api/geocode: Amazon Location on AWS,
// the program's street list in devstack) and records the search in the audit log.

import { HttpError, fetchJSON } from './http.js';
import { t } from './words.js';

export class AddressFinder {
  // States: idle | searching | found | none | failed
  constructor(root, { onChoose }) {
    this.root = root;
    this.input = root.querySelector('.js-address-input');
    this.button = root.querySelector('.js-address-find');
    this.status = root.querySelector('.js-address-status');
    this.list = root.querySelector('.js-address-results');
    this.onChoose = onChoose;
    this.button.addEventListener('click', () => this.find());
    // Enter looks the address up; it must not send the search form around it.
    this.input.addEventListener('keydown', (event) => {
      if (event.key === 'Enter') {
        event.preventDefault();
        this.find();
      }
    });
    this.show('idle', '');
  }

  async find() {
    const text = this.input.value.trim();
    this.list.replaceChildren();
    this.show('searching', t('Looking for it…'));
    let body;
    try {
      body = await fetchJSON('/api/geocode', { method: 'POST', body: { q: text } });
    } catch (err) {
      if (!(err instanceof HttpError)) {
        this.show('failed', t('Address search did not answer. Check the connection, or tap the map.'));
        return;
      }
      // The address field's own error is the one to read; the problem's detail otherwise.
      const problem = err.problem || {};
      this.show('failed', (problem.errors && problem.errors.q) || problem.detail || t('Address search did not work. Tap the map instead.'));
      return;
    }
    this.showPlaces(body.candidates || [], text);
  }

  showPlaces(places, text) {
    if (!places.length) {
      this.show('none', t('Nothing found for “%(text)s”. Try two streets that cross, or tap the map.', { text }));
      return;
    }
    for (const place of places) {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'button address-place';
      button.textContent = place.label;
      button.addEventListener('click', () => this.choose(place));
      const item = document.createElement('li');
      item.append(button);
      this.list.append(item);
    }
    this.show('found', places.length === 1 ? t('1 place found: choose it to move the pin.')
      : t('%(count)s places found: choose one to move the pin.', { count: places.length }));
  }

  choose(place) {
    this.list.replaceChildren();
    this.show('idle', t('The pin is at %(place)s.', { place: place.label }));
    this.onChoose(place);
  }

  show(state, words) {
    this.root.dataset.state = state;
    this.status.textContent = words;
  }
}
