"""Shared fixtures: one devstack and one app server for the whole test session."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from typing import Any

import pytest

from app.services import clock
from tests.support import Account, AppServer, Client, TimeTravel, make_user, session_client

ROLES_UNDER_TEST = ("owner", "org_admin", "detective", "supervisor", "agency_admin", "auditor",
                    "officer")


@pytest.fixture(scope="session")
def devstack() -> Iterator[Any]:
    from devstack import seed, stack
    from devstack.worker_loop import WorkerLoop

    # moto's server and the app share werkzeug's request log: too loud to read failures by.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    server = AppServer()
    local = stack.start(
        visibility_seconds=1,
        extra_env={
            "PORCHLIGHT_PUBLIC_URL": server.url,
            # Hundreds of logins come from 127.0.0.1 in a test run; the IP limit has its own
            # test on a second app with a low limit.
            "PORCHLIGHT_LOGIN_IP_LIMIT": "100000",
        },
    )
    from app import create_app
    from tests.contract import ContractWatch

    app = create_app()
    contract = ContractWatch(app)
    seed.seed()
    loop = WorkerLoop(local.client("sqs"), local.queue_urls(), stack.REGION,
                      wait_seconds=1).start()
    server.start(app)
    local.app = app
    local.app_server = server
    local.base_url = server.url
    local.settings = app.config["SETTINGS"]
    local.loop = loop
    yield local
    found = sorted(set(contract.found))
    server.stop()
    loop.stop()
    local.stop()
    for key in local.env:
        os.environ.pop(key, None)
    if found:
        pytest.fail(f"{len(found)} answers broke the OpenAPI contract:\n" + "\n".join(found[:80]),
                    pytrace=False)


@pytest.fixture
def time_travel(devstack: Any) -> Iterator[TimeTravel]:
    """For tests whose subject is time passing: move the app's clock instead of sleeping."""
    travel = TimeTravel()
    with clock.use(travel):
        yield travel


@pytest.fixture(scope="session")
def base_url(devstack: Any) -> str:
    return str(devstack.base_url)


@pytest.fixture(scope="session")
def settings(devstack: Any) -> Any:
    return devstack.settings


@pytest.fixture
def client(base_url: str) -> Client:
    return Client(base_url)


@pytest.fixture
def make_account(devstack: Any) -> Any:
    return make_user


@pytest.fixture
def signed_in(devstack: Any, base_url: str, settings: Any) -> Any:
    """signed_in(role) -> (client, account): a fresh user of that role, MFA done."""

    def build(role: str) -> tuple[Client, Account]:
        account = make_user(role)
        return session_client(base_url, settings, account), account

    return build


# One Chromium for the whole session, shared by tests/e2e and tests/video (a second sync
# Playwright in the same process would clash with the first one's event loop).
@pytest.fixture(scope="session")
def playwright() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Any) -> Iterator[Any]:
    from tests.e2e.helpers import launch_options

    chromium = playwright.chromium.launch(**launch_options())
    yield chromium
    chromium.close()


FOLDER_MARKERS = ("unit", "integration", "e2e", "bridge", "video", "deploy", "faults", "fuzz",
                  "privacy", "infra", "bench")


def pytest_collection_modifyitems(items: list[Any]) -> None:
    """Every test carries its folder's marker, so a lane is a -m expression: `make check` runs
    `-m "(unit or integration) and not slow"`-like selections without listing files."""
    for item in items:
        parts = item.nodeid.split("/")
        if len(parts) > 2 and parts[0] == "tests" and parts[1] in FOLDER_MARKERS:
            item.add_marker(parts[1])


# `make test` runs the suite on two processes (pytest-xdist), each with its own devstack. Tests
# that share something beyond their process stay on one: tests/deploy builds dist/, .venv-web and
# infra/cdk/build/ in the working tree (two builds at once corrupt the zip), and tests/privacy's
# route-coverage check reads which routes its other cases reached in the same process. Everything
# else is scheduled a file at a time, so a module's fixtures are made once. (xdist's own
# `--dist loadgroup` renames node ids through `item._nodeid`, which pytest 9.2 no longer reads.)
SERIAL_FOLDERS = ("deploy", "privacy")
# tests/bench runs each benchmark's --quick in a process of its own, tens of seconds each: spread
# over both processes rather than queued on one.
SPREAD_FOLDERS = ("bench",)


def pytest_xdist_make_scheduler(config: Any, log: Any) -> Any:
    from xdist.scheduler import LoadScopeScheduling

    class ByFileKeepingFolders(LoadScopeScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            parts = nodeid.split("/")
            if len(parts) > 2 and parts[0] == "tests" and parts[1] in SERIAL_FOLDERS:
                return f"tests/{parts[1]}"
            if "[cold_artifact]" in nodeid and parts[1:2] == ["bench"]:
                return "tests/deploy"  # builds the web zip in dist/ and .venv-web as they do
            if len(parts) > 2 and parts[0] == "tests" and parts[1] in SPREAD_FOLDERS:
                return nodeid  # each case on its own: a file of long, independent runs
            return nodeid.split("::", 1)[0]

    return ByFileKeepingFolders(config, log)
