"""Metric rollups: what the rollout dashboard reads instead of the raw events (ADR 0008).

- `MetricHourly`: events of each closed hour counted per (name, flow, platform, status,
  page, device). Count figures are SQL sums over these rows.
- `MetricHourlySet`: per closed hour and series (SERIES below, PATH, LATENCY), the distinct
  veterans as a roaring bitmap (a union of bitmaps is the exact distinct count over any
  run of hours) or the latency values as DDSketch bins (merging is exact: the merged
  sketch equals the sketch of all the values).
- `roll_up()` (the `rollup_metrics` command, run every minute by `make run`/`make serve`)
  rolls up every hour that closed more than GRACE ago, each hour once.

A figure over [since, until) reads the rollups for the whole hours that are rolled up
and the raw events for the rest (the partial hour at each end, and the hour or so not
yet rolled up), so it equals the figure computed from the raw events, and its cost
depends on the number of hours and series, not on the number of events.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from ddsketch import DDSketch
from django.db import connection, transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncHour
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from pyroaring import BitMap64

from messaging.common.choices import Platform
from messaging.models import MetricEvent, MetricHourly, MetricHourlySet, MetricRollupState
from messaging.rollout.telemetry import INTERACTION, LATENCY, MESSAGE_SENT, PAGE_VIEW

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
# An event's time is taken when its row is inserted, inside a request (gunicorn's timeout:
# 30 s); an hour is rolled up once nothing can still commit into it.
GRACE = timedelta(minutes=5)
PATH_LOOKBACK = timedelta(hours=2)  # "straight from": within one visit
PATH_FROM = "recent"
PATH_TO = ("start-message", "select-care-team")
RELATIVE_ACCURACY = 0.01  # DDSketch: every percentile within 1 % of a true value
API_PLATFORMS = (Platform.MOBILE, Platform.MY_VA_HEALTH)
COUNT_DIMS = ("name", "flow", "platform", "status_code", "page", "device")


@dataclass(frozen=True)
class Series:
    """Events of one kind whose distinct veterans a figure needs, keyed by one field."""

    q: Q
    key: str | None = None


SERIES = {
    # Conversion (web only: API clients never see the interstitial).
    "reached": Series(
        Q(name=PAGE_VIEW, page="interstitial") & ~Q(platform__in=API_PLATFORMS), "flow"
    ),
    "sent": Series(
        Q(name=MESSAGE_SENT, status_code__lt=400) & ~Q(platform__in=API_PLATFORMS), "flow"
    ),
    "recent": Series(Q(name=PAGE_VIEW, page=PATH_FROM)),
    "interaction": Series(Q(name=INTERACTION), "page"),
    "sender_device": Series(Q(name=MESSAGE_SENT, status_code__lt=400) & ~Q(device=""), "device"),
    "curated": Series(Q(flow="curated")),  # veterans on the new flow (stage reports)
}
PATH = "path"  # key: the page reached straight from "recent"; count: such page views
LATENCY_SERIES = "latency"  # key: "flow|event"; count: values


@dataclass
class SetAgg:
    count: int = 0
    veterans: BitMap64 = field(default_factory=BitMap64)
    bins: Counter = field(default_factory=Counter)  # DDSketch key -> values ("z": zero)

    def add(self, other: SetAgg) -> None:
        self.count += other.count
        self.veterans |= other.veterans
        self.bins.update(other.bins)

    def sketch(self) -> DDSketch:
        sketch = DDSketch(RELATIVE_ACCURACY)
        mapping = sketch._mapping  # noqa: SLF001 - the same mapping that made the keys
        for key, n in self.bins.items():
            sketch.add(0.0 if key == "z" else mapping.value(int(key)), n)
        return sketch


_MAPPING = DDSketch(RELATIVE_ACCURACY)._mapping  # noqa: SLF001


def sketch_key(value: float) -> str:
    return str(_MAPPING.key(value)) if value > _MAPPING.min_possible else "z"


def floor_hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def ceil_hour(moment: datetime) -> datetime:
    floor = floor_hour(moment)
    return floor if floor == moment else floor + HOUR


def floor_day(moment: datetime) -> datetime:
    """Midnight UTC (rollup days are UTC days, whatever TIME_ZONE says)."""
    return moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def ceil_day(moment: datetime) -> datetime:
    floor = floor_day(moment)
    return floor if floor == moment else floor + DAY


# --- Raw events -> aggregates (the job per hour, the dashboard for the edges) -------------


def _events(start: datetime, end: datetime | None):
    events = MetricEvent.objects.filter(at__gte=start)
    return events.filter(at__lt=end) if end is not None else events


def raw_set(series: str, start: datetime, end: datetime | None, *, by_hour: bool = False) -> dict:
    """Per key (or per (hour, key) with `by_hour`) of one series, from the raw events."""
    if series == PATH:
        return raw_path(start, end, by_hour=by_hour)
    if series == LATENCY_SERIES:
        return raw_latency(start, end, by_hour=by_hour)
    spec = SERIES[series]
    rows = _events(start, end).filter(spec.q, veteran_id__isnull=False)
    fields = [spec.key] if spec.key else []
    if by_hour:
        rows, fields = rows.annotate(h=TruncHour("at", tzinfo=UTC)), ["h", *fields]
    out: dict = {}
    for *group, veteran, n in (
        rows.values_list(*fields, "veteran_id").annotate(n=Count("id")).order_by()
    ):
        if not spec.key:
            group.append("")
        agg = out.setdefault(tuple(group) if by_hour else group[0], SetAgg())
        agg.count += n
        agg.veterans.add(veteran)
    return out


def raw_latency(start: datetime, end: datetime | None, *, by_hour: bool = False) -> dict:
    out: dict = {}
    rows = _events(start, end).filter(name=LATENCY, value__isnull=False)
    for at, flow, page, value in rows.values_list("at", "flow", "page", "value").iterator(
        chunk_size=5000
    ):
        key = f"{flow}|{page}"
        agg = out.setdefault((floor_hour(at), key) if by_hour else key, SetAgg())
        agg.count += 1
        agg.bins[sketch_key(value)] += 1
    return out


def _aware(value) -> datetime:
    if isinstance(value, str):  # SQLite hands back text from a subquery
        value = parse_datetime(value)
    return value if timezone.is_aware(value) else value.replace(tzinfo=UTC)


def raw_path(start: datetime, end: datetime | None, *, by_hour: bool = False) -> dict:
    """Page views of PATH_TO at [start, end) whose veteran's previous page view, at most
    PATH_LOOKBACK earlier, was "recent": straight from recent to that page."""
    table = connection.ops.quote_name(MetricEvent._meta.db_table)
    adapt = connection.ops.adapt_datetimefield_value
    until = "AND at < %s" if end is not None else ""
    sql = f"""
        SELECT page, veteran_id, at, prev_at FROM (
            SELECT page, veteran_id, at,
                   LAG(page) OVER (PARTITION BY veteran_id ORDER BY at, id) AS prev,
                   LAG(at) OVER (PARTITION BY veteran_id ORDER BY at, id) AS prev_at
            FROM {table}
            WHERE name = %s AND veteran_id IS NOT NULL AND at >= %s {until}
        ) views
        WHERE at >= %s AND prev = %s AND page IN (%s, %s)
    """
    params = [PAGE_VIEW, adapt(start - PATH_LOOKBACK)]
    params += [adapt(end)] if end is not None else []
    params += [adapt(start), PATH_FROM, *PATH_TO]
    out: dict = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for page, veteran, at, prev_at in cursor.fetchall():
            at = _aware(at)
            if at - _aware(prev_at) <= PATH_LOOKBACK:
                agg = out.setdefault(
                    (floor_hour(at.astimezone(UTC)), page) if by_hour else page, SetAgg()
                )
                agg.count += 1
                agg.veterans.add(veteran)
    return out


ALL_SETS = (*SERIES, PATH, LATENCY_SERIES)


# --- The job ------------------------------------------------------------------------------


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
        latency = series == LATENCY_SERIES
        for (hour, key), agg in raw_set(series, start, end, by_hour=True).items():
            rows.append(
                MetricHourlySet(
                    hour=hour,
                    series=series,
                    key=key,
                    count=agg.count,
                    veterans=None if latency else agg.veterans.serialize(),
                    sketch=dict(agg.bins) if latency else None,
                )
            )
    MetricHourlySet.objects.bulk_create(rows, batch_size=2000)


def _roll_day(day: datetime) -> None:
    """A UTC day whose hours are all rolled up: its hourly rows merged into day rows (24),
    so that long windows read a row per day and series rather than 24."""
    hourly = MetricHourly.objects.filter(hours=1, hour__gte=day, hour__lt=day + DAY)
    MetricHourly.objects.bulk_create(
        [
            MetricHourly(
                hour=day, hours=24, **dict(zip(COUNT_DIMS, row[:-1], strict=True)), count=row[-1]
            )
            for row in hourly.values_list(*COUNT_DIMS).annotate(n=Sum("count")).order_by()
        ],
        batch_size=1000,
    )
    merged: dict[tuple[str, str], SetAgg] = {}
    rows = MetricHourlySet.objects.filter(hours=1, hour__gte=day, hour__lt=day + DAY)
    for series, key, n, veterans, bins in rows.values_list(
        "series", "key", "count", "veterans", "sketch"
    ):
        _merge_row(merged.setdefault((series, key), SetAgg()), n, veterans, bins)
    MetricHourlySet.objects.bulk_create(
        [
            MetricHourlySet(
                hour=day,
                hours=24,
                series=series,
                key=key,
                count=agg.count,
                veterans=None if series == LATENCY_SERIES else agg.veterans.serialize(),
                sketch=dict(agg.bins) if series == LATENCY_SERIES else None,
            )
            for (series, key), agg in merged.items()
        ],
        batch_size=1000,
    )


def _advance(state: MetricRollupState, until: datetime) -> None:
    """Move the state to `until`, rolling up every UTC day that became complete."""
    before = state.rolled_until
    if before is not None:
        midnight = floor_day(before) + DAY  # the first midnight after `before`
        while midnight <= until:
            _roll_day(midnight - DAY)
            midnight += DAY
    state.rolled_until = until
    state.save(update_fields=["rolled_until"])


def roll_up(*, now: datetime | None = None) -> int:
    """Roll up every closed hour not rolled up yet, a UTC day (at most) per transaction, the
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
            # From the first hour with events to the end of its UTC day (or the limit).
            hour = floor_hour(first)
            if start is None:  # the first hour ever: no earlier day to complete
                state.rolled_until = hour
            end = min(limit, floor_day(hour) + DAY)
            _roll_range(hour, end)
            _advance(state, end)
            done += (end - hour) // HOUR


