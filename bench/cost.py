"""What a program costs on AWS: a scripted month of a Milwaukee-sized program run against
devstack, metered as AWS bills it, priced at public us-east-1 list prices (docs/benchmarks.md).

The registry is full size (5,000 cameras of ~3,500 owners, 130 of them business-district
cameras shared live); the month's activity runs at `--scale` (a fraction of the month: 600
footage requests with real video, clips and plays, 300 live minutes, the map views and searches
of 20 detectives) and its usage is multiplied back. Every AWS call of the app and the workers is
counted (DynamoDB read and write units from ReturnConsumedCapacity, S3, SQS, KMS); the phones'
and browsers' presigned S3 requests and the bytes they fetch are counted where they are made;
each web request is one Lambda invocation behind API Gateway, timed in the app; each worker
invocation is timed as it runs; the scheduled workers are run and timed, and multiplied by
their schedules. What cannot be measured here is an estimate, and says so on its line.

    .venv/bin/python -m bench.cost [--scale 0.05] [--cameras 5000] [--quick]
"""

from __future__ import annotations

import ast
import hashlib
import json
import random
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.harness import ROOT, Client, account, begin, finish, map_path, options, running, say

# A month of the program the issue names (Community Connect Milwaukee's size, reduced).
MONTH = {"requests": 600, "owners_per_request": 3, "searches_per_request": 2,
         "live_minutes": 300, "detectives": 20, "map_views": 20 * 2 * 30,
         "detective_logins": 20 * 22, "business_cameras": 130}
PIECE_SECONDS, PIECE_BYTES = 2, 500_000  # a live piece: 2 s of 720p at 2 Mb/s
DAYS = 30
# us-east-1 list prices (USD) from AWS's public pricing pages, no free tier counted.
PRICES = {
    "dynamodb_write_million": 1.25 / 2,  # on-demand write request units (Nov 2024 price)
    "dynamodb_read_million": 0.25 / 2,  # on-demand read request units
    "dynamodb_gb_month": 0.25,
    "s3_gb_month": 0.023, "s3_put_thousand": 0.005, "s3_get_thousand": 0.0004,
    "sqs_million": 0.40,
    "lambda_gb_second": 0.0000166667, "lambda_million": 0.20,  # x86_64, as the stack sets
    "api_gateway_rest_million": 3.50,
    "kms_key_month": 1.00, "kms_asymmetric_ten_thousand": 0.15,
    "secrets_month": 0.40, "secrets_ten_thousand": 0.05,
    "transfer_out_gb": 0.09,
    "logs_gb": 0.50, "alarm_month": 0.10,
    "waf_acl_month": 5.00, "waf_rule_month": 1.00, "waf_million": 0.60,
    "ses_thousand": 0.10,
}
S3_PUT_CLASS = {"PutObject", "CopyObject", "CreateMultipartUpload", "UploadPart",
                "CompleteMultipartUpload", "ListObjectsV2", "ListObjects", "ListObjectVersions",
                "PutObjectLegalHold", "PutObjectRetention", "POST", "PUT"}
DYNAMO_READS = {"GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"}
DYNAMO_WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}
LOG_BYTES_PER_INVOCATION = 600  # START/END/REPORT and our own lines: an estimate
ESM_RECEIVES_PER_QUEUE_MINUTE = 15  # Lambda's idle pollers: 5 long polls of 20 s (estimate)
SECRET_READS = 2 * 12 * 24 * DAYS  # app.config.SECRETS_MAX_AGE: 5 minutes (estimate)


