"""What the pages say about the veteran's care systems moving to Oracle Health
(transition.md, "Behaviour"), from the adapter's per-veteran list of moving systems."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from itertools import groupby

from messaging.recipients import Kind, MovingSystem, RecipientSet


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
