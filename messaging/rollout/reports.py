"""Stage reports (rollout.md, "Stage reports"): per flag and stage, what the product
measures and what staff wrote. Test traffic is left out unless `include_test`."""

from __future__ import annotations

from django.db.models import Count

from messaging.common.choices import Flow
from messaging.models import StageReport
from messaging.rollout import stages as rollout
from messaging.rollout import telemetry
from messaging.rollout.flags import ALL_FLAGS
from messaging.rollout.traffic import events


def stage_reports(*, include_test: bool = False) -> list[dict]:
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
            period_events = events(include_test=include_test).filter(at__gte=start)
            if end:
                period_events = period_events.filter(at__lt=end)
            reports.append(
                {
                    **period,
                    "veterans": period_events.filter(flow=Flow.CURATED)
                    .exclude(veteran_id=None)
                    .values("veteran_id")
                    .distinct()
                    .count(),
                    "criteria": rollout.stage_criteria(
                        since=start, until=end, include_test=include_test
                    ),
                    "errors": list(
                        period_events.filter(name__in=telemetry.WRITE_EVENTS, status_code__gte=400)
                        .values("status_code")
                        .annotate(n=Count("id"))
                        .order_by("status_code")
                    ),
                    "written": written.get((name, period["stage"])),
                }
            )
        flags.append({"flag": name, "reports": reports})
    return flags
