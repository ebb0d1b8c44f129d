"""Facility transitions: a VistA care system's move to Oracle Health, phase by phase.

The phase of a moving system is a function of d = today - T (T: the cutover date, today from
the one clock, `messaging.common.clock`). This module is the only place that knows the phase
table (transition.md); the adapter (`RecipientSet`) applies it to what a veteran is offered,
and everything else sees only the common recipient (`migrating_to_oh`, `locked`) and the
veteran's list of moving systems (`MovingSystem`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from .common import ORACLE_HEALTH, CareSystemRef


class Kind(StrEnum):
    """What a phase means for veterans (transition.md, "Phases")."""

    QUIET = "quiet"  # p0: nothing shown yet
    WARNING = "warning"  # p1, p2: teams work, veterans are warned
    LOCKED = "locked"  # p3, p4, p5: the system's VistA teams cannot be messaged
    AFTER = "after"  # p6, p7, p8: the OH pools are offered in place of the VistA teams
    DONE = "done"  # p9: nothing shown


# (phase, first day d it starts on, kind), in order. Before -60: no phase.
PHASES: tuple[tuple[str, int, Kind], ...] = (
    ("p0", -60, Kind.QUIET),
    ("p1", -45, Kind.WARNING),
    ("p2", -30, Kind.WARNING),
    ("p3", -6, Kind.LOCKED),
    ("p4", -3, Kind.LOCKED),
    ("p5", 0, Kind.LOCKED),
    ("p6", 2, Kind.AFTER),
    ("p7", 7, Kind.AFTER),
    ("p8", 30, Kind.AFTER),
    ("p9", 45, Kind.DONE),
)
FIRST_LOCKED_DAY = -6  # d of the first day of p3
MESSAGING_RESUMES = 2  # d of the first day of p6: the OH pools are offered from then on


def days_from_cutover(cutover: date, today: date) -> int:
    """d = today - T, in days."""
    return (today - cutover).days


def phase_of(days: int) -> tuple[str, Kind] | None:
    """The phase (name, kind) for d = today - T, or None before p0 (d < -60)."""
    found = None
    for name, starts, kind in PHASES:
        if days >= starts:
            found = (name, kind)
    return found


# --- What the adapter offers, per team kind -------------------------------------------------


class TeamState(StrEnum):
    OFFERED = "offered"
    LOCKED = "locked"  # the veteran's team, but it cannot be messaged now (and is not offered)
    HIDDEN = "hidden"  # not the veteran's now: VistA teams after cutover, pools before it


def vista_team_state(cutover: date | None, today: date | None) -> TeamState:
    """A team linked to the veteran (VistA's association) at a system moving on `cutover`."""
    if cutover is None or today is None:
        return TeamState.OFFERED
    days = days_from_cutover(cutover, today)
    if days < FIRST_LOCKED_DAY:
        return TeamState.OFFERED
    return TeamState.LOCKED if days < MESSAGING_RESUMES else TeamState.HIDDEN


def pool_state(cutover: date | None, today: date | None) -> TeamState:
    """An Oracle Health pool of a system moving on `cutover`: waits until messaging resumes."""
    if cutover is None or today is None:
        return TeamState.OFFERED
    days = days_from_cutover(cutover, today)
    return TeamState.OFFERED if days >= MESSAGING_RESUMES else TeamState.HIDDEN


def migrating_to_oh(cutover: date | None, today: date | None) -> bool:
    """True for a team at a system in p1-p5 (the API's `migratingToOh`)."""
    if cutover is None or today is None:
        return False
    phase = phase_of(days_from_cutover(cutover, today))
    return phase is not None and phase[1] in (Kind.WARNING, Kind.LOCKED)


def effective_ehr(system_ehr: str, cutover: date | None, today: date | None) -> str:
    """From T on, a moving system's EHR is Oracle Health."""
    if cutover is not None and today is not None and today >= cutover:
        return ORACLE_HEALTH
    return system_ehr


# --- The per-veteran list ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MovingSystem:
    """One of the veteran's care systems that is moving to Oracle Health, in p0-p8."""

    system: CareSystemRef
    cutover: date
    phase: str
    kind: Kind
    facilities: int = 1  # how many facilities the system has ("this facility" or "these")

    @property
    def first_locked_day(self) -> date:
        return self.cutover + timedelta(days=FIRST_LOCKED_DAY)

    @property
    def last_locked_day(self) -> date:
        return self.cutover + timedelta(days=MESSAGING_RESUMES - 1)

    @property
    def messaging_resumes(self) -> date:
        """T + 2 days: "After {T + 2 days}, you'll be able to start a new message"."""
        return self.cutover + timedelta(days=MESSAGING_RESUMES)


def moving_system(
    system: CareSystemRef, cutover: date, today: date, *, facilities: int = 1
) -> MovingSystem | None:
    """The system as the veteran's moving system today, or None when nothing is to be said
    (before p0, or done in p9)."""
    phase = phase_of(days_from_cutover(cutover, today))
    if phase is None or phase[1] == Kind.DONE:
        return None
    return MovingSystem(system, cutover, phase[0], phase[1], facilities)
