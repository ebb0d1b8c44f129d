"""The rollout figures that the success criteria and the dashboard's charts share.

Each function is the one definition of a figure (which rows count, what fails): the stage
criteria call it for a whole stage and sum nothing themselves, the charts call it with
`by_day=True` for the same figure per local calendar day. One source of truth: a chart
cannot show other numbers than the guard that refuses or allows the next stage. Metric
figures read the rollups (`rollout/rollups.py`: the cost depends on days and series, not
events), messages and survey answers their own tables (one aggregate query each).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db.models import Avg, Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from messaging.models import FlagChange, MessageState
from messaging.rollout import rollups, telemetry
from messaging.rollout.traffic import answers, messages

LATENCY_PERCENTILES = (50, 95)
PATH_PAGES = rollups.PATH_TO


def days_between(*, since: datetime, until: datetime | None = None) -> list[date]:
    """Every local calendar day from the one holding `since` to the one holding `until`
    (now when None): the x axis of a daily chart, days without data included."""
    first = timezone.localtime(since).date()
    last = timezone.localtime(until or timezone.now()).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _window(queryset: QuerySet, field: str, since: datetime, until: datetime | None) -> QuerySet:
    queryset = queryset.filter(**{f"{field}__gte": since})
    return queryset.filter(**{f"{field}__lt": until}) if until else queryset


def _grouped(queryset: QuerySet, field: str, keys: list[str], by_day: bool) -> QuerySet:
    if by_day:
        queryset = queryset.annotate(day=TruncDate(field))
        keys = ["day", *keys]
    return queryset.values(*keys).order_by(*keys)


def write_requests(
    *,
    since: datetime,
    until: datetime | None = None,
    by_day: bool = False,
    include_test: bool = False,
) -> list[dict]:
    """Draft and send requests (created, updated, deleted, sent) and how many failed (status
    400 or more), per flow: the error-rate criterion's figures."""
    rows = rollups.counts(
        since=since,
        until=until,
        where=Q(name__in=telemetry.WRITE_EVENTS),
        by=("flow", "status_code"),
        include_test=include_test,
        by_day=by_day,
    )
    keys = ["day", "flow"] if by_day else ["flow"]
    groups: dict[tuple, dict] = {}
    for (*group, status), n in rows.items():
        row = groups.setdefault(
            tuple(group), {**dict(zip(keys, group, strict=True)), "requests": 0, "failed": 0}
        )
        row["requests"] += n
        row["failed"] += n if status is not None and status >= 400 else 0
    return [groups[key] for key in sorted(groups)]


def sent_messages(
    *,
    since: datetime,
    until: datetime | None = None,
    by_day: bool = False,
    include_test: bool = False,
) -> list[dict]:
    """Messages stored as sent, per flow and platform: the platforms criterion's figures
    and the collection criterion's denominator."""
    sent = _window(
        messages(include_test=include_test).filter(state=MessageState.SENT), "sent_at", since, until
    )
    return list(
        _grouped(sent, "sent_at", ["flow", "platform"], by_day).annotate(messages=Count("id"))
    )


def csat_responses(
    *,
    since: datetime,
    until: datetime | None = None,
    by_day: bool = False,
    include_test: bool = False,
) -> list[dict]:
    """Survey responses and their average score, per flow: the CSAT criterion's figures."""
    rows = _window(answers(include_test=include_test), "at", since, until)
    return list(
        _grouped(rows, "at", ["flow"], by_day).annotate(responses=Count("id"), average=Avg("score"))
    )


def latency(
    *,
    since: datetime,
    until: datetime | None = None,
    by_day: bool = False,
    include_test: bool = False,
) -> list[dict]:
    """p50 and p95 (nearest rank: the ceil(p * n)-th smallest value, from the DDSketch of
    the window: within 1 %) of the latency of draft and send requests, per flow (and day)."""
    merged: dict[tuple, rollups.SetAgg] = {}
    for key, agg in rollups.sets(
        series=rollups.LATENCY_SERIES,
        since=since,
        until=until,
        include_test=include_test,
        by_day=by_day,
    ).items():
        day, series_key = key if by_day else (None, key)
        flow = series_key.partition("|")[0]
        merged.setdefault((flow, day) if by_day else (flow,), rollups.SetAgg()).add(agg)
    keys = ["flow", "day"] if by_day else ["flow"]
    groups = []
    for group_key in sorted(merged):
        agg = merged[group_key]
        sketch = agg.sketch()
        group = {**dict(zip(keys, group_key, strict=True)), "requests": agg.count}
        for p in LATENCY_PERCENTILES:
            group[f"p{p}"] = agg.percentile(p, sketch)
        groups.append(group)
    return groups


def recent_path(
    *,
    since: datetime,
    until: datetime | None = None,
    by_day: bool = False,
    include_test: bool = False,
) -> dict:
    """Path analysis of "recent": the veterans who viewed it in the window, and the page
    views (and veterans) of "start-message" and of "select-care-team" reached straight
    from it (the veteran's previous page view, at most two hours before, was "recent");
    with `by_day`, also those page views per local day of the view ("days")."""
    window = {"since": since, "until": until, "include_test": include_test}
    viewers = rollups.sets(series="recent", **window)
    path = rollups.sets(series=rollups.PATH, by_day=by_day, **window)
    result: dict = {"veterans": len(viewers[""].veterans) if "" in viewers else 0, "days": []}
    totals = {page: rollups.SetAgg() for page in PATH_PAGES}
    for key, agg in path.items():
        day, page = key if by_day else (None, key)
        if page in totals:
            totals[page].add(agg)
            if by_day:
                result["days"].append({"day": day, "page": page, "views": agg.count})
    for page, agg in totals.items():
        result[page] = {"views": agg.count, "veterans": len(agg.veterans)}
    result["days"].sort(key=lambda row: (row["day"], row["page"]))
    return result


def stage_changes(*, since: datetime, until: datetime | None = None) -> list[dict]:
    """Every change of a flag's stage in the window (whitelist edits within a stage aside),
    oldest first: when, which flag, from and to which stage, at what percentage."""
    changes = _window(FlagChange.objects.order_by("at", "pk"), "at", since, until)
    rows = []
    for change in changes:
        before, after = change.from_state.get("stage"), change.to_state.get("stage")
        if before != after:
            percent = change.to_state.get("percent") or 0
            rows.append(
                {
                    "at": change.at,
                    "flag": change.flag,
                    "from": before,
                    "to": after,
                    "percent": percent,
                }
            )
    return rows
