// Times in the program's one time zone (<html data-zone>), 24-hour, as the server's pages show
// them (app/core/localtime.py): a phone set to another zone or to a 12-hour clock shows the same
// "17:31:30" as the detective's tablet and the owner's recorder in the program's city.

const ZONE = document.documentElement.dataset.zone || 'UTC';
export const zoneLabel = document.documentElement.dataset.zoneLabel || 'UTC';

// Day and month names in the page's language (<html lang>): 'Fri 4 Dec', 'vie 4 dic'.
const PAGE_LANG = document.documentElement.lang || '';
const NAMES_LOCALE = PAGE_LANG && !PAGE_LANG.startsWith('en') ? PAGE_LANG : 'en-GB';

function parts(date, options, locale = 'en-GB') {
  const format = new Intl.DateTimeFormat(locale, { timeZone: ZONE, hourCycle: 'h23', ...options });
  return Object.fromEntries(format.formatToParts(date).map((p) => [p.type, p.value]));
}

const pad = (n) => String(n).padStart(2, '0');

// The wall clock in the program's zone at `date`: { year, month, day, hour, minute, second }.
export function wall(date) {
  const p = parts(date, {
    year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
  });
  return {
    year: Number(p.year), month: Number(p.month), day: Number(p.day),
    hour: Number(p.hour), minute: Number(p.minute), second: Number(p.second),
  };
}

// '17:31:30', or '17:31' without seconds.
export function clock(date, seconds = true) {
  const w = wall(date);
  return seconds ? `${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)}` : `${pad(w.hour)}:${pad(w.minute)}`;
}

// 'Fri 4 Dec'.
export function day(date) {
  const p = parts(date, { weekday: 'short', day: 'numeric', month: 'short' }, NAMES_LOCALE);
  return `${p.weekday} ${p.day} ${p.month}`;
}

// 'Fri 4 Dec, 17:31 Chicago time'.
export function when(date) {
  return `${day(date)}, ${clock(date, false)} ${zoneLabel}`;
}

// Minutes the program's zone is ahead of UTC at `date` (negative in the Americas).
function offsetMinutes(date) {
  const w = wall(date);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return Math.round((asUtc - Math.floor(date.getTime() / 1000) * 1000) / 60000);
}

// The instant a wall clock in the program's zone shows these fields (day may overflow: +1 is
// tomorrow). The offset is taken at the guess, then again at the answer, for DST changes.
export function fromWall({ year, month, day: date, hour = 0, minute = 0, second = 0 }) {
  const asUtc = Date.UTC(year, month - 1, date, hour, minute, second);
  let guess = new Date(asUtc - offsetMinutes(new Date(asUtc)) * 60000);
  guess = new Date(asUtc - offsetMinutes(guess) * 60000);
  return guess;
}

// A datetime-local value in the program's zone: '2026-12-04T17:31:30'.
export function inputValue(date) {
  const w = wall(date);
  return `${w.year}-${pad(w.month)}-${pad(w.day)}T${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)}`;
}

// The instant a datetime-local value ('2026-12-04T17:31' or with seconds) means in the program's
// zone; null when it is not one.
export function fromInputValue(value) {
  const match = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)(?::(\d\d)(?:\.\d+)?)?$/.exec(value.trim());
  if (!match) return null;
  const [year, month, date, hour, minute] = match.slice(1, 6).map(Number);
  return fromWall({ year, month, day: date, hour, minute, second: Number(match[6] || 0) });
}

// ISO 8601 with the program zone's offset: '2026-12-04T17:31:30-06:00'.
export function isoWithZone(date) {
  const offset = offsetMinutes(date);
  const sign = offset < 0 ? '-' : '+';
  return `${inputValue(date)}${sign}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`;
}
