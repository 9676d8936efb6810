"""A new deployment's first program: `flask agency create` makes it and invites its admin."""

from __future__ import annotations

import uuid
from typing import Any

from app.models.users import Agency
from tests.support import Client, link_in, unique_email, wait_for_mail


def test_create_an_agency_and_invite_its_admin(devstack: Any, base_url: str) -> None:
    runner = devstack.app.test_cli_runner()
    agency_id = f"pd-{uuid.uuid4().hex[:8]}"
    email = unique_email("chief")
    done = runner.invoke(args=["agency", "create", "--id", agency_id, "--name", "Test PD",
                               "--city", "Springfield", "--timezone", "America/Chicago",
                               "--admin-email", email])
    assert done.exit_code == 0, done.output
    assert Agency.get(agency_id).policy().timezone == "America/Chicago"
    link = link_in(wait_for_mail(email, "run Porchlight"), "/invite/")
    page = Client(base_url).get(link.replace(base_url, ""))
    assert page.status_code == 200 and "agency admin" in page.text.lower()

    again = runner.invoke(args=["agency", "create", "--id", agency_id, "--name", "X",
                                "--city", "Y", "--timezone", "Mars/Base",
                                "--admin-email", "not-an-email"])
    assert again.exit_code == 2
    for words in ("exists already", "--timezone", "--admin-email"):
        assert words in again.output
