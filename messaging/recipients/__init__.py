"""Recipients: the one place that knows who a veteran may message.

`recipients_for(veteran)` reads the normalised care teams the adapters stored and
answers every question the pages, the services and the API ask. Its query count
does not depend on how many teams the veteran has.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from .common import ORACLE_HEALTH, VISTA, CareSystemRef, Recipient

__all__ = ["Recipient", "CareSystemRef", "RecipientSet", "recipients_for", "VISTA", "ORACLE_HEALTH"]


@dataclass(frozen=True)
class RecipientSet:
    """A veteran's recipients, in data order (VistA payload order, then OH registrations)."""

    recipients: tuple[Recipient, ...]

    @cached_property
    def _by_id(self) -> dict[int, Recipient]:
        return {r.id: r for r in self.recipients}

    def get(self, recipient_id: int | str | None) -> Recipient | None:
        try:
            return self._by_id.get(int(recipient_id))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return None

    def can_message(self, recipient_id: int | str | None) -> bool:
        recipient = self.get(recipient_id)
        return bool(recipient and recipient.can_message)

    @cached_property
    def messageable(self) -> tuple[Recipient, ...]:
        return tuple(r for r in self.recipients if r.can_message)

    @cached_property
    def care_systems(self) -> tuple[CareSystemRef, ...]:
        """Every care system the veteran has a team in, in data order."""
        return tuple(dict.fromkeys(r.care_system for r in self.recipients))

    @cached_property
    def messageable_systems(self) -> tuple[CareSystemRef, ...]:
        """Care systems with at least one team the veteran may message, in data order."""
        return tuple(dict.fromkeys(r.care_system for r in self.messageable))

    @cached_property
    def blocked_systems(self) -> tuple[CareSystemRef, ...]:
        """Care systems where every one of the veteran's teams is blocked."""
        return tuple(
            system
            for system in self.care_systems
            if all(r.blocked for r in self.recipients if r.care_system == system)
        )

    @cached_property
    def blocked_teams(self) -> tuple[Recipient, ...]:
        return tuple(r for r in self.recipients if r.blocked)

    def in_system(
        self, station_number: str, *, messageable_only: bool = True
    ) -> tuple[Recipient, ...]:
        pool = self.messageable if messageable_only else self.recipients
        return tuple(r for r in pool if r.care_system.station_number == station_number)

    @property
    def has_vista(self) -> bool:
        return any(r.source == VISTA for r in self.recipients)

    @property
    def has_oh(self) -> bool:
        return any(r.source == ORACLE_HEALTH for r in self.recipients)

    @property
    def can_message_anyone(self) -> bool:
        return bool(self.messageable)


_TEAM_COLUMNS = (
    "upstream_id",
    "source",
    "name",
    "display_name",
    "signature_required",
    "care_system_id",
    "care_system__station_number",
    "care_system__name",
    "care_system__ehr",
)


def _recipients(rows, systems: dict, seen: set, out: list) -> None:
    """Rows of (_TEAM_COLUMNS..., blocked, on_contact_list) -> Recipients. Plain tuples, not
    model instances: with 2,000 teams the page pays for rows, not for ORM objects."""
    for (
        upstream_id,
        source,
        name,
        display,
        signature,
        system_id,
        station,
        system_name,
        ehr,
        blocked,
        listed,
    ) in rows:  # noqa: E501
        if upstream_id in seen:  # the loader refuses duplicates; stay safe on old data
            continue
        seen.add(upstream_id)
        system = systems.get(system_id)
        if system is None:
            system = systems[system_id] = CareSystemRef(station, system_name, ehr)
        out.append(
            Recipient(
                id=upstream_id,
                source=source,
                name=name,
                display_name=display,
                care_system=system,
                blocked=blocked,
                on_contact_list=listed,
                signature_required=signature,
            )
        )


def recipients_for(veteran) -> RecipientSet:
    """The veteran's recipients, VistA-linked and OH pools alike (two queries, whatever the
    number of teams)."""
    from django.db.models import Value

    from messaging.models import CareTeam, VeteranTeam

    systems: dict[int, CareSystemRef] = {}
    recipients: list[Recipient] = []
    seen: set[int] = set()
    links = (
        VeteranTeam.objects.filter(veteran=veteran)
        .order_by("position", "pk")
        .values_list(*(f"care_team__{c}" for c in _TEAM_COLUMNS), "blocked", "on_contact_list")
    )
    _recipients(links, systems, seen, recipients)
    pools = (
        CareTeam.objects.filter(per_facility=True, care_system__oh_registrations__veteran=veteran)
        .order_by("care_system__oh_registrations__position", "position", "pk")
        .values_list(*_TEAM_COLUMNS, Value(False), Value(True))
    )
    _recipients(pools, systems, seen, recipients)
    return RecipientSet(recipients=tuple(recipients))
