"""Fill a message catalogue from JSON files of translations, and say what is left.

    .venv/bin/python tools/catalogue.py es fill translations.json ...   # msgid -> msgstr
    .venv/bin/python tools/catalogue.py es missing                      # untranslated msgids

Run `make messages` first (it extracts the marked texts into every catalogue); then write the
translations (a JSON object, msgid -> text; for a plural msgid, a list of forms) and fill.
A msgid not in the catalogue is reported, never added: the sources decide what is shown.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]


def catalogue_path(language: str) -> Path:
    return ROOT / "app" / "translations" / language / "LC_MESSAGES" / "messages.po"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("language")
    parser.add_argument("action", choices=("fill", "missing"))
    parser.add_argument("files", nargs="*", type=Path)
    args = parser.parse_args()
    path = catalogue_path(args.language)
    with path.open("rb") as handle:
        catalogue = read_po(handle, locale=args.language)
    if args.action == "missing":
        left = [m.id for m in catalogue if m.id and (not m.string or m.fuzzy)]
        for msgid in left:
            print(json.dumps(msgid if isinstance(msgid, str) else list(msgid)))
        print(f"{len(left)} untranslated", file=sys.stderr)
        return 0
    unknown = 0
    for file in args.files:
        for msgid, text in json.loads(file.read_text()).items():
            message = catalogue.get(msgid)
            if message is None:
                plural = next((m for m in catalogue if isinstance(m.id, tuple)
                               and m.id[0] == msgid), None)
                if plural is None:
                    print(f"not in the catalogue: {msgid!r}", file=sys.stderr)
                    unknown += 1
                    continue
                message = plural
            if isinstance(text, list):  # plural forms: the last one stands for any more
                text = (text + text[-1:] * catalogue.num_plurals)[:catalogue.num_plurals]
                message.string = tuple(text)
            else:
                message.string = text
            message.flags.discard("fuzzy")
    with path.open("wb") as handle:
        write_po(handle, catalogue, width=100, sort_output=True, omit_header=False)
    return 1 if unknown else 0


if __name__ == "__main__":
    raise SystemExit(main())