class Meter:
    """Every AWS call this process makes, as AWS would bill it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.calls: Counter[tuple[str, str]] = Counter()
        self.units: Counter[str] = Counter()  # "read", "write" request units
        self.tables: Counter[str] = Counter()  # "write <table>", "read <table>": units
        self.direct: Counter[str] = Counter()  # presigned S3 requests by method
        self.bytes_out = 0  # what leaves AWS for browsers and phones
        self.invocations: Counter[str] = Counter()  # function → invocations
        self.seconds: Counter[str] = Counter()  # function → seconds run

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {"calls": Counter(self.calls), "units": Counter(self.units),
                    "tables": Counter(self.tables),
                    "direct": Counter(self.direct), "bytes_out": self.bytes_out,
                    "invocations": Counter(self.invocations),
                    "seconds": Counter(self.seconds)}

    def install(self) -> None:
        from botocore.client import BaseClient

        original = BaseClient._make_api_call
        meter = self

        def metered(client: Any, operation: str, params: dict[str, Any]) -> Any:
            service = client.meta.service_model.service_name
            if service == "dynamodb" and (operation in DYNAMO_READS | DYNAMO_WRITES):
                params = {"ReturnConsumedCapacity": "TOTAL", **params}
            try:
                answer = original(client, operation, params)
            except Exception:
                with meter.lock:
                    meter.calls[(service, operation)] += 1
                    if operation in DYNAMO_WRITES:  # a refused condition still costs a unit
                        meter.units["write"] += 1
                raise
            with meter.lock:
                meter.calls[(service, operation)] += 1
                if service == "dynamodb":
                    used = answer.get("ConsumedCapacity") or []
                    for one in used if isinstance(used, list) else [used]:
                        kind = "read" if operation in DYNAMO_READS else "write"
                        meter.units[kind] += float(one.get("CapacityUnits", 0))
                        table = str(one.get("TableName", "")).split("-devstack-")[-1]
                        meter.tables[f"{kind} {table}"] += float(one.get("CapacityUnits", 0))
            return answer

        BaseClient._make_api_call = metered  # type: ignore[method-assign]

    def presigned(self, method: str, received: int = 0) -> None:
        with self.lock:
            self.direct[method] += 1
            self.bytes_out += received

    def ran(self, function: str, seconds: float) -> None:
        with self.lock:
            self.invocations[function] += 1
            self.seconds[function] += seconds


def diff(after: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    """What happened between two snapshots (never below zero: a Counter drops negatives)."""
    return {key: (after[key] - before[key]) if isinstance(after[key], Counter)
            else max(0, after[key] - before[key]) for key in after}


def times(usage: dict[str, Any], factor: float) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in usage.items():
        out[key] = (Counter({k: v * factor for k, v in value.items()})
                    if isinstance(value, Counter) else value * factor)
    return out


def plus(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    return {key: a[key] + b[key] for key in a}


def timed_workers(meter: Meter) -> None:
    """Every worker handler the loop loads is timed per invocation (Lambda bills its run)."""
    from devstack import worker_loop

    loader = worker_loop.load_handler

    def load(path: str) -> Any:
        handler = loader(path)
        name = path.split(".")[1]

        def run(event: Any, context: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return handler(event, context)
            finally:
                meter.ran(name, time.perf_counter() - t0)

        return run

    worker_loop.load_handler = load  # type: ignore[assignment]


def timed_web(meter: Meter) -> Any:
    """Each web request is one invocation of the web function behind API Gateway; its answer's
    bytes (gzipped when the client asks, as browsers do) leave AWS."""

    def wrap(app: Any) -> Any:
        def timed(environ: dict[str, Any], start_response: Any) -> Any:
            t0 = time.perf_counter()
            body = b"".join(app(environ, start_response))
            meter.ran("web", time.perf_counter() - t0)
            with meter.lock:
                meter.bytes_out += len(body)
            return [body]
        return timed
    return wrap


def memory_mb() -> dict[str, int]:
    """Each function's memory as the stack sets it: the workers' from
    infra/cdk/porchlight/workers.py (read, not imported: importing starts jsii), the web
    function's from zappa_settings.json's prod stage."""
    tree = ast.parse((ROOT / "infra/cdk/porchlight/workers.py").read_text())
    sizes = {"web": int(json.loads((ROOT / "zappa_settings.json").read_text())["prod"][
        "memory_size"])}
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if (isinstance(key, ast.Constant) and isinstance(value, ast.Call)
                        and getattr(value.func, "id", "") == "Needs"):
                    given = {k.arg: k.value for k in value.keywords}
                    size = given.get("memory_mb")
                    sizes[str(key.value)] = int(size.value) if isinstance(
                        size, ast.Constant) else 512
    return sizes


def fixed_resources() -> dict[str, int]:
    """KMS keys, secrets, alarms and WAF rules of the synthesized stack (make cdk-synth), or
    the counts of the last synth when there is none here."""
    template = ROOT / "infra/cdk/cdk.out/porchlight-prod-infra.template.json"
    counts = {"kms_keys": 2, "secrets": 1, "alarms": 25, "waf_rules": 4, "queues": 5}
    if template.exists():
        resources = json.loads(template.read_text())["Resources"].values()
        kinds = Counter(r["Type"] for r in resources)
        acls = [r for r in resources if r["Type"] == "AWS::WAFv2::WebACL"]
        counts = {"kms_keys": kinds["AWS::KMS::Key"],
                  "secrets": kinds["AWS::SecretsManager::Secret"],
                  "alarms": kinds["AWS::CloudWatch::Alarm"],
                  "waf_rules": sum(len(a["Properties"].get("Rules", [])) for a in acls),
                  "queues": kinds["AWS::Lambda::EventSourceMapping"]}
    return counts


def seed_registry(cameras: int, business: int) -> None:
    """The program's cameras, by ~0.7 owners per camera (residents, and a few businesses with
    several), written straight to the tables: the registry a month starts with."""
    from app.core import roles
    from app.core.cameras import parse_camera
    from app.models.cameras import Camera
    from app.models.users import User
    from app.services import clock
    from app.services.cameras import registry
    from bench.geo import points
    from devstack.seed import AGENCY_ID

    rng = random.Random(19)
    now = clock.now()
    owners: list[Any] = []
    with User.batch_write() as users:
        for n in range(int(cameras * 0.7)):
            owner = User(f"cost-owner-{n}", email=f"cost-owner-{n}@example.org",
                         display_name=f"Owner {n}", password_hash="-", role=roles.OWNER,
                         agency_id=AGENCY_ID, created_at=now, receipts="digest")
            users.save(owner)
            owners.append(owner)
    with Camera.batch_write() as batch:
        for n, (lat, lon) in enumerate(points(cameras, 20261205)):
            owner = owners[n % len(owners)] if n >= business else owners[n % 20]
            roll = rng.random()
            batch.save(registry.new_camera(owner, parse_camera({
                "nickname": f"Cam {n}", "lat": round(lat, 6), "lon": round(lon, 6),
                "heading_deg": rng.randrange(360), "fov_deg": rng.randrange(60, 121),
                "range_m": rng.randrange(15, 61), "mount": rng.choice(("wall", "doorbell")),
                "facing": "street", "retention_days": 14,
                "tier": "always" if n < business else rng.choice(
                    ("registered", "on_request", "on_alert")),
                "visibility": "exact" if n < business else
                "hidden" if roll < 0.1 else "approximate" if roll < 0.3 else "exact",
                "attested": True})))


def recorder_export(seconds: int) -> bytes:
    """An owner's recorder export for one request: H.264 720p at 2 Mb/s, a keyframe a second."""
    from bench.clips import video

    return video("porchlight-bench-cost", 1280, 720, seconds, 30, 0, 2_000_000).read_bytes()


