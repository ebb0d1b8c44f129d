"""The rollout dashboard's figures (rollout.md, "The rollout dashboard").

Every figure is aggregated in the database (GROUP BY, COUNT, AVG, window functions), never
by loading events one by one, so the number of queries does not grow with the events (ten
or a million); it grows only with the stages a flag has been through (a few per stage
report). Every function takes keyword-only arguments; `since` is the
start of the chosen time window (an aware datetime).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import Count, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from messaging.common.choices import Platform
from messaging.models import (
    MessageState,
    MetricEvent,
    VeteranProfile,
)
from messaging.rollout import daily, telemetry
from messaging.rollout import stages as rollout
from messaging.rollout.flags import ALL_FLAGS
from messaging.rollout.reports import stage_reports
from messaging.rollout.traffic import events, messages, test_sql

# The time window picker: value -> (label, length).
WINDOWS = {
    "24h": ("Last 24 hours", timedelta(hours=24)),
    "7d": ("Last 7 days", timedelta(days=7)),
    "30d": ("Last 30 days", timedelta(days=30)),
    "90d": ("Last 90 days", timedelta(days=90)),
}
DEFAULT_WINDOW = "7d"
HISTORY_ROWS = 10
PERCENTILES = (50, 95, 99)
STATISTICAL_TEST = "one-sided two-proportion z-test"
# USWDS palette tokens (all at least 3:1 against white, as WCAG 1.4.11 asks of graphics);
# the pie (rollout/charts.py) also names each slice beside it, so colour is never alone.
PIE_COLOURS = {
    Platform.WEB: "#005ea2",  # blue-60v (primary)
    Platform.MOBILE: "#d54309",  # orange-warm-50v (secondary)
    Platform.MY_VA_HEALTH: "#008817",  # green-cool-50v (success-dark)
}
OTHER_COLOUR = "#565c65"  # gray-cool-60


def window_choice(*, value: str | None) -> str:
    return value if value in WINDOWS else DEFAULT_WINDOW


def window_start(*, window: str, now: datetime | None = None) -> datetime:
    return (now or timezone.now()) - WINDOWS[window_choice(value=window)][1]


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _pct(part: int, whole: int) -> float | None:
    """A share as a percentage (None when there is nothing to divide by)."""
    return 100 * part / whole if whole else None


# 1. Flags ------------------------------------------------------------------------------


def flag_panels(*, include_test: bool = False) -> list[dict]:
    """Each flag's state, its last history rows and the current stage's criteria. A fixed
    number of queries per flag, and the flags are a fixed list."""
    panels = []
    for name in ALL_FLAGS:
        panels.append(
            {
                "name": name,
                "state": rollout.flag_state(name),
                "history": rollout.history(name, limit=HISTORY_ROWS),
                "criteria": rollout.criteria(name, include_test=include_test),
            }
        )
    return panels


# 2. Drafts and messages ----------------------------------------------------------------


def write_counts(*, since: datetime, include_test: bool = False) -> list[dict]:
    """Drafts created/updated/deleted and messages sent, by event, flow, whether it was a
    medication renewal request, and status code."""
    return list(
        events(include_test=include_test)
        .filter(name__in=telemetry.WRITE_EVENTS, at__gte=since)
        .values("name", "flow", "renewal", "status_code")
        .annotate(count=Count("id"))
        .order_by("name", "flow", "renewal", "status_code")
    )


# 3. Latency ----------------------------------------------------------------------------


def latency_percentiles(*, since: datetime, include_test: bool = False) -> list[dict]:
    """p50, p95 and p99 (nearest rank: the ceil(p * n)-th smallest value) of latency events
    per flow and measured event, in one query: ROW_NUMBER and COUNT window functions in the
    database, only the ranked rows come back (at most 3 per group)."""
    table = connection.ops.quote_name(MetricEvent._meta.db_table)
    test_where, test_params = test_sql(include_test)
    ranks = ", ".join(f"(n * {p} + 99) / 100" for p in PERCENTILES)  # integer ceil(p% * n)
    # bandit B608 accepted: the names are the models' own tables (_meta); every value is a %s parameter.
    sql = f"""
        SELECT flow, page, n, rn, value FROM (
            SELECT flow, page, value,
                   ROW_NUMBER() OVER (PARTITION BY flow, page ORDER BY value, id) AS rn,
                   COUNT(*) OVER (PARTITION BY flow, page) AS n
            FROM {table}
            WHERE name = %s AND at >= %s AND value IS NOT NULL{test_where}
        ) ranked
        WHERE rn IN ({ranks})
        ORDER BY flow, page, rn
    """  # nosec B608
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [telemetry.LATENCY, connection.ops.adapt_datetimefield_value(since), *test_params],
        )
        rows = cursor.fetchall()
    groups: dict[tuple[str, str], dict] = {}
    for flow, page, n, rn, value in rows:
        group = groups.setdefault((flow, page), {"flow": flow, "event": page, "count": n})
        for p in PERCENTILES:
            if rn == math.ceil(n * p / 100):
                group[f"p{p}"] = value
    return list(groups.values())


# 4. CSAT -------------------------------------------------------------------------------


def csat_by_flow(*, since: datetime, include_test: bool = False) -> list[dict]:
    """Responses and average score per flow (the CSAT criterion's figure)."""
    return daily.csat_responses(since=since, include_test=include_test)


# 5. Messages per platform --------------------------------------------------------------


def messages_per_platform(*, since: datetime, include_test: bool = False) -> dict:
    """Sent messages and distinct senders per platform, with each platform's share."""
    sent = messages(include_test=include_test).filter(state=MessageState.SENT, sent_at__gte=since)
    all_senders = sent.aggregate(n=Count("veteran", distinct=True))["n"]
    rows = list(
        sent.values("platform")
        .annotate(messages=Count("id"), senders=Count("veteran", distinct=True))
        .order_by("-messages", "platform")
    )
    total = sum(r["messages"] for r in rows)
    labels = dict(Platform.choices)
    for row in rows:
        row["label"] = labels.get(row["platform"], row["platform"] or "Unknown")
        row["pct"] = _pct(row["messages"], total)
        row["senders_pct"] = _pct(row["senders"], all_senders)
        row["colour"] = PIE_COLOURS.get(row["platform"], OTHER_COLOUR)
    return {
        "rows": rows,
        "total": total,
        "senders": all_senders,
    }


# 6. Post-launch questions --------------------------------------------------------------


def senders_per_month(*, since: datetime, include_test: bool = False) -> dict:
    """Share of veterans (with a profile) who sent a message, and messages per sender, per
    calendar month (local time) of the window, and for the whole window."""
    profiles = VeteranProfile.objects.all()
    if not include_test:
        profiles = profiles.filter(user__test_veteran__isnull=True)
    veterans = profiles.count()
    sent = messages(include_test=include_test).filter(state=MessageState.SENT, sent_at__gte=since)
    months = list(
        sent.annotate(month=TruncMonth("sent_at"))
        .values("month")
        .annotate(messages=Count("id"), senders=Count("veteran", distinct=True))
        .order_by("month")
    )
    for row in months:
        row["pct"] = _pct(row["senders"], veterans)
        row["per_sender"] = _ratio(row["messages"], row["senders"])
    overall = sent.aggregate(messages=Count("id"), senders=Count("veteran", distinct=True))
    overall["pct"] = _pct(overall["senders"], veterans)
    overall["per_sender"] = _ratio(overall["messages"], overall["senders"])
    return {"veterans": veterans, "months": months, "overall": overall}


def failed_sends(*, since: datetime, include_test: bool = False) -> dict:
    """message_sent events with a status of 400 or more, of all message_sent events."""
    rows = list(
        events(include_test=include_test)
        .filter(name=telemetry.MESSAGE_SENT, at__gte=since)
        .values("flow")
        .annotate(total=Count("id"), failed=Count("id", filter=Q(status_code__gte=400)))
        .order_by("flow")
    )
    for row in rows:
        row["pct"] = _pct(row["failed"], row["total"])
    total = sum(r["total"] for r in rows)
    failed = sum(r["failed"] for r in rows)
    return {"rows": rows, "total": total, "failed": failed, "pct": _pct(failed, total)}


def conversion_by_flow(*, since: datetime, include_test: bool = False) -> list[dict]:
    """Per flow: distinct veterans with a successful web message_sent event (status below
    400) over distinct veterans with a page view of the interstitial (the start of
    /new-message/). Web only: API clients never see the interstitial."""
    rows = list(
        events(include_test=include_test)
        .filter(
            Q(name=telemetry.PAGE_VIEW, page="interstitial")
            | Q(name=telemetry.MESSAGE_SENT, status_code__lt=400),
            at__gte=since,
            veteran_id__isnull=False,
        )
        .exclude(platform__in=[Platform.MOBILE, Platform.MY_VA_HEALTH])
        .values("flow")
        .annotate(
            reached=Count("veteran_id", distinct=True, filter=Q(name=telemetry.PAGE_VIEW)),
            sent=Count("veteran_id", distinct=True, filter=Q(name=telemetry.MESSAGE_SENT)),
        )
        .order_by("flow")
    )
    for row in rows:
        row["pct"] = _pct(row["sent"], row["reached"])
    return rows


def recent_path(*, since: datetime, include_test: bool = False) -> dict:
    """Among veterans with a page view of "recent" in the window: the page views (and
    veterans) of start message and of select care team after their first "recent" view
    (the figure the /recent path chart draws per day: `daily.recent_path`)."""
    path = daily.recent_path(since=since, include_test=include_test)
    return {
        "veterans": path["veterans"],
        "start_message": path["start-message"],
        "select_care_team": path["select-care-team"],
    }


def interaction_counts(*, since: datetime, include_test: bool = False) -> list[dict]:
    return list(
        events(include_test=include_test)
        .filter(name=telemetry.INTERACTION, at__gte=since)
        .values("page")
        .annotate(count=Count("id"), veterans=Count("veteran_id", distinct=True))
        .order_by("-count", "page")
    )


@dataclass(frozen=True)
class Dashboard:
    window: str
    since: datetime
    flags: list
    writes: list
    latency: list
    csat: list
    platforms: dict
    senders: dict
    failed: dict
    conversion: list
    path: dict
    interactions: list
    devices: list
    stage_reports: list
    include_test: bool = False


def device_breakdown(*, since: datetime, include_test: bool = False) -> list[dict]:
    """Successful sends and distinct senders by device class (from the user agent)."""
    rows = list(
        events(include_test=include_test)
        .filter(name=telemetry.MESSAGE_SENT, status_code__lt=400, at__gte=since)
        .exclude(device="")
        .values("device")
        .annotate(sends=Count("id"), senders=Count("veteran_id", distinct=True))
        .order_by("device")
    )
    total = sum(r["sends"] for r in rows)
    for row in rows:
        row["pct"] = _pct(row["sends"], total)
    return rows


def build(
    *, window: str | None, now: datetime | None = None, include_test: bool = False
) -> Dashboard:
    """Everything the page shows, for the chosen window (a constant number of queries);
    test veterans' traffic only with `include_test`."""
    window = window_choice(value=window)
    since = window_start(window=window, now=now)
    return Dashboard(
        window=window,
        since=since,
        flags=flag_panels(include_test=include_test),
        writes=write_counts(since=since, include_test=include_test),
        latency=latency_percentiles(since=since, include_test=include_test),
        csat=csat_by_flow(since=since, include_test=include_test),
        platforms=messages_per_platform(since=since, include_test=include_test),
        senders=senders_per_month(since=since, include_test=include_test),
        failed=failed_sends(since=since, include_test=include_test),
        conversion=conversion_by_flow(since=since, include_test=include_test),
        path=recent_path(since=since, include_test=include_test),
        interactions=interaction_counts(since=since, include_test=include_test),
        devices=device_breakdown(since=since, include_test=include_test),
        stage_reports=stage_reports(include_test=include_test),
        include_test=include_test,
    )
