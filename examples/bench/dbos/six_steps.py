#!/usr/bin/env python3
"""The benchmark's six-step case on DBOS Transact, driven open-loop as `examples/bench.rs
--rate` drives qyzmet: the peer in the same harness.

The case, as `examples/bench/workflows/bench-six-steps-live`:

1. acceptance: the workflow waits for the clerk's message (`DBOS.recv_async("accept")`);
2. two data requests, as two steps started together and awaited with `asyncio.gather`
   (in parallel, as qyzmet's fork; DBOS numbers the steps in the order they start);
3. the timer: a durable sleep (`DBOS.sleep_async`) of `--wait` seconds;
4. the decision: the workflow tells it waits (`DBOS.set_event_async("stage", "decide")`)
   and waits for the clerk's message (`DBOS.recv_async("decide")`);
5. the notification, a step.

The driver makes arrivals at a fixed rate whatever the completions (open loop): each
arrival starts a workflow (the citizen's submission) and sends the acceptance at once (the
front-office clerk); a clerk waits for the case to ask for its decision
(`DBOS.get_event_async`) and sends it. One Python process, one event loop, the library's
defaults; the system database is an SQLite file (WAL, `synchronous` FULL, as qyzmet's) or a
PostgreSQL database (the server's `synchronous_commit`).

It prints a human summary on stderr and one JSON line on stdout; `examples/bench/run` reads
the JSON.

    python six_steps.py --database sqlite:///tmp/x.sqlite --rate 100 --seconds 20
    python six_steps.py --database postgresql://postgres@127.0.0.1/dbos_bench --rate 100
"""

import argparse
import asyncio
import json
import math
import os
import resource
import sqlite3
import sys
import time

BUCKET = 0.1  # seconds: arrivals and completions are counted per bucket


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--database", required=True, help="sqlite:///path or postgresql://…")
    p.add_argument("--rate", type=float, required=True, help="arrivals per second")
    p.add_argument("--seconds", type=float, default=20.0, help="how long arrivals come")
    p.add_argument("--wait", type=float, default=3.0, help="the timer, in seconds")
    p.add_argument(
        "--tail", type=float, default=None, help="seconds after the last arrival (default: wait + 5)"
    )
    return p.parse_args()


ARGS = parse_args()

if ARGS.database.startswith("sqlite"):
    # The same journal as qyzmet's SQLite: WAL, and each commit synced (Python's sqlite3
    # connections keep SQLite's default `synchronous` FULL; DBOS sets neither).
    path = ARGS.database.split("sqlite:///", 1)[1]
    with sqlite3.connect(path) as c:
        c.execute("pragma journal_mode=wal")

from dbos import DBOS, DBOSConfig  # noqa: E402  (after the journal is set)

DBOS(
    config=DBOSConfig(
        name="qyzmet-bench",
        system_database_url=ARGS.database,
        log_level="WARNING",
    )
)

COMPLETED: list[float] = []  # when each notification was performed (monotonic)
ARRIVED: list[float] = []  # when each case was submitted
ERRORS: dict[str, int] = {}
LAT: dict[str, list[float]] = {"submit": [], "complete: acceptance": [], "complete: decision": []}


@DBOS.step()
async def fetch_person(iin: str) -> dict:
    return {"last_name": "Seitova", "first_name": "Aigerim", "birth_date": "1985-03-15"}


@DBOS.step()
async def fetch_account(iin: str, account: str) -> dict:
    return {"open": True}


@DBOS.step()
async def notify(case: int, last_name: str) -> dict:
    COMPLETED.append(time.monotonic())
    return {"counted": True}


@DBOS.workflow()
async def six_steps(case: int) -> str:
    await DBOS.recv_async("accept", timeout_seconds=3600)
    person, account = await asyncio.gather(
        fetch_person("850315300128"), fetch_account("850315300128", f"KZ{case:04}")
    )
    await DBOS.sleep_async(ARGS.wait)
    await DBOS.set_event_async("stage", "decide")
    await DBOS.recv_async("decide", timeout_seconds=3600)
    await notify(case, person["last_name"])
    return "issued"


async def timed(what: str, call):
    start = time.perf_counter()
    out = await call
    LAT[what].append(time.perf_counter() - start)
    return out


async def arrival(case: int) -> None:
    try:
        ARRIVED.append(time.monotonic())
        handle = await timed("submit", DBOS.start_workflow_async(six_steps, case))
        wid = handle.get_workflow_id()
        await timed("complete: acceptance", DBOS.send_async(wid, "complete", topic="accept"))
        stage = await DBOS.get_event_async(wid, "stage", timeout_seconds=3600)
        if stage != "decide":
            raise RuntimeError(f"case {case}: no decision asked")
        await timed("complete: decision", DBOS.send_async(wid, "approve", topic="decide"))
    except Exception as e:  # counted, not fatal: the run goes on
        name = type(e).__name__
        ERRORS[name] = ERRORS.get(name, 0) + 1


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def quantile(xs: list[float], q: float) -> float:
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * q))]


