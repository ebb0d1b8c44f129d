"""The rollout dashboard's figures (rollout.md, "The rollout dashboard").

Metric figures read the rollups (messaging/rollout/rollups.py: counts, distinct veterans as
bitmaps, latency as DDSketch bins) plus the raw events of the hours not rolled up, so the
page costs the same number of queries, and about the same time, with ten thousand events
or ten million, and every figure equals the one computed from the raw events. Message and
CSAT figures read their own tables. Test veterans' traffic is left out unless
`include_test`. Every function takes keyword-only arguments; `since` is the start of the
chosen time window (an aware datetime, on a whole hour).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from messaging.common.choices import Platform
from messaging.models import MessageState, VeteranProfile
from messaging.rollout import daily, rollups, telemetry
from messaging.rollout import stages as rollout
from messaging.rollout.flags import ALL_FLAGS
from messaging.rollout.reports import stage_reports
from messaging.rollout.traffic import messages

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
    by = ("name", "flow", "renewal", "status_code")
    rows = rollups.counts(
        since=since,
        where=Q(name__in=telemetry.WRITE_EVENTS),
        by=by,
        include_test=include_test,
    )
    return [
        {**dict(zip(by, key, strict=True)), "count": n}
        for key, n in sorted(rows.items(), key=_nulls_first)
    ]


def _nulls_first(item) -> tuple:
    return tuple((value is not None, value) for value in item[0])


# 3. Latency ----------------------------------------------------------------------------


def latency_percentiles(*, since: datetime, include_test: bool = False) -> list[dict]:
    """p50, p95 and p99 (nearest rank) of latency events per flow and measured event, from
    the DDSketch of the window (the merged hourly sketches and the raw values of the hours
    not rolled up): each within 1 % of the exact nearest-rank value."""
    groups = []
    sets = rollups.sets(series=rollups.LATENCY_SERIES, since=since, include_test=include_test)
    for key, agg in sorted(sets.items()):
        flow, _, event = key.partition("|")
        sketch = agg.sketch()
        group = {"flow": flow, "event": event, "count": agg.count}
        for p in PERCENTILES:
            group[f"p{p}"] = agg.percentile(p, sketch)
        groups.append(group)
    return groups


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
    per_flow: dict[str, dict] = {}
    for (flow, status), n in rollups.counts(
        since=since,
        where=Q(name=telemetry.MESSAGE_SENT),
        by=("flow", "status_code"),
        include_test=include_test,
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


def conversion_by_flow(*, since: datetime, include_test: bool = False) -> list[dict]:
    """Per flow: distinct veterans with a successful web message_sent event (status below
    400) over distinct veterans with a page view of the interstitial (the start of
    /new-message/). Web only: API clients never see the interstitial."""
    window = {"since": since, "include_test": include_test}
    reached = rollups.sets(series="reached", **window)
    sent = rollups.sets(series="sent", **window)
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


def recent_path(*, since: datetime, include_test: bool = False) -> dict:
    """Path analysis of "recent": veterans who viewed it in the window, and the page views
    (and veterans) of start message and of select care team reached straight from it (the
    figure the /recent path chart draws per day: `daily.recent_path`)."""
    path = daily.recent_path(since=since, include_test=include_test)
    return {
        "veterans": path["veterans"],
        "start_message": path["start-message"],
        "select_care_team": path["select-care-team"],
    }


def interaction_counts(*, since: datetime, include_test: bool = False) -> list[dict]:
    totals = rollups.counts(
        since=since, where=Q(name=telemetry.INTERACTION), by=("page",), include_test=include_test
    )
    veterans = rollups.sets(series="interaction", since=since, include_test=include_test)
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
    include_test: bool = False


def device_breakdown(*, since: datetime, include_test: bool = False) -> list[dict]:
    """Successful sends and distinct senders by device class (from the user agent)."""
    where = Q(name=telemetry.MESSAGE_SENT, status_code__lt=400) & ~Q(device="")
    sends = rollups.counts(since=since, where=where, by=("device",), include_test=include_test)
    senders = rollups.sets(series="sender_device", since=since, include_test=include_test)
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


def build(
    *, window: str | None, now: datetime | None = None, include_test: bool = False
) -> Dashboard:
    """Everything the page shows, for the chosen window (a constant number of queries);
    test veterans' traffic only with `include_test`."""
    window = window_choice(value=window)
    since = window_start(window=window, now=now)
    with rollups.snapshot():  # every figure reads the rollups as of one moment
        return _dashboard(window, since, include_test)


def _dashboard(window: str, since: datetime, include_test: bool) -> Dashboard:
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
