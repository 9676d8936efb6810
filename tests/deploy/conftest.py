"""The deployed artifacts, built exactly as `make package` and `make cdk-assets` build them, run
as Lambda runs them (tests/deploy/harness.py), against a local AWS holding the prod stage's
tables, buckets, queues, secret, signing key and mail identity, named as the stack names them
(tests/deploy/stage.py).

Nothing here shares the session's devstack: its own moto server, its own table prefix, and
the artifacts run in their own processes (the devstack's models stay where they are).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra import artifacts
from infra.cdk.porchlight.layout import BUILD_DIR
from tests.deploy import stage
from tests.deploy.harness import LambdaProcess, lambda_environment
from tests.deploy.stage import PREFIX, ROOT, LocalAws


@pytest.fixture(scope="session")
def runtime_python() -> str:
    return artifacts.runtime_python()


@pytest.fixture(scope="session")
def local_aws() -> Iterator[LocalAws]:
    aws = stage.start_local_aws()
    yield aws
    aws.stop()


@pytest.fixture(scope="session")
def web_root(local_aws: LocalAws, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`make package` with the stage completed from the stack's outputs, unzipped."""
    return stage.package_web(local_aws, tmp_path_factory.mktemp("web"))


@pytest.fixture(scope="session")
def worker_roots() -> Path:
    """`make cdk-assets` (every zip worker) and the clip image's task root."""
    for command in (["make", "-s", "cdk-assets"],
                    [sys.executable, "infra/cdk/prepare_assets.py", "--image", "clip_cutter"]):
        done = subprocess.run(command, cwd=ROOT, env=stage.clean_env(), capture_output=True,
                              text=True, timeout=900, check=False)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return BUILD_DIR


@pytest.fixture(scope="session")
def sdk_root(tmp_path_factory: pytest.TempPathFactory, runtime_python: str) -> Path:
    return stage.install_runtime_sdk(tmp_path_factory.mktemp("runtime-sdk"), runtime_python)


@pytest.fixture(scope="session")
def web(runtime_python: str, web_root: Path, sdk_root: Path,
        local_aws: LocalAws) -> Iterator[LambdaProcess]:
    """One warm container of the web function (Zappa's handler.lambda_handler)."""
    env = lambda_environment(stage.WEB_FUNCTION, 1024, local_aws.endpoint_env(),
                             local_aws.function_env)
    process = LambdaProcess(runtime_python, web_root, sdk_root, "handler.lambda_handler", env)
    yield process
    process.stop()


# Workers the stack gives no app secret (infra/cdk/porchlight/workers.py, reads_secret=False).
TABLES_ONLY = ("iot_authorizer",)


@pytest.fixture(scope="session")
def workers(runtime_python: str, worker_roots: Path, sdk_root: Path,
            local_aws: LocalAws) -> Iterator[dict[str, LambdaProcess]]:
    """A container of each worker, started on first use: workers["mailer"]."""
    from infra.cdk.porchlight.layout import lambda_handler
    from lambdas.common import TABLES_ONLY_SETTINGS
    from lambdas.registry import IOT, QUEUES, SCHEDULES

    started: dict[str, LambdaProcess] = {}

    class Lazy(dict[str, LambdaProcess]):
        def __missing__(self, name: str) -> LambdaProcess:
            spec = next(s for s in (*QUEUES, *SCHEDULES, *IOT) if f".{name}." in s.handler)
            image = (ROOT / "lambdas" / name / "Dockerfile").is_file()
            root = worker_roots / (f"image-{name}" if image else name)
            settings = local_aws.function_env
            if name in TABLES_ONLY:  # what the stack gives it: no secret's ARN, no queue
                settings = {k: v for k, v in settings.items() if k in TABLES_ONLY_SETTINGS}
            env = lambda_environment(f"{PREFIX}{name.replace('_', '-')}", 1024,
                                     local_aws.endpoint_env(), settings)
            # A zip worker bundles its own SDK (its lock); the image's base provides one.
            process = LambdaProcess(runtime_python, root, sdk_root if image else None,
                                    lambda_handler(spec.handler), env)
            started[name] = self[name] = process
            return process

    yield Lazy()
    for process in started.values():
        process.stop()
