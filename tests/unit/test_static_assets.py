"""Fingerprinted static URLs and gzip, on a bare Flask app over a folder of the test's own."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask, Response, url_for

from app.web import assets, compression

PAGE = "<p>" + "A camera on Elm Street, shared on request. " * 60 + "</p>"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "css").mkdir()
    (tmp_path / "js").mkdir()
    (tmp_path / "css" / "app.css").write_text("body { color: #1f3a5f; }\n" * 80)
    (tmp_path / "js" / "app.js").write_text("import { kit } from './kit.js';\nkit();\n")
    (tmp_path / "js" / "kit.js").write_text("export function kit() { return 1; }\n")
    (tmp_path / ".app.css.swp").write_text("an editor's scratch file")
    return tmp_path


def bare_app(folder: Path, reload: bool = True) -> Flask:
    app = Flask(__name__, static_folder=None)
    compression.init_app(app)
    assets.init_app(app, folder, reload=reload)
    return app


def static_url(app: Flask, filename: str) -> str:
    with app.test_request_context():
        return url_for("static", filename=filename)


def test_urls_carry_one_digest_of_the_folder(folder: Path) -> None:
    app = bare_app(folder)
    css, script = static_url(app, "css/app.css"), static_url(app, "js/app.js")
    digest = css.split("/")[2]
    assert len(digest) == 12 and css == f"/static/{digest}/css/app.css"
    assert script == f"/static/{digest}/js/app.js"
    # The module's relative import resolves under the same digest.
    assert app.test_client().get(script.replace("app.js", "kit.js")).status_code == 200


@pytest.mark.parametrize("change", ["edit", "add", "rename"])
def test_any_change_in_the_folder_changes_every_url(folder: Path, change: str) -> None:
    app = bare_app(folder)
    before = static_url(app, "js/app.js")
    kit = folder / "js" / "kit.js"
    if change == "edit":
        kit.write_text("export function kit() { return 22; }\n")
    elif change == "add":
        (folder / "js" / "more.js").write_text("export const more = 1;\n")
    else:
        kit.rename(folder / "js" / "kit2.js")
    after = static_url(app, "js/app.js")
    assert after != before and after.endswith("/js/app.js")
    assert app.test_client().get(after).headers["Cache-Control"] == assets.A_YEAR


def test_hidden_files_are_neither_served_nor_part_of_the_digest(folder: Path) -> None:
    app = bare_app(folder)
    before = static_url(app, "css/app.css")
    (folder / ".app.css.swp").write_text("changed")
    assert static_url(app, "css/app.css") == before
    assert ".app.css.swp" not in assets.read_folder(folder).files


def test_read_once_when_not_reloading(folder: Path) -> None:
    """On Lambda the task root never changes: the folder is read on first use only."""
    app = bare_app(folder, reload=False)
    before = static_url(app, "js/app.js")
    body = app.test_client().get(before).data
    (folder / "js" / "app.js").write_text("changed();\n")
    assert static_url(app, "js/app.js") == before
    assert app.test_client().get(before).data == body


def test_this_builds_digest_is_kept_a_year_another_is_answered_but_not_kept(
        folder: Path) -> None:
    app = bare_app(folder)
    client = app.test_client()
    current = client.get(static_url(app, "css/app.css"))
    assert current.status_code == 200 and current.mimetype == "text/css"
    assert current.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    other = client.get("/static/0123456789ab/css/app.css")
    assert other.status_code == 200 and other.data == current.data
    assert other.headers["Cache-Control"] == "no-cache"
    plain = client.get("/static/css/app.css")
    assert plain.status_code == 200 and plain.data == current.data
    assert plain.headers["Cache-Control"] == "public, max-age=3600"


@pytest.fixture
def answers() -> Iterator[Flask]:
    app = Flask(__name__, static_folder=None)
    compression.init_app(app)
    png = b"\x89PNG\r\n\x1a\n" + bytes(4000)
    app.add_url_rule("/page", "page", lambda: PAGE)
    app.add_url_rule("/small", "small", lambda: "<p>short</p>")
    app.add_url_rule("/data", "data", lambda: {"cameras": [{"name": "Elm"}] * 200})
    app.add_url_rule("/problem", "problem", lambda: Response(
        PAGE, status=404, mimetype="application/problem+json"))
    app.add_url_rule("/icon", "icon", lambda: Response(png, mimetype="image/png"))
    app.add_url_rule("/video", "video", lambda: Response(bytes(4000), mimetype="video/mp4"))
    app.add_url_rule("/stream", "stream", lambda: Response(
        (PAGE for _ in range(2)), mimetype="text/html"))
    yield app


@pytest.mark.parametrize("path", ["/page", "/data", "/problem"])
def test_text_is_gzipped_when_the_client_accepts_it(answers: Flask, path: str) -> None:
    client = answers.test_client()
    plain = client.get(path)
    zipped = client.get(path, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.data) == plain.data
    assert len(zipped.data) < len(plain.data) / 3
    assert int(zipped.headers["Content-Length"]) == len(zipped.data)
    for answer in (plain, zipped):
        assert "Accept-Encoding" in answer.headers["Vary"]


@pytest.mark.parametrize("accept", ["", "identity", "br", "gzip;q=0, deflate"])
def test_nothing_is_gzipped_for_a_client_that_does_not_take_it(answers: Flask,
                                                                accept: str) -> None:
    answer = answers.test_client().get("/page", headers={"Accept-Encoding": accept})
    assert "Content-Encoding" not in answer.headers and answer.text == PAGE


@pytest.mark.parametrize("path", ["/small", "/icon", "/video", "/stream"])
def test_small_binary_and_streamed_answers_stay_as_they_are(answers: Flask, path: str) -> None:
    client = answers.test_client()
    plain = client.get(path).data
    answer = client.get(path, headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in answer.headers and answer.data == plain
    assert "Vary" not in answer.headers
