"""The police map's field layers: an agency API key for the CAD/AVL ingest API."""

from __future__ import annotations

import re

from tests.support import Client


def new_key(admin: Client, name: str = "CAD feed") -> str:
    page = admin.post_form("/admin/api-keys", {"name": name})
    assert page.status_code == 200, page.text
    match = re.search(r'id="new-key">(plk_[^<]+)<', page.text)
    assert match, "the new key is shown once"
    return match.group(1)
