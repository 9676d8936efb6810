"""Build the workers' code for the CDK stack, for Lambda's runtime, from their lock files.

    .venv/bin/python infra/cdk/prepare_assets.py            # every zip worker
    .venv/bin/python infra/cdk/prepare_assets.py mailer     # just these
    .venv/bin/python infra/cdk/prepare_assets.py --image clip_cutter
    .venv/bin/python infra/cdk/prepare_assets.py --check    # then import each with python3.12

A zip worker's folder (infra/cdk/build/<worker>/) holds exactly lambdas/<worker>/requirements.lock
installed for python3.12 on x86_64 Linux (infra/artifacts.py: the runtime's wheels whatever the
host, each file's hash checked), then the project's app/ and lambdas/ (the handlers import app.*),
all compiled to bytecode by a Python 3.12 (scripts/find-python.sh).

The clip cutter is a container image that `cdk deploy` builds from lambdas/clip_cutter/Dockerfile
(base image pinned by digest, the same lock installed). `--image clip_cutter` lays out what that
image's /var/task would hold, in infra/cdk/build/image-clip_cutter/, so tests/deploy/ can run the
handler with nothing else (no Docker engine here).

Synthesizing reads these folders and never runs pip or Docker; tests/infra points the stack at
placeholder folders instead, so the template tests stay offline and fast.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from infra.artifacts import (  # noqa: E402
    PYTHON_VERSION,
    install,
    runtime_python,
    worker_artifact,
)
from infra.cdk.porchlight.layout import BUILD_DIR, image_worker, zip_workers  # noqa: E402

LAMBDA_ZIP_LIMIT_MB = 250  # unzipped, function code and layers together
BRIDGE_FILES = ("__init__.py", "masking.py")  # as lambdas/clip_cutter/Dockerfile copies them
SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", ".mypy_cache",
                              "requirements.lock", "requirements.txt", "Dockerfile")


def say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def size_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1024 / 1024


def _packages(worker: str, folder: Path, installed: dict[str, Path]) -> None:
    """The lock installed into `folder`; a lock identical to one already installed is copied."""
    artifact = worker_artifact(worker)
    digest = hashlib.sha256(artifact.lock.read_bytes()).hexdigest()
    if digest in installed:
        shutil.copytree(installed[digest], folder,
                        ignore=shutil.ignore_patterns("app", "lambdas"))
    else:
        say(f"{worker}: installing {artifact.lock_name} for python{PYTHON_VERSION}")
        install(artifact, folder)
        shutil.rmtree(folder / "bin", ignore_errors=True)  # console scripts: not used on Lambda
        installed[digest] = folder


def build(workers: list[str], *, image: bool = False) -> None:
    BUILD_DIR.mkdir(parents=True, exist_ok=True)
    installed: dict[str, Path] = {}
    for worker in workers:
        folder = BUILD_DIR / (f"image-{worker}" if image else worker)
        shutil.rmtree(folder, ignore_errors=True)
        _packages(worker, folder, installed)
        # As the Dockerfile does for the image: COPY app/ and lambdas/ into the task root.
        for package in ("app", "lambdas"):
            shutil.copytree(ROOT / package, folder / package, ignore=SKIP)
        if image:  # and the bridge's privacy masks, which the clip worker applies too
            (folder / "bridge").mkdir()
            for name in BRIDGE_FILES:
                shutil.copy2(ROOT / "bridge" / name, folder / "bridge" / name)
        compile_for_runtime(folder)
        mb = size_mb(folder)
        say(f"{worker}: {folder.relative_to(ROOT)} ({mb:.0f} MB unzipped)")
        if not image and mb > LAMBDA_ZIP_LIMIT_MB:
            raise SystemExit(f"{worker} is {mb:.0f} MB, over Lambda's {LAMBDA_ZIP_LIMIT_MB} MB")


def compile_for_runtime(folder: Path) -> None:
    """Bytecode for every module, by the runtime's Python, as unchecked-hash .pyc files (valid
    whatever mtimes the asset zip keeps): Lambda's task root is read-only, so without them each
    cold start compiles everything it imports (the image's Dockerfile does the same)."""
    try:
        python = runtime_python()
    except RuntimeError as exc:
        raise SystemExit(str(exc)) from exc
    subprocess.run([python, "-m", "compileall", "-q", "-j0", "--invalidation-mode",
                    "unchecked-hash", str(folder)], check=True, stdout=subprocess.DEVNULL)


def check(folders: list[Path], workers: list[str]) -> None:
    """Import each handler from its folder alone with the runtime's Python, as Lambda will."""
    try:
        python = runtime_python()
    except RuntimeError as exc:
        raise SystemExit(str(exc)) from exc
    for folder, worker in zip(folders, workers, strict=True):
        code = (f"import sys; sys.path.insert(0, {str(folder)!r}); "
                f"import lambdas.{worker}.handler as h; assert callable(h.handler)")
        subprocess.run([python, "-I", "-S", "-B", "-c", code], check=True)
        say(f"{worker}: the handler imports under Python {PYTHON_VERSION}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("workers", nargs="*", help="worker folder names (default: every zip one)")
    parser.add_argument("--image", action="store_true",
                        help="lay out the named image workers' task root instead")
    parser.add_argument("--check", action="store_true",
                        help=f"then import each handler with python{PYTHON_VERSION}")
    args = parser.parse_args(argv)
    known = [w for w in _all() if image_worker(w)] if args.image else zip_workers()
    unknown = sorted(set(args.workers) - set(known))
    if unknown:
        kind = "an image worker" if args.image else "a zip worker"
        parser.error(f"not {kind}: {', '.join(unknown)} (they are: {', '.join(known)})")
    workers = args.workers or known
    build(workers, image=args.image)
    if args.check:
        check([BUILD_DIR / (f"image-{w}" if args.image else w) for w in workers], workers)
    return 0


def _all() -> list[str]:
    from infra.cdk.porchlight.layout import all_workers

    return all_workers()


if __name__ == "__main__":
    raise SystemExit(main())
