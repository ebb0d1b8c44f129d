"""Benchmark the rollout dashboard: render time and query count with N metric events.

    DJANGO_SETTINGS_MODULE=sm_portal.settings .venv/bin/python bench/dashboard.py --events 1000000

Uses a throwaway SQLite file in /tmp (never the project's database), migrates it, inserts
the events in batches of 10,000 (a realistic mix of names, flows, statuses and pages over
the last 90 days), renders /ops/rollout/ once as a staff user with the test client, and does
the same with 10,000 events for comparison.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

BATCH = 10_000
BASELINE = 10_000


def setup(db_path: str) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ["DATABASE_URL"] = f"sqlite:///{db_path}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sm_portal.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.ALLOWED_HOSTS = ["*"]
    settings.DEBUG = False
    call_command("migrate", verbosity=0, interactive=False)


def insert_events(target: int, rng: random.Random) -> None:
    """Top the table up to `target` events (bulk_create, 10,000 a batch, one transaction each)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from messaging.models import MetricEvent

    now = timezone.now()
    mix = (
        [("draft_created", "")] * 12
        + [("draft_updated", "")] * 10
        + [("draft_deleted", "")] * 2
        + [("message_sent", "")] * 8
        + [("latency", "draft_created"), ("latency", "draft_updated"), ("latency", "message_sent")]
        * 4
        + [
            ("page_view", p)
            for p in ("interstitial", "recent", "start-message", "select-care-team")
        ]
        * 6
        + [("interaction", "care-system-changed"), ("interaction", "select-different-care-team")]
        * 2
    )
    have = MetricEvent.objects.count()
    table = MetricEvent._meta.db_table
    while have < target:
        n = min(BATCH, target - have)
        rows = []
        for _ in range(n):
            name, page = rng.choice(mix)
            flow = "curated" if rng.random() < 0.6 else "legacy"
            status = None
            value = None
            if name in ("draft_created", "draft_updated", "draft_deleted", "message_sent"):
                status = 502 if rng.random() < 0.02 else (201 if name != "draft_deleted" else 204)
            elif name == "latency":
                flow, status, value = "curated", 201, rng.lognormvariate(5, 0.6)
            rows.append(
                MetricEvent(
                    name=name,
                    flow=flow,
                    platform=rng.choice(("web", "web", "web", "mobile", "my_va_health")),
                    status_code=status,
                    value=value,
                    page=page,
                    veteran_id=rng.randrange(1, 50_000) if name != "latency" else None,
                )
            )
        with transaction.atomic():
            created = MetricEvent.objects.bulk_create(rows, batch_size=BATCH)
            first, last = created[0].pk, created[-1].pk
            # `at` is auto_now_add: spread the batch over the last 90 days in one UPDATE.
            span = 90 * 24 * 3600
            with connection.cursor() as cursor:
                start = connection.ops.adapt_datetimefield_value(now - timedelta(days=90))
                cursor.execute(
                    f"UPDATE {table} SET at = datetime(%s, '+' || ((id * 7919) %% {span}) || ' seconds') "
                    f"WHERE id BETWEEN %s AND %s",
                    [start, first, last],
                )
        have += n


def render(client, window: str = "7d") -> tuple[float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        started = time.perf_counter()
        response = client.get("/ops/rollout/", {"window": window})
        elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.status_code
    return elapsed, len(ctx.captured_queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--window", default="90d", help="24h, 7d, 30d or 90d (default: 90d, all)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    db_path = tempfile.mktemp(prefix="sm-dashboard-bench-", suffix=".sqlite3", dir="/tmp")
    try:
        setup(db_path)
        from django.contrib.auth import get_user_model
        from django.test import Client

        staff = get_user_model().objects.create_user("bench.staff", is_staff=True)
        client = Client()
        client.force_login(staff)
        rng = random.Random(args.seed)
        results = {}
        for n in sorted({min(BASELINE, args.events), args.events}):
            started = time.perf_counter()
            insert_events(n, rng)
            inserted = time.perf_counter() - started
            render(client, args.window)  # warm up (templates, waffle cache, session)
            elapsed, queries = render(client, args.window)
            results[n] = (elapsed, queries)
            print(
                f"{n:>9,} events: render {elapsed * 1000:8.1f} ms, {queries} queries "
                f"(insert took {inserted:.1f} s), window {args.window}",
                flush=True,
            )
        small, large = results[min(results)], results[max(results)]
        print(
            f"ratio {max(results):,} / {min(results):,} events: render time x{large[0] / small[0]:.1f}, "
            f"queries {large[1]} vs {small[1]} ({'constant' if large[1] == small[1] else 'NOT constant'})"
        )
    finally:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(db_path + suffix).unlink(missing_ok=True)


if __name__ == "__main__":
    main()
