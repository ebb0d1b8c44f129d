"""The rollout dashboard's metric figures computed straight from the raw events, the plain
way (ORM counts, Python sets, a DDSketch fed value by value): the reference the rollups
are held to (tests/integration/rollout/test_rollups.py) and what bench/dashboard.py
times for comparison. `include_test` as the figures take it: test veterans' events are
left out unless asked for. `generate` makes the events the tests compare on."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from datetime import timedelta

from ddsketch import DDSketch
from django.db.models import Count, Q
from django.utils import timezone

from messaging.models import MetricEvent

API = ("mobile", "my_va_health")
WRITES = ("draft_created", "draft_updated", "draft_deleted", "message_sent")
PAGES = ("interstitial", "recent", "start-message", "select-care-team", "care-team-help")
TEST_VETERANS = range(36, 41)  # their events are test traffic (qa.md)


def generate(now, *, n=3000, seed=17):
    """Events over the last 12 days, times to the microsecond, 40 veterans (so that page
    views follow each other within minutes; 5 of them test veterans), every kind the
    dashboard reads (renewal writes too), a few in the current hour and a few in the hour
    the job leaves alone (GRACE)."""
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        kind = rng.random()
        vet = rng.randrange(1, 41) if rng.random() > 0.05 else None
        flow = rng.choice(("curated", "curated", "legacy"))
        fields = {
            "platform": rng.choice(("web", "web", "mobile", "my_va_health", "")),
            "device": rng.choice(("desktop", "mobile", "")),
            "flow": flow,
            "veteran_id": vet,
            "test": vet in TEST_VETERANS,
        }
        if kind < 0.35:
            name = rng.choice(WRITES)
            status = rng.choice((201, 201, 201, 204, 400, 422, 502))
            renewal = rng.random() < 0.2
            rows.append(MetricEvent(name=name, status_code=status, renewal=renewal, **fields))
        elif kind < 0.5:
            rows.append(
                MetricEvent(
                    name="latency",
                    status_code=201,
                    value=rng.choice((0.0, rng.lognormvariate(5, 0.8))),
                    page=rng.choice(("draft_created", "message_sent")),
                    **{**fields, "veteran_id": None},
                )
            )
        elif kind < 0.9:
            rows.append(MetricEvent(name="page_view", page=rng.choice(PAGES), **fields))
        else:
            rows.append(
                MetricEvent(
                    name="interaction",
                    page=rng.choice(("care-system-changed", "cant-find-care-team")),
                    **fields,
                )
            )
    created = MetricEvent.objects.bulk_create(rows)
    # Mostly spread over 12 days; a burst of page views per veteran (paths within minutes);
    # some in the current hour and in the last GRACE minutes.
    for i, event in enumerate(created):
        if i % 10 == 0:
            at = now - timedelta(seconds=rng.uniform(0, 3600))
        elif event.name == "page_view" and i % 3 == 0:
            day = rng.randrange(0, 12)
            at = now - timedelta(days=day, minutes=rng.uniform(0, 40))
        else:
            at = now - timedelta(seconds=rng.uniform(0, 12 * 86400))
        MetricEvent.objects.filter(pk=event.pk).update(at=at)


def _events(since, until=None, include_test=False):
    events = MetricEvent.objects.filter(at__gte=since)
    if not include_test:
        events = events.filter(test=False)
    return events.filter(at__lt=until) if until is not None else events


def _day(at):
    return timezone.localdate(at)


def write_counts(since, include_test=False):
    rows = (
        _events(since, include_test=include_test)
        .filter(name__in=WRITES)
        .values_list("name", "flow", "renewal", "status_code")
    )
    return dict(Counter(rows))


def _percentiles(vals, percentiles):
    sketch = DDSketch(0.01)
    for v in vals:
        sketch.add(v)
    n = len(vals)
    ordered = sorted(vals)
    figures = {"count": n}
    for p in percentiles:
        r = (n * p + 99) // 100 - 1
        figures[f"p{p}"] = sketch.get_quantile_value(min(1.0, (r + 0.5) / (n - 1)) if n > 1 else 0)
        figures[f"exact_p{p}"] = ordered[r]
    return figures


def latency(since, include_test=False):
    values = defaultdict(list)
    for flow, page, value in (
        _events(since, include_test=include_test)
        .filter(name="latency", value__isnull=False)
        .values_list("flow", "page", "value")
    ):
        values[(flow, page)].append(value)
    return {key: _percentiles(vals, (50, 95, 99)) for key, vals in values.items()}


def failed_sends(since, include_test=False):
    out = {}
    for flow, status in (
        _events(since, include_test=include_test)
        .filter(name="message_sent")
        .values_list("flow", "status_code")
    ):
        total, failed = out.get(flow, (0, 0))
        out[flow] = (total + 1, failed + (status is not None and status >= 400))
    return out


def conversion(since, include_test=False):
    web = (
        _events(since, include_test=include_test)
        .filter(veteran_id__isnull=False)
        .exclude(platform__in=API)
    )
    reached, sent = defaultdict(set), defaultdict(set)
    for flow, vet in web.filter(name="page_view", page="interstitial").values_list(
        "flow", "veteran_id"
    ):
        reached[flow].add(vet)
    for flow, vet in web.filter(name="message_sent", status_code__lt=400).values_list(
        "flow", "veteran_id"
    ):
        sent[flow].add(vet)
    return {f: (len(reached[f]), len(sent[f])) for f in reached.keys() | sent.keys()}


def _straight_from_recent(since, include_test, lookback=timedelta(hours=2)):
    """(veteran, page, at) of each view of start-message / select-care-team in the window
    whose veteran's previous page view (at most `lookback` before) was "recent"."""
    views = defaultdict(list)
    for vet, page, at, _pk in (
        _events(since - lookback, include_test=include_test)
        .filter(name="page_view", veteran_id__isnull=False)
        .values_list("veteran_id", "page", "at", "id")
        .order_by("veteran_id", "at", "id")
    ):
        views[vet].append((at, page))
    for vet, seq in views.items():
        for (prev_at, prev), (at, page) in zip(seq, seq[1:], strict=False):
            if at >= since and prev == "recent" and at - prev_at <= lookback:
                if page in ("start-message", "select-care-team"):
                    yield vet, page, at


