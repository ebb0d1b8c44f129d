"""The care-system registry: which system a station (or sub-facility) belongs to."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from .common import CareSystemRef, Source


class Migration(BaseModel):
    """A VistA system's move to Oracle Health (transition.md): a date or days from load."""

    model_config = ConfigDict(strict=True, extra="forbid")

    date: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$")
    inDays: int | None = Field(default=None, ge=-36500, le=36500)


class CareSystemEntry(BaseModel):
    """A registry entry as the data bundle gives it."""

    model_config = ConfigDict(strict=True, extra="ignore")

    stationNumber: str = Field(min_length=1, max_length=16)
    name: str = Field(min_length=1, max_length=200)
    ehr: Source
    facilities: list[str] = Field(default_factory=list)
    migration: Migration | None = None


@dataclass(frozen=True)
class Registry:
    systems: dict[str, CareSystemRef]
    facility_to_system: dict[str, str]

    @classmethod
    def from_entries(cls, entries: Iterable[CareSystemEntry]) -> Registry:
        systems: dict[str, CareSystemRef] = {}
        facilities: dict[str, str] = {}
        for entry in entries:
            systems[entry.stationNumber] = CareSystemRef(entry.stationNumber, entry.name, entry.ehr)
            facilities[entry.stationNumber] = entry.stationNumber
            for facility in entry.facilities:
                facilities.setdefault(facility, entry.stationNumber)
        return cls(systems=systems, facility_to_system=facilities)

    def system_for(self, station_number: str) -> CareSystemRef | None:
        """The care system a station or sub-facility belongs to, or None when unknown."""
        system = self.facility_to_system.get(station_number)
        return self.systems[system] if system else None
