#!/usr/bin/env bash
# Print the path of a CPython of the given version (default: Lambda's, 3.12), for building and
# testing the deployed artifacts. Looks on PATH, then in pyenv's and uv's folders; with uv
# installed it may fetch one. Never changes the Python `make run` uses.
set -euo pipefail
version="${1:-3.12}"
works() { [ -x "$1" ] && "$1" -c "import sys, venv; assert sys.version_info[:2] == tuple(map(int, '$version'.split('.')))" 2>/dev/null; }
candidates=("$(command -v "python$version" 2>/dev/null || true)")
for root in "${PYENV_ROOT:-$HOME/.pyenv}/versions" "$HOME/.local/share/uv/python"; do
  for dir in "$root"/*"$version"*/; do
    [ -d "$dir" ] && candidates+=("${dir}bin/python$version")
  done
done
for python in "${candidates[@]}"; do
  # pyenv's shims answer even when the version is not installed; the check above runs it.
  if [ -n "$python" ] && works "$python"; then echo "$python"; exit 0; fi
done
if command -v uv >/dev/null 2>&1 && uv python install "$version" >/dev/null 2>&1; then
  python="$(uv python find "$version")"
  if works "$python"; then echo "$python"; exit 0; fi
fi
echo "Python $version is needed to build and test what Lambda runs, and none was found." >&2
echo "Install it (pyenv install $version, your package manager's python$version, or" >&2
echo "uv python install $version), then run the command again." >&2
exit 1
