"""The rollout dashboard's figures (rollout.md, "The rollout dashboard").

Every figure is aggregated in the database (GROUP BY, COUNT, AVG, window functions), never
by loading events one by one, so the page costs the same number of queries, and stays fast,
with ten events or a million. Every function takes keyword-only arguments; `since` is the
start of the chosen time window (an aware datetime).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import Avg, Count, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from messaging.common.choices import Platform
from messaging.models import (
    CsatResponse,
    Message,
    MessageState,
    MetricEvent,
    StageReport,
    VeteranProfile,
)
from messaging.rollout import stages as rollout
from messaging.rollout import telemetry
from messaging.rollout.flags import ALL_FLAGS

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
# USWDS palette tokens (all at least 3:1 against white, as WCAG 1.4.11 asks of graphics).
PIE_COLOURS = {
    Platform.WEB: "#005ea2",  # blue-60v (primary)
    Platform.MOBILE: "#d54309",  # orange-warm-50v (secondary)
    Platform.MY_VA_HEALTH: "#008817",  # green-cool-50v (success-dark)
}
OTHER_COLOUR = "#565c65"  # gray-cool-60
PATH_PAGES = ("start-message", "select-care-team")


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


def flag_panels() -> list[dict]:
    """Each flag's state, its last history rows and the current stage's criteria. A fixed
    number of queries per flag, and the flags are a fixed list."""
    panels = []
    for name in ALL_FLAGS:
        flag = rollout._flag(name)
        panels.append(
            {
                "name": name,
                "state": rollout.state_of(flag),
                "history": rollout.history(name, limit=HISTORY_ROWS),
                "criteria": rollout.criteria(name),
            }
        )
    return panels


# 2. Drafts and messages ----------------------------------------------------------------


def write_counts(*, since: datetime) -> list[dict]:
    """Drafts created/updated/deleted and messages sent, by event, flow and status code."""
    return list(
        MetricEvent.objects.filter(name__in=telemetry.WRITE_EVENTS, at__gte=since)
        .values("name", "flow", "status_code")
        .annotate(count=Count("id"))
        .order_by("name", "flow", "status_code")
    )


# 3. Latency ----------------------------------------------------------------------------


def latency_percentiles(*, since: datetime) -> list[dict]:
    """p50, p95 and p99 (nearest rank: the ceil(p * n)-th smallest value) of latency events
    per flow and measured event, in one query: ROW_NUMBER and COUNT window functions in the
    database, only the ranked rows come back (at most 3 per group)."""
    table = connection.ops.quote_name(MetricEvent._meta.db_table)
    ranks = ", ".join(f"(n * {p} + 99) / 100" for p in PERCENTILES)  # integer ceil(p% * n)
    sql = f"""
        SELECT flow, page, n, rn, value FROM (
            SELECT flow, page, value,
                   ROW_NUMBER() OVER (PARTITION BY flow, page ORDER BY value, id) AS rn,
                   COUNT(*) OVER (PARTITION BY flow, page) AS n
            FROM {table}
            WHERE name = %s AND at >= %s AND value IS NOT NULL
        ) ranked
        WHERE rn IN ({ranks})
        ORDER BY flow, page, rn
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [telemetry.LATENCY, connection.ops.adapt_datetimefield_value(since)])
        rows = cursor.fetchall()
    groups: dict[tuple[str, str], dict] = {}
    for flow, page, n, rn, value in rows:
        group = groups.setdefault((flow, page), {"flow": flow, "event": page, "count": n})
        for p in PERCENTILES:
            if rn == math.ceil(n * p / 100):
                group[f"p{p}"] = value
    return list(groups.values())


# 4. CSAT -------------------------------------------------------------------------------


def csat_by_flow(*, since: datetime) -> list[dict]:
    return list(
        CsatResponse.objects.filter(at__gte=since)
        .values("flow")
        .annotate(responses=Count("id"), average=Avg("score"))
        .order_by("flow")
    )


# 5. Messages per platform --------------------------------------------------------------


def messages_per_platform(*, since: datetime) -> dict:
    """Sent messages and distinct senders per platform, with each platform's share."""
    sent = Message.objects.filter(state=MessageState.SENT, sent_at__gte=since)
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
        "pie": pie_slices(rows=rows),
    }


def pie_slices(*, rows: list[dict], radius: float = 90, centre: float = 100) -> list[dict]:
    """SVG geometry for a pie chart: a path (or a full circle) per row with messages."""
    total = sum(r["messages"] for r in rows)
    slices, angle = [], -math.pi / 2  # start at 12 o'clock
    for row in rows:
        if not row["messages"]:
            continue
        fraction = row["messages"] / total
        if fraction >= 1:
            slices.append({"circle": True, "colour": row["colour"], "label": row["label"]})
            continue
        end = angle + fraction * 2 * math.pi
        x1, y1 = centre + radius * math.cos(angle), centre + radius * math.sin(angle)
        x2, y2 = centre + radius * math.cos(end), centre + radius * math.sin(end)
        large = 1 if fraction > 0.5 else 0
        path = (
            f"M {centre:.2f} {centre:.2f} L {x1:.2f} {y1:.2f} "
            f"A {radius:.2f} {radius:.2f} 0 {large} 1 {x2:.2f} {y2:.2f} Z"
        )
        slices.append(
            {"circle": False, "path": path, "colour": row["colour"], "label": row["label"]}
        )
        angle = end
    return slices


# 6. Post-launch questions --------------------------------------------------------------


