"""The rollout figures that the success criteria and the dashboard's charts share.

Each function is the one definition of a figure (which rows count, what fails): the stage
criteria call it for a whole stage and sum nothing themselves, the charts call it with
`by_day=True` for the same figure per local calendar day. One source of truth: a chart
cannot show other numbers than the guard that refuses or allows the next stage. Each is
one aggregate query (GROUP BY flow, and the day when asked).
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta

from django.db import connection
from django.db.models import Avg, Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from messaging.models import FlagChange, MessageState
from messaging.rollout import telemetry
from messaging.rollout.traffic import answers, events, messages

LATENCY_PERCENTILES = (50, 95)
PATH_PAGES = ("start-message", "select-care-team")


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
    writes = _window(
        events(include_test=include_test).filter(name__in=telemetry.WRITE_EVENTS),
        "at",
        since,
        until,
    )
    return list(
        _grouped(writes, "at", ["flow"], by_day).annotate(
            requests=Count("id"), failed=Count("id", filter=Q(status_code__gte=400))
        )
    )


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
    """p50 and p95 (nearest rank: the ceil(p * n)-th smallest value) of the latency of draft
    and send requests, per flow (and day), in one query: the ranks are found by window
    functions in the database and only the ranked rows come back."""
    timed = _window(
        events(include_test=include_test).filter(name=telemetry.LATENCY, value__isnull=False),
        "at",
        since,
        until,
    )
    keys = ["flow", "day"] if by_day else ["flow"]
    if by_day:
        timed = timed.annotate(day=TruncDate("at"))
    inner, params = timed.values(*keys, "value", "id").query.sql_with_params()
    part = ", ".join(connection.ops.quote_name(k) for k in keys)
    ranks = ", ".join(f"(n * {p} + 99) / 100" for p in LATENCY_PERCENTILES)  # ceil(p% * n)
    # bandit B608 accepted: column names come from fixed keys; every value is a %s parameter.
    sql = f"""
        SELECT {part}, n, rn, value FROM (
            SELECT {part}, value,
                   ROW_NUMBER() OVER (PARTITION BY {part} ORDER BY value, id) AS rn,
                   COUNT(*) OVER (PARTITION BY {part}) AS n
            FROM ({inner}) events
        ) ranked
        WHERE rn IN ({ranks})
        ORDER BY {part}, rn
    """  # nosec B608
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    groups: dict[tuple, dict] = {}
    for *group_key, n, rn, value in rows:
        group = groups.setdefault(
            tuple(group_key), {**dict(zip(keys, group_key, strict=False)), "requests": n}
        )
        for p in LATENCY_PERCENTILES:
            if rn == math.ceil(n * p / 100):
                group[f"p{p}"] = value
    if by_day:
        for group in groups.values():  # SQLite hands back the day as text
            if isinstance(group["day"], str):
                group["day"] = date.fromisoformat(group["day"])
    return list(groups.values())


def recent_path(
    *,
    since: datetime,
    until: datetime | None = None,
    by_day: bool = False,
    include_test: bool = False,
) -> dict:
    """Among veterans with a page view of "recent" in the window: the page views (and
    veterans) of "start-message" and of "select-care-team" after their first "recent"
    view, and (by_day) the page views per day of the view. One query: a window function
    finds each veteran's first "recent" view."""
    views = _window(
        events(include_test=include_test).filter(
            name=telemetry.PAGE_VIEW, page__in=("recent", *PATH_PAGES), veteran_id__isnull=False
        ),
        "at",
        since,
        until,
    ).annotate(day=TruncDate("at"))
    inner, params = views.values("page", "veteran_id", "at", "day").query.sql_with_params()
    day_key = ", day" if by_day else ""
    # bandit B608 accepted: column names come from fixed keys; every value is a %s parameter.
    sql = f"""
        SELECT page{day_key}, COUNT(*), COUNT(DISTINCT veteran_id) FROM (
            SELECT page, veteran_id, at, day,
                   MIN(CASE WHEN page = %s THEN at END)
                       OVER (PARTITION BY veteran_id) AS first_recent
            FROM ({inner}) views
        ) ranked
        WHERE first_recent IS NOT NULL AND (page = %s OR at > first_recent)
        GROUP BY page{day_key}
    """  # nosec B608
    with connection.cursor() as cursor:
        cursor.execute(sql, ["recent", *params, "recent"])
        rows = cursor.fetchall()
    result: dict = {"veterans": 0, "days": []}
    for page in PATH_PAGES:
        result[page] = {"views": 0, "veterans": 0}
    for page, *rest in rows:
        if by_day:
            day, views_n, veterans = rest
            day = date.fromisoformat(day) if isinstance(day, str) else day
            if page != "recent":
                result["days"].append({"day": day, "page": page, "views": views_n})
            continue
        views_n, veterans = rest
        if page == "recent":
            result["veterans"] = veterans
        else:
            result[page] = {"views": views_n, "veterans": veterans}
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
