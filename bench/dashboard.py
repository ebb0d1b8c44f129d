"""Benchmark the rollout dashboard on PostgreSQL at 10,000, 1,000,000 and 10,000,000 metric
events: the page's time and queries (default window) with the rollups, and the same
figures computed from the raw events for comparison.

    .venv/bin/python bench/dashboard.py [--events 10000,1000000,10000000] [--window 7d]

Uses its own PostgreSQL database (`sm_bench`, created here and dropped at the end; never
the suite's or the app's). For each size: empty the metric tables, generate the events in
bulk inside PostgreSQL (one INSERT ... SELECT FROM generate_series: a realistic mix of
names, flows, platforms, statuses, pages, devices and 50,000 veterans over the last 90
days, ending at the latest hh:35 so that 35 minutes of it are not rolled up yet, the steady-state average; the table's secondary indexes dropped before and built after), ANALYZE, roll them up as the periodic job does (`rollup_job.roll_up()`), then render
/ops/rollout/ as a staff user with the test client (warm-up, then the median of --reps).
Prints one line per size and the ratios against the smallest size. Numbers from one run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench" / "load"))

VETERANS = 50_000
DAYS = 90
# (name, page) and how often, as in simulated traffic: writes, latency, page views, clicks.
MIX = (
    [("draft_created", "")] * 12
    + [("draft_updated", "")] * 10
    + [("draft_deleted", "")] * 2
    + [("message_sent", "")] * 8
    + [("latency", "draft_created"), ("latency", "draft_updated"), ("latency", "message_sent")] * 4
    + [("page_view", p) for p in ("interstitial", "recent", "start-message", "select-care-team")]
    * 6
    + [("interaction", "care-system-changed"), ("interaction", "select-different-care-team")] * 2
)


def generate_sql(table: str) -> str:
    names = ", ".join(f"'{n}'" for n, _ in MIX)
    pages = ", ".join(f"'{p}'" for _, p in MIX)
    return f"""
        INSERT INTO {table} (name, flow, platform, status_code, value, page, veteran_id, device,
                             at, renewal, phase, station, test)
        SELECT name,
               CASE WHEN name = 'latency' OR r_flow < 0.6 THEN 'curated' ELSE 'legacy' END,
               (ARRAY['web', 'web', 'web', 'mobile', 'my_va_health'])[1 + floor(r_platform * 5)::int],
               CASE WHEN name = 'latency' THEN 201
                    WHEN name IN ('draft_created', 'draft_updated', 'draft_deleted', 'message_sent')
                    THEN CASE WHEN r_status < 0.02 THEN 502
                              WHEN name = 'draft_deleted' THEN 204 ELSE 201 END
               END,
               CASE WHEN name = 'latency'
                    THEN exp(5 + 0.6 * sqrt(-2 * ln(1 - r_v1)) * cos(2 * pi() * r_v2)) END,
               page,
               CASE WHEN name <> 'latency' THEN 1 + floor(r_vet * {VETERANS})::bigint END,
               (ARRAY['desktop', 'desktop', 'mobile', ''])[1 + floor(r_device * 4)::int],
               %s::timestamptz - r_at * interval '{DAYS} days',
               -- 5 per cent medication renewals among writes; 1 in 100 veterans a test veteran.
               name IN ('draft_created', 'draft_updated', 'message_sent') AND r_v2 < 0.05,
               '', '',
               name <> 'latency' AND mod(floor(r_vet * {VETERANS})::bigint, 100) = 0
        FROM (
            SELECT (ARRAY[{names}])[i] AS name, (ARRAY[{pages}])[i] AS page,
                   random() AS r_flow, random() AS r_platform, random() AS r_status,
                   random() AS r_v1, random() AS r_v2, random() AS r_vet,
                   random() AS r_device, random() AS r_at
            FROM (SELECT 1 + floor(random() * {len(MIX)})::int AS i
                  FROM generate_series(1, %s)) picks
        ) drawn
    """


def setup(db_url: str) -> None:
    os.environ["DATABASE_URL"] = db_url
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sm_portal.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.ALLOWED_HOSTS = ["*"]
    settings.DEBUG = False
    call_command("migrate", verbosity=0, interactive=False)


def tail_anchor() -> datetime:
    """When the generated traffic ends: the latest hh:35 so far. Rolled up as the job would
    be then, 35 minutes of it are not rolled up yet (the job rolls an hour 5 minutes after
    it closes: 5 to 65 minutes, 35 on average), whatever minute the bench runs at, so every
    size is measured with the same share of raw events."""
    now = datetime.now(UTC)
    anchor = now.replace(minute=35, second=0, microsecond=0)
    return anchor if anchor <= now else anchor - timedelta(hours=1)


def fill(n: int, anchor: datetime) -> tuple[float, float]:
    """Empty the metric tables, generate n events, ANALYZE. Returns (seconds, rows/s)."""
    from django.db import connection

    from messaging.models import MetricEvent, MetricHourly, MetricHourlySet, MetricRollupState

    tables = [
        m._meta.db_table for m in (MetricEvent, MetricHourly, MetricHourlySet, MetricRollupState)
    ]
    indexes = MetricEvent._meta.indexes
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY")
    # As a bulk load does: the secondary indexes are built once after the rows, not
    # maintained row by row (the same indexes, by the model's own definitions).
    with connection.schema_editor() as editor:
        for index in indexes:
            editor.remove_index(MetricEvent, index)
    with connection.cursor() as cursor:
        cursor.execute(generate_sql(MetricEvent._meta.db_table), [anchor, n])
    with connection.schema_editor() as editor:
        for index in indexes:
            editor.add_index(MetricEvent, index)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {MetricEvent._meta.db_table}")
    elapsed = time.perf_counter() - started
    return elapsed, n / elapsed


def analyze_rollups() -> None:
    """Planner statistics for the rollup tables: in steady state the job adds an hour a
    minute and autovacuum keeps them current; here a whole run was rolled up at once."""
    from django.db import connection

    from messaging.rollout.models import MetricHourly, MetricHourlySet

    with connection.cursor() as cursor:
        for model in (MetricHourly, MetricHourlySet):
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def render(client, window: str, reps: int) -> tuple[float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get("/ops/rollout/", {"window": window})  # warm-up
    times = []
    for _ in range(reps):
        started = time.perf_counter()
        response = client.get("/ops/rollout/", {"window": window})
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    with CaptureQueriesContext(connection) as ctx:
        client.get("/ops/rollout/", {"window": window})
    return statistics.median(times), len(ctx.captured_queries)


def from_raw_events(window: str) -> float:
    """The same metric figures computed straight from the raw events (what the page did
    before the rollups), in ms: tests/rollout_reference.py."""
    from messaging.rollout.dashboard import window_start
    from tests.rollout_reference import raw_figures

    since = window_start(window=window)
    started = time.perf_counter()
    raw_figures(since=since)
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", default="10000,1000000,10000000")
    parser.add_argument("--window", default="7d", help="24h, 7d (default), 30d or 90d")
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--database", default="sm_bench")
    parser.add_argument("--no-raw", action="store_true", help="skip the from-raw comparison")
    parser.add_argument("--profile", action="store_true", help="profile one page at the end")
    parser.add_argument("--keep", action="store_true", help="keep the database (debugging)")
    args = parser.parse_args()
    sizes = sorted({int(x.replace("_", "")) for x in args.events.split(",")})

    from common import drop_database, recreate_database

    db_url = recreate_database(args.database)
    try:
        setup(db_url)
        from django.contrib.auth import get_user_model
        from django.test import Client

        from messaging.rollout import rollup_job

        staff = get_user_model().objects.create_user("bench.staff", is_staff=True)
        client = Client()
        client.force_login(staff)
        results = {}
        print(
            f"== rollout dashboard, PostgreSQL database {args.database}, window {args.window} ==",
            flush=True,
        )
        for n in sizes:
            anchor = tail_anchor()
            fill_s, rate = fill(n, anchor)
            started = time.perf_counter()
            hours = rollup_job.roll_up(now=anchor)
            rollup_s = time.perf_counter() - started
            analyze_rollups()  # as autovacuum keeps them in steady state
            page_ms, queries = render(client, args.window, args.reps)
            raw_ms = None if args.no_raw else from_raw_events(args.window)
            results[n] = (page_ms, queries)
            print(
                f"{n:>11,} events: generated in {fill_s:6.1f} s ({rate:,.0f}/s), rolled up "
                f"({hours} hours) in {rollup_s:6.1f} s; page {page_ms:7.1f} ms, {queries} "
                "queries"
                + (f"; the metric figures from raw events {raw_ms:8.1f} ms" if raw_ms else ""),
                flush=True,
            )
        if args.profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            profiler.enable()
            client.get("/ops/rollout/", {"window": args.window})
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(35)
            pstats.Stats(profiler).sort_stats("tottime").print_stats(20)
        base = results[sizes[0]]
        for n in sizes[1:]:
            page_ms, queries = results[n]
            print(
                f"ratio {n:,} / {sizes[0]:,} events: page time x{page_ms / base[0]:.2f} "
                f"(bar: <= 2), queries {queries} vs {base[1]}"
            )
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            drop_database(args.database)


if __name__ == "__main__":
    main()