def recent_path(since, include_test=False):
    recent_viewers = set(
        _events(since, include_test=include_test)
        .filter(name="page_view", page="recent", veteran_id__isnull=False)
        .values_list("veteran_id", flat=True)
    )
    out = {"veterans": len(recent_viewers)}
    found = list(_straight_from_recent(since, include_test))
    for target in ("start-message", "select-care-team"):
        vets = [vet for vet, page, _at in found if page == target]
        out[target] = (len(vets), len(set(vets)))
    return out


def interactions(since, include_test=False):
    rows = _events(since, include_test=include_test).filter(name="interaction")
    counts = dict(rows.values_list("page").annotate(n=Count("id")).order_by())
    vets = dict(rows.values_list("page").annotate(n=Count("veteran_id", distinct=True)).order_by())
    return {page: (n, vets.get(page, 0)) for page, n in counts.items()}


def devices(since, include_test=False):
    rows = (
        _events(since, include_test=include_test)
        .filter(name="message_sent", status_code__lt=400)
        .exclude(device="")
    )
    sends = dict(rows.values_list("device").annotate(n=Count("id")).order_by())
    senders = dict(
        rows.values_list("device").annotate(n=Count("veteran_id", distinct=True)).order_by()
    )
    return {d: (n, senders.get(d, 0)) for d, n in sends.items()}


def stage_figures(since, until):
    events = _events(since, until)
    veterans = (
        events.filter(flow="curated", veteran_id__isnull=False).values("veteran_id").distinct()
    )
    errors = dict(
        events.filter(name__in=WRITES, status_code__gte=400)
        .values_list("status_code")
        .annotate(n=Count("id"))
        .order_by()
    )
    writes = events.filter(name__in=WRITES)
    per_flow = {
        flow: (
            writes.filter(flow=flow).count(),
            writes.filter(flow=flow, status_code__gte=400).count(),
        )
        for flow in ("curated", "legacy")
    }
    collected = events.filter(Q(name="message_sent", flow="curated", status_code__lt=400)).count()
    return {
        "veterans": veterans.count(),
        "errors": errors,
        "error_rate_counts": per_flow,
        "collected": collected,
    }


def raw_figures(*, since, include_test=False):
    return {
        name: figure(since, include_test=include_test)
        for name, figure in (
            ("writes", write_counts),
            ("latency", latency),
            ("failed", failed_sends),
            ("conversion", conversion),
            ("path", recent_path),
            ("interactions", interactions),
            ("devices", devices),
        )
    }


# --- The charts' figures per local day (messaging/rollout/daily.py) ------------------------


def daily_write_requests(since, include_test=False):
    """(day, flow) -> (requests, failed)."""
    out = Counter()
    for at, flow, status in (
        _events(since, include_test=include_test)
        .filter(name__in=WRITES)
        .values_list("at", "flow", "status_code")
    ):
        out[(_day(at), flow, "requests")] += 1
        out[(_day(at), flow, "failed")] += status is not None and status >= 400
    days = {(day, flow) for day, flow, _ in out}
    return {key: (out[(*key, "requests")], out[(*key, "failed")]) for key in days}


def daily_latency(since, include_test=False):
    """(flow, day) -> count, p50, p95 (sketch) of draft and send latency."""
    values = defaultdict(list)
    for at, flow, value in (
        _events(since, include_test=include_test)
        .filter(name="latency", value__isnull=False)
        .values_list("at", "flow", "value")
    ):
        values[(flow, _day(at))].append(value)
    return {
        key: {k: v for k, v in _percentiles(vals, (50, 95)).items() if "exact" not in k}
        for key, vals in values.items()
    }


def daily_path(since, include_test=False):
    """(day, page) -> page views straight from "recent"."""
    return dict(
        Counter((_day(at), page) for _vet, page, at in _straight_from_recent(since, include_test))
    )
