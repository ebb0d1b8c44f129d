"""Stage reports (rollout.md, "Stage reports"): per flag and stage, what the product
measures (from the metric rollups) and what staff wrote. Test traffic is left out unless
`include_test`."""

from __future__ import annotations

from django.db.models import Q

from messaging.models import StageReport
from messaging.rollout import rollups, telemetry
from messaging.rollout import stages as rollout
from messaging.rollout.flags import ALL_FLAGS


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
            window = {"since": period["start"], "until": period["end"]}
            curated = rollups.sets(series="new_flow", include_test=include_test, **window)
            errors = rollups.counts(
                where=Q(name__in=telemetry.WRITE_EVENTS, status_code__gte=400),
                by=("status_code",),
                include_test=include_test,
                **window,
            )
            reports.append(
                {
                    **period,
                    "veterans": len(curated[""].veterans) if "" in curated else 0,
                    "criteria": rollout.stage_criteria(**window, include_test=include_test),
                    "errors": [
                        {"status_code": status, "n": n} for (status,), n in sorted(errors.items())
                    ],
                    "written": written.get((name, period["stage"])),
                }
            )
        flags.append({"flag": name, "reports": reports})
    return flags
