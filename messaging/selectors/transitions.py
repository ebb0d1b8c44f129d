"""What the pages say about the veteran's care systems moving to Oracle Health
(transition.md, "Behaviour"), from the adapter's per-veteran list of moving systems."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from itertools import groupby

from django.db.models import Count, Q

from messaging.common import clock
from messaging.common.choices import Ehr
from messaging.models import CareSystem, VeteranTeam
from messaging.recipients import Kind, MovingSystem, RecipientSet
from messaging.recipients.transitions import days_from_cutover, phase_of
from messaging.rollout import rollups, telemetry


@dataclass(frozen=True)
class LockedGroup:
    """Systems locked until the same day: one error alert lists them."""

    systems: tuple[MovingSystem, ...]

    @property
    def messaging_resumes(self) -> date:
        return self.systems[0].messaging_resumes

    @property
    def key(self) -> str:
        return self.systems[0].system.station_number


@dataclass(frozen=True)
class TransitionAlerts:
    warnings: tuple[MovingSystem, ...] = ()  # p1, p2: one warning alert each
    locked: tuple[LockedGroup, ...] = ()  # p3-p5: one error alert per resume date
    coming: tuple[LockedGroup, ...] = ()  # contact list, p1-p2: per cutover date
    updated: tuple[MovingSystem, ...] = ()  # contact list, p6-p8
    shown: tuple[MovingSystem, ...] = field(default=())  # every system an alert names

    def __bool__(self) -> bool:
        return bool(self.shown)


def _by_date(systems, key) -> tuple[LockedGroup, ...]:
    ordered = sorted(systems, key=key)
    return tuple(LockedGroup(tuple(group)) for _, group in groupby(ordered, key=key))


def transition_alerts(
    *, recipients: RecipientSet, contact_list: bool = False, station: str | None = None
) -> TransitionAlerts:
    """The alerts for one page: warnings and the locked alert (the flow's pages and the
    inbox), or the contact list's own copy. `station` narrows them to one care system (start
    message speaks of the chosen team's system only)."""
    moving = recipients.moving_systems
    if station is not None:
        moving = tuple(m for m in moving if m.system.station_number == station)
    if not moving:
        return TransitionAlerts()
    warned = tuple(m for m in moving if m.kind == Kind.WARNING)
    locked = tuple(m for m in moving if m.kind == Kind.LOCKED)
    after = tuple(m for m in moving if m.kind == Kind.AFTER)
    locked_groups = _by_date(locked, lambda m: m.messaging_resumes)
    if contact_list:
        shown = warned + locked + after
        return TransitionAlerts(
            locked=locked_groups,
            coming=_by_date(warned, lambda m: m.cutover),
            updated=after,
            shown=shown,
        )
    return TransitionAlerts(warnings=warned, locked=locked_groups, shown=warned + locked)


# --- Staff: every migration and how the lock is working --------------------------------------


@dataclass(frozen=True)
class MigrationReport:
    station_number: str
    name: str
    cutover: date
    phase: str  # "p0".."p9", or "-" before p0
    kind: str
    veterans: int  # veterans with VistA teams at the system
    drafts_refused: int
    sends_refused: int


def migrations_overview(*, today: date | None = None) -> list[MigrationReport]:
    """Each migration in the registry with its date, phase today (on the deployment's clock),
    the veterans it affects and the drafts and sends refused because of it (ever: from the
    metric rollups, which outlive the raw events' retention). A few queries."""
    today = today or clock.today()
    systems = list(
        CareSystem.objects.filter(migration_date__isnull=False).order_by("migration_date", "name")
    )
    veterans = dict(
        VeteranTeam.objects.filter(care_team__care_system__in=systems, care_team__source=Ehr.VISTA)
        .values_list("care_team__care_system__station_number")
        .annotate(n=Count("veteran", distinct=True))
    )
    refused: dict[tuple[str, str], int] = {}
    rows = rollups.counts(
        since=datetime.min.replace(tzinfo=UTC),
        where=Q(name=telemetry.MIGRATION_REFUSED),
        by=("station", "page"),
        include_test=True,
    )
    for (station, event), n in rows.items():
        kind = "send" if event == telemetry.MESSAGE_SENT else "draft"
        refused[station, kind] = refused.get((station, kind), 0) + n
    reports = []
    for system in systems:
        phase = phase_of(days_from_cutover(system.migration_date, today))
        reports.append(
            MigrationReport(
                station_number=system.station_number,
                name=system.name,
                cutover=system.migration_date,
                phase=phase[0] if phase else "-",
                kind=phase[1].value if phase else "none",
                veterans=veterans.get(system.station_number, 0),
                drafts_refused=refused.get((system.station_number, "draft"), 0),
                sends_refused=refused.get((system.station_number, "send"), 0),
            )
        )
    return reports