def senders_per_month(*, since: datetime) -> dict:
    """Share of veterans (with a profile) who sent a message, and messages per sender, per
    calendar month (local time) of the window, and for the whole window."""
    veterans = VeteranProfile.objects.count()
    sent = Message.objects.filter(state=MessageState.SENT, sent_at__gte=since)
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


def failed_sends(*, since: datetime) -> dict:
    """message_sent events with a status of 400 or more, of all message_sent events."""
    rows = list(
        MetricEvent.objects.filter(name=telemetry.MESSAGE_SENT, at__gte=since)
        .values("flow")
        .annotate(total=Count("id"), failed=Count("id", filter=Q(status_code__gte=400)))
        .order_by("flow")
    )
    for row in rows:
        row["pct"] = _pct(row["failed"], row["total"])
    total = sum(r["total"] for r in rows)
    failed = sum(r["failed"] for r in rows)
    return {"rows": rows, "total": total, "failed": failed, "pct": _pct(failed, total)}


def conversion_by_flow(*, since: datetime) -> list[dict]:
    """Per flow: distinct veterans with a successful web message_sent event (status below
    400) over distinct veterans with a page view of the interstitial (the start of
    /new-message/). Web only: API clients never see the interstitial."""
    rows = list(
        MetricEvent.objects.filter(
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


def recent_path(*, since: datetime) -> dict:
    """Among veterans with a page view of "recent" in the window: how many page views (and
    veterans) of "start-message" and of "select-care-team" came after their first "recent"
    view. One query: a window function finds each veteran's first "recent" view (a sort by
    veteran, no self-join)."""
    table = connection.ops.quote_name(MetricEvent._meta.db_table)
    since_db = connection.ops.adapt_datetimefield_value(since)
    sql = f"""
        SELECT page, COUNT(*), COUNT(DISTINCT veteran_id) FROM (
            SELECT page, veteran_id, at,
                   MIN(CASE WHEN page = %s THEN at END)
                       OVER (PARTITION BY veteran_id) AS first_recent
            FROM {table}
            WHERE name = %s AND page IN (%s, %s, %s) AND at >= %s AND veteran_id IS NOT NULL
        ) views
        WHERE first_recent IS NOT NULL AND (page = %s OR at > first_recent)
        GROUP BY page
    """
    params = ["recent", telemetry.PAGE_VIEW, "recent", *PATH_PAGES, since_db, "recent"]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    result = {"veterans": 0, **{page: {"views": 0, "veterans": 0} for page in PATH_PAGES}}
    for page, views, veterans in rows:
        if page == "recent":
            result["veterans"] = veterans
        else:
            result[page] = {"views": views, "veterans": veterans}
    result["start_message"] = result.pop("start-message")
    result["select_care_team"] = result.pop("select-care-team")
    return result


def interaction_counts(*, since: datetime) -> list[dict]:
    return list(
        MetricEvent.objects.filter(name=telemetry.INTERACTION, at__gte=since)
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


def device_breakdown(*, since: datetime) -> list[dict]:
    """Successful sends and distinct senders by device class (from the user agent)."""
    rows = list(
        MetricEvent.objects.filter(name=telemetry.MESSAGE_SENT, status_code__lt=400, at__gte=since)
        .exclude(device="")
        .values("device")
        .annotate(sends=Count("id"), senders=Count("veteran_id", distinct=True))
        .order_by("device")
    )
    total = sum(r["sends"] for r in rows)
    for row in rows:
        row["pct"] = _pct(row["sends"], total)
    return rows


def stage_reports() -> list[dict]:
    """Per flag, a report per stage it has been in (newest first): the measured part (dates,
    percentage, unique veterans on the new flow, criteria figures, errors by status code)
    and what staff wrote. A few queries per stage: stages are few, events are many."""
    written = {(r.flag, r.stage): r for r in StageReport.objects.all()}
    flags = []
    for name in ALL_FLAGS:
        reports = []
        for period in reversed(rollout.stage_periods(name)):
            if period["stage"] == "off":
                continue
            start, end = period["start"], period["end"]
            events = MetricEvent.objects.filter(at__gte=start)
            if end:
                events = events.filter(at__lt=end)
            reports.append(
                {
                    **period,
                    "veterans": events.filter(flow="curated")
                    .exclude(veteran_id=None)
                    .values("veteran_id")
                    .distinct()
                    .count(),
                    "criteria": rollout.stage_criteria(since=start, until=end),
                    "errors": list(
                        events.filter(name__in=telemetry.WRITE_EVENTS, status_code__gte=400)
                        .values("status_code")
                        .annotate(n=Count("id"))
                        .order_by("status_code")
                    ),
                    "written": written.get((name, period["stage"])),
                }
            )
        flags.append({"flag": name, "reports": reports})
    return flags


def build(*, window: str | None, now: datetime | None = None) -> Dashboard:
    """Everything the page shows, for the chosen window (a constant number of queries)."""
    window = window_choice(value=window)
    since = window_start(window=window, now=now)
    return Dashboard(
        window=window,
        since=since,
        flags=flag_panels(),
        writes=write_counts(since=since),
        latency=latency_percentiles(since=since),
        csat=csat_by_flow(since=since),
        platforms=messages_per_platform(since=since),
        senders=senders_per_month(since=since),
        failed=failed_sends(since=since),
        conversion=conversion_by_flow(since=since),
        path=recent_path(since=since),
        interactions=interaction_counts(since=since),
        devices=device_breakdown(since=since),
        stage_reports=stage_reports(),
    )
