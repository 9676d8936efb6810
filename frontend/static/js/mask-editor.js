// Privacy masks: the owner draws polygons over the photo of the camera's view. Each corner is
// kept as a fraction of the photo's width and height (0..1 from its top left), which is what
// the server stores and what the bridge and the clip worker black out (bridge/masking.py).
//
// Pointer: tap each corner, then "Finish shape". Keyboard: the canvas takes focus; the arrow
// keys move a cross (Shift: bigger steps), Enter or Space adds a corner at it, Backspace
// removes the last corner, Escape drops the shape being drawn. Each mask is listed under the
// photo with its own Remove button. The form posts the masks as JSON; without JavaScript the
// page still says how many there are and can remove them all.
import { t } from './words.js';

const MAX_MASKS = 8;
const MAX_POINTS = 32;
const STEP = 0.01;

const round = (value) => Math.round(Math.min(1, Math.max(0, value)) * 10000) / 10000;

class MaskEditor {
  constructor(box) {
    this.box = box;
    this.section = box.closest('section');
    this.photo = box.querySelector('.js-mask-photo');
    this.canvas = box.querySelector('.js-mask-canvas');
    this.field = this.section.querySelector('.js-mask-field');
    this.save = this.section.querySelector('.js-mask-save');
    this.finishButton = this.section.querySelector('.js-mask-finish');
    this.undoButton = this.section.querySelector('.js-mask-undo');
    this.status = this.section.querySelector('.js-mask-status');
    this.list = this.section.querySelector('.js-mask-list');
    try {
      this.masks = JSON.parse(box.dataset.masks || '[]');
    } catch {
      this.masks = [];
    }
    this.drawing = [];
    this.cross = [0.5, 0.5];
    this.showCross = false;
    this.save.hidden = false;
    this.canvas.addEventListener('click', (event) => this.tap(event));
    this.canvas.addEventListener('keydown', (event) => this.key(event));
    this.canvas.addEventListener('focus', () => { this.showCross = true; this.draw(); });
    this.canvas.addEventListener('blur', () => { this.showCross = false; this.draw(); });
    this.finishButton.addEventListener('click', () => this.finish());
    this.undoButton.addEventListener('click', () => this.undo());
    this.section.querySelector('.js-mask-form').addEventListener('submit', () => this.store());
    this.list.addEventListener('click', (event) => {
      const button = event.target.closest('button[data-index]');
      if (button) this.remove(Number(button.dataset.index));
    });
    this.listMasks();
    const ready = () => { this.fit(); this.draw(); };
    if (this.photo.complete) ready(); else this.photo.addEventListener('load', ready);
    window.addEventListener('resize', ready);
  }

  fit() {
    this.canvas.width = this.photo.clientWidth;
    this.canvas.height = this.photo.clientHeight;
  }

  say(text) { this.status.textContent = text; }

  point(event) {
    const rect = this.canvas.getBoundingClientRect();
    return [round((event.clientX - rect.left) / rect.width),
      round((event.clientY - rect.top) / rect.height)];
  }

  tap(event) {
    const point = this.point(event);
    this.cross = point;
    this.add(point);
  }

  add(point) {
    if (!this.drawing.length && this.masks.length >= MAX_MASKS) {
      this.say(t('A camera can have at most %(most)s masks.', { most: MAX_MASKS }));
      return;
    }
    if (this.drawing.length >= MAX_POINTS) {
      this.say(t('A mask can have at most %(most)s corners: press Finish shape.', { most: MAX_POINTS }));
      return;
    }
    this.drawing.push(point);
    this.say(this.drawing.length < 3
      ? t('Corner %(n)s added. A mask needs at least 3.', { n: this.drawing.length })
      : t('Corner %(n)s added. Add more, or press Finish shape.', { n: this.drawing.length }));
    this.changed();
  }

  undo() {
    this.drawing.pop();
    this.say(t('Last corner removed.'));
    this.changed();
  }

  finish() {
    if (this.drawing.length < 3) {
      this.say(t('A mask needs at least 3 corners.'));
      return;
    }
    const used = new Set(this.masks.map((mask) => mask.id));
    let number = 1;
    while (used.has(`m${number}`)) number += 1;
    this.masks.push({ id: `m${number}`, points: this.drawing });
    this.drawing = [];
    this.say(t('Mask added. Press Save masks to keep it.'));
    this.changed();
  }

  remove(index) {
    this.masks.splice(index, 1);
    this.say(t('Mask removed. Press Save masks to keep the change.'));
    this.changed();
    this.canvas.focus();
  }

  listMasks() {
    this.list.replaceChildren(...this.masks.map((mask, index) => {
      const item = document.createElement('li');
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'button';
      button.dataset.index = String(index);
      button.textContent = t('Remove mask %(n)s', { n: index + 1 });
      item.append(button);
      return item;
    }));
  }

  key(event) {
    const step = event.shiftKey ? STEP * 5 : STEP;
    const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
    if (moves[event.key]) {
      this.cross = [round(this.cross[0] + moves[event.key][0]), round(this.cross[1] + moves[event.key][1])];
      this.draw();
    } else if (event.key === 'Enter' || event.key === ' ') {
      this.add([...this.cross]);
    } else if (event.key === 'Backspace') {
      this.undo();
    } else if (event.key === 'Escape') {
      this.drawing = [];
      this.say(t('Shape dropped.'));
      this.changed();
    } else {
      return;
    }
    event.preventDefault();
  }

  changed() {
    this.finishButton.disabled = this.drawing.length < 3;
    this.undoButton.disabled = this.drawing.length === 0;
    this.store();
    this.listMasks();
    this.draw();
  }

  store() {
    this.field.value = JSON.stringify(this.masks);
  }

  draw() {
    const context = this.canvas.getContext('2d');
    const { width, height } = this.canvas;
    context.clearRect(0, 0, width, height);
    const trace = (points) => {
      context.beginPath();
      points.forEach(([x, y], index) => (index ? context.lineTo(x * width, y * height)
        : context.moveTo(x * width, y * height)));
    };
    this.masks.forEach((mask, index) => {
      trace(mask.points);
      context.closePath();
      context.fillStyle = 'rgba(0, 0, 0, 0.85)';
      context.fill();
      context.lineWidth = 2;
      context.strokeStyle = '#ffffff';
      context.stroke();
      const [x, y] = mask.points[0];
      context.fillStyle = '#ffffff';
      context.font = 'bold 16px sans-serif';
      context.fillText(String(index + 1), x * width + 6, y * height + 20);
    });
    if (this.drawing.length) {
      trace(this.drawing);
      context.lineWidth = 2;
      context.strokeStyle = '#ffd400';
      context.stroke();
      this.drawing.forEach(([x, y]) => {
        context.fillStyle = '#ffd400';
        context.fillRect(x * width - 4, y * height - 4, 8, 8);
      });
    }
    if (this.showCross) {
      const [x, y] = [this.cross[0] * width, this.cross[1] * height];
      context.strokeStyle = '#ffd400';
      context.lineWidth = 2;
      context.beginPath();
      context.moveTo(x - 12, y); context.lineTo(x + 12, y);
      context.moveTo(x, y - 12); context.lineTo(x, y + 12);
      context.stroke();
    }
  }
}

document.querySelectorAll('.js-mask-editor').forEach((box) => new MaskEditor(box));
