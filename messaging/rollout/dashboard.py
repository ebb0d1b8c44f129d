"""The rollout dashboard's figures (rollout.md, "The rollout dashboard").

Metric figures read the hourly rollups (messaging/rollout/rollups.py: counts, distinct veterans as
bitmaps, latency as DDSketch bins) plus the raw events of the hours not rolled up, so the
page costs the same number of queries, and about the same time, with ten thousand events
or ten million, and every figure equals the one computed from the raw events. Message and
CSAT figures read their own tables. Every function takes keyword-only arguments; `since` is
the start of the chosen time window (an aware datetime).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Avg, Count, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from messaging.common.choices import Platform
from messaging.models import (
    CsatResponse,
    Message,
    MessageState,
    StageReport,
    VeteranProfile,
)
from messaging.rollout import rollups, telemetry
from messaging.rollout import stages as rollout
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
    """The start of the hour `window` ago: windows start on a whole hour, so that they read
    whole-hour (and whole-day) rollups and no partial hour of raw events at their start."""
    start = (now or timezone.now()) - WINDOWS[window_choice(value=window)][1]
    return start.replace(minute=0, second=0, microsecond=0)


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
    rows = rollups.counts(
        since=since, where=Q(name__in=telemetry.WRITE_EVENTS), by=("name", "flow", "status_code")
    )
    return [
        {"name": name, "flow": flow, "status_code": status, "count": n}
        for (name, flow, status), n in sorted(rows.items(), key=_nulls_first)
    ]


def _nulls_first(item) -> tuple:
    return tuple((value is not None, value) for value in item[0])


# 3. Latency ----------------------------------------------------------------------------


def latency_percentiles(*, since: datetime) -> list[dict]:
    """p50, p95 and p99 (nearest rank) of latency events per flow and measured event, from
    the DDSketch of the window (the merged hourly sketches and the raw values of the hours
    not rolled up): each within 1 % of the exact nearest-rank value."""
    groups = []
    for key, agg in sorted(rollups.sets(series=rollups.LATENCY_SERIES, since=since).items()):
        flow, _, event = key.partition("|")
        sketch = agg.sketch()
        n = agg.count
        group = {"flow": flow, "event": event, "count": n}
        for p in PERCENTILES:
            # Nearest rank: the ceil(p% * n)-th smallest value (0-based rank r). DDSketch
            # reads rank q * (n - 1); half a rank more lands on value r, never r - 1.
            r = (n * p + 99) // 100 - 1
            group[f"p{p}"] = sketch.get_quantile_value(
                min(1.0, (r + 0.5) / (n - 1)) if n > 1 else 0
            )
        groups.append(group)
    return groups


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
    per_flow: dict[str, dict] = {}
    by = ("flow", "status_code")
    for (flow, status), n in rollups.counts(
        since=since, where=Q(name=telemetry.MESSAGE_SENT), by=by
    ).items():
        row = per_flow.setdefault(flow, {"flow": flow, "total": 0, "failed": 0})
        row["total"] += n
        row["failed"] += n if status is not None and status >= 400 else 0
    rows = [per_flow[flow] for flow in sorted(per_flow)]
    for row in rows:
        row["pct"] = _pct(row["failed"], row["total"])
    total = sum(r["total"] for r in rows)
    failed = sum(r["failed"] for r in rows)
    return {"rows": rows, "total": total, "failed": failed, "pct": _pct(failed, total)}


def conversion_by_flow(*, since: datetime) -> list[dict]:
    """Per flow: distinct veterans with a successful web message_sent event (status below
    400) over distinct veterans with a page view of the interstitial (the start of
    /new-message/). Web only: API clients never see the interstitial."""
    reached = rollups.sets(series="reached", since=since)
    sent = rollups.sets(series="sent", since=since)
    rows = []
    for flow in sorted(reached.keys() | sent.keys()):
        row = {
            "flow": flow,
            "reached": len(reached[flow].veterans) if flow in reached else 0,
            "sent": len(sent[flow].veterans) if flow in sent else 0,
        }
        row["pct"] = _pct(row["sent"], row["reached"])
        rows.append(row)
    return rows


def recent_path(*, since: datetime) -> dict:
    """Path analysis of "recent": veterans who viewed it in the window, and the page views
    (and veterans) of "start-message" and of "select-care-team" reached straight from it
    (the veteran's previous page view, at most two hours before, was "recent")."""
    viewers = rollups.sets(series="recent", since=since)
    path = rollups.sets(series=rollups.PATH, since=since)
    result: dict = {
        "veterans": len(viewers[""].veterans) if "" in viewers else 0,
    }
    for page, name in zip(PATH_PAGES, ("start_message", "select_care_team"), strict=True):
        agg = path.get(page)
        result[name] = {
            "views": agg.count if agg else 0,
            "veterans": len(agg.veterans) if agg else 0,
        }
    return result


def interaction_counts(*, since: datetime) -> list[dict]:
    totals = rollups.counts(since=since, where=Q(name=telemetry.INTERACTION), by=("page",))
    veterans = rollups.sets(series="interaction", since=since)
    rows = [
        {
            "page": page,
            "count": n,
            "veterans": len(veterans[page].veterans) if page in veterans else 0,
        }
        for (page,), n in totals.items()
    ]
    return sorted(rows, key=lambda r: (-r["count"], r["page"]))


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
    where = Q(name=telemetry.MESSAGE_SENT, status_code__lt=400) & ~Q(device="")
    sends = rollups.counts(since=since, where=where, by=("device",))
    senders = rollups.sets(series="sender_device", since=since)
    rows = [
        {
            "device": device,
            "sends": n,
            "senders": len(senders[device].veterans) if device in senders else 0,
        }
        for (device,), n in sorted(sends.items())
    ]
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
            curated = rollups.sets(series="curated", since=start, until=end)
            errors = rollups.counts(
                since=start,
                until=end,
                where=Q(name__in=telemetry.WRITE_EVENTS, status_code__gte=400),
                by=("status_code",),
            )
            reports.append(
                {
                    **period,
                    "veterans": len(curated[""].veterans) if "" in curated else 0,
                    "criteria": rollout.stage_criteria(since=start, until=end),
                    "errors": [
                        {"status_code": status, "n": n} for (status,), n in sorted(errors.items())
                    ],
                    "written": written.get((name, period["stage"])),
                }
            )
        flags.append({"flag": name, "reports": reports})
    return flags


def build(*, window: str | None, now: datetime | None = None) -> Dashboard:
    """Everything the page shows, for the chosen window (a constant number of queries)."""
    window = window_choice(value=window)
    since = window_start(window=window, now=now)
    with rollups.snapshot():  # every figure reads the rollups as of one moment
        return _dashboard(window, since)


def _dashboard(window: str, since: datetime) -> Dashboard:
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
