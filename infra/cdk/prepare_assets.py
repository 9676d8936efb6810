"""Build the zip workers' folders for the CDK stack: infra/cdk/build/<worker>/.

    .venv/bin/python infra/cdk/prepare_assets.py            # every zip worker
    .venv/bin/python infra/cdk/prepare_assets.py mailer     # just these

Each folder holds the worker's packages installed for Lambda's runtime (python3.12 on Amazon
Linux 2023, x86_64: Linux wheels only, never a compiler), then the project's app/ and lambdas/
(the handlers import app.*, and app/__init__.py imports Flask). Packages: requirements.txt (the
web app's, which the workers' shared code needs), the worker's own
lambdas/<worker>/requirements.txt if it has one, and aws-lambda-powertools at the pin the tests
use if neither file names it. The clip cutter is not built here: it is a container image that
`cdk deploy` builds from lambdas/clip_cutter/Dockerfile.

Synthesizing reads these folders and never runs pip or Docker; tests/infra points the stack at
placeholder folders instead, so the tests stay offline and fast.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from infra.cdk.porchlight.layout import BUILD_DIR, zip_workers  # noqa: E402

PYTHON_VERSION = "3.12"  # Lambda runtime python3.12 (Amazon Linux 2023, glibc 2.34)
# Wheels for glibc 2.17 (manylinux2014) up to the runtime's 2.34.
PLATFORMS = ("manylinux2014_x86_64", "manylinux_2_28_x86_64", "manylinux_2_34_x86_64")
LAMBDA_ZIP_LIMIT_MB = 250  # unzipped, function code and layers together
POWERTOOLS = "aws-lambda-powertools"
SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", ".mypy_cache")


def say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def pinned(files: list[Path], name: str) -> str | None:
    """The `name==version` line in the first of these requirement files that pins it."""
    for path in files:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.split("#")[0].strip().lower().startswith(f"{name}=="):
                return line.split("#")[0].strip()
    return None


def requirements_of(worker: str) -> tuple[list[Path], list[str]]:
    """Requirement files and extra pins for one worker."""
    files = [ROOT / "requirements.txt"]
    own = ROOT / "lambdas" / worker / "requirements.txt"
    if own.is_file():
        files.append(own)
    extra = []
    if pinned(files, POWERTOOLS) is None:
        pin = pinned([ROOT / "requirements-dev.txt"], POWERTOOLS)
        if pin is None:
            raise SystemExit(f"no pin for {POWERTOOLS} in requirements*.txt")
        extra.append(pin)
    return files, extra


def pure_wheels(files: list[Path], extra: list[str]) -> Path:
    """Wheels of the pins published as source only (http-ece, py-vapid: pure Python), so the
    cross-platform install below, which takes wheels only, can use them. Packages with C code
    still come as manylinux wheels from the index: a wheel built here for this machine's
    Python does not match cp312 and is ignored."""
    wheels = BUILD_DIR / ".wheels"
    command = [sys.executable, "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check",
               "--no-deps", "--wheel-dir", str(wheels)]
    for path in files:
        command += ["-r", str(path)]
    subprocess.run(command + extra, check=True)
    return wheels


def pip_install(target: Path, files: list[Path], extra: list[str]) -> None:
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
               "--no-compile", "--target", str(target), "--implementation", "cp",
               "--python-version", PYTHON_VERSION, "--only-binary=:all:",
               "--find-links", str(pure_wheels(files, extra))]
    for platform in PLATFORMS:
        command += ["--platform", platform]
    for path in files:
        command += ["-r", str(path)]
    command += extra
    subprocess.run(command, check=True)
    shutil.rmtree(target / "bin", ignore_errors=True)  # console scripts: not used on Lambda


def size_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1024 / 1024


def build(workers: list[str]) -> None:
    BUILD_DIR.mkdir(parents=True, exist_ok=True)
    installed: dict[tuple[str, ...], Path] = {}  # the same package set is installed once
    for worker in workers:
        files, extra = requirements_of(worker)
        folder = BUILD_DIR / worker
        shutil.rmtree(folder, ignore_errors=True)
        key = (*(str(f) for f in files), *extra)
        if key in installed:
            shutil.copytree(installed[key], folder, ignore=shutil.ignore_patterns("app", "lambdas"))
        else:
            names = [str(f.relative_to(ROOT)) for f in files] + extra
            say(f"{worker}: installing {', '.join(names)}")
            pip_install(folder, files, extra)
            installed[key] = folder
        for package in ("app", "lambdas"):
            shutil.copytree(ROOT / package, folder / package, ignore=SKIP)
        mb = size_mb(folder)
        say(f"{worker}: {folder.relative_to(ROOT)} ({mb:.0f} MB unzipped)")
        if mb > LAMBDA_ZIP_LIMIT_MB:
            raise SystemExit(f"{worker} is {mb:.0f} MB, over Lambda's {LAMBDA_ZIP_LIMIT_MB} MB")


def check(workers: list[str]) -> None:
    """Import each handler from its folder alone with a Python 3.12, as Lambda will."""
    python = shutil.which(f"python{PYTHON_VERSION}")
    if python is None:
        raise SystemExit(f"--check needs python{PYTHON_VERSION} on PATH")
    for worker in workers:
        folder = BUILD_DIR / worker
        code = (f"import sys; sys.path.insert(0, {str(folder)!r}); "
                f"import lambdas.{worker}.handler as h; assert callable(h.handler)")
        subprocess.run([python, "-I", "-B", "-c", code], check=True)
        say(f"{worker}: the handler imports under Python {PYTHON_VERSION}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the zip workers for the CDK stack")
    parser.add_argument("workers", nargs="*", help="worker folder names (default: all)")
    parser.add_argument("--check", action="store_true",
                        help=f"then import each handler with python{PYTHON_VERSION}")
    args = parser.parse_args(argv)
    known = zip_workers()
    unknown = sorted(set(args.workers) - set(known))
    if unknown:
        parser.error(f"not a zip worker: {', '.join(unknown)} (zip workers: {', '.join(known)})")
    build(args.workers or known)
    if args.check:
        check(args.workers or known)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
