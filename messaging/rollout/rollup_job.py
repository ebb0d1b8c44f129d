"""The rollup job (the `rollup_metrics` command): every closed hour's metric events into the
rollups that the figures read (`rollout/rollups.py`), each hour once; reopening days that
received back-dated events; pruning raw events and rollups past their retention."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.db.models import Count, Sum
from django.db.models.functions import TruncHour
from django.utils import timezone

from messaging.models import MetricEvent, MetricHourly, MetricHourlySet, MetricRollupState
from messaging.rollout.hours import HOUR, floor_day, floor_hour, next_day, previous_day
from messaging.rollout.rollups import (
    ALL_SETS,
    COUNT_DIMS,
    GRACE,
    LATENCY_SERIES,
    SetAgg,
    merge_row,
    raw_set,
    rolled_until,
)


def _events(start: datetime, end: datetime):
    return MetricEvent.objects.filter(at__gte=start, at__lt=end)


def _set_row(*, hour, hours: int, series: str, key: str, test: bool, agg: SetAgg):
    latency = series == LATENCY_SERIES
    return MetricHourlySet(
        hour=hour,
        hours=hours,
        series=series,
        key=key,
        test=test,
        count=agg.count,
        veterans=None if latency else agg.veterans.serialize(),
        sketch=dict(agg.bins) if latency else None,
    )


def _roll_range(start: datetime, end: datetime) -> None:
    """Hour rows for every hour of [start, end) (whole hours): one query per kind of rollup
    for the whole range, bucketed by hour (TruncHour in the database, or in Python)."""
    counts = (
        _events(start, end)
        .annotate(h=TruncHour("at", tzinfo=UTC))
        .values_list("h", *COUNT_DIMS)
        .annotate(n=Count("id"))
        .order_by()
    )
    MetricHourly.objects.bulk_create(
        [
            MetricHourly(
                hour=row[0], **dict(zip(COUNT_DIMS, row[1:-1], strict=True)), count=row[-1]
            )
            for row in counts
        ],
        batch_size=2000,
    )
    rows = []
    for series in ALL_SETS:
        for (hour, test, key), agg in raw_set(series, start, end, group="hour").items():
            rows.append(_set_row(hour=hour, hours=1, series=series, key=key, test=test, agg=agg))
    MetricHourlySet.objects.bulk_create(rows, batch_size=2000)


def _roll_day(day: datetime) -> None:
    """A local day whose hours are all rolled up: its hourly rows merged into day rows
    (marked hours=24, whatever a daylight-saving change makes of the day), so that long
    windows and per-day figures read a row per day and series rather than 24."""
    end = next_day(day)
    hourly = MetricHourly.objects.filter(hours=1, hour__gte=day, hour__lt=end)
    MetricHourly.objects.bulk_create(
        [
            MetricHourly(
                hour=day, hours=24, **dict(zip(COUNT_DIMS, row[:-1], strict=True)), count=row[-1]
            )
            for row in hourly.values_list(*COUNT_DIMS).annotate(n=Sum("count")).order_by()
        ],
        batch_size=1000,
    )
    merged: dict[tuple[str, str, bool], SetAgg] = {}
    rows = MetricHourlySet.objects.filter(hours=1, hour__gte=day, hour__lt=end)
    for series, key, test, n, veterans, bins in rows.values_list(
        "series", "key", "test", "count", "veterans", "sketch"
    ):
        merge_row(merged.setdefault((series, key, test), SetAgg()), n, veterans, bins)
    MetricHourlySet.objects.bulk_create(
        [
            _set_row(hour=day, hours=24, series=series, key=key, test=test, agg=agg)
            for (series, key, test), agg in merged.items()
        ],
        batch_size=1000,
    )


def _advance(state: MetricRollupState, until: datetime) -> None:
    """Move the state to `until`, rolling up every local day that became complete."""
    before = state.rolled_until
    if before is not None:
        midnight = next_day(before)  # the first midnight after `before`
        while midnight <= until:
            _roll_day(previous_day(midnight))
            midnight = next_day(midnight)
    state.rolled_until = until
    state.save(update_fields=["rolled_until"])


def roll_up(*, now: datetime | None = None) -> int:
    """Roll up every closed hour not rolled up yet, a local day (at most) per transaction, the
    state row locked so that two jobs never roll an hour twice. Returns the hours covered."""
    limit = floor_hour((now or timezone.now()) - GRACE)
    done = 0
    while True:
        with transaction.atomic():
            state = MetricRollupState.objects.select_for_update().filter(pk=1).first()
            if state is None:
                state = MetricRollupState.objects.create(pk=1, rolled_until=None)
                state = MetricRollupState.objects.select_for_update().get(pk=1)
            start = state.rolled_until
            pending = _events(start or datetime.min.replace(tzinfo=UTC), limit)
            first = pending.order_by("at").values_list("at", flat=True).first()
            if first is None:  # nothing to roll up before the limit
                if start is None:
                    state.rolled_until = limit
                    state.save(update_fields=["rolled_until"])
                elif start < limit:
                    _advance(state, limit)
                return done
            # From the first hour with events to the end of its local day (or the limit).
            hour = floor_hour(first)
            if start is None:  # the first hour ever: no earlier day to complete
                state.rolled_until = hour
            end = min(limit, next_day(hour))
            _roll_range(hour, end)
            _advance(state, end)
            done += (end - hour) // HOUR


def reopen(*, since: datetime) -> None:
    """Events were written with times in hours already rolled up (simulated traffic, a
    repair): forget the rollups from the local day of `since` on; the job rolls them anew."""
    day = floor_day(since)
    with transaction.atomic():
        state = MetricRollupState.objects.select_for_update().filter(pk=1).first()
        MetricHourly.objects.filter(hour__gte=day).delete()
        MetricHourlySet.objects.filter(hour__gte=day).delete()
        if state is not None and state.rolled_until is not None and state.rolled_until > day:
            state.rolled_until = day
            state.save(update_fields=["rolled_until"])


def prune(*, raw_days: int, rollup_days: int, now: datetime | None = None) -> tuple[int, int]:
    """Delete raw events older than `raw_days` that are rolled up, and rollups older than
    `rollup_days`. Returns (events, rollup rows) deleted."""
    now = now or timezone.now()
    done = rolled_until()
    events = 0
    if done is not None:
        cutoff = min(now - timedelta(days=raw_days), done)
        events, _ = MetricEvent.objects.filter(at__lt=cutoff).delete()
    old = now - timedelta(days=rollup_days)
    hourly, _ = MetricHourly.objects.filter(hour__lt=floor_day(old)).delete()
    sets, _ = MetricHourlySet.objects.filter(hour__lt=floor_day(old)).delete()
    return events, hourly + sets
