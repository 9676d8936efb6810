"""Write the README's configuration table from app/config.py, so the two cannot drift apart.

    .venv/bin/python tools/config_table.py           # rewrite the table in README.md
    .venv/bin/python tools/config_table.py --check   # exit 1 if README.md's table is stale

The rows and their words are `app.config.DOCUMENTED`; a variable is required when it is in
`app.config.REQUIRED`. Which variables app/config.py reads is found in its source with ast
(every string constant that is a whole variable name, like "PORCHLIGHT_CLIPS_BUCKET"), so a
setting added without its row stops the generator, and tests/unit/test_config_table.py with it.
The table goes between the marker comments below in README.md, replacing what is there.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app import config  # noqa: E402  (the project root must be on the path first)

CONFIG = ROOT / "app" / "config.py"
README = ROOT / "README.md"
START = "<!-- config-table:start -->"
END = "<!-- config-table:end -->"
NAME = re.compile(r"(PORCHLIGHT|AWS)_[A-Z0-9_]+")
COMMAND = ".venv/bin/python tools/config_table.py"


class Undocumented(ValueError):
    """app/config.py and its DOCUMENTED rows do not name the same variables."""


def variables_read(source: str) -> set[str]:
    """Every environment variable name app/config.py spells out whole in its code (DOCUMENTED,
    which names them all, left out)."""
    code = [statement for statement in ast.parse(source).body
            if not (isinstance(statement, ast.Assign | ast.AnnAssign)
                    and "DOCUMENTED" in ast.unparse(statement).split("=", 1)[0])]
    return {node.value for statement in code for node in ast.walk(statement)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and NAME.fullmatch(node.value)}


def check_documented(read: set[str], rows: tuple[config.Documented, ...]) -> None:
    named = [name for row in rows for name in row.names]
    problems = []
    missing = sorted(read - set(named))
    if missing:
        problems.append(f"read but without a row in DOCUMENTED: {', '.join(missing)}")
    unknown = sorted(set(named) - read)
    if unknown:
        problems.append(f"in DOCUMENTED but never read: {', '.join(unknown)}")
    twice = sorted({name for name in named if named.count(name) > 1})
    if twice:
        problems.append(f"in more than one row: {', '.join(twice)}")
    mixed = [" ".join(row.names) for row in rows
             if len({name in config.REQUIRED for name in row.names}) > 1]
    if mixed:
        problems.append(f"rows mixing required and optional variables: {'; '.join(mixed)}")
    if problems:
        raise Undocumented("app/config.py: " + "; ".join(problems))


def table(rows: tuple[config.Documented, ...] = config.DOCUMENTED) -> str:
    check_documented(variables_read(CONFIG.read_text()), rows)
    lines = ["| variable | required | meaning |", "|---|---|---|"]
    for row in rows:
        names = ", ".join(f"`{name}`" for name in row.names)
        required = "yes" if row.names[0] in config.REQUIRED else ""
        lines.append(f"| {names} | {required} | {row.meaning} |")
    return "\n".join(lines)


def with_table(readme: str, generated: str) -> str:
    """The README text with the generated table between the markers."""
    if readme.count(START) != 1 or readme.count(END) != 1 or readme.index(START) > readme.index(
            END):
        raise ValueError(f"README.md needs one {START} line before one {END} line")
    head, rest = readme.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{generated}\n{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="exit 1 when README.md's table differs from app/config.py's")
    args = parser.parse_args(argv)
    current = README.read_text()
    wanted = with_table(current, table())
    if wanted == current:
        return 0
    if args.check:
        sys.stderr.write(f"README.md's configuration table is stale: run {COMMAND}\n")
        return 1
    README.write_text(wanted)
    sys.stdout.write("README.md: configuration table rewritten from app/config.py\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
