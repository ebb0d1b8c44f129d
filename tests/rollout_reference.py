"""The rollout dashboard's metric figures computed straight from the raw events, the plain
way (ORM counts, Python sets, a DDSketch fed value by value): the reference the rollups
are held to (tests/integration/rollout/test_rollups.py) and what bench/dashboard.py
times for comparison."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import timedelta

from ddsketch import DDSketch
from django.db.models import Count, Q

from messaging.models import MetricEvent

API = ("mobile", "my_va_health")
WRITES = ("draft_created", "draft_updated", "draft_deleted", "message_sent")


def _events(since, until=None):
    events = MetricEvent.objects.filter(at__gte=since)
    return events.filter(at__lt=until) if until is not None else events


def write_counts(since):
    rows = _events(since).filter(name__in=WRITES).values_list("name", "flow", "status_code")
    return dict(Counter(rows))


def latency(since):
    values = defaultdict(list)
    for flow, page, value in (
        _events(since)
        .filter(name="latency", value__isnull=False)
        .values_list("flow", "page", "value")
    ):
        values[(flow, page)].append(value)
    out = {}
    for key, vals in values.items():
        sketch = DDSketch(0.01)
        for v in vals:
            sketch.add(v)
        n = len(vals)
        ordered = sorted(vals)
        figures = {"count": n}
        for p in (50, 95, 99):
            r = (n * p + 99) // 100 - 1
            figures[f"p{p}"] = sketch.get_quantile_value(
                min(1.0, (r + 0.5) / (n - 1)) if n > 1 else 0
            )
            figures[f"exact_p{p}"] = ordered[r]
        out[key] = figures
    return out


def failed_sends(since):
    out = {}
    for flow, status in (
        _events(since).filter(name="message_sent").values_list("flow", "status_code")
    ):
        total, failed = out.get(flow, (0, 0))
        out[flow] = (total + 1, failed + (status is not None and status >= 400))
    return out


def conversion(since):
    web = _events(since).filter(veteran_id__isnull=False).exclude(platform__in=API)
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


def recent_path(since, lookback=timedelta(hours=2)):
    """Per veteran, page views in time order: a view of start-message / select-care-team in
    the window whose previous page view (at most `lookback` before) was "recent"."""
    views = defaultdict(list)
    for vet, page, at, _pk in (
        MetricEvent.objects.filter(
            name="page_view", veteran_id__isnull=False, at__gte=since - lookback
        )
        .values_list("veteran_id", "page", "at", "id")
        .order_by("veteran_id", "at", "id")
    ):
        views[vet].append((at, page))
    recent_viewers = set(
        _events(since)
        .filter(name="page_view", page="recent", veteran_id__isnull=False)
        .values_list("veteran_id", flat=True)
    )
    out = {"veterans": len(recent_viewers)}
    for target in ("start-message", "select-care-team"):
        count, vets = 0, set()
        for vet, seq in views.items():
            for (prev_at, prev), (at, page) in zip(seq, seq[1:], strict=False):
                if page == target and at >= since and prev == "recent" and at - prev_at <= lookback:
                    count += 1
                    vets.add(vet)
        out[target] = (count, len(vets))
    return out


def interactions(since):
    rows = _events(since).filter(name="interaction")
    counts = dict(rows.values_list("page").annotate(n=Count("id")).order_by())
    vets = dict(rows.values_list("page").annotate(n=Count("veteran_id", distinct=True)).order_by())
    return {page: (n, vets.get(page, 0)) for page, n in counts.items()}


def devices(since):
    rows = _events(since).filter(name="message_sent", status_code__lt=400).exclude(device="")
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


def raw_figures(*, since):
    return {
        "writes": write_counts(since),
        "latency": latency(since),
        "failed": failed_sends(since),
        "conversion": conversion(since),
        "path": recent_path(since),
        "interactions": interactions(since),
        "devices": devices(since),
    }
