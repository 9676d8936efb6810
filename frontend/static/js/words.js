// The scripts' words in the page's language: t('English text'), or with values,
// t('Sent to %(n)s people', { n: count }). ES module; no globals, nothing read at import.
//
// base.html renders the page language's dictionary (English msgid -> translation) as
// <script type="application/json" id="pl-words"> (JSON is never run, so the CSP allows it);
// app/web/js_words.py builds it from every t('...') in these files, found by Babel's JavaScript
// extractor (babel.cfg), as `make messages` finds them for the catalogue. Mark only literal
// strings: t(variable) cannot be extracted. A text with no translation, or a page in English,
// shows the English. %(name)s takes values[name]; %% is a percent sign.

let words = null;

function dictionary() {
  if (words === null) {
    words = {};
    const element = typeof document !== 'undefined' && document.querySelector
      ? document.querySelector('#pl-words') : null;
    try {
      const parsed = element ? JSON.parse(element.textContent) : null;
      if (parsed && typeof parsed === 'object') words = parsed;
    } catch {
      // a broken dictionary: English
    }
  }
  return words;
}

export function t(text, values) {
  const known = dictionary();
  const said = Object.prototype.hasOwnProperty.call(known, text) && typeof known[text] === 'string'
    ? known[text] : text;
  return said.replace(/%(?:\((\w+)\)s|%)/g, (whole, name) => {
    if (name === undefined) return '%';
    return values && Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole;
  });
}
