"""The browser scripts show only marked words (docs/i18n.md; frontend/static/js/words.js).

- no script puts an unmarked English literal into textContent, innerText, title, alt,
  placeholder or aria-label (assigned, set as an attribute or given as a Leaflet option), a
  tooltip or popup, alert/confirm/prompt, or the scripts' say(): each goes through t('...');
- every t() takes a literal string, and the extractor the app uses (app/web/js_words.py, Babel's
  JavaScript one, as babel.cfg runs it for `make messages`) finds each of them;
- the catalogue holds every marked text and Spanish translates it.

Like the templates' check (test_translations.py), a practical scan of the sources, not a
parser: a literal compared with (=== 'reading') is a value, not words.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from app.web.js_words import extract

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "frontend" / "static" / "js"
CATALOGUES = ROOT / "app" / "translations"
ALLOWED = re.compile(r"\bPorchlight\b")  # the name, in any language
WORDS = re.compile(r"[A-Za-z]{2,}")

# Where a text is shown: after the match, an expression (to `;`) or a call's arguments.
ASSIGNED = re.compile(r"\.(?:textContent|innerText|title|alt|placeholder|ariaLabel)\s*=(?!=)")
ATTRIBUTE = re.compile(r"""\.setAttribute\(\s*(['"])"""
                       r"(?:aria-label|aria-valuetext|title|alt|placeholder)\1\s*,")
OPTION = re.compile(r"""(?<![\w.$'"-])(?:title|alt|placeholder)\s*:\s*""")
CALLED = re.compile(r"(?<![\w$])(?:window\.)?(?:alert|confirm|prompt)\(|\.bind(?:Tooltip|Popup)\("
                    r"|(?<![\w$])(?:this\.)?say\(")  # (the scripts' own status helpers: say)
# t( not given a literal string (the definitions in words.js and sw.js aside)
NOT_LITERAL = re.compile(r"""(?<![\w.$])(?<!function )t\(\s*(?!['"])""")
LITERAL_CALL = re.compile(r"""(?<![\w.$])t\(\s*('(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*")""")
COMPARED = ("===", "!==", "==", "!=")


def _scripts() -> list[Path]:
    return sorted(SCRIPTS.glob("*.js"))


def _code(path: Path) -> str:
    """The script without its comments (// after a space or at a line's start, /* */)."""
    text = re.sub(r"/\*.*?\*/", " ", path.read_text(), flags=re.S)
    return re.sub(r"(^|\s)//[^\n]*", r"\1", text)


def _unquote(literal: str) -> str:
    escapes = {"n": "\n", "t": "\t", "r": "\r"}
    return re.sub(r"\\(.)", lambda m: escapes.get(m.group(1), m.group(1)), literal[1:-1])


def _skip_string(code: str, i: int) -> int:
    """The index after the quoted string starting at code[i]."""
    quote, i = code[i], i + 1
    while i < len(code) and code[i] != quote:
        i += 2 if code[i] == "\\" else 1
    return i + 1


def _skip_template(code: str, i: int) -> int:
    """The index after the template literal starting at code[i] (its ${} parts skipped)."""
    i += 1
    while i < len(code) and code[i] != "`":
        if code[i] == "\\":
            i += 2
        elif code.startswith("${", i):
            i = _end(code, i + 2) + 1
        else:
            i += 1
    return i + 1


def _end(code: str, i: int, stops: str = "") -> int:
    """Where the expression from code[i] ends: at a stop character outside brackets, or at
    the bracket that closes the one it is in."""
    depth = 0
    while i < len(code):
        c = code[i]
        if c in "'\"":
            i = _skip_string(code, i)
            continue
        if c == "`":
            i = _skip_template(code, i)
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth < 0:
                return i
        elif depth == 0 and c in stops:
            return i
        i += 1
    return i


def _literals(code: str) -> list[tuple[str, str, str]]:
    """(text, before, after) of each string literal in code outside t() calls; a template
    literal gives its fixed text, and the literals in its ${} parts."""
    found: list[tuple[str, str, str]] = []
    i = 0
    while i < len(code):
        c = code[i]
        if code.startswith("t(", i) and (i == 0 or not re.match(r"[\w.$]", code[i - 1])):
            i = _end(code, i + 2) + 1
        elif c in "'\"":
            j = _skip_string(code, i)
            found.append((_unquote(code[i:j]), code[:i], code[j:]))
            i = j
        elif c == "`":
            j = _skip_template(code, i)
            body, fixed, k = code[i + 1:j - 1], [], 0
            while k < len(body):
                if body[k] == "\\":
                    fixed.append(body[k:k + 2])
                    k += 2
                elif body.startswith("${", k):
                    close = _end(body, k + 2)
                    found += _literals(body[k + 2:close])
                    fixed.append(" ")
                    k = close + 1
                else:
                    fixed.append(body[k])
                    k += 1
            found.append(("".join(fixed), code[:i], code[j:]))
            i = j
        else:
            i += 1
    return found


def shown_words(code: str) -> list[str]:
    """The English a script shows without t(): literals that reach a place text is shown."""
    shown: list[str] = []
    places = [(m.end(), ";") for m in ASSIGNED.finditer(code)]
    places += [(m.end(), ",") for m in OPTION.finditer(code)]
    places += [(m.end(), "") for m in (*ATTRIBUTE.finditer(code), *CALLED.finditer(code))]
    for start, stops in sorted(places):
        for text, before, after in _literals(code[start:_end(code, start, stops)]):
            if before.rstrip().endswith(COMPARED) or after.lstrip().startswith(COMPARED):
                continue
            if WORDS.search(ALLOWED.sub("", text)):
                shown.append(text.strip())
    return shown


@pytest.mark.parametrize("path", _scripts(), ids=lambda p: p.name)
def test_a_script_shows_only_marked_text(path: Path) -> None:
    left = shown_words(_code(path))
    assert not left, f"{path.name} shows text not marked with t(): {left[:8]}"


@pytest.mark.parametrize("path", _scripts(), ids=lambda p: p.name)
def test_every_marked_text_is_a_literal_the_extractor_finds(path: Path) -> None:
    code = _code(path)
    bad = [code[m.start():m.start() + 40] for m in NOT_LITERAL.finditer(code)]
    assert not bad, f"{path.name}: t() needs a literal string, to be extracted: {bad[:5]}"
    extracted = set(extract(path.read_bytes()))
    missed = [_unquote(m.group(1)) for m in LITERAL_CALL.finditer(code)
              if _unquote(m.group(1)) not in extracted]
    assert not missed, (f"{path.name}: texts the extractor misses (a t() inside another's "
                        f"values?): {missed[:5]}")


def test_the_checks_see_unmarked_text() -> None:
    code = """
      status.textContent = `Found you (within ${n} m).`;
      this.say(t('Fine')); el.title = t('Fine too');
      button.textContent = state === 'reading' ? t('Done') : 'Use the compass';
      box.setAttribute('aria-label', `Remove ${name} from the wall`);
      L.marker(at, { title: 'Camera position', alt: name });
      if (!window.confirm('Delete it?')) return;
      label.textContent = ` ${t('Stopped.')}`;
    """
    assert shown_words(code) == ["Found you (within   m).", "Use the compass",
                                 "Remove   from the wall", "Camera position", "Delete it?"]
    assert NOT_LITERAL.search("t(words)") and not NOT_LITERAL.search("function t(text) {")


def _catalogue(path: Path) -> dict[str, bool]:
    with path.open("rb") as handle:
        return {(m.id if isinstance(m.id, str) else m.id[0]): bool(m.string) and not m.fuzzy
                for m in read_po(handle) if m.id}


def test_the_catalogue_holds_every_marked_text_and_spanish_translates_it() -> None:
    marked = {text for path in _scripts() for text in extract(path.read_bytes())}
    template = set(_catalogue(CATALOGUES / "messages.pot"))
    assert not marked - template, ("run `make messages`: script texts missing from "
                                   f"messages.pot: {sorted(marked - template)[:10]}")
    spanish = _catalogue(CATALOGUES / "es" / "LC_MESSAGES" / "messages.po")
    untranslated = sorted(m for m in marked if not spanish.get(m))
    assert not untranslated, ("script texts without a Spanish translation (tools/catalogue.py "
                              f"es fill): {untranslated[:10]}")