def must(answer: Any, status: int = 200) -> Any:
    """The answer's JSON, or the run stops saying what the app said."""
    if answer.status_code != status:
        raise SystemExit(f"{answer.request.method} {answer.request.path_url}: "
                         f"{answer.status_code} {answer.text[:300]}")
    return answer.json()


def one_request(meter: Meter, detective: Client, owner: Client, camera: dict[str, Any],
                export: bytes, seconds: int, rng: random.Random) -> None:
    """A detective searches twice, asks three owners; one approves and uploads the recorder's
    export; the clip is cut; the detective plays it."""
    import requests

    from app.models.footage import RequestTarget

    recorded = datetime.now(UTC) - timedelta(hours=rng.randrange(2, 48))
    window = recorded + timedelta(seconds=2)  # the asked 20 s (less for a short export)
    asked_s = min(20, seconds - 4)
    hits: list[dict[str, Any]] = []
    for n in range(MONTH["searches_per_request"]):
        found = detective.call("POST", "/api/search", {
            "lat": camera["lat"], "lon": camera["lon"], "radius_m": 300 if n else 100,
            "incident_at": window.isoformat(), "case_number": "COST-1"})
        hits = found.json().get("cameras", []) if found.status_code == 200 else hits
    others = [h["camera_id"] for h in hits if h["camera_id"] != camera["id"]]
    asked = [camera["id"], *rng.sample(others, min(len(others), MONTH["owners_per_request"] - 1))]
    board = detective.call("POST", "/api/requests", {
        "camera_ids": asked, "case_number": "COST-1", "offense": "robbery",
        "lat": camera["lat"], "lon": camera["lon"], "message": "A car was broken into.",
        "window_start": window.isoformat(),
        "window_end": (window + timedelta(seconds=asked_s)).isoformat()})
    request_id = must(board, 201)["id"]
    target = next(t for t in RequestTarget.request_index.query(request_id)
                  if t.camera_id == camera["id"]).target_id
    owner.call("GET", f"/api/targets/{target}")
    must(owner.call("POST", f"/api/targets/{target}/answer", {"action": "approve"}))
    begun = must(owner.call("POST", f"/api/targets/{target}/upload", {
        "filename": "export.mp4", "size": len(export), "clock_offset_s": 0,
        "video_starts_at": recorded.isoformat()}), 201)
    numbers = list(range(1, begun["part_count"] + 1))
    urls = must(owner.call("POST", f"/api/targets/{target}/upload/parts",
                           {"parts": numbers}))["urls"]
    for number in numbers:
        part = export[(number - 1) * begun["part_bytes"]:number * begun["part_bytes"]]
        requests.put(urls[str(number)], data=part, timeout=120).raise_for_status()
        meter.presigned("PUT")
    must(owner.call("POST", f"/api/targets/{target}/upload/complete", {}))
    deadline = time.monotonic() + 300
    while (found := RequestTarget.get(target, consistent_read=True)).status not in (
            "ready", "failed"):
        if time.monotonic() > deadline:
            raise SystemExit(f"the clip of {target} is still {found.status} after 5 minutes")
        time.sleep(0.1)
    if found.status != "ready":
        raise SystemExit(f"the clip of {target} failed: {found.reason}")
    detective.call("GET", f"/api/requests/{request_id}")
    link = must(detective.call("POST", f"/api/evidence/{target}/clip", {}))["url"]
    meter.presigned("GET", len(requests.get(link, timeout=60).content))


