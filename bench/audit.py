"""The audit log on devstack: append throughput under concurrent writers, and what a checkpoint
and a full verification cost over 100,000 events.

The embedded stack starts in this process as bench/push.py starts it (devstack.stack.start:
moto's server on loopback, every table, a fresh checkpoint signing key); no app server is needed.
moto's server runs in threads of this process, so its work and this process's share one GIL.

Part 1, appends. Writer *processes* (multiprocessing, spawn; --writers, 20) each load settings
and point the models at devstack from the environment devstack set, as a worker does
(lambdas.common.settings), then wait at a barrier and append --appends events (100) each; a
writer starts no append after --run-seconds (45), so a slow emulator cannot hold the bench. An
append is what app.services.audit.record() does (canonical details, _APPEND_LOCK, then
_append's loop: read the head, build the event, audit.try_append, after a lost race a wait
with full jitter, at most MAX_APPEND_ATTEMPTS tries), calling _append itself with an on_lost
callback that counts try_append's False returns (lost races: another writer took that seq
first). Three runs, each on audit tables deleted and created again, so each starts empty:

  single writer  one process on its own chain: the baseline;
  one chain      every writer on one agency, so one chain (audit.chain_for(agency));
  many chains    each writer on its own agency: 20 chains, no races between writers.

Per run: events/s (events appended / the wall time from the first writer's start to the last
one's end), conditional-write retries per event (False returns / events appended), p50/p95
latency of an append (all its tries), appends that gave up after MAX_APPEND_ATTEMPTS lost races
and appends that failed with an error (both would raise out of record()). Then each chain of the
run is checked with audit.verify_all(only=chain), and the events found are compared with the
appends the writers were told had succeeded.

moto's server does not serialise concurrent transactions as DynamoDB does. Its
TransactWriteItems deep-copies every table it touches before writing (so a transaction costs
time in proportion to the table's size), and when a transaction is cancelled it puts those
copies back, undoing whatever other transactions wrote meanwhile; a copy taken while another
thread writes fails with "dictionary changed size during iteration" (HTTP 500, which PynamoDB
retries). Breaks and lost events in part 1 are reported plainly as what they are, moto
artefacts, beside moto's own count of transactions by outcome and the time of its work (timed
inside moto's handler in this process; under concurrency that time includes waiting for the
GIL). moto also keeps every DynamoDB Item and Table it ever made in lists for its dashboard
(each transaction's table copy included): the bench counts and drops them between runs and
phases (drop_moto_tracking), or they would slow everything after them through the garbage
collector. Its request log and its tracebacks for HTTP 500s are silenced; the 500s are counted.
--serialise-moto puts a lock around moto's TransactWriteItems (this process only) to show the
protocol with atomic transactions, as on DynamoDB; off by default.

Part 2, the log (--events, 100,000, in --chains, 10, chains of equal length: 10 x 10,000).
Appending them with record() against moto would take far too long, so they are built in Python
exactly as record() and try_append build them (uuid event id, ISO time, canonical details, a
16-byte hex salt, the seal over salt, IP and details, seq, prev_hash, and the hash over the
previous hash and the body), a mix of five actions with details like the app's, and written with
AuditEvent.batch_write(); each chain's AuditHead is saved with its last seq and hash. Building
and loading are timed apart. Then, timed:

  checkpoint    checkpoints.make(settings): the first checkpoint, over every event;
  verify        what `flask audit verify` does: audit.load_chains(), audit.verify_loaded(),
                checkpoints.verify(settings, events_by_chain) and checkpoints.latest();
  proof         ProofMaker() and .proof(event) for the middle event of the first chain, then one
                more in the same batch; the proof is checked with app.core.merkle (information);
  checkpoint 2  checkpoints.make() again with nothing new (information).

The checkpoint and the verification are split, with wrappers installed in this process only,
into reading from DynamoDB and the rest. Reading is: moto (the time inside moto's request
handling: parsing, the emulator's work and its JSON answer), transport (the rest of each
PynamoDB Query, Scan and GetItem call: HTTP on loopback, moto's web layer, botocore) and
decoding (PynamoDB model objects and as_record(): our client side). The rest is in memory: hashes,
seals and Merkle trees (our code), and for a checkpoint the statement, its ECDSA signature and
its PutItem. Each part is also given per event, with a linear projection to 10 million events
(a projection, not a measurement). The memory the loaded events take (`flask audit verify` holds
all of them at once) is estimated from a sample of the loaded dicts.

    .venv/bin/python -m bench.audit [--events 100000] [--chains 10] [--writers 20]
                                    [--appends 100] [--run-seconds 45] [--serialise-moto]

Figures are printed for people; the last line of stdout is one JSON object.
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import multiprocessing
import os
import random
import secrets
import signal
import socket
import statistics
import sys
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from types import FrameType
from typing import Any

from bench.stats import percentile

# Workers' Powertools loggers would write JSON lines; keep stdout for figures.
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")

AUDIT_TABLES = ("audit-events", "audit-heads", "audit-checkpoints")
PROJECT_TO = 10_000_000
SEED = 20240611
READY_TIMEOUT_S = 300
READ_OPS = ("Query", "Scan", "GetItem")


def say(text: str = "") -> None:
    print(text, flush=True)


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def moto_action(args: tuple[Any, ...]) -> str:
    try:
        return f"moto {args[0]._get_action()}"
    except Exception:  # a request moto could not read
        return "moto ?"


def on_sigterm(_number: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


# ---------------------------------------------------------------- timing wrappers


@dataclass
class Probe:
    """Wraps functions and methods in place to add up their time, thread-safe (moto's handlers
    run in its server's threads); undone by remove()."""

    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    calls: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    outcomes: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    transactions: list[float] = field(default_factory=list)  # moto's, in order of ending
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _undo: list[tuple[Any, str, Any, bool]] = field(default_factory=list)

    def reset(self) -> None:
        with self._lock:
            self.seconds.clear()
            self.calls.clear()
            self.outcomes.clear()
            self.transactions.clear()

    def wrap(self, owner: Any, name: str, label: str | Callable[[tuple[Any, ...]], str],
             lock: threading.Lock | None = None, outcomes: bool = False) -> None:
        """Time owner.name under label (a callable gets the call's arguments, afterwards);
        with outcomes, count its endings by exception name and keep each call's time."""
        original = getattr(owner, name)
        own = not isinstance(owner, type) or name in owner.__dict__
        probe = self

        def timed(*args: Any, **kwargs: Any) -> Any:
            outcome = "ok"
            if lock is not None:
                lock.acquire()
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            except BaseException as error:
                outcome = type(error).__name__
                raise
            finally:
                took = time.perf_counter() - start
                if lock is not None:
                    lock.release()
                key = label if isinstance(label, str) else label(args)
                with probe._lock:
                    probe.seconds[key] += took
                    probe.calls[key] += 1
                    if outcomes:
                        probe.outcomes[outcome] += 1
                        probe.transactions.append(took)

        setattr(owner, name, timed)
        self._undo.append((owner, name, original, own))

    def remove(self) -> None:
        for owner, name, original, own in reversed(self._undo):
            if own:
                setattr(owner, name, original)
            else:
                delattr(owner, name)
        self._undo.clear()

    def total(self, prefix: str) -> float:
        with self._lock:
            return sum(v for k, v in self.seconds.items() if k.startswith(prefix))

    def install(self, serialise_moto: bool) -> None:
        from moto.dynamodb.responses import DynamoHandler
        from pynamodb.connection.base import Connection

        from app.services import audit, checkpoints

        # moto's handling of each request (parsing, the emulator's work, the JSON answer),
        # and the emulator's work for a transaction alone, with its outcome.
        self.wrap(DynamoHandler, "_dispatch", moto_action)
        self.wrap(DynamoHandler, "transact_write_items", "backend transact_write_items",
                  threading.Lock() if serialise_moto else None, outcomes=True)
        self.wrap(Connection, "_make_api_call", lambda args: f"api {args[1]}")
        self.wrap(audit, "chains", "read chains")
        self.wrap(checkpoints, "latest", "read latest")
        self.wrap(checkpoints, "all_checkpoints", "read all_checkpoints")
        self.wrap(checkpoints, "_events", "read _events")
        self.wrap(checkpoints, "batch_root", "merkle batch_root")


# ---------------------------------------------------------------- part 1: the writers


def append_counting(agency_id: str, actor: Any, action: str, subject_id: str,
                    details: dict[str, Any]) -> tuple[bool, int]:
    """audit.record(), counting its lost races (try_append False) through _append's on_lost.

    Returns (appended, lost races); appended is False when it gave up after
    MAX_APPEND_ATTEMPTS (AuditWriteError)."""
    from app.core import auditchain
    from app.services import audit

    lost = [0]

    def count() -> None:
        lost[0] += 1

    with audit._APPEND_LOCK:
        try:
            audit._append(audit.chain_for(agency_id), agency_id, actor, action,
                          subject_id or "-", auditchain.canonical_json(details), on_lost=count)
        except audit.AuditWriteError:
            return False, lost[0]
    return True, lost[0]


def run_job(index: int, job: dict[str, Any], barrier: Any) -> dict[str, Any]:
    from app.services import audit

    agency = job["agency"]
    actor = audit.Actor(f"bench-writer-{index:02d}", "detective", f"10.0.{index}.1")
    audit._head(audit.chain_for(agency))  # opens the connection before the clock starts
    if not job["solo"]:
        barrier.wait(timeout=READY_TIMEOUT_S)
    started = time.monotonic()
    deadline = started + job["seconds"]
    appended = lost = gave_up = 0
    errors: dict[str, int] = defaultdict(int)
    latencies: list[float] = []
    for n in range(job["appends"]):
        if time.monotonic() > deadline:
            break
        t0 = time.perf_counter()
        try:
            ok, races = append_counting(agency, actor, "clip.viewed", f"owner-{n % 7}", {
                "request_id": f"{index:02d}{n:030d}", "target_id": uuid.uuid4().hex,
                "case": f"B-2024-{n:05d}"})
        except Exception as error:  # what would raise out of record(): counted, not fatal
            errors[f"{type(error).__name__}: {str(error)[:120]}"] += 1
            continue
        lost += races
        if ok:
            appended += 1
            latencies.append(time.perf_counter() - t0)
        else:
            gave_up += 1
    return {"index": index, "agency": agency, "appended": appended, "retries": lost,
            "gave_up": gave_up, "errors": dict(errors), "latencies": latencies,
            "start": started, "end": time.monotonic()}


def writer(index: int, env: dict[str, str], jobs: Any, results: Any, barrier: Any) -> None:
    """A writer process: settings and models from devstack's environment, then jobs."""
    try:
        os.environ.update(env)
        logging.getLogger("botocore").setLevel(logging.ERROR)
        from lambdas.common import settings as worker_settings

        worker_settings()
        results.put({"ready": index})
        while True:
            job = jobs.get()
            if job is None:
                return
            results.put(run_job(index, job, barrier))
    except KeyboardInterrupt:
        return
    except Exception as error:
        results.put({"index": index, "failed": f"{type(error).__name__}: {error}"})


@dataclass
class Writers:
    ctx: Any
    procs: list[Any]
    jobs: list[Any]
    results: Any

    @classmethod
    def start(cls, count: int, env: dict[str, str]) -> Writers:
        ctx = multiprocessing.get_context("spawn")
        results = ctx.Queue()
        barrier = ctx.Barrier(count)
        jobs = [ctx.Queue() for _ in range(count)]
        procs = [ctx.Process(target=writer, args=(i, env, jobs[i], results, barrier),
                             name=f"bench-audit-writer-{i}", daemon=True)
                 for i in range(count)]
        made = cls(ctx, procs, jobs, results)
        try:
            for proc in procs:
                proc.start()
            for _ in range(count):
                answer = made.get()
                if "failed" in answer:
                    raise RuntimeError(f"writer {answer['index']} failed: {answer['failed']}")
        except BaseException:
            made.stop()
            raise
        return made

    def get(self) -> dict[str, Any]:
        import queue

        deadline = time.monotonic() + READY_TIMEOUT_S
        while True:
            try:
                answer: dict[str, Any] = self.results.get(timeout=2)
                return answer
            except queue.Empty:
                dead = [p.name for p in self.procs if not p.is_alive()]
                if dead or time.monotonic() > deadline:
                    raise RuntimeError(f"writers stopped answering (dead: {dead})") from None

    def run(self, agencies: list[str], appends: int, seconds: float) -> list[dict[str, Any]]:
        solo = len(agencies) == 1 and len(self.procs) > 1
        for i, agency in enumerate(agencies):
            self.jobs[i].put({"agency": agency, "appends": appends, "seconds": seconds,
                              "solo": solo})
        answers = [self.get() for _ in agencies]
        failed = [a for a in answers if "failed" in a]
        if failed:
            raise RuntimeError(f"writer {failed[0]['index']} failed: {failed[0]['failed']}")
        return answers

    def stop(self) -> None:
        for jobs in self.jobs:
            try:
                jobs.put(None)
            except (OSError, ValueError):
                pass
        deadline = time.monotonic() + 10
        for proc in self.procs:
            if proc.pid is not None:
                proc.join(timeout=max(0.0, deadline - time.monotonic()))
        for proc in self.procs:  # only the processes started here, by handle
            if proc.is_alive():
                proc.terminate()
                proc.join(timeout=5)


def drop_moto_tracking() -> int:
    """Let go of the DynamoDB objects moto keeps for its dashboard; returns how many.

    Every moto model object is appended to its class's instances_tracked list when made and
    never removed: each Item ever written or projected, and each Table, including the copy of
    the whole table that every TransactWriteItems takes. Left alone, they pile up in this
    process (moto's server runs here) and slow every later phase through the garbage
    collector. Only the dashboard reads these lists."""
    from moto.core.model_instances import model_data

    dropped = 0
    for model in model_data.get("dynamodb", {}).values():
        tracked = getattr(model, "instances_tracked", None)
        if isinstance(tracked, list):
            dropped += len(tracked)
            tracked.clear()
    gc.collect()
    return dropped


def reset_audit_tables(local: Any) -> None:
    """Delete and create again the audit tables, so each run starts from an empty log, and let
    go of what moto kept of the previous run (drop_moto_tracking)."""
    from app.models.tables import table_definitions

    client = local.client("dynamodb")
    prefix = os.environ["PORCHLIGHT_TABLE_PREFIX"]
    for spec in table_definitions():
        if spec["base_name"] not in AUDIT_TABLES:
            continue
        name = prefix + spec["base_name"]
        client.delete_table(TableName=name)
        kwargs: dict[str, Any] = {
            "TableName": name, "KeySchema": spec["key_schema"],
            "AttributeDefinitions": spec["attribute_definitions"],
            "BillingMode": "PAY_PER_REQUEST"}
        if spec["global_secondary_indexes"]:
            kwargs["GlobalSecondaryIndexes"] = spec["global_secondary_indexes"]
        client.create_table(**kwargs)
    drop_moto_tracking()


def check_chains(agencies: list[str]) -> dict[str, Any]:
    """verify_all(only=chain) on every chain of a run; the events and heads found."""
    from app.models.audit import AuditHead
    from app.services import audit

    events = heads = 0
    breaks: list[str] = []
    for agency in sorted(set(agencies)):
        chain = audit.chain_for(agency)
        _chains, found, broken = audit.verify_all(only=chain)
        events += found
        breaks += [str(b) for b in broken]
        try:
            heads += int(AuditHead.get(chain, consistent_read=True).seq)
        except AuditHead.DoesNotExist:
            pass
    return {"events_found": events, "head_seq_total": heads, "breaks": breaks}


def append_run(name: str, local: Any, writers: Writers, probe: Probe, agencies: list[str],
               appends: int, seconds: float) -> dict[str, Any]:
    say(f"\n{name}: {len(agencies)} writer(s) on {len(set(agencies))} chain(s), running...")
    reset_audit_tables(local)
    probe.reset()
    answers = writers.run(agencies, appends, seconds)
    wall = max(a["end"] for a in answers) - min(a["start"] for a in answers)
    appended = sum(a["appended"] for a in answers)
    retries = sum(a["retries"] for a in answers)
    latencies = [s * 1000 for a in answers for s in a["latencies"]]
    errors: dict[str, int] = defaultdict(int)
    for a in answers:
        for k, v in a["errors"].items():
            errors[k] += v
    tx = list(probe.transactions)
    tenth = max(1, len(tx) // 10)
    moto = {
        "transactions": len(tx),
        "by_outcome": dict(probe.outcomes),
        "transaction_ms_mean": round(statistics.fmean(tx) * 1000, 2) if tx else None,
        "transaction_ms_first_tenth": round(statistics.fmean(tx[:tenth]) * 1000, 2)
        if tx else None,
        "transaction_ms_last_tenth": round(statistics.fmean(tx[-tenth:]) * 1000, 2)
        if tx else None,
        "handler_seconds": round(probe.total("moto "), 2),
    }
    checked = check_chains(agencies)
    moto["objects_it_kept"] = drop_moto_tracking()
    stopped_early = sum(1 for a in answers if a["appended"] + a["gave_up"]
                        + sum(a["errors"].values()) < appends)
    result = {
        "writers": len(agencies), "chains": len(set(agencies)),
        "appends_asked": appends * len(agencies), "appended": appended,
        "wall_s": round(wall, 2),
        "events_per_s": round(appended / wall, 1) if wall > 0 else None,
        "retries": retries,
        "retries_per_event": round(retries / appended, 2) if appended else None,
        "latency_ms": {"p50": round(percentile(latencies, 50), 1),
                       "p95": round(percentile(latencies, 95), 1),
                       "max": round(max(latencies), 1)} if latencies else None,
        "gave_up": sum(a["gave_up"] for a in answers),
        "errors": dict(errors),
        "writers_stopped_by_time": stopped_early,
        **checked,
        "lost_events": appended - checked["events_found"],
        "moto": moto,
    }
    show_run(result, seconds)
    return result


def show_run(r: dict[str, Any], seconds: float) -> None:
    from app.services import audit

    lat = r["latency_ms"] or {"p50": float("nan"), "p95": float("nan"), "max": float("nan")}
    say(f"  {r['appended']:,} of {r['appends_asked']:,} appends in {r['wall_s']:.1f} s = "
        f"{r['events_per_s']} events/s; {r['retries']:,} lost races = "
        f"{r['retries_per_event']} retries per event")
    say(f"  append latency (all tries) p50 {lat['p50']:.1f} ms, p95 {lat['p95']:.1f} ms, max "
        f"{lat['max']:.1f} ms; gave up after {audit.MAX_APPEND_ATTEMPTS} lost races: "
        f"{r['gave_up']}; failed with an "
        f"error: {sum(r['errors'].values())}")
    for error, count in r["errors"].items():
        say(f"    {count} x {error}")
    if r["writers_stopped_by_time"]:
        say(f"  {r['writers_stopped_by_time']} writer(s) stopped at the {seconds:g} s limit")
    m = r["moto"]
    outcomes = ", ".join(f"{k} {v}" for k, v in sorted(m["by_outcome"].items()))
    say(f"  moto: {m['transactions']:,} TransactWriteItems ({outcomes}); the emulator's work "
        f"{m['transaction_ms_mean']} ms each on average, {m['transaction_ms_first_tenth']} ms in "
        f"the first tenth and {m['transaction_ms_last_tenth']} ms in the last (the table grows); "
        f"DynamoDB objects moto kept afterwards: {m['objects_it_kept']:,}")
    verdict = "intact" if not r["breaks"] else f"{len(r['breaks'])} BROKEN"
    say(f"  verify_all per chain: {r['events_found']:,} events found (heads say "
        f"{r['head_seq_total']:,}); writers were told {r['appended']:,} succeeded: "
        f"{r['lost_events']:,} acknowledged events missing; chains {verdict}")
    for found in r["breaks"][:5]:
        say(f"    {found}")


def part_appends(args: argparse.Namespace, local: Any, probe: Probe) -> dict[str, Any]:
    say(f"\npart 1: appends; starting {args.writers} writer processes (spawn)...")
    t0 = time.perf_counter()
    writers = Writers.start(args.writers, dict(local.env))
    say(f"  writers ready in {time.perf_counter() - t0:.1f} s")
    try:
        tag = uuid.uuid4().hex[:6]
        solo = append_run("single writer", local, writers, probe, [f"bench-solo-{tag}"],
                          args.appends, args.run_seconds)
        one = append_run("one chain", local, writers, probe,
                         [f"bench-one-{tag}"] * args.writers, args.appends, args.run_seconds)
        many = append_run("many chains", local, writers, probe,
                          [f"bench-many-{tag}-{i:02d}" for i in range(args.writers)],
                          args.appends, args.run_seconds)
    finally:
        writers.stop()
    return {"single_writer": solo, "one_chain": one, "many_chains": many}


# ---------------------------------------------------------------- part 2: the log


def sample_action(rng: random.Random, users: list[tuple[str, str]], at: str) -> tuple[
        str, str, str, dict[str, Any]]:
    """(action, role, subject, details) like the app's events; the actor is drawn by caller."""
    request_id, target_id = uuid.UUID(int=rng.getrandbits(128)).hex, \
        uuid.UUID(int=rng.getrandbits(128)).hex
    owner = rng.choice(users)[0]
    case = f"B-2024-{rng.randrange(100000):05d}"
    kind = rng.randrange(5)
    if kind == 0:
        return "clip.viewed", "detective", owner, {"request_id": request_id,
                                                   "target_id": target_id, "case": case}
    if kind == 1:
        return "request.created", "detective", request_id, {
            "case": case, "offense": "burglary", "cameras": rng.randrange(1, 51),
            "skipped_refusing": rng.randrange(3), "window_start": at, "window_end": at,
            "state": "open"}
    if kind == 2:
        return "answer.approved", "owner", owner, {"request_id": request_id,
                                                   "target_id": target_id, "case": case,
                                                   "via": "app"}
    if kind == 3:
        return "registry.searched", "detective", "-", {
            "lat": round(rng.uniform(36.0, 36.3), 5), "lon": round(rng.uniform(-87.0, -86.6), 5),
            "radius_m": rng.choice((100, 250, 500)), "found": rng.randrange(60)}
    return "login.succeeded", rng.choice(("owner", "detective", "supervisor")), owner, {}


def build_log(events: int, chains: int) -> tuple[list[Any], list[Any]]:
    """Chains of events with seals and hashes exactly as record() and try_append make them."""
    from app.core import auditchain
    from app.models.audit import AuditEvent, AuditHead
    from app.services import audit, clock

    rng = random.Random(SEED)
    users = [(uuid.UUID(int=rng.getrandbits(128)).hex, "") for _ in range(500)]
    start = clock.now() - timedelta(days=365)
    items: list[Any] = []
    heads: list[Any] = []
    for c in range(chains):
        count = events // chains + (1 if c < events % chains else 0)
        agency = f"bench-log-{c:02d}"
        chain = audit.chain_for(agency)
        step = timedelta(days=365) / max(1, count)
        prev = auditchain.GENESIS
        for seq in range(1, count + 1):
            at = clock.iso(start + step * seq)
            action, role, subject, details = sample_action(rng, users, at)
            actor = rng.choice(users)[0]
            event = AuditEvent(
                chain=chain, event_id=uuid.uuid4().hex, at=at, actor_id=actor, actor_role=role,
                action=action, subject_id=subject or "-", agency_id=agency,
                ip=f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}",
                details=auditchain.canonical_json(details))
            # try_append: the seal, then the place in the chain and the hash
            event.salt = secrets.token_hex(16)
            event.sealed = auditchain.seal(event.salt, event.ip, event.details)
            event.seq = seq
            event.prev_hash = prev
            event.hash = auditchain.event_hash(prev, event.body())
            prev = event.hash
            items.append(event)
        if count:
            heads.append(AuditHead(chain=chain, seq=count, hash=prev))
    return items, heads


def deep_bytes(record: dict[str, Any]) -> int:
    """A loaded event's memory: the dict and its values (keys are shared strings)."""
    return sys.getsizeof(record) + sum(sys.getsizeof(v) for v in record.values())


def split(probe: Probe, total: float, read: float, events: int) -> dict[str, Any]:
    """A phase's time: reading (moto, transport, decoding) and the rest, in memory (writes,
    such as a checkpoint's PutItem, fall in the rest)."""
    moto = sum(probe.seconds.get(f"moto {op}", 0.0) for op in READ_OPS)
    api = sum(probe.seconds.get(f"api {op}", 0.0) for op in READ_OPS)
    parts = {"total_s": total, "read_s": read, "moto_s": moto, "transport_s": max(0.0, api - moto),
             "decode_s": max(0.0, read - api), "in_memory_s": max(0.0, total - read)}
    out: dict[str, Any] = {k: round(v, 3) for k, v in parts.items()}
    per = {k.removesuffix("_s"): v / events * 1e6 for k, v in parts.items()}
    out["us_per_event"] = {k: round(v, 2) for k, v in per.items()}
    out["projected_s_for_10m"] = {k: round(v * PROJECT_TO / 1e6, 0) for k, v in per.items()}
    out["api_calls"] = {k.removeprefix("api "): v for k, v in probe.calls.items()
                        if k.startswith("api ")}
    out["api_seconds"] = {k.removeprefix("api "): round(v, 3) for k, v in probe.seconds.items()
                          if k.startswith("api ")}
    return out


def show_split(name: str, s: dict[str, Any]) -> None:
    u, p = s["us_per_event"], s["projected_s_for_10m"]
    say(f"  {name}: {s['total_s']:.2f} s = reading {s['read_s']:.2f} s (moto {s['moto_s']:.2f}, "
        f"transport {s['transport_s']:.2f}, decoding {s['decode_s']:.2f}) + in memory "
        f"{s['in_memory_s']:.2f} s")
    say(f"    per event: {u['total']:.1f} us = reading {u['read']:.1f} (moto {u['moto']:.1f}, "
        f"transport {u['transport']:.1f}, decoding {u['decode']:.1f}) + in memory "
        f"{u['in_memory']:.1f} us")
    say(f"    projected for 10 million events (linear): {p['total']:,.0f} s, of which moto "
        f"{p['moto']:,.0f} s, transport {p['transport']:,.0f} s, decoding {p['decode']:,.0f} s, "
        f"in memory {p['in_memory']:,.0f} s")
    calls = ", ".join(f"{k} {v} ({s['api_seconds'][k]:.2f} s)" for k, v in s["api_calls"].items())
    say(f"    DynamoDB calls: {calls}")


def part_log(args: argparse.Namespace, local: Any, settings: Any, probe: Probe
             ) -> dict[str, Any]:
    from app.core import merkle
    from app.models.audit import AuditEvent
    from app.services import audit, checkpoints

    events = args.events
    say(f"\npart 2: the log, {events:,} events in {args.chains} chain(s) of "
        f"{events // args.chains:,}")
    reset_audit_tables(local)
    t0 = time.perf_counter()
    items, heads = build_log(events, args.chains)
    built = time.perf_counter() - t0
    say(f"  built in Python in {built:.1f} s ({built / events * 1e6:.0f} us an event, with "
        "salt, seal and hash)")
    t0 = time.perf_counter()
    for first in range(0, len(items), 10_000):
        with AuditEvent.batch_write() as batch:
            for item in items[first:first + 10_000]:
                batch.save(item)
        say(f"    loaded {min(first + 10_000, len(items)):,} events "
            f"({time.perf_counter() - t0:.0f} s)")
    for head in heads:
        head.save()
    loaded = time.perf_counter() - t0
    say(f"  written with batch_write in {loaded:.1f} s ({events / loaded:.0f} events/s)")
    middle_chain, middle_seq = heads[0].chain, int(heads[0].seq) // 2 or 1
    del items
    drop_moto_tracking()

    say("\nmaking the first checkpoint (it reads every event)...")
    probe.reset()
    t0 = time.perf_counter()
    made = checkpoints.make(settings)
    checkpoint_s = time.perf_counter() - t0
    read = probe.total("read ")
    merkle_s = probe.total("merkle ")
    cp = split(probe, checkpoint_s, read, events)
    cp["merkle_s"] = round(merkle_s, 3)
    cp["sign_and_write_s"] = round(checkpoint_s - read - merkle_s, 3)
    covered = sum(int(c["seq"]) for c in made.chains)
    say(f"checkpoint {made.seq} over {covered:,} events in {len(made.chains)} chain(s): "
        f"{checkpoint_s:.2f} s")
    show_split("checkpoints.make", cp)
    say(f"    in memory: Merkle batch roots {merkle_s:.2f} s; statement, signature and the "
        f"checkpoint's PutItem {cp['sign_and_write_s']:.3f} s")

    say("\nverifying as `flask audit verify` does...")
    probe.reset()
    t0 = time.perf_counter()
    events_by_chain, loaded_heads = audit.load_chains()
    t1 = time.perf_counter()
    breaks = audit.verify_loaded(events_by_chain, loaded_heads)
    t2 = time.perf_counter()
    read_in_verify_before = probe.total("read ")
    problems = checkpoints.verify(settings, events_by_chain)
    t3 = time.perf_counter()
    checkpoints.latest()
    t4 = time.perf_counter()
    verify_s = t4 - t0
    read_cp = probe.total("read ") - read_in_verify_before  # all_checkpoints and latest
    merkle_s = probe.total("merkle ")
    ver = split(probe, verify_s, (t1 - t0) + read_cp, events)
    ver.update({"load_chains_s": round(t1 - t0, 3), "verify_loaded_s": round(t2 - t1, 3),
                "checkpoints_verify_s": round(t3 - t2, 3), "latest_s": round(t4 - t3, 3),
                "merkle_s": round(merkle_s, 3)})
    found = sum(len(v) for v in events_by_chain.values())
    say(f"verify (as `flask audit verify`) over {found:,} events in {len(events_by_chain)} "
        f"chain(s): {verify_s:.2f} s; {len(breaks)} broken chain(s), {len(problems)} "
        "checkpoint problem(s)")
    for problem in [str(b) for b in breaks][:5] + problems[:5]:
        say(f"    BROKEN: {problem}")
    say(f"  audit.load_chains {t1 - t0:.2f} s (a Scan for the chain names, then a Query per "
        f"chain); verify_loaded (hashes, seals) {t2 - t1:.2f} s; checkpoints.verify "
        f"{t3 - t2:.2f} s (Merkle {merkle_s:.2f} s); latest {t4 - t3:.3f} s")
    show_split("verify", ver)
    sample = [e for chain in events_by_chain.values() for e in chain[:: max(1, found // 2000)]]
    per_event_bytes = statistics.fmean(deep_bytes(e) for e in sample) if sample else 0.0
    ver["loaded_bytes_per_event"] = round(per_event_bytes)
    say(f"  the loaded events take about {per_event_bytes:.0f} bytes each in memory (dicts and "
        f"their values): {per_event_bytes * found / 2**20:.0f} MiB here, about "
        f"{per_event_bytes * PROJECT_TO / 2**30:.1f} GiB held at once for 10 million (projection)")
    del events_by_chain
    drop_moto_tracking()

    probe.reset()
    event = AuditEvent.get(middle_chain, middle_seq, consistent_read=True)
    t0 = time.perf_counter()
    maker = checkpoints.ProofMaker()
    t1 = time.perf_counter()
    proof = maker.proof(event)
    t2 = time.perf_counter()
    again = maker.proof(AuditEvent.get(middle_chain, middle_seq + 1 if middle_seq > 1 else 1,
                                       consistent_read=True))
    t3 = time.perf_counter()
    proof_ok = False
    if proof is not None and again is not None:
        batch, top = proof["batch"], proof["root_path"]
        proof_ok = merkle.root_from_path(
            bytes.fromhex(event.hash), batch["index"], batch["size"], batch["path"]
        ) == proof["chain_leaf"]["batch_root"] and merkle.root_from_path(
            checkpoints.chain_leaf(proof["chain_leaf"]), top["index"], top["size"], top["path"]
        ) == made.statement["root"]
    size = proof["batch"]["size"] if proof else 0
    proof_info = {"proof_maker_s": round(t1 - t0, 4), "first_proof_s": round(t2 - t1, 3),
                  "next_proof_same_batch_s": round(t3 - t2, 4), "batch_size": size,
                  "path_length": len(proof["batch"]["path"]) if proof else 0,
                  "checks": proof_ok}
    say(f"\ninclusion proof for seq {middle_seq} of {middle_chain} (a batch of {size:,}): "
        f"ProofMaker() {proof_info['proof_maker_s'] * 1000:.1f} ms, proof "
        f"{proof_info['first_proof_s']:.2f} s (reads the batch's events and hashes the tree), "
        f"the next one in the same batch {proof_info['next_proof_same_batch_s'] * 1000:.1f} ms; "
        f"path of {proof_info['path_length']} hashes, "
        f"{'checks against the signed root' if proof_ok else 'DOES NOT CHECK'}")

    probe.reset()
    t0 = time.perf_counter()
    second = checkpoints.make(settings)
    second_s = time.perf_counter() - t0
    say(f"checkpoint {second.seq} with nothing new: {second_s:.2f} s")

    return {"events": events, "chains": args.chains, "build_s": round(built, 2),
            "load_s": round(loaded, 1), "load_events_per_s": round(events / loaded),
            "checkpoint": cp, "verify": ver, "verify_intact": not breaks and not problems,
            "breaks": [str(b) for b in breaks][:10], "checkpoint_problems": problems[:10],
            "proof": proof_info, "second_checkpoint_s": round(second_s, 3)}


# ---------------------------------------------------------------- the run


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100_000,
                        help="events in the log of part 2 (100000)")
    parser.add_argument("--chains", type=int, default=10,
                        help="chains the log of part 2 is split into (10)")
    parser.add_argument("--writers", type=int, default=20, help="writer processes (20)")
    parser.add_argument("--appends", type=int, default=100, help="appends per writer (100)")
    parser.add_argument("--run-seconds", type=float, default=45.0,
                        help="a run of part 1 starts no append after this (45)")
    parser.add_argument("--serialise-moto", action="store_true",
                        help="lock moto's TransactWriteItems handler (not DynamoDB-free figures: "
                             "shows the protocol with atomic transactions)")
    parser.add_argument("--skip-appends", action="store_true", help="skip part 1")
    parser.add_argument("--skip-log", action="store_true", help="skip part 2")
    args = parser.parse_args()
    if args.events < 1 or args.chains < 1 or args.chains > args.events:
        parser.error("--events and --chains must be at least 1, and chains at most events")
    if args.writers < 1 or args.appends < 1 or args.run_seconds <= 0:
        parser.error("--writers, --appends and --run-seconds must be positive")
    return args


def run(args: argparse.Namespace, result: dict[str, Any]) -> None:
    from devstack import stack
    from lambdas.common import settings as worker_settings

    local = stack.start(port=free_port())
    probe = Probe()
    try:
        settings = worker_settings()  # as a worker does: configures the models
        probe.install(args.serialise_moto)
        say(f"devstack ready: moto at {local.endpoint}, its own checkpoint key")
        if not args.skip_appends:
            result["appends"] = part_appends(args, local, probe)
        if not args.skip_log:
            result["log"] = part_log(args, local, settings, probe)
    finally:
        probe.remove()
        local.stop()
        for key in local.env:
            os.environ.pop(key, None)


def main() -> int:
    args = parse_args()
    signal.signal(signal.SIGTERM, on_sigterm)
    # moto's server logs each request's line, and a traceback for each HTTP 500 (counted
    # here by outcome instead).
    logging.getLogger("werkzeug").setLevel(logging.CRITICAL)
    started = time.perf_counter()
    load_start = loadavg()
    say(f"audit log on devstack: {args.writers} writers x {args.appends} appends (at most "
        f"{args.run_seconds:g} s a run); a log of {args.events:,} events in {args.chains} "
        f"chain(s){'; moto transactions serialised' if args.serialise_moto else ''}")
    say(f"load average {load_start} on {os.cpu_count()} CPUs")
    result: dict[str, Any] = {"bench": "audit"}
    try:
        run(args, result)
    except KeyboardInterrupt:
        say("\ninterrupted; the writers and devstack were stopped")
        return 130
    appends, log = result.get("appends"), result.get("log")
    one = appends["one_chain"] if appends else None
    many = appends["many_chains"] if appends else None
    solo = appends["single_writer"] if appends else None
    scale = 100_000 / log["events"] if log else 0.0
    summary = {
        "append_events_per_s": one["events_per_s"] if one else None,
        "retries_per_event": one["retries_per_event"] if one else None,
        "checkpoint_s": log["checkpoint"]["total_s"] if log else None,
        "verify_s_per_100k_events": round(log["verify"]["total_s"] * scale, 2) if log else None,
        "append_events_per_s_many_chains": many["events_per_s"] if many else None,
        "retries_per_event_many_chains": many["retries_per_event"] if many else None,
        "append_events_per_s_single_writer": solo["events_per_s"] if solo else None,
        "append_p95_ms": one["latency_ms"]["p95"] if one and one["latency_ms"] else None,
        "lost_events_one_chain": one["lost_events"] if one else None,
        "broken_chains_one_chain": len(one["breaks"]) if one else None,
        "checkpoint_us_per_event": log["checkpoint"]["us_per_event"] if log else None,
        "verify_us_per_event": log["verify"]["us_per_event"] if log else None,
        "verify_projected_s_for_10m": log["verify"]["projected_s_for_10m"]["total"]
        if log else None,
        "checkpoint_projected_s_for_10m": log["checkpoint"]["projected_s_for_10m"]["total"]
        if log else None,
        "serialise_moto": args.serialise_moto,
    }
    result = {"bench": "audit", **summary, **{k: v for k, v in result.items() if k != "bench"}}
    load_end = loadavg()
    result["load_average"] = {"start": load_start, "end": load_end}
    result["total_s"] = round(time.perf_counter() - started, 1)
    say("\nsummary:")
    if one and many and solo:
        say(f"  appends: one chain {one['events_per_s']} events/s with "
            f"{one['retries_per_event']} retries per event; many chains "
            f"{many['events_per_s']} events/s; one writer alone {solo['events_per_s']} events/s")
    if log:
        say(f"  {log['events']:,} events: checkpoint {summary['checkpoint_s']:.2f} s, verify "
            f"{log['verify']['total_s']:.2f} s ({summary['verify_s_per_100k_events']:.2f} s per "
            f"100,000 events)")
    say(f"  load average {load_end} at the end; total {result['total_s']:.0f} s")
    print(json.dumps(result, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
