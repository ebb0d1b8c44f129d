"""Metric rollups: what the rollout figures read instead of the raw events (ADR 0015).

- `MetricHourly`: events of each closed hour counted per (name, flow, platform, status,
  page, device, renewal, phase, station, test). Count figures are SQL sums over these rows.
- `MetricHourlySet`: per closed hour, series (SERIES below, PATH, LATENCY_SERIES) and
  test-or-not, the distinct veterans as a roaring bitmap (a union of bitmaps is the exact
  distinct count over any run of hours) or the latency values as DDSketch bins (merging
  is exact: the merged sketch equals the sketch of all the values).
- The job (`rollout/rollup_job.py`, the `rollup_metrics` command, run every minute by
  `make run`/`make serve`) rolls up every hour that closed more than GRACE ago, each once,
  and merges each complete local calendar day's hours into day rows (`rollout/hours.py`).

A figure over [since, until) reads the rollups for the whole hours that are rolled up
and the raw events for the rest (the partial hour at each end, and the hour or so not
yet rolled up), so it equals the figure computed from the raw events, and its cost
depends on the number of hours (or days) and series, not on the number of events. Test
veterans' traffic (qa.md) is kept apart in every row (`test`), so each figure leaves it
out unless `include_test` asks for it, exactly as the raw events' `traffic.events` does.
Figures per calendar day (`by_day`, the charts) read a day row per whole local day too,
hour rows only at the window's ends.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from ddsketch import DDSketch
from django.db import connection
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate, TruncHour
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from pyroaring import BitMap64

from messaging.common.choices import Flow, Platform
from messaging.models import MetricEvent, MetricHourly, MetricHourlySet, MetricRollupState
from messaging.rollout.hours import ceil_day, ceil_hour, floor_day, floor_hour
from messaging.rollout.telemetry import INTERACTION, LATENCY, MESSAGE_SENT, PAGE_VIEW

# An event's time is taken when its row is inserted, inside a request (gunicorn's timeout:
# 30 s); an hour is rolled up once nothing can still commit into it.
GRACE = timedelta(minutes=5)
PATH_LOOKBACK = timedelta(hours=2)  # "straight from": within one visit
PATH_FROM = "recent"
PATH_TO = ("start-message", "select-care-team")
RELATIVE_ACCURACY = 0.01  # DDSketch: every percentile within 1 % of a true value
API_PLATFORMS = (Platform.MOBILE, Platform.MY_VA_HEALTH)
COUNT_DIMS = (
    "name",
    "flow",
    "platform",
    "status_code",
    "page",
    "device",
    "renewal",
    "phase",
    "station",
    "test",
)


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
    "new_flow": Series(Q(flow=Flow.CURATED)),  # veterans on the new flow (stage reports)
}
PATH = "path"  # key: the page reached straight from "recent"; count: such page views
LATENCY_SERIES = "latency"  # key: "flow|event"; count: values
ALL_SETS = (*SERIES, PATH, LATENCY_SERIES)


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

    def percentile(self, p: int, sketch: DDSketch | None = None) -> float:
        """Nearest rank: the ceil(p% * n)-th smallest value (0-based rank r), within 1 %.
        DDSketch reads rank q * (n - 1); half a rank more lands on value r, never r - 1."""
        n = self.count
        r = (n * p + 99) // 100 - 1
        return (sketch or self.sketch()).get_quantile_value(
            min(1.0, (r + 0.5) / (n - 1)) if n > 1 else 0
        )


_MAPPING = DDSketch(RELATIVE_ACCURACY)._mapping  # noqa: SLF001


def sketch_key(value: float) -> str:
    return str(_MAPPING.key(value)) if value > _MAPPING.min_possible else "z"


# --- Raw events -> aggregates (the job per hour, the figures for the edges) ---------------
# `group`: None -> key; "day" -> (local date, key); "hour" -> (UTC hour, test, key).


def _events(start: datetime, end: datetime | None, include_test: bool = True):
    events = MetricEvent.objects.filter(at__gte=start)
    if not include_test:
        events = events.filter(test=False)
    return events.filter(at__lt=end) if end is not None else events


def _grouped(parts: list) -> tuple | str:
    return parts[0] if len(parts) == 1 else tuple(parts)


def raw_set(
    series: str,
    start: datetime,
    end: datetime | None,
    *,
    group: str | None = None,
    include_test: bool = True,
) -> dict:
    """Per key (or per day or hour and key, see `group`) of one series, from the raw events."""
    if series == PATH:
        return raw_path(start, end, group=group, include_test=include_test)
    if series == LATENCY_SERIES:
        return raw_latency(start, end, group=group, include_test=include_test)
    spec = SERIES[series]
    rows = _events(start, end, include_test).filter(spec.q, veteran_id__isnull=False)
    fields = [spec.key] if spec.key else []
    if group == "hour":
        rows, fields = rows.annotate(h=TruncHour("at", tzinfo=UTC)), ["h", "test", *fields]
    elif group == "day":
        rows, fields = rows.annotate(d=TruncDate("at")), ["d", *fields]
    out: dict = {}
    for *parts, veteran, n in (
        rows.values_list(*fields, "veteran_id").annotate(n=Count("id")).order_by()
    ):
        if not spec.key:
            parts.append("")
        agg = out.setdefault(_grouped(parts), SetAgg())
        agg.count += n
        agg.veterans.add(veteran)
    return out


def _bucket(at: datetime, test: bool, key: str, group: str | None) -> tuple | str:
    if group == "hour":
        return (floor_hour(at.astimezone(UTC)), test, key)
    if group == "day":
        return (timezone.localdate(at), key)
    return key


def raw_latency(
    start: datetime, end: datetime | None, *, group: str | None = None, include_test: bool = True
) -> dict:
    out: dict = {}
    rows = _events(start, end, include_test).filter(name=LATENCY, value__isnull=False)
    for at, flow, page, value, test in rows.values_list(
        "at", "flow", "page", "value", "test"
    ).iterator(chunk_size=5000):
        agg = out.setdefault(_bucket(at, test, f"{flow}|{page}", group), SetAgg())
        agg.count += 1
        agg.bins[sketch_key(value)] += 1
    return out


def _aware(value) -> datetime:
    if isinstance(value, str):  # SQLite hands back text from a subquery
        value = parse_datetime(value)
    return value if timezone.is_aware(value) else value.replace(tzinfo=UTC)


def raw_path(
    start: datetime, end: datetime | None, *, group: str | None = None, include_test: bool = True
) -> dict:
    """Page views of PATH_TO at [start, end) whose veteran's previous page view, at most
    PATH_LOOKBACK earlier, was "recent": straight from recent to that page."""
    table = connection.ops.quote_name(MetricEvent._meta.db_table)
    adapt = connection.ops.adapt_datetimefield_value
    until = "AND at < %s" if end is not None else ""
    test = "" if include_test else "AND test = %s"
    # bandit B608 accepted: the name is the model's own table (_meta); every value is a %s parameter.
    sql = f"""
        SELECT page, veteran_id, at, prev_at, test FROM (
            SELECT page, veteran_id, at, test,
                   LAG(page) OVER (PARTITION BY veteran_id ORDER BY at, id) AS prev,
                   LAG(at) OVER (PARTITION BY veteran_id ORDER BY at, id) AS prev_at
            FROM {table}
            WHERE name = %s AND veteran_id IS NOT NULL AND at >= %s {until} {test}
        ) views
        WHERE at >= %s AND prev = %s AND page IN (%s, %s)
    """  # nosec B608
    params = [PAGE_VIEW, adapt(start - PATH_LOOKBACK)]
    params += [adapt(end)] if end is not None else []
    params += [] if include_test else [False]
    params += [adapt(start), PATH_FROM, *PATH_TO]
    out: dict = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for page, veteran, at, prev_at, is_test in cursor.fetchall():
            at = _aware(at)
            if at - _aware(prev_at) <= PATH_LOOKBACK:
                agg = out.setdefault(_bucket(at, bool(is_test), page, group), SetAgg())
                agg.count += 1
                agg.veterans.add(veteran)
    return out


# --- What has been rolled up --------------------------------------------------------------

_snapshot: contextvars.ContextVar[dict | None] = contextvars.ContextVar(
    "rollup_snapshot", default=None
)


@contextlib.contextmanager
def snapshot() -> Iterator[None]:
    """Within it, `rolled_until` is read once (the dashboard's figures share one view) and
    each series' raw events once (the charts' per-day figures and the tables' whole-window
    ones share them); an inner snapshot keeps the outer one's."""
    if _snapshot.get() is not None:
        yield
        return
    token = _snapshot.set({"raw": {}})
    try:
        yield
    finally:
        _snapshot.reset(token)