def reopen(*, since: datetime) -> None:
    """Events were written with times in hours already rolled up (simulated traffic, a
    repair): forget the rollups from the UTC day of `since` on; the job rolls them anew."""
    day = floor_day(since)
    with transaction.atomic():
        state = MetricRollupState.objects.select_for_update().filter(pk=1).first()
        MetricHourly.objects.filter(hour__gte=day).delete()
        MetricHourlySet.objects.filter(hour__gte=day).delete()
        if state is not None and state.rolled_until is not None and state.rolled_until > day:
            state.rolled_until = day
            state.save(update_fields=["rolled_until"])


_snapshot: contextvars.ContextVar[list | None] = contextvars.ContextVar(
    "rollup_snapshot", default=None
)


@contextlib.contextmanager
def snapshot() -> Iterator[None]:
    """Within it, `rolled_until` is read once (the dashboard's figures share one view)."""
    token = _snapshot.set([])
    try:
        yield
    finally:
        _snapshot.reset(token)


def rolled_until() -> datetime | None:
    memo = _snapshot.get()
    if memo:
        return memo[0]
    value = MetricRollupState.objects.filter(pk=1).values_list("rolled_until", flat=True).first()
    if memo is not None:
        memo.append(value)
    return value


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


# --- Reading: rollups for whole rolled-up hours, raw events for the rest ------------------


