"""Build the web app's Lambda zip with Zappa, for Lambda's runtime, from any host (`make package`).

    .venv/bin/python -m infra.package_web [--stage dev] [--settings zappa_settings.json]
        → dist/porchlight-web.zip

1. `.venv-web` is a virtualenv of Lambda's Python version (scripts/find-python.sh finds one), so
   Zappa reads `lib/python3.12/site-packages` and its handler matches the runtime.
2. Its packages are installed from requirements.lock only, with the runtime's platform flags
   (infra/artifacts.py): the wheels Lambda runs, whatever this machine is; a file whose hash is
   not in the lock is refused. Reinstalled whenever the lock or the interpreter changes.
3. Zappa packages the project and that site-packages offline (`use_precompiled_packages` is off:
   the wheels are already Lambda's, and Zappa would otherwise fetch unchecked ones).
4. Every module is compiled to bytecode by that Python 3.12 and added to the zip, as
   unchecked-hash .pyc files (valid whatever mtimes the zip's extraction gives). Lambda's task
   root is read-only, so without them a cold start compiles every module it imports from source:
   bench/cold_artifact.py measured the first /login at about 1.2 s without, 0.5 s with.

The zip is what `zappa deploy/update -z dist/porchlight-web.zip` sends, and what
tests/deploy/ runs the way Lambda does.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from infra.artifacts import PYTHON_VERSION, install, runtime_python, web_artifact  # noqa: E402

VENV = ROOT / ".venv-web"
OUT = ROOT / "dist" / "porchlight-web.zip"


def say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def site_packages(venv: Path) -> Path:
    return venv / "lib" / f"python{PYTHON_VERSION}" / "site-packages"


def ensure_venv(python: str) -> Path:
    """.venv-web holding exactly requirements.lock for the runtime; rebuilt when it changed."""
    artifact = web_artifact()
    stamp = VENV / ".installed"
    wanted = hashlib.sha256(artifact.lock.read_bytes() + python.encode()).hexdigest()
    if stamp.is_file() and stamp.read_text().strip() == wanted:
        return VENV
    say(f"Building {VENV.name} for Lambda's Python {PYTHON_VERSION} from "
        f"{artifact.lock_name} ({python})")
    shutil.rmtree(VENV, ignore_errors=True)
    subprocess.run([python, "-m", "venv", "--without-pip", str(VENV)], check=True)
    target = site_packages(VENV)
    install(artifact, target)  # any pip installs for another platform: the caller's does
    shutil.rmtree(target / "bin", ignore_errors=True)  # console scripts of the host's pip
    stamp.write_text(wanted + "\n")
    return VENV


def package(stage: str, settings: Path, out: Path) -> Path:
    try:
        python = runtime_python()
    except RuntimeError as exc:
        raise SystemExit(str(exc)) from exc
    venv = ensure_venv(python)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(VIRTUAL_ENV=str(venv), PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}")
    command = [str(venv / "bin" / "python"), "-c",
               "import sys; from zappa.cli import handle; sys.exit(handle())",
               "package", stage, "-s", str(settings), "-o", str(out)]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                          check=False)
    if done.returncode != 0 or not out.is_file():
        sys.stderr.write(done.stdout[-3000:] + done.stderr[-3000:])
        raise SystemExit(f"zappa package failed (exit {done.returncode})")
    add_bytecode(out, python)
    say(f"{out.relative_to(ROOT)}: {out.stat().st_size / 1024 / 1024:.1f} MB "
        f"for Lambda's python{PYTHON_VERSION} ({stage})")
    return out


def add_bytecode(package: Path, python: str) -> None:
    """Rewrite the zip with __pycache__/*.cpython-312.pyc beside every module."""
    with tempfile.TemporaryDirectory(prefix="web-zip-") as tmp:
        root = Path(tmp) / "task"
        with zipfile.ZipFile(package) as made:
            made.extractall(root)
        done = subprocess.run([python, "-m", "compileall", "-q", "-j0", "--invalidation-mode",
                               "unchecked-hash", str(root)], capture_output=True, text=True,
                              check=False)
        if done.returncode != 0:
            sys.stderr.write(done.stdout[-3000:] + done.stderr[-3000:])
            raise SystemExit("some modules of the web zip do not compile under "
                             f"Python {PYTHON_VERSION}")
        rebuilt = package.with_suffix(".tmp")
        with zipfile.ZipFile(rebuilt, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out:
            for path in sorted(root.rglob("*")):
                if path.is_file():
                    out.write(path, path.relative_to(root).as_posix())
        rebuilt.replace(package)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stage", default="dev", help="a stage of the settings file")
    parser.add_argument("--settings", type=Path, default=ROOT / "zappa_settings.json",
                        help="zappa settings (the one infra/zappa_settings.py completed)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    package(args.stage, args.settings.resolve(), args.out.resolve())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