def rolled_until() -> datetime | None:
    memo = _snapshot.get()
    if memo is not None and "until" in memo:
        return memo["until"]
    value = MetricRollupState.objects.filter(pk=1).values_list("rolled_until", flat=True).first()
    if memo is not None:
        memo["until"] = value
    return value


def _raw_by_day(series: str, start: datetime, end: datetime | None, include_test: bool) -> dict:
    """One series' raw events of [start, end) per (local day, key), read once per snapshot."""
    memo = _snapshot.get()
    cache = memo["raw"] if memo is not None else {}
    key = (series, start, end, include_test)
    if key not in cache:
        cache[key] = raw_set(series, start, end, group="day", include_test=include_test)
    return cache[key]


# --- Reading: rollups for whole rolled-up hours, raw events for the rest ------------------


def _split(since: datetime, until: datetime | None):
    """(which rollup rows to read, as a Q on hour/hours, or None; the raw ranges). Whole
    local days inside the rolled-up hours are read as day rows, other
    whole hours as hour rows, the rest (partial hours, hours not rolled up) from the raw
    events."""
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
            | Q(hours=24, hour__gte=day0, hour__lt=day1)  # a day row, 23-25 hours long
            | Q(hours=1, hour__gte=day1, hour__lt=end)
        )
    else:
        rows = Q(hours=1, hour__gte=first, hour__lt=end)
    return rows, raws


