"""Where the workers' code lives, without importing CDK (prepare_assets.py uses it too)."""

from __future__ import annotations

from pathlib import Path

from lambdas.registry import IOT, QUEUES, SCHEDULES

REPO_ROOT = Path(__file__).resolve().parents[3]
BUILD_DIR = REPO_ROOT / "infra" / "cdk" / "build"


def worker_of(handler: str) -> str:
    """"lambdas.mailer.handler:handler" → "mailer"."""
    return handler.split(":")[0].split(".")[1]


def lambda_handler(handler: str) -> str:
    """The registry's "module:function" as Lambda's handler setting "module.function"."""
    return handler.replace(":", ".")


def image_worker(worker: str) -> bool:
    """A worker with a Dockerfile in its folder ships as a container image."""
    return (REPO_ROOT / "lambdas" / worker / "Dockerfile").is_file()


def all_workers() -> list[str]:
    return list(dict.fromkeys(worker_of(s.handler) for s in (*QUEUES, *SCHEDULES, *IOT)))


def zip_workers() -> list[str]:
    return [w for w in all_workers() if not image_worker(w)]
