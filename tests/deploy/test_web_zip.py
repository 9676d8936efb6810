"""The web function's zip, built by `make package` for the prod stage, answers as Lambda runs it:
Python 3.12, nothing on sys.path but the zip and the runtime's SDK, Zappa's handler called with
API Gateway's REST (payload 1.0) and HTTP API (payload 2.0) events, the secret read from
Secrets Manager, against the prod stage's tables. The checks that need an empty install run
first: pytest runs this file before test_workers_journey.py, which seeds a program."""

from __future__ import annotations

import gzip
import re
import zipfile
from pathlib import Path

import pytest

from infra.artifacts import PYTHON_VERSION
from tests.deploy.harness import Gateway, LambdaProcess
from tests.deploy.stage import PREFIX, LocalAws

ROOT = Path(__file__).resolve().parents[2]
SHAPES = ("rest", "http")


AIM_MB = 20  # zipped; DESIGN.md: the web Lambda stays lean


def test_the_zip_holds_only_what_the_runtime_can_load(web_root: Path) -> None:
    size_mb = (ROOT / "dist" / "porchlight-web.zip").stat().st_size / 1024 / 1024
    assert size_mb < AIM_MB, f"the web zip is {size_mb:.1f} MB"
    binaries = [p.name for p in web_root.rglob("*.so")]
    assert binaries, "the zip has compiled modules (cffi, cryptography, markupsafe...)"
    wrong = [name for name in binaries
             if "cpython-" in name and f"cpython-{PYTHON_VERSION.replace('.', '')}-" not in name]
    assert not wrong, f"built for another Python: {wrong}"
    assert all("x86_64-linux-gnu" in n or "abi3" in n for n in binaries), binaries
    names = zipfile.ZipFile(ROOT / "dist" / "porchlight-web.zip").namelist()
    assert "handler.py" in names and "zappa_settings.py" in names and "app/wsgi.py" in names
    # Compiled by the runtime's Python: a read-only task root cannot cache bytecode itself.
    tag = f"cpython-{PYTHON_VERSION.replace('.', '')}"
    assert f"app/__pycache__/wsgi.{tag}.pyc" in names
    assert f"flask/__pycache__/app.{tag}.pyc" in names
    assert not [n for n in names if n.startswith(("tests/", "devstack/", "lambdas/", "bridge/",
                                                  "boto3/", "botocore/", "moto/", "av/",
                                                  "node_modules/", "package.json"))]
    settings = (web_root / "zappa_settings.py").read_text()
    assert "DEBUG=False" in settings.replace(" ", "") and "LOG_LEVEL='INFO'" in settings
    # Compressed answers are bytes: Zappa base64-encodes them only with binary support on.
    assert "BINARY_SUPPORT=True" in settings.replace(" ", "")


@pytest.mark.parametrize("shape", SHAPES)
def test_a_fresh_install_answers_through_api_gateway(web: LambdaProcess, shape: str) -> None:
    gateway = Gateway(web, shape)
    health = gateway.get("/healthz")
    assert health.status == 200, health.text
    login = gateway.get("/login")
    assert login.status == 200 and 'name="password"' in login.text
    assert login.headers["x-request-id"]
    assert "frame-ancestors 'none'" in login.headers["content-security-policy"]
    # The log-in page links to the program page; before any program exists it explains.
    program = gateway.get("/program")
    assert program.status == 200, program.text[:500]
    assert "No police department has set up its camera program" in program.text
    assert gateway.get("/program/history").status == 404
    spec = gateway.get("/api/openapi.json")
    assert spec.status == 200 and spec.json()["openapi"].startswith("3.1")
    assert spec.json()["servers"][0]["url"] == "https://cams.example.gov"
    missing = gateway.get("/api/no-such-thing", headers={"Accept": "application/json"})
    assert missing.status == 404 and missing.content_type == "application/problem+json"
    assert missing.json()["status"] == 404 and "traceback" not in missing.text.lower()
    static = gateway.get("/static/css/app.css")
    assert static.status == 200 and static.body


@pytest.mark.parametrize("shape", SHAPES)
def test_gzipped_answers_cross_api_gateway_intact(web: LambdaProcess, web_root: Path,
                                                  shape: str) -> None:
    """app.web.compression gzips in the function; the body crosses API Gateway in base64
    (Zappa's binary support) and must come out as the very bytes the app sent."""
    gateway = Gateway(web, shape)
    gzip_please = {"Accept-Encoding": "gzip, deflate, br"}
    page = gateway.get("/login", headers=gzip_please)
    assert page.status == 200 and page.headers["content-encoding"] == "gzip"
    assert page.headers["cache-control"] == "no-store"
    assert "accept-encoding" in page.headers["vary"].lower()
    html = gzip.decompress(page.body).decode()
    assert 'name="password"' in html
    found = re.search(r'href="(/static/[0-9a-f]{12}/css/app\.css)"', html)
    assert found, "the page links a fingerprinted stylesheet"
    css = gateway.get(found.group(1), headers=gzip_please)
    assert css.status == 200 and css.headers["content-encoding"] == "gzip"
    assert css.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert gzip.decompress(css.body) == (web_root / "frontend/static/css/app.css").read_bytes()
    spec = gateway.get("/api/openapi.json", headers=gzip_please)
    assert spec.headers["content-encoding"] == "gzip"
    assert gzip.decompress(spec.body).startswith(b"{")
    # A client that asks for nothing gets plain text, as before.
    assert "content-encoding" not in gateway.get("/login").headers


def test_a_fault_shows_plain_words_and_a_reference_never_a_traceback(
        web: LambdaProcess, local_aws: LocalAws) -> None:
    """A real fault: the agencies table is gone for a moment (as if a deploy had broken it)."""
    dynamodb = local_aws.client("dynamodb")
    table = f"{PREFIX}agencies"
    described = dynamodb.describe_table(TableName=table)["Table"]
    dynamodb.delete_table(TableName=table)
    try:
        gateway = Gateway(web, "http")
        page = gateway.get("/program")
        token = gateway.get("/api/csrf").json()["csrf_token"]
        api = gateway.post("/api/accounts", headers={"X-CSRF-Token": token}, json_body={
            "email": "new@example.org", "password": "a-long-enough-password",
            "display_name": "New"})
    finally:
        dynamodb.create_table(
            TableName=table, KeySchema=described["KeySchema"],
            AttributeDefinitions=described["AttributeDefinitions"],
            BillingMode="PAY_PER_REQUEST")
    assert page.status == 500 and "Something went wrong" in page.text
    reference = page.headers["x-request-id"]
    assert reference in page.text
    assert api.status == 500 and api.content_type == "application/problem+json"
    assert api.json()["correlation_id"] == api.headers["x-request-id"]
    for answer in (page, api):
        assert "Traceback" not in answer.text and 'File "' not in answer.text
        assert "ResourceNotFound" not in answer.text and table not in answer.text
    # The log has the fault, under the same reference, as one JSON line with its traceback.
    logged = [line for line in web.log.splitlines() if reference in line]
    assert any('"level":"ERROR"' in line and "Traceback" in line for line in logged), logged
