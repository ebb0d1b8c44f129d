"""`make load`: 50 simulated veterans walk the new-message flow for 60 s against gunicorn
in the production profile (PostgreSQL, Redis), then the report:

- per page: requests, errors, p50/p95/p99 (ms, measured by the client, redirects counted
  as their own requests);
- errors: any answer but 2xx/3xx, any exception, and any walk that met a page it did not
  expect (those are counted too: in a healthy run there are none);
- exactly once: every send the veterans saw "Message sent" for is stored once as a sent
  message, nothing else was stored, no saved draft was lost (criterion: common.exactly_once).

Exit 1 when there is any error or the exactly-once check fails.

Options: --users N --seconds S --workers W --database NAME --redis-db N --keep (keep the
database and the run folder). The database is created here and dropped at the end; the
Redis db (default 5) is flushed before and after. Never the suite's `test` database or
Redis db 0/1.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from common import (
    LocustRun,
    Server,
    drop_database,
    error_breakdown,
    exactly_once,
    exit_with,
    free_port,
    install_signal_exits,
    is_error,
    page_table,
    recreate_database,
    redis_flushdb,
    say,
    server_log_summary,
    set_up_site,
    site_env,
)


def max_per_minute(times: list[float]) -> int:
    times = sorted(times)
    best, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= 60:
            start += 1
        best = max(best, end - start + 1)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=None, help="default: gunicorn.conf.py")
    parser.add_argument("--database", default="sm_load")
    parser.add_argument("--redis-db", type=int, default=5)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    install_signal_exits()

    workdir = Path(tempfile.mkdtemp(prefix="sm-load-"))
    say(
        f"== make load: {args.users} veterans, {args.seconds} s, gunicorn (production profile) "
        f"+ PostgreSQL database {args.database} + Redis db {args.redis_db} =="
    )
    rates = {k: os.environ.get(k) for k in ("SM_SEND_RATE", "SM_DRAFT_RATE")}
    say(
        "rate limits: "
        + ", ".join(f"{k}={v or 'unset (server default)'}" for k, v in rates.items())
        + "; the walk's think time (>= 8 s a walk) keeps a veteran at <= 7.5 sends/min"
    )
    db_url = recreate_database(args.database)
    redis_flushdb(args.redis_db)
    env = site_env(db_url, args.redis_db)
    server = locust = None
    ok = False
    try:
        set_up_site(env, workdir, args.users)
        server = Server(env, free_port(), workdir / "gunicorn.log", workers=args.workers)
        server.start()
        workers = server.worker_pids()
        say(
            f"gunicorn: {server.url} (send X-Forwarded-Proto: https), {len(workers)} workers x "
            f"{os.environ.get('GUNICORN_THREADS', '2')} threads (gthread), gunicorn.conf.py"
        )
        locust = LocustRun(
            workdir=workdir,
            host=server.url,
            users=args.users,
            spawn_rate=10,
            seconds=args.seconds,
            classes=["WebVeteran"],
        )
        started = time.time()
        locust.start()
        say(
            f"locust: {args.users} veterans sign in (spawn 10/s), then all walk for "
            f"{args.seconds} s; each finishes the walk it is in"
        )
        code = locust.wait(timeout=args.seconds + 600)
        say(f"locust exited {code} after {time.time() - started:.0f} s")

        events = locust.events()
        records = locust.records()
        phase = locust.walk_phase()
        walk_start = phase["start"] if phase else 0.0
        warmup = [e for e in events if e["t"] < walk_start]
        walking = [e for e in events if e["t"] >= walk_start]
        say("")
        say(f"sign-in phase ({len(warmup)} requests; PBKDF2 on 2 CPUs, not the flow):")
        for line in page_table(warmup):
            say(line)
        say("")
        span = (max(e["t"] for e in walking) - walk_start) if walking else 0
        say(
            f"walking phase: {args.users} veterans for {args.seconds} s "
            f"(+ finishing their last walk: {span:.0f} s in all), per page:"
        )
        for line in page_table(walking):
            say(line)
        http_errors = sum(1 for e in events if is_error(e) and e["status"])
        exceptions = sum(1 for e in events if e["status"] == 0)
        aborts = [r for r in records if r["kind"] in ("abort", "sign_in_failed")]
        say("")
        say(
            f"errors: {http_errors} HTTP (non-2xx/3xx), {exceptions} exceptions, "
            f"{len(aborts)} walks that met an unexpected page"
        )
        for line in error_breakdown(events):
            say(line)
        say(
            f"requests sent again on a new connection, as browsers do, after the server closed "
            f"an idle kept-alive connection as they went out: {locust.keepalive_resends()}"
        )
        reasons: dict[str, int] = defaultdict(int)
        for r in aborts:
            reasons[r.get("reason") or r["kind"]] += 1
        for reason, n in sorted(reasons.items(), key=lambda kv: -kv[1])[:8]:
            say(f"  {n:>5} x walk stopped: {reason}")
        signed_in = {r["user"] for r in records if r["kind"] == "signed_in"}
        sent = [r for r in records if r["kind"] == "sent"]
        per_user: dict[str, list[float]] = defaultdict(list)
        for r in sent:
            per_user[r["user"]].append(r["t"])
        busiest = max((max_per_minute(v) for v in per_user.values()), default=0)
        duration = span
        say(
            f"veterans signed in: {len(signed_in)}; walks completed: "
            f"{sum(1 for r in records if r['kind'] == 'walk_done')}; messages sent: {len(sent)} "
            f"({len(sent) / max(duration, 1) * 60:.0f}/min); drafts saved first: "
            f"{sum(1 for r in records if r['kind'] == 'draft_saved')}; most sends by one veteran "
            f"in any 60 s: {busiest}; requests/s while walking: {len(walking) / max(duration, 1):.1f}"
        )
        say(f"server log: {server_log_summary(server.log_text())}")
        cpu = [li for li in locust.log_text().splitlines() if "CPU usage" in li]
        if cpu:
            say(f"locust warned about its own CPU use {len(cpu)} times (2-CPU machine)")

        say("")
        say("exactly once:")
        once_ok, lines = exactly_once(args.database, records, locust.run_token)
        for line in lines:
            say(f"  {line}")
        say(f"  {'PASS' if once_ok else 'FAIL'}")
        errors = http_errors + exceptions + len(aborts)
        ok = errors == 0 and once_ok and bool(sent)
        if not sent:
            say("no message was sent at all")
        if not ok:
            say(f"run folder kept for inspection: {workdir}")
    finally:
        if locust is not None:
            locust.kill()
        if server is not None:
            server.stop()
        if not args.keep:
            drop_database(args.database)
            redis_flushdb(args.redis_db)
            if ok:
                shutil.rmtree(workdir, ignore_errors=True)
    exit_with(ok)


if __name__ == "__main__":
    main()