def _split(since: datetime, until: datetime | None) -> tuple[Q | None, list]:
    """(which rollup rows to read, as a Q on hour/hours, or None; the raw ranges). Whole
    UTC days inside the rolled-up hours are read as day rows, other whole hours as hour
    rows, the rest (partial hours, hours not rolled up) from the raw events."""
    done = rolled_until()
    first = ceil_hour(since)
    end = done if until is None else min(floor_hour(until), done) if done else None
    if done is None or end is None or first >= end:
        return None, [(since, until)]
    raws = [(since, first)] if since < first else []
    if until is None or end < until:
        raws.append((end, until))
    day0, day1 = ceil_day(first), floor_day(end)
    if day0 < day1:
        rows = (
            Q(hours=1, hour__gte=first, hour__lt=day0)
            | Q(hours=24, hour__gte=day0, hour__lt=day1)
            | Q(hours=1, hour__gte=day1, hour__lt=end)
        )
    else:
        rows = Q(hours=1, hour__gte=first, hour__lt=end)
    return rows, raws


def _merge_row(agg: SetAgg, n: int, veterans, bins) -> None:
    agg.count += n
    if veterans is not None:
        agg.veterans |= BitMap64.deserialize(bytes(veterans))
    if bins:
        agg.bins.update(bins)


def counts(
    *, since: datetime, until: datetime | None = None, where: Q, by: Sequence[str]
) -> Counter:
    """Event counts matching `where` (on event fields) grouped by the fields `by`."""
    rolled, raws = _split(since, until)
    out: Counter = Counter()
    if rolled is not None:
        hourly = MetricHourly.objects.filter(rolled).filter(where)
        for row in hourly.values_list(*by).annotate(n=Sum("count")).order_by():
            out[tuple(row[:-1])] += row[-1]
    for start, end in raws:
        for row in (
            _events(start, end).filter(where).values_list(*by).annotate(n=Count("id")).order_by()
        ):
            out[tuple(row[:-1])] += row[-1]
    return out


def count(*, since: datetime, until: datetime | None = None, where: Q) -> int:
    rolled, raws = _split(since, until)
    total = 0
    if rolled is not None:
        hourly = MetricHourly.objects.filter(rolled).filter(where)
        total += hourly.aggregate(n=Sum("count"))["n"] or 0
    for start, end in raws:
        total += _events(start, end).filter(where).count()
    return total


def sets(*, series: str, since: datetime, until: datetime | None = None) -> dict[str, SetAgg]:
    """Per key of one series: events (or values), distinct veterans, sketch bins."""
    rolled, raws = _split(since, until)
    out: dict[str, SetAgg] = {}
    if rolled is not None:
        rows = MetricHourlySet.objects.filter(rolled).filter(series=series)
        for key, n, veterans, bins in rows.values_list("key", "count", "veterans", "sketch"):
            _merge_row(out.setdefault(key, SetAgg()), n, veterans, bins)
    for start, end in raws:
        for key, agg in raw_set(series, start, end).items():
            out.setdefault(key, SetAgg()).add(agg)
    return out