def live_minute(meter: Meter, business: Client, detective: Client, share_id: str) -> None:
    """One minute of one camera shared live from the business's phone or bridge: a piece every
    2 s announced, put and confirmed; the detective's player asks every second and fetches
    each piece."""
    import requests

    piece = hashlib.sha256(b"piece").digest() * (PIECE_BYTES // 32)
    after = ""
    for second in range(60):
        if second % PIECE_SECONDS == 0:
            place = business.call("POST", f"/api/shares/{share_id}/phone", {
                "mime": "video/mp4;codecs=avc1.640015", "duration_s": float(PIECE_SECONDS),
                "size": len(piece)})
            if place.status_code != 201:
                raise SystemExit(f"a live piece: {place.status_code} {place.text[:300]}")
            body = place.json()
            requests.put(body["url"], data=piece, headers=body["headers"],
                         timeout=30).raise_for_status()
            meter.presigned("PUT")
            business.call("POST", f"/api/shares/{share_id}/phone/{body['name']}/done", {})
        asked = detective.call("GET", f"/api/live/{share_id}/pieces?camera=phone"
                               + (f"&after={after}" if after else ""))
        for one in asked.json().get("pieces", []) if asked.status_code == 200 else []:
            meter.presigned("GET", len(requests.get(one["url"], timeout=30).content))
            after = one["name"]


def map_view(detective: Client, spot: tuple[float, float]) -> None:
    """The police map as a detective uses it: it opens a few streets across (their cameras),
    then zooms out to the district (its areas counted), as the page asks for each view."""
    for half in (500, 1200):
        must(detective.call("GET", map_path(*spot, half)))


def stored_bytes(stack: Any) -> tuple[int, int]:
    """(DynamoDB, S3) bytes held now: items as DynamoDB sizes them plus its 100 bytes of
    overhead per item; every object of both buckets."""
    from app.models.base import raw_item_bytes
    from app.models.tables import table_definitions

    dynamodb, s3 = stack.local.client("dynamodb"), stack.local.client("s3")
    prefix = stack.settings.table_prefix
    table_bytes = 0
    for spec in table_definitions():
        for page in dynamodb.get_paginator("scan").paginate(TableName=prefix + spec["base_name"]):
            for item in page["Items"]:
                table_bytes += 100 + raw_item_bytes(item)
    object_bytes = 0
    for bucket in (stack.settings.uploads_bucket, stack.settings.clips_bucket):
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            object_bytes += sum(o["Size"] for o in page.get("Contents", []))
    return table_bytes, object_bytes


def scheduled(meter: Meter, scale: float) -> dict[str, Any]:
    """Each scheduled worker run twice: first over the activity's work, then idle. A month is
    its schedule's runs idle, plus the first run's extra work times 1/scale."""
    from devstack import worker_loop
    from lambdas.registry import SCHEDULES

    per_month = {"rate(1 minute)": DAYS * 24 * 60, "rate(15 minutes)": DAYS * 24 * 4,
                 "rate(6 hours)": DAYS * 4}
    total: dict[str, Any] | None = None
    for spec in SCHEDULES:
        handler = worker_loop.load_handler(spec.handler)  # timed_workers times each run
        usage = []
        for _ in range(2):
            before = meter.snapshot()
            handler({"source": "aws.events", "detail-type": "Scheduled Event"},
                    worker_loop.LambdaContext(f"devstack-{spec.base_name}"))
            usage.append(diff(meter.snapshot(), before))
        busy, idle = usage
        month = plus(times(idle, per_month[spec.schedule]), times(diff(busy, idle), 1 / scale))
        total = month if total is None else plus(total, month)
    assert total is not None
    return total


def bill(usage: dict[str, Any], storage: tuple[float, float], memory: dict[str, int],
         fixed: dict[str, int], emails: float) -> list[tuple[str, float, str]]:
    """(line item, dollars a month, what it counts)."""
    p = PRICES
    calls: Counter[tuple[str, str]] = usage["calls"]
    s3 = Counter({op: n for (service, op), n in calls.items() if service == "s3"})
    s3 += usage["direct"]
    s3_put = sum(n for op, n in s3.items() if op in S3_PUT_CLASS)
    s3_get = sum(s3.values()) - s3_put
    sqs = sum(n for (service, _), n in calls.items() if service == "sqs")
    idle_receives = fixed["queues"] * ESM_RECEIVES_PER_QUEUE_MINUTE * DAYS * 24 * 60
    kms = sum(n for (service, _), n in calls.items() if service == "kms")
    kms = max(kms, usage["invocations"].get("checkpoint", 0))  # devstack signs locally
    invocations = sum(usage["invocations"].values())
    gb_seconds = sum(seconds * memory.get(fn, 512) / 1024
                     for fn, seconds in usage["seconds"].items())
    web = usage["invocations"].get("web", 0)
    lines = [
        ("DynamoDB writes", usage["units"]["write"] / 1e6 * p["dynamodb_write_million"],
         f"{usage['units']['write']:,.0f} write request units"),
        ("DynamoDB reads", usage["units"]["read"] / 1e6 * p["dynamodb_read_million"],
         f"{usage['units']['read']:,.0f} read request units"),
        ("DynamoDB storage", storage[0] / 1e9 * p["dynamodb_gb_month"],
         f"{storage[0] / 1e6:,.1f} MB"),
        ("S3 requests", s3_put / 1e3 * p["s3_put_thousand"] + s3_get / 1e3 * p["s3_get_thousand"],
         f"{s3_put:,.0f} PUT/LIST class, {s3_get:,.0f} GET class"),
        ("S3 storage", storage[1] / 1e9 * p["s3_gb_month"], f"{storage[1] / 1e9:,.2f} GB"),
        ("SQS requests", (sqs + idle_receives) / 1e6 * p["sqs_million"],
         f"{sqs:,.0f} by our code + {idle_receives:,.0f} idle polls (estimate)"),
        ("Lambda compute", gb_seconds * p["lambda_gb_second"], f"{gb_seconds:,.0f} GB-s"),
        ("Lambda requests", invocations / 1e6 * p["lambda_million"],
         f"{invocations:,.0f} invocations"),
        ("API Gateway (REST)", web / 1e6 * p["api_gateway_rest_million"],
         f"{web:,.0f} requests"),
        ("WAF", p["waf_acl_month"] + fixed["waf_rules"] * p["waf_rule_month"]
         + web / 1e6 * p["waf_million"], f"1 web ACL, {fixed['waf_rules']} rules"),
        ("KMS", fixed["kms_keys"] * p["kms_key_month"]
         + kms / 1e4 * p["kms_asymmetric_ten_thousand"],
         f"{fixed['kms_keys']} keys, {kms:,.0f} signatures"),
        ("Secrets Manager", fixed["secrets"] * p["secrets_month"]
         + SECRET_READS / 1e4 * p["secrets_ten_thousand"],
         f"{fixed['secrets']} secret; {SECRET_READS:,} reads (estimate: 2 warm containers, "
         "each every 5 minutes)"),
        ("Data transfer out", usage["bytes_out"] / 1e9 * p["transfer_out_gb"],
         f"{usage['bytes_out'] / 1e9:,.2f} GB"),
        ("CloudWatch Logs", invocations * LOG_BYTES_PER_INVOCATION / 1e9 * p["logs_gb"],
         f"{LOG_BYTES_PER_INVOCATION} bytes per invocation (estimate)"),
        ("CloudWatch alarms", fixed["alarms"] * p["alarm_month"], f"{fixed['alarms']} alarms"),
        ("SES mail", emails / 1e3 * p["ses_thousand"], f"{emails:,.0f} emails"),
    ]
    return sorted(lines, key=lambda line: -line[1])


def main() -> int:
    args = options(__doc__, {"scale": (0.05, 0.005, "fraction of the month's activity run"),
                             "cameras": (5000, 300, "cameras in the registry"),
                             "video_seconds": (60, 10, "length of each recorder export")})
    started = begin("cost", args, f"{args.cameras:,} cameras; {args.scale:g} of a month's "
                    f"activity ({MONTH['requests']} requests, {MONTH['live_minutes']} live "
                    "minutes), multiplied back")
    meter = Meter()
    meter.install()
    timed_workers(meter)
    rng = random.Random(2026)
    with running(workers=True, wrap=timed_web(meter)) as stack:
        from app.models.outbox import OutboxMessage

        seed_registry(args.cameras, min(MONTH["business_cameras"], args.cameras // 10))
        detectives = [Client(stack.url).signed_in(account("detective"))
                      for _ in range(min(MONTH["detectives"], 3))]
        owner_account, business_account = account("owner"), account("owner")
        owner, business = (Client(stack.url).signed_in(owner_account),
                           Client(stack.url).signed_in(business_account))
        from bench.geo import points

        spots = points(50, 77)
        made = [owner.call("POST", "/api/cameras", {
            "nickname": f"Door {n}", "lat": round(lat, 6), "lon": round(lon, 6),
            "heading_deg": 90, "fov_deg": 90, "range_m": 30, "mount": "doorbell",
            "facing": "street", "retention_days": 14, "tier": "on_request",
            "visibility": "exact", "attested": True}).json()["camera"] for n, (lat, lon) in
            enumerate(spots[:10])]
        shop = business.call("POST", "/api/cameras", {
            "nickname": "Shop front", "lat": spots[10][0], "lon": spots[10][1],
            "heading_deg": 0, "fov_deg": 90, "range_m": 30, "mount": "wall",
            "facing": "street", "retention_days": 14, "tier": "always", "visibility": "exact",
            "attested": True}).json()["camera"]
        export = recorder_export(args.video_seconds)
        before_storage = stored_bytes(stack)
        mails_before = OutboxMessage.count()
        say(f"registry seeded; the month's activity at scale {args.scale:g} ...")
        before = meter.snapshot()
        t0 = time.perf_counter()
        for _ in range(max(1, round(MONTH["detective_logins"] * args.scale))):
            Client(stack.url).signed_in(account("detective"))
        for n in range(max(1, round(MONTH["requests"] * args.scale))):
            one_request(meter, detectives[n % len(detectives)], owner, made[n % 10],
                        export, args.video_seconds, rng)
        for n in range(max(1, round(MONTH["map_views"] * args.scale))):
            map_view(detectives[n % len(detectives)], spots[n % len(spots)])
        share = business.call("POST", "/api/shares", {"camera_ids": [shop["id"]],
                                                      "minutes": 30, "phone": True}).json()
        detectives[0].call("POST", f"/api/live/{share['share_id']}/view", {})
        for _ in range(max(1, round(MONTH["live_minutes"] * args.scale))):
            live_minute(meter, business, detectives[0], share["share_id"])
        business.call("DELETE", f"/api/shares/{share['share_id']}")
        time.sleep(3)  # the workers finish what the activity queued
        activity = diff(meter.snapshot(), before)
        say(f"activity ran in {time.perf_counter() - t0:.0f} s; the scheduled workers ...")
        month = plus(times(activity, 1 / args.scale), scheduled(meter, args.scale))
        after_storage = stored_bytes(stack)
        storage = tuple(b + (a - b) / args.scale for a, b in zip(
            after_storage, before_storage, strict=True))
        emails = (OutboxMessage.count() - mails_before) / args.scale
    memory = memory_mb()
    fixed = fixed_resources()
    lines = bill(month, (storage[0], storage[1]), memory, fixed, emails)
    total = sum(dollars for _, dollars, _ in lines)
    say(f"\nA month of the program on AWS (us-east-1 list prices): ${total:,.2f}")
    for name, dollars, what in lines:
        say(f"  {name:<20} ${dollars:>8.2f}  {what}")
    say("DynamoDB request units by table: " + ", ".join(
        f"{name} {units:,.0f}" for name, units in month["tables"].most_common(6)))
    say(f"Largest line: {lines[0][0]} ({lines[0][1] / total:.0%}). The program it replaces "
        f"cost $125,000 a year (${125_000 / 12:,.0f} a month).")
    units = {k: round(v) for k, v in month["units"].items()}
    return finish("cost", args, {
        "dollars_per_month": round(total, 2),
        "largest_line": lines[0][0],
        "lines": {name: round(dollars, 2) for name, dollars, _ in lines},
        "request_units": units,
        "request_units_by_table": {k: round(v) for k, v in month["tables"].most_common(8)},
        "invocations": {k: round(v) for k, v in month["invocations"].items()},
        "gb_seconds": round(sum(s * memory.get(f, 512) / 1024
                                for f, s in month["seconds"].items())),
        "month": MONTH, "scale": args.scale, "cameras": args.cameras,
    }, started)


if __name__ == "__main__":
    sys.exit(main())
