// The detective's status board: refreshes the answers every few seconds without a reload,
// plays ready clips through short-lived links, and fetches the evidence package.

import { clock } from './program-time.js';

function csrfToken() {
  const input = document.querySelector('input[name="csrf_token"]');
  return input ? input.value : '';
}

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
      const response = await fetch(`/api/requests/${this.id}`, { headers: { Accept: 'application/json' } });
      if (!response.ok) throw new Error((await response.json()).detail || response.statusText);
      this.draw(await response.json());
      this.status.textContent = `Updated ${clock(new Date())}. Updates by itself every few seconds.`;
    } catch (err) {
      this.status.textContent = `Could not update: ${err.message}. Trying again.`;
    }
    window.setTimeout(() => this.load(), POLL_MS);
  }

  draw(board) {
    this.state.textContent = board.state_words;
    const focused = document.activeElement && document.activeElement.dataset.kind;
    // Every value from the server is escaped, ids and states too: the markup is built as text.
    const html = board.targets.map((t) => {
      const clip = t.clip ? `<p class="meta">${seconds(t.clip.seconds)} s clip · deleted after ${escapeHtml(t.clip.delete_after.slice(0, 10))}${t.clip.legal_hold ? ' · legal hold' : ''}</p>
        ${gapList(t.clip.gaps)}
        <div class="row-actions">
          <button class="button button-primary" type="button" data-kind="clip" data-target="${escapeHtml(t.id)}">Play<span class="visually-hidden"> ${escapeHtml(t.camera)}</span></button>
          ${t.clip.package_ready
            ? `<button class="button" type="button" data-kind="package" data-target="${escapeHtml(t.id)}">Download evidence package<span class="visually-hidden"> ${escapeHtml(t.camera)}</span></button>`
            : '<p class="meta js-package-wait">Evidence package being prepared: it follows the clip within minutes.</p>'}
          ${this.supervisor ? `<button class="button" type="button" data-kind="hold" data-hold="${t.clip.legal_hold ? '' : 'yes'}" data-target="${escapeHtml(t.id)}">${t.clip.legal_hold ? 'Lift legal hold' : 'Place legal hold'}</button>` : ''}
        </div>` : '';
      return `<li class="card" data-target="${escapeHtml(t.id)}">
        <h3 class="card-title">${escapeHtml(t.camera)}</h3>
        <p><span class="status status-${escapeHtml(t.status)}">${escapeHtml(t.status_words)}</span>${t.reason ? ` · ${escapeHtml(t.reason)}` : ''}</p>
        ${clip}</li>`;
    }).join('');
    if (html !== this.lastHtml) {
      this.rows.innerHTML = html;
      this.lastHtml = html;
      if (focused) this.rows.querySelector(`[data-kind="${focused}"]`)?.focus();
    }
  }

  async link(target, kind) {
    const response = await fetch(`/api/evidence/${target}/${kind}`, {
      method: 'POST', headers: { Accept: 'application/json', 'Content-Type': 'application/json', 'X-CSRF-Token': csrfToken() }, body: '{}',
    });
    if (!response.ok) throw new Error((await response.json()).detail || response.statusText);
    return (await response.json()).url;
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
        const reason = on ? window.prompt('Why is this clip held? (a court order, an open case)') : '';
        if (on && !reason) return;
        const response = await fetch(`/api/evidence/${target}/hold`, {
          method: 'PUT', headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRF-Token': csrfToken() },
          body: JSON.stringify({ hold: on, reason }),
        });
        if (!response.ok) throw new Error((await response.json()).detail || response.statusText);
      }
    } catch (err) {
      this.status.textContent = `That did not work: ${err.message}`;
    }
  }
}

// The delivered length: whole seconds, or tenths when the clip is not a whole number of them.
function seconds(value) {
  return Math.abs(value - Math.round(value)) < 0.05 ? String(Math.round(value)) : value.toFixed(1);
}

// Every part of the asked window the clip has no video for, as the server words it (in the
// program's time zone): the video starting late, ending early, or the camera offline.
function gapList(gaps) {
  if (!gaps || !gaps.length) return '';
  const items = gaps.map((g) => `<li class="js-gap" data-kind="${escapeHtml(g.kind)}">${escapeHtml(g.words.charAt(0).toUpperCase() + g.words.slice(1))}</li>`).join('');
  return `<ul class="meta gaps">${items}</ul>`;
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}

const root = document.querySelector('.js-board');
if (root) new CaseBoard(root);
