// The detective's status board: refreshes the answers every few seconds without a reload,
// plays ready clips through short-lived links, and fetches the evidence package.

import { fetchJSON } from './http.js';
import { clock } from './program-time.js';
import { t } from './words.js';

const POLL_MS = 4000;

class CaseBoard {
  constructor(root) {
    this.root = root;
    this.id = root.dataset.request;
    this.supervisor = Boolean(root.dataset.supervisor);
    this.rows = root.querySelector('.js-rows');
    this.status = root.querySelector('.js-board-status');
    this.state = document.querySelector('.js-state');
    this.player = document.querySelector('.js-player');
    this.playerSection = document.querySelector('.player');
    this.rows.addEventListener('click', (event) => this.onClick(event));
    this.load();
  }

  async load() {
    try {
      this.draw(await fetchJSON(`/api/requests/${this.id}`));
      this.status.textContent = t('Updated %(time)s. Updates by itself every few seconds.', { time: clock(new Date()) });
    } catch (err) {
      this.status.textContent = t('Could not update: %(error)s. Trying again.', { error: err.message });
    }
    window.setTimeout(() => this.load(), POLL_MS);
  }

  draw(board) {
    this.state.textContent = board.state_words;
    const focused = document.activeElement && document.activeElement.dataset.kind;
    // Drawn again only when something shown changed: a poll that brings nothing new leaves the
    // rows, and the focus in them, alone.
    const rows = board.targets.map((target) => rowOf(target, this.supervisor));
    const shown = JSON.stringify(rows);
    if (shown !== this.lastShown) {
      this.rows.replaceChildren(...rows.map(rowElement));
      this.lastShown = shown;
      if (focused) this.rows.querySelector(`[data-kind="${focused}"]`)?.focus();
    }
  }

  async link(target, kind) {
    return (await fetchJSON(`/api/evidence/${target}/${kind}`, { method: 'POST', body: {} })).url;
  }

  async onClick(event) {
    const button = event.target.closest('button[data-kind]');
    if (!button) return;
    const { kind, target } = button.dataset;
    try {
      if (kind === 'clip') {
        this.playerSection.hidden = false;
        this.player.src = await this.link(target, 'clip');
        this.player.focus();
      } else if (kind === 'package') {
        window.location.href = await this.link(target, 'package');
      } else if (kind === 'hold') {
        const on = Boolean(button.dataset.hold);
        const reason = on ? window.prompt(t('Why is this clip held? (a court order, an open case)')) : '';
        if (on && !reason) return;
        await fetchJSON(`/api/evidence/${target}/hold`, { method: 'PUT', body: { hold: on, reason } });
      }
    } catch (err) {
      this.status.textContent = t('That did not work: %(error)s', { error: err.message });
    }
  }
}

// The delivered length: whole seconds, or tenths when the clip is not a whole number of them.
function seconds(value) {
  return Math.abs(value - Math.round(value)) < 0.05 ? String(Math.round(value)) : value.toFixed(1);
}

// What a row shows, as plain values (the server's words, in the program's time zone).
function rowOf(target, supervisor) {
  const row = {
    id: target.id, camera: target.camera, status: target.status, statusWords: target.status_words, reason: target.reason || '',
  };
  const clip = target.clip;
  if (clip) {
    const meta = t('%(seconds)s s clip · deleted after %(date)s', { seconds: seconds(clip.seconds), date: clip.delete_after.slice(0, 10) });
    row.clip = {
      meta: clip.legal_hold ? `${meta} · ${t('legal hold')}` : meta,
      // Every part of the asked window the clip has no video for: the video starting late,
      // ending early, or the camera offline.
      gaps: (clip.gaps || []).map((g) => ({ kind: g.kind, words: g.words.charAt(0).toUpperCase() + g.words.slice(1) })),
      packageReady: Boolean(clip.package_ready),
      held: Boolean(clip.legal_hold),
      masked: Boolean(clip.masked),
      supervisor,
    };
  }
  return row;
}

// The row's elements. Every value from the server goes in as text or as an attribute's value,
// never as markup (SECURITY.md: no innerHTML with data; the lint rule keeps it so).
function rowElement(row) {
  const status = el('p', {}, el('span', { class: `status status-${row.status}` }, row.statusWords));
  if (row.reason) status.append(` · ${row.reason}`);
  const parts = [el('h3', { class: 'card-title' }, row.camera), status];
  if (row.clip) parts.push(...clipElements(row.id, row.camera, row.clip));
  return el('li', { class: 'card', 'data-target': row.id }, ...lines(parts));
}

function clipElements(id, camera, clip) {
  const named = (words) => [words, el('span', { class: 'visually-hidden' }, ` ${camera}`)];
  const actions = [
    el('button', { class: 'button button-primary', type: 'button', 'data-kind': 'clip', 'data-target': id }, ...named(t('Play'))),
    clip.packageReady
      ? el('button', { class: 'button', type: 'button', 'data-kind': 'package', 'data-target': id }, ...named(t('Download evidence package')))
      : el('p', { class: 'meta js-package-wait' }, t('Evidence package being prepared: it follows the clip within minutes.')),
  ];
  if (clip.supervisor) {
    actions.push(el('button', { class: 'button', type: 'button', 'data-kind': 'hold', 'data-hold': clip.held ? '' : 'yes', 'data-target': id },
      clip.held ? t('Lift legal hold') : t('Place legal hold')));
  }
  return [
    el('p', { class: 'meta' }, clip.meta),
    clip.masked ? el('p', { class: 'meta js-masked' }, t('Parts of this view are masked by the owner.')) : null,
    clip.gaps.length
      ? el('ul', { class: 'meta gaps' }, ...clip.gaps.map((g) => el('li', { class: 'js-gap', 'data-kind': g.kind }, g.words)))
      : null,
    el('div', { class: 'row-actions' }, ...lines(actions)),
  ];
}

// An element with these attributes and children (a string child becomes text, never markup).
function el(tag, attributes, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  element.append(...children);
  return element;
}

// Blocks apart by a line break, as they stood in markup, so that the row read as text keeps
// its words apart ("ready 15 s clip", never "ready15 s clip").
function lines(children) {
  return children.filter(Boolean).flatMap((child, i) => (i ? ['\n', child] : [child]));
}

const root = document.querySelector('.js-board');
if (root) new CaseBoard(root);
