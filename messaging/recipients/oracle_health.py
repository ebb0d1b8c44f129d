"""Oracle Health message pools (per facility) -> common recipients.

A veteran may write to every pool at each OH facility they are registered at that
the visibility rules let through. Display name is the pool's external name, with
the provider for primary-care pools; the internal name is never shown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from .common import ORACLE_HEALTH, AdaptedTeam, Recipient, signature_required
from .registry import Registry


class Pool(BaseModel):
    model_config = ConfigDict(strict=True, extra="allow")

    poolId: int = Field(gt=0)
    externalName: str = Field(min_length=1, max_length=300)
    internalName: str | None = None
    description: str | None = None
    locationStationNumber: str | None = Field(default=None, max_length=16)
    primaryCareProvider: str | None = None
    patientFacing: bool | None = None
    active: bool = True
    signatureRequired: bool | None = None
    legacyVistaTriageGroupId: int | None = None


class FacilityPools(BaseModel):
    model_config = ConfigDict(strict=True, extra="allow")

    stationNumber: str = Field(min_length=1, max_length=16)
    pools: list[Pool]


@dataclass(frozen=True)
class VisibilityRule:
    """A reason a pool is never offered to veterans, and where the rule comes from."""

    name: str
    reason: str
    source: str
    hides: Callable[[Pool], bool]


VISIBILITY_RULES: tuple[VisibilityRule, ...] = (
    VisibilityRule(
        "inactive",
        "Inactive pools receive no messages.",
        "shared/spec/data.md (active: false: never offered)",
        lambda p: not p.active,
    ),
    VisibilityRule(
        "not-patient-facing",
        "Only pools marked patient-facing are for veterans; a missing flag is not a yes.",
        "shared/spec/data.md; issue 7 (pools without patientFacing are never offered)",
        lambda p: not p.patientFacing,
    ),
    VisibilityRule(
        "internal-name",
        "A leading '*' marks a staff-internal pool.",
        "issue 7 (pool visibility rules), from care coordinators' feedback",
        lambda p: p.externalName.lstrip().startswith("*"),
    ),
    VisibilityRule(
        "joint-dod",
        "FHCC pools belong to joint VA/DoD Federal Health Care Centers and are not reachable this way.",
        "issue 7 (joint DoD pools, FHCC ..., at joint facilities)",
        lambda p: p.externalName.strip().upper().startswith("FHCC "),
    ),
)


def pool_is_offered(pool: Pool) -> bool:
    return not any(rule.hides(pool) for rule in VISIBILITY_RULES)


def display_name(pool: Pool) -> str:
    if pool.primaryCareProvider:
        return f"{pool.externalName} - {pool.primaryCareProvider}"
    return pool.externalName


def adapt_pools(facilities: Iterable[FacilityPools], registry: Registry) -> list[AdaptedTeam]:
    """Every offered pool of every facility, in data order. Stations must be in the registry."""
    teams = []
    for facility in facilities:
        for pool in facility.pools:
            if not pool_is_offered(pool):
                continue
            station = pool.locationStationNumber or facility.stationNumber
            care_system = registry.system_for(station) or registry.system_for(
                facility.stationNumber
            )
            if care_system is None:  # the loader refuses such bundles before adapting
                raise ValueError(f"unknown OH station {station}")
            recipient = Recipient(
                id=pool.poolId,
                source=ORACLE_HEALTH,
                name=pool.externalName,
                display_name=display_name(pool),
                care_system=care_system,
                blocked=False,
                on_contact_list=True,
                signature_required=signature_required(pool.signatureRequired, pool.externalName),
            )
            teams.append(
                AdaptedTeam(
                    recipient=recipient,
                    station_number=station,
                    source_record=pool.model_dump(mode="json"),
                    per_facility=True,
                    legacy_vista_triage_group_id=pool.legacyVistaTriageGroupId,
                )
            )
    return teams