def cumulative_at(series: list[int], t: float) -> int:
    return sum(series[: int(round(t / BUCKET))])


def judge(rate: float, seconds: float, arrivals: list[int], completions: list[int]) -> dict:
    """The same verdict as `examples/bench/open_loop.rs`: complete cases at >= 95% of the
    arrival rate in the steady window (the second half of the arrivals), and a backlog
    that grew, from the middle of the arrivals to their end, by at most 5% of the arrivals
    plus 0.3 s of them."""
    start = seconds / 2.0
    per_s = (cumulative_at(completions, seconds) - cumulative_at(completions, start)) / (seconds - start)

    def backlog(t: float) -> int:
        return cumulative_at(arrivals, t) - cumulative_at(completions, t)

    mid, end = backlog(seconds / 2.0), backlog(seconds)
    allowed = 0.05 * rate * seconds / 2.0 + 0.3 * rate
    return {
        "completed_per_s": round(per_s, 3),
        "backlog_mid": mid,
        "backlog_end": end,
        "bounded": per_s >= 0.95 * rate and (end - mid) <= allowed,
    }


def database_size() -> int:
    """The system database's size: the SQLite file and its log, or pg_database_size."""
    if ARGS.database.startswith("sqlite"):
        path = ARGS.database.split("sqlite:///", 1)[1]
        return sum(os.path.getsize(p) for p in (path, path + "-wal") if os.path.exists(p))
    import psycopg

    with psycopg.connect(ARGS.database) as c:
        return c.execute("select pg_database_size(current_database())").fetchone()[0]


def buckets(times: list[float], t0: float, n: int) -> list[int]:
    out = [0] * n
    for t in times:
        i = int((t - t0) / BUCKET)
        if 0 <= i < n:
            out[i] += 1
    return out


async def main() -> None:
    DBOS.launch()
    size_before = database_size()
    rate, seconds = ARGS.rate, ARGS.seconds
    tail = ARGS.tail if ARGS.tail is not None else ARGS.wait + 5.0
    total = int(rate * seconds)
    tasks = set()
    t0 = time.monotonic()
    lag_max = 0.0
    for k in range(total):
        due = t0 + k / rate
        now = time.monotonic()
        if due > now:
            await asyncio.sleep(due - now)
        lag_max = max(lag_max, time.monotonic() - due)
        t = asyncio.create_task(arrival(k))
        tasks.add(t)
        t.add_done_callback(tasks.discard)
    end = t0 + seconds + tail
    while time.monotonic() < end:
        await asyncio.sleep(0.1)
        if len(COMPLETED) >= total:
            break
    elapsed = time.monotonic() - t0
    n = int(math.ceil(max(elapsed, seconds + tail) / BUCKET)) + 1
    arrivals, completions = buckets(ARRIVED, t0, n), buckets(COMPLETED, t0, n)
    verdict = judge(rate, seconds, arrivals, completions)
    verdict["bounded"] = verdict["bounded"] and lag_max < 1.0
    grown = database_size() - size_before
    result = {
        "engine": "dbos",
        "dbos_version": dbos_version(),
        "database": "sqlite" if ARGS.database.startswith("sqlite") else "postgres",
        "rate": rate,
        "seconds": seconds,
        "wait_seconds": ARGS.wait,
        "bucket_seconds": BUCKET,
        **verdict,
        "arrivals": arrivals,
        "completions": completions,
        "bytes_per_case": round(grown / max(1, len(ARRIVED)), 3),
        "arrival_lag_max_ms": lag_max * 1e3,
        "latency_ms": {
            what: {
                "count": len(xs),
                "p50": quantile(xs, 0.5) * 1e3,
                "p99": quantile(xs, 0.99) * 1e3,
            }
            for what, xs in LAT.items()
        },
        "transition_ms": {
            "p50": quantile(sum(LAT.values(), []), 0.5) * 1e3,
            "p99": quantile(sum(LAT.values(), []), 0.99) * 1e3,
        },
        "peak_rss_mb": peak_rss_mb(),
        "errors": ERRORS,
        "submitted": len(ARRIVED),
        "completed": len(COMPLETED),
    }
    print(json.dumps(result), flush=True)
    print(
        f"dbos {result['database']}: rate {rate}/s for {seconds}s, {len(ARRIVED)} submitted, "
        f"{len(COMPLETED)} completed, {verdict['completed_per_s']:.0f} complete/s in the steady window, "
        f"backlog {verdict['backlog_mid']} at mid-run, {verdict['backlog_end']} at the end: "
        f"{'bounded' if verdict['bounded'] else 'GROWING'}, arrival lag max {lag_max * 1e3:.0f} ms, "
        f"peak RSS {result['peak_rss_mb']:.0f} MB, errors {ERRORS}",
        file=sys.stderr,
    )
    # Whatever still runs is abandoned with the process: its state is in the database.
    os._exit(0)


def dbos_version() -> str:
    try:
        from importlib.metadata import version

        return version("dbos")
    except Exception:
        return "?"


if __name__ == "__main__":
    asyncio.run(main())
