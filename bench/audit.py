"""The audit log on devstack: appends by concurrent writer processes (one writer alone, all on
one chain, each on its own), then a large log's checkpoint, full verification and inclusion
proof, split into DynamoDB calls and the rest (docs/benchmarks.md).

    .venv/bin/python -m bench.audit [--writers 20] [--appends 100] [--events 100000]
                                    [--chains 10] [--run-seconds 45] [--quick]
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import random
import secrets
import statistics
import sys
import time
import uuid
from datetime import timedelta
from typing import Any

from bench.harness import DynamoCalls, begin, finish, options, running, say, summary

PROJECT_TO = 10_000_000


# ---------------------------------------------------------------- part 1: the writers


def appends(index: int, job: dict[str, Any]) -> dict[str, Any]:
    from app.services.auditing import audit

    actor = audit.Actor(f"bench-writer-{index:02d}", "detective", f"10.0.{index}.1")
    latencies: list[float] = []
    errors = 0
    with DynamoCalls() as calls:
        start = time.monotonic()
        for n in range(job["appends"]):
            if time.monotonic() > start + job["seconds"]:
                break
            t0 = time.perf_counter()
            try:
                audit.record(job["agency"], actor, "clip.viewed", f"owner-{n % 7}",
                             {"request_id": uuid.uuid4().hex, "case": f"B-2024-{n:05d}"})
            except Exception:  # what would raise out of record(): counted, not fatal
                errors += 1
                continue
            latencies.append(time.perf_counter() - t0)
        end = time.monotonic()
    return {"appended": len(latencies), "retries": calls.failed()["TransactWriteItems"],
            "errors": errors, "latencies": latencies, "start": start, "end": end}


def writer(index: int, env: dict[str, str], jobs: Any, results: Any, barrier: Any) -> None:
    """A writer process: a worker's settings from devstack's environment, then its jobs."""
    os.environ.update(env)
    logging.getLogger("botocore").setLevel(logging.ERROR)
    from app.services.auditing import audit
    from lambdas.common import settings

    settings()
    audit.chains()  # the connection is open before any clock starts
    for job in iter(jobs.get, None):
        barrier.wait(timeout=300)
        results.put(appends(index, job) if job["agency"] else None)


def append_run(name: str, agencies: list[str | None], args: Any, pool: dict[str, Any]
               ) -> dict[str, Any]:
    from app.services.auditing import audit

    for jobs, agency in zip(pool["jobs"], agencies, strict=True):
        jobs.put({"agency": agency, "appends": args.appends, "seconds": args.run_seconds})
    pool["barrier"].wait(timeout=300)
    answers = [a for a in (pool["results"].get(timeout=args.run_seconds + 300)
                           for _ in agencies) if a]
    appended = sum(a["appended"] for a in answers)
    wall = max(a["end"] for a in answers) - min(a["start"] for a in answers)
    found, breaks = 0, 0
    for chain in sorted({audit.chain_for(a) for a in agencies if a}):
        _chains, events, broken = audit.verify_all(only=chain)
        found, breaks = found + events, breaks + len(broken)
    latency = summary([s for a in answers for s in a["latencies"]], digits=1)
    result = {"writers": len(answers), "chains": len({a for a in agencies if a}),
              "appended": appended, "events_per_s": round(appended / wall, 1),
              "retries_per_event": round(sum(a["retries"] for a in answers) / max(1, appended),
                                         2),
              "latency_p50_ms": latency["p50"], "latency_p95_ms": latency["p95"],
              "errors": sum(a["errors"] for a in answers),
              "lost_events": appended - found, "broken_chains": breaks}
    say(f"{name}: {result}")
    return result


def part_appends(args: Any, env: dict[str, str]) -> dict[str, Any]:
    ctx = multiprocessing.get_context("spawn")
    pool = {"jobs": [ctx.Queue() for _ in range(args.writers)], "results": ctx.Queue(),
            "barrier": ctx.Barrier(args.writers + 1)}
    procs = [ctx.Process(target=writer, args=(i, env, pool["jobs"][i], pool["results"],
                                              pool["barrier"]), daemon=True)
             for i in range(args.writers)]
    for proc in procs:
        proc.start()
    tag = uuid.uuid4().hex[:6]
    try:
        idle: list[str | None] = [None] * (args.writers - 1)
        return {
            "single_writer": append_run("one writer alone", [f"solo-{tag}", *idle], args, pool),
            "one_chain": append_run("every writer on one chain", [f"one-{tag}"] * args.writers,
                                    args, pool),
            "many_chains": append_run("each writer on its own chain",
                                      [f"many-{tag}-{i}" for i in range(args.writers)], args,
                                      pool)}
    finally:
        for jobs in pool["jobs"]:
            jobs.put(None)
        for proc in procs:  # only the processes started here, by handle
            proc.join(timeout=10)
            if proc.is_alive():
                proc.terminate()


# ---------------------------------------------------------------- part 2: the log


def build_log(events: int, chains: int) -> tuple[list[Any], list[Any]]:
    """Chains of events sealed and hashed as the app seals and hashes them."""
    from app.core import auditchain
    from app.models.audit import AuditEvent, AuditHead
    from app.services import clock
    from app.services.auditing import audit

    rng = random.Random(20240611)
    start = clock.now() - timedelta(days=365)
    items, heads = [], []
    for c in range(chains):
        count = events // chains + (c < events % chains)
        agency, prev = f"bench-log-{c:02d}", auditchain.GENESIS
        for seq in range(1, count + 1):
            details = rng.choice(({"request_id": uuid.uuid4().hex, "case": "B-2024-00017"},
                                  {"lat": 36.16, "lon": -86.78, "radius_m": 250, "found": 12},
                                  {}))
            event = AuditEvent(
                chain=audit.chain_for(agency), event_id=uuid.uuid4().hex, agency_id=agency,
                at=clock.iso(start + timedelta(seconds=seq)), actor_id=uuid.uuid4().hex,
                actor_role="detective", action=rng.choice(("clip.viewed", "registry.searched",
                                                           "login.succeeded")),
                subject_id="-", ip=f"10.{rng.randrange(256)}.{rng.randrange(256)}.7",
                details=auditchain.canonical_json(details), salt=secrets.token_hex(16), seq=seq,
                prev_hash=prev)
            event.sealed = auditchain.seal(event.salt, event.ip, event.details)
            event.hash = prev = auditchain.event_hash(prev, event.body())
            items.append(event)
        heads.append(AuditHead(chain=audit.chain_for(agency), seq=count, hash=prev))
    return items, heads


def split(calls: DynamoCalls, seconds: float, events: int) -> dict[str, Any]:
    dynamo = calls.total()
    per = {"total": seconds, "dynamodb": dynamo, "rest": seconds - dynamo}
    return {"total_s": round(seconds, 3), "dynamodb_s": round(dynamo, 3),
            "rest_s": round(seconds - dynamo, 3), "dynamodb_calls": dict(calls.calls),
            "us_per_event": {k: round(v / events * 1e6, 2) for k, v in per.items()},
            "projected_s_for_10m": round(seconds / events * PROJECT_TO)}


def timed(calls: DynamoCalls, step: Any) -> tuple[float, Any]:
    calls.reset()
    t0 = time.perf_counter()
    result = step()
    return time.perf_counter() - t0, result


def part_log(args: Any, settings: Any) -> dict[str, Any]:
    from app.core import merkle
    from app.models.audit import AuditEvent
    from app.services.auditing import audit, checkpoints

    t0 = time.perf_counter()
    items, heads = build_log(args.events, args.chains)
    built = time.perf_counter() - t0
    with AuditEvent.batch_write() as batch:
        for item in items:
            batch.save(item)
    for head in heads:
        head.save()
    loaded = time.perf_counter() - t0 - built
    say(f"log: {args.events:,} events built in {built:.1f} s, written in {loaded:.1f} s")
    del items

    def verify() -> tuple[int, int, int, int]:
        by_chain, found_heads = audit.load_chains()
        breaks = audit.verify_loaded(by_chain, found_heads)
        problems = checkpoints.verify(settings, by_chain)
        checkpoints.latest()
        sample = [e for chain in by_chain.values() for e in chain[::max(1, len(chain) // 200)]]
        size = statistics.fmean(sys.getsizeof(e) + sum(sys.getsizeof(v) for v in e.values())
                                for e in sample)
        return sum(len(v) for v in by_chain.values()), len(breaks), len(problems), round(size)

    events = sum(int(head.seq) for head in audit.chains())  # part 1's too
    with DynamoCalls() as calls:
        made_s, made = timed(calls, lambda: checkpoints.make(settings))
        checkpoint = split(calls, made_s, events)
        verify_s, (found, breaks, problems, size) = timed(calls, verify)
        verified = split(calls, verify_s, events)
        event = AuditEvent.get(heads[0].chain, max(1, int(heads[0].seq) // 2))
        proof_s, proof = timed(calls, lambda: checkpoints.ProofMaker().proof(event))
        again_s, _ = timed(calls, lambda: checkpoints.make(settings))
    ok = proof is not None and merkle.root_from_path(
        bytes.fromhex(event.hash), proof["batch"]["index"], proof["batch"]["size"],
        proof["batch"]["path"]) == proof["chain_leaf"]["batch_root"] and merkle.root_from_path(
        checkpoints.chain_leaf(proof["chain_leaf"]), proof["root_path"]["index"],
        proof["root_path"]["size"], proof["root_path"]["path"]) == made.statement["root"]
    say(f"checkpoint {made_s:.2f} s; verify {verify_s:.2f} s over {found:,} events: {breaks} "
        f"broken chain(s), {problems} checkpoint problem(s); proof {proof_s:.2f} s "
        f"({'checks' if ok else 'DOES NOT CHECK'})")
    return {"checkpoint": checkpoint, "verify": verified, "events_found": found,
            "verify_intact": not breaks and not problems, "loaded_bytes_per_event": size,
            "proof_s": round(proof_s, 3), "proof_checks": ok,
            "second_checkpoint_s": round(again_s, 3)}


def main() -> int:
    args = options(__doc__, {"writers": (20, 2, "writer processes"),
                             "appends": (100, 4, "appends per writer and run"),
                             "run_seconds": (45.0, 30.0, "no append starts after this"),
                             "events": (100_000, 300, "events in the log of part 2"),
                             "chains": (10, 3, "chains the log is split into")})
    started = begin("audit", args, f"{args.writers} writers x {args.appends} appends; a log of "
                    f"{args.events:,} events in {args.chains} chains")
    logging.getLogger("werkzeug").setLevel(logging.CRITICAL)  # moto's HTTP 500 tracebacks
    with running(app=False, seed=False) as stack:
        runs = part_appends(args, dict(stack.local.env))
        log = part_log(args, stack.settings)
    one, many, solo = runs["one_chain"], runs["many_chains"], runs["single_writer"]
    return finish("audit", args, {
        "append_events_per_s": one["events_per_s"],
        "retries_per_event": one["retries_per_event"],
        "append_p95_ms": one["latency_p95_ms"],
        "append_events_per_s_many_chains": many["events_per_s"],
        "append_events_per_s_single_writer": solo["events_per_s"],
        "lost_events_one_chain": one["lost_events"],
        "broken_chains_one_chain": one["broken_chains"],
        "checkpoint_s": log["checkpoint"]["total_s"],
        "verify_s": log["verify"]["total_s"],
        "verify_s_per_100k_events": round(log["verify"]["total_s"] * 1e5 / log["events_found"],
                                          2),
        "verify_projected_s_for_10m": log["verify"]["projected_s_for_10m"],
        "checkpoint_projected_s_for_10m": log["checkpoint"]["projected_s_for_10m"],
        "appends": runs, "log": log,
    }, started)


if __name__ == "__main__":
    sys.exit(main())
