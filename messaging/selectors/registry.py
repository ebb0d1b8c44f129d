"""What the registry already holds: the stored care systems and Oracle Health pools, in the
bundle's terms, so a bundle (or a QA test veteran) may reference them without repeating them."""

from __future__ import annotations

from messaging.models import CareSystem, CareTeam
from messaging.recipients.registry import CareSystemEntry


def loaded_care_systems() -> list[CareSystemEntry]:
    """The care systems stored from the registry, as bundle entries."""
    return [
        CareSystemEntry(
            stationNumber=station, name=name, ehr=ehr, facilities=list(facilities or [])
        )
        for station, name, ehr, facilities in CareSystem.objects.filter(
            in_registry=True
        ).values_list("station_number", "name", "ehr", "facilities")
    ]


def loaded_pool_ids() -> dict[str, list[int]]:
    """The stored Oracle Health pool ids, by care system station."""
    pools: dict[str, list[int]] = {}
    for station, pool_id in CareTeam.objects.filter(per_facility=True).values_list(
        "care_system__station_number", "upstream_id"
    ):
        pools.setdefault(station, []).append(pool_id)
    return pools
