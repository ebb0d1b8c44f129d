"""The common recipient: the one shape every page, service and API speaks."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from messaging.common.choices import Ehr

# A care team's source is its EHR; one definition, in messaging.common.choices (the input
# models validate it as one of the plain values).
Source = Literal[Ehr.VISTA.value, Ehr.ORACLE_HEALTH.value]
VISTA = Ehr.VISTA
ORACLE_HEALTH = Ehr.ORACLE_HEALTH


@dataclass(frozen=True, slots=True)
class CareSystemRef:
    station_number: str
    name: str
    ehr: Source


@dataclass(frozen=True, slots=True)
class Recipient:
    id: int
    source: Source
    name: str
    display_name: str
    care_system: CareSystemRef
    blocked: bool
    on_contact_list: bool
    signature_required: bool
    # Facility transitions (recipients/transitions.py): a team at a system moving to Oracle
    # Health in p1-p5, and a team locked now (p3-p5: the veteran's, but never offered).
    migrating_to_oh: bool = False
    locked: bool = False

    @property
    def can_message(self) -> bool:
        return not self.locked and may_message(
            blocked=self.blocked, on_contact_list=self.on_contact_list
        )


def may_message(*, blocked: bool, on_contact_list: bool) -> bool:
    """The rule: a team can be messaged unless it is blocked, and only from the contact list
    (Oracle Health pools are never blocked and always on it)."""
    return not blocked and on_contact_list


@dataclass(frozen=True, slots=True)
class AdaptedTeam:
    """What an adapter hands the loader: the recipient plus what is kept for traceability."""

    recipient: Recipient
    station_number: str
    source_record: dict[str, Any]
    per_facility: bool = False
    legacy_vista_triage_group_id: int | None = None


# Release of Information, privacy and record-amendment teams need a signature when
# the upstream does not say.
_SIGNATURE_NAME = re.compile(
    r"release\s+of\s+information|privacy\s+issues?|record\s+amendment", re.IGNORECASE
)


def signature_required(explicit: bool | None, *names: str | None) -> bool:
    """The signature rule: an explicit upstream flag wins, else the team's name decides."""
    if explicit is not None:
        return explicit
    return any(name and _SIGNATURE_NAME.search(name) for name in names)


def path_of(loc: tuple[str | int, ...], prefix: str = "") -> str:
    """Render a location tuple as a JSON path: ("veterans", 2, "username") -> veterans[2].username."""
    out = prefix
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out
