"""The figures read hourly rollups (messaging/rollout/rollups.py) plus the raw events of
the hours not rolled up; every figure equals the one computed from the raw events
(tests/rollout_reference.py), for every window, rolled up or not, test traffic left out
or included, per window and per day (the charts)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from messaging.models import FlagChange, MetricHourly, MetricHourlySet
from messaging.rollout import daily, dashboard, rollup_job, rollups
from messaging.rollout import stages as rollout
from messaging.rollout.flags import CURATED_LIST_FLOW
from messaging.rollout.reports import stage_reports
from tests import rollout_reference as ref

pytestmark = pytest.mark.django_db


def dashboard_figures(since, include_test=False):
    """The dashboard's metric figures in the reference's shapes."""
    window = {"since": since, "include_test": include_test}
    latency = {
        (g["flow"], g["event"]): {k: v for k, v in g.items() if k not in ("flow", "event")}
        for g in dashboard.latency_percentiles(**window)
    }
    path = dashboard.recent_path(**window)
    return {
        "writes": {
            (r["name"], r["flow"], r["renewal"], r["status_code"]): r["count"]
            for r in dashboard.write_counts(**window)
        },
        "latency": latency,
        "failed": {
            r["flow"]: (r["total"], r["failed"]) for r in dashboard.failed_sends(**window)["rows"]
        },
        "conversion": {
            r["flow"]: (r["reached"], r["sent"]) for r in dashboard.conversion_by_flow(**window)
        },
        "path": {
            "veterans": path["veterans"],
            "start-message": (path["start_message"]["views"], path["start_message"]["veterans"]),
            "select-care-team": (
                path["select_care_team"]["views"],
                path["select_care_team"]["veterans"],
            ),
        },
        "interactions": {
            r["page"]: (r["count"], r["veterans"]) for r in dashboard.interaction_counts(**window)
        },
        "devices": {
            r["device"]: (r["sends"], r["senders"]) for r in dashboard.device_breakdown(**window)
        },
    }


def expected(since, include_test=False):
    figures = ref.raw_figures(since=since, include_test=include_test)
    figures["latency"] = {
        key: {k: v for k, v in f.items() if not k.startswith("exact_")}
        for key, f in figures["latency"].items()
    }
    return figures


def windows(now):
    starts = [dashboard.window_start(window=w, now=now) for w in dashboard.WINDOWS]
    # Unaligned starts: inside a rolled-up hour, inside the hour not rolled up yet.
    return [*starts, now - timedelta(days=3, minutes=17, seconds=3), now - timedelta(minutes=3)]


def daily_figures(since, include_test=False):
    """The charts' metric figures per day (messaging/rollout/daily.py), in the reference's
    shapes."""
    window = {"since": since, "include_test": include_test, "by_day": True}
    return {
        "writes": {
            (r["day"], r["flow"]): (r["requests"], r["failed"])
            for r in daily.write_requests(**window)
        },
        "latency": {
            (r["flow"], r["day"]): {"count": r["requests"], "p50": r["p50"], "p95": r["p95"]}
            for r in daily.latency(**window)
        },
        "path": {(r["day"], r["page"]): r["views"] for r in daily.recent_path(**window)["days"]},
    }


def daily_expected(since, include_test=False):
    return {
        "writes": ref.daily_write_requests(since, include_test),
        "latency": ref.daily_latency(since, include_test),
        "path": ref.daily_path(since, include_test),
    }


@pytest.mark.parametrize("include_test", [False, True], ids=["real traffic", "with test"])
@pytest.mark.parametrize("rolled", ["none", "all closed hours", "up to 5 days ago"])
def test_every_figure_equals_the_figure_from_the_raw_events(events, rolled, include_test):
    now = events
    if rolled == "all closed hours":
        assert rollup_job.roll_up(now=now) > 0
        assert rollups.rolled_until() == rollups.floor_hour(now - rollups.GRACE)
    elif rolled == "up to 5 days ago":
        rollup_job.roll_up(now=now - timedelta(days=5))
    for since in windows(now):
        got = dashboard_figures(since, include_test)
        assert got == expected(since, include_test), since
        assert daily_figures(since, include_test) == daily_expected(since, include_test), since
    # The rollups really are what is read: the rolled hours' events are counted in them.
    if rolled == "all closed hours":
        assert MetricHourly.objects.exists() and MetricHourlySet.objects.exists()
        assert MetricHourly.objects.filter(test=True).exists()


def test_test_traffic_changes_the_figures_only_when_included(events):
    rollup_job.roll_up(now=events)
    since = dashboard.window_start(window="30d", now=events)
    assert dashboard_figures(since) != dashboard_figures(since, include_test=True)


def test_latency_percentiles_are_within_one_percent_of_the_nearest_rank(events):
    rollup_job.roll_up(now=events)
    since = dashboard.window_start(window="30d", now=events)
    exact = ref.latency(since)
    shown = dashboard.latency_percentiles(since=since)
    assert shown
    for group in shown:
        figures = exact[(group["flow"], group["event"])]
        assert group["count"] == figures["count"]
        for p in (50, 95, 99):
            assert abs(group[f"p{p}"] - figures[f"exact_p{p}"]) <= 0.01 * figures[f"exact_p{p}"]


def test_stage_reports_and_criteria_equal_the_raw_events(events, settings):
    now = events
    # Stage changes at unaligned times: each period starts and ends inside an hour.
    moments = [now - timedelta(days=9, minutes=7), now - timedelta(days=4, minutes=41)]
    for stage in ("A", "B"):
        rollout.set_stage(CURATED_LIST_FLOW, stage, actor="qa", reason="test", force=True)
    for change, at in zip(FlagChange.objects.order_by("pk"), moments, strict=True):
        FlagChange.objects.filter(pk=change.pk).update(at=at)
    rollup_job.roll_up(now=now)
    reports = next(f["reports"] for f in stage_reports() if f["flag"] == CURATED_LIST_FLOW)
    assert [r["stage"] for r in reports] == ["B", "A"]
    for report in reports:
        want = ref.stage_figures(report["start"], report["end"])
        assert report["veterans"] == want["veterans"]
        assert {e["status_code"]: e["n"] for e in report["errors"]} == want["errors"]
        error_rate = next(c for c in report["criteria"] if c.name == "error rate")
        (n1, f1), (n0, f0) = (
            want["error_rate_counts"]["curated"],
            want["error_rate_counts"]["legacy"],
        )
        assert f"new {f1 / n1:.1%} of {n1} vs base {f0 / n0:.1%} of {n0};" in error_rate.detail
        collection = next(c for c in report["criteria"] if c.name == "collection")
        if "no message" not in collection.detail:
            assert collection.detail.startswith(f"{want['collected']} send metrics")