def merge_row(agg: SetAgg, n: int, veterans, bins) -> None:
    agg.count += n
    if veterans is not None:
        agg.veterans |= BitMap64.deserialize(bytes(veterans))
    if bins:
        agg.bins.update(bins)


def _tested(where: Q, include_test: bool) -> Q:
    return where if include_test else where & Q(test=False)


def counts(
    *,
    since: datetime,
    until: datetime | None = None,
    where: Q,
    by: Sequence[str],
    include_test: bool = False,
    by_day: bool = False,
) -> Counter:
    """Event counts matching `where` (on event fields) grouped by the fields `by` (after
    the local day, with `by_day`)."""
    rolled, raws = _split(since, until)
    where = _tested(where, include_test)
    out: Counter = Counter()
    fields = ["day", *by] if by_day else list(by)
    if rolled is not None:
        hourly = MetricHourly.objects.filter(rolled).filter(where)
        if by_day:
            hourly = hourly.annotate(day=TruncDate("hour"))
        for row in hourly.values_list(*fields).annotate(n=Sum("count")).order_by():
            out[tuple(row[:-1])] += row[-1]
    for start, end in raws:
        rows = _events(start, end).filter(where)
        if by_day:
            rows = rows.annotate(day=TruncDate("at"))
        for row in rows.values_list(*fields).annotate(n=Count("id")).order_by():
            out[tuple(row[:-1])] += row[-1]
    return out


def count(
    *, since: datetime, until: datetime | None = None, where: Q, include_test: bool = False
) -> int:
    rolled, raws = _split(since, until)
    where = _tested(where, include_test)
    total = 0
    if rolled is not None:
        hourly = MetricHourly.objects.filter(rolled).filter(where)
        total += hourly.aggregate(n=Sum("count"))["n"] or 0
    for start, end in raws:
        total += _events(start, end).filter(where).count()
    return total


def sets(
    *,
    series: str,
    since: datetime,
    until: datetime | None = None,
    include_test: bool = False,
    by_day: bool = False,
) -> dict:
    """Per key of one series (per (local day, key) with `by_day`): events (or values),
    distinct veterans, sketch bins."""
    rolled, raws = _split(since, until)
    out: dict = {}
    if rolled is not None:
        rows = MetricHourlySet.objects.filter(rolled).filter(
            _tested(Q(series=series), include_test)
        )
        for hour, key, n, veterans, bins in rows.values_list(
            "hour", "key", "count", "veterans", "sketch"
        ):
            bucket = (timezone.localdate(hour), key) if by_day else key
            merge_row(out.setdefault(bucket, SetAgg()), n, veterans, bins)
    for start, end in raws:
        for (day, key), agg in _raw_by_day(series, start, end, include_test).items():
            out.setdefault((day, key) if by_day else key, SetAgg()).add(agg)
    return out
