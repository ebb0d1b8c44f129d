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


def _system_ref(care_system) -> CareSystemRef:
    return CareSystemRef(care_system.station_number, care_system.name, care_system.ehr)


def _recipient(team, *, blocked: bool, on_contact_list: bool, systems: dict) -> Recipient:
    system = systems.setdefault(team.care_system_id, _system_ref(team.care_system))
    return Recipient(
        id=team.upstream_id,
        source=team.source,
        name=team.name,
        display_name=team.display_name,
        care_system=system,
        blocked=blocked,
        on_contact_list=on_contact_list,
        signature_required=team.signature_required,
    )


def recipients_for(veteran) -> RecipientSet:
    """The veteran's recipients, VistA-linked and OH pools alike (two queries, whatever the number of teams)."""
    from messaging.models import CareTeam, VeteranTeam

    systems: dict[int, CareSystemRef] = {}
    recipients: list[Recipient] = []
    seen: set[int] = set()
    links = (
        VeteranTeam.objects.filter(veteran=veteran)
        .select_related("care_team__care_system")
        .defer("care_team__source_record")
        .order_by("position", "pk")
    )
    for link in links:
        recipients.append(
            _recipient(
                link.care_team,
                blocked=link.blocked,
                on_contact_list=link.on_contact_list,
                systems=systems,
            )
        )
        seen.add(link.care_team.upstream_id)

    pools = (
        CareTeam.objects.filter(per_facility=True, care_system__oh_registrations__veteran=veteran)
        .select_related("care_system")
        .defer("source_record")
        .order_by("care_system__oh_registrations__position", "position", "pk")
    )
    for team in pools:
        if team.upstream_id in seen:  # the loader refuses this; stay safe on old data
            continue
        seen.add(team.upstream_id)
        recipients.append(_recipient(team, blocked=False, on_contact_list=True, systems=systems))
    return RecipientSet(recipients=tuple(recipients))
