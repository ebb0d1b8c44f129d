"""VistA triage teams: the per-veteran two-element payload -> common recipients.

Payload: `[{"associatedTriageGroups": n, ...}, {"triageTeam": [...]}]`, camelCase,
many optional fields. Entries with `ohTriageGroup: true` are Oracle Health groups
that the upstream flattened into this shape and become OH recipients.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from .common import ORACLE_HEALTH, VISTA, AdaptedTeam, CareSystemRef, Recipient, signature_required
from .registry import Registry


class TriageTeam(BaseModel):
    model_config = ConfigDict(strict=True, extra="allow")

    triageTeamId: int = Field(gt=0)
    name: str = Field(min_length=1, max_length=300)
    stationNumber: str = Field(min_length=1, max_length=16)
    blockedStatus: bool = False
    preferredTeam: bool = True
    relationType: str | None = None
    suggestedNameDisplay: str | None = None
    healthCareSystemName: str | None = None
    leadProviderName: str | None = None
    locationName: str | None = None
    teamName: str | None = None
    groupTypeEnumVal: str | None = None
    subGroupTypeEnumVal: str | None = None
    groupTypePatientDisplay: str | None = None
    subGroupTypePatientDisplay: str | None = None
    ohTriageGroup: bool | None = False
    signatureRequired: bool | None = None


class PayloadMeta(BaseModel):
    model_config = ConfigDict(strict=True, extra="allow")

    associatedTriageGroups: int | None = None
    associatedBlockedTriageGroups: int | None = None


class TeamList(BaseModel):
    model_config = ConfigDict(strict=True, extra="allow")

    triageTeam: list[TriageTeam]


# The payload as the bundle carries it: exactly two elements, meta then teams.
Payload = tuple[PayloadMeta, TeamList]


def _care_system(team: TriageTeam, registry: Registry) -> CareSystemRef:
    """Registry first (sub-facilities map to their system), then the payload's name, then the station."""
    known = registry.system_for(team.stationNumber)
    if known:
        return known
    ehr = ORACLE_HEALTH if team.ohTriageGroup else VISTA
    return CareSystemRef(team.stationNumber, team.healthCareSystemName or team.stationNumber, ehr)


def adapt_payload(payload: Payload, registry: Registry) -> list[AdaptedTeam]:
    """Turn one veteran's VistA payload into adapted teams, in payload order."""
    teams = []
    for team in payload[1].triageTeam:
        care_system = _care_system(team, registry)
        is_oh = bool(team.ohTriageGroup)
        recipient = Recipient(
            id=team.triageTeamId,
            source=ORACLE_HEALTH if is_oh else VISTA,
            name=team.name,
            display_name=team.suggestedNameDisplay or team.name,
            care_system=care_system,
            # OH groups have no per-veteran block and no contact list.
            blocked=False if is_oh else team.blockedStatus,
            on_contact_list=True if is_oh else team.preferredTeam,
            signature_required=signature_required(
                team.signatureRequired, team.name, team.suggestedNameDisplay
            ),
        )
        record: dict[str, Any] = team.model_dump(mode="json")
        teams.append(
            AdaptedTeam(
                recipient=recipient,
                station_number=team.stationNumber,
                source_record=record,
            )
        )
    return teams
