"""The care-system registry: which system a station (or sub-facility) belongs to."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .common import VISTA, CareSystemRef, Source


class Migration(BaseModel):
    """A VistA system's move to Oracle Health (transition.md): the cutover date T, or
    `inDays`, T as days after the day the bundle is loaded (negative: in the past)."""

    model_config = ConfigDict(strict=True, extra="forbid")

    date: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$")
    inDays: int | None = Field(default=None, ge=-36500, le=36500)

    @field_validator("date")
    @classmethod
    def _a_real_date(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                datetime.date.fromisoformat(value)
            except ValueError as exc:
                raise ValueError(f"{value} is not a date") from exc
        return value

    @model_validator(mode="after")
    def _date_or_days(self) -> Migration:
        if (self.date is None) == (self.inDays is None):
            raise ValueError("give either date or inDays")
        return self

    def cutover(self, *, loaded_on: datetime.date) -> datetime.date:
        """T as a date: `inDays` counts from the day the bundle is loaded."""
        if self.date is not None:
            return datetime.date.fromisoformat(self.date)
        return loaded_on + datetime.timedelta(days=self.inDays or 0)


class CareSystemEntry(BaseModel):
    """A registry entry as the data bundle gives it."""

    model_config = ConfigDict(strict=True, extra="ignore")

    stationNumber: str = Field(min_length=1, max_length=16)
    name: str = Field(min_length=1, max_length=200)
    ehr: Source
    facilities: list[str] = Field(default_factory=list)
    migration: Migration | None = None

    def migration_problem(self) -> str | None:
        """Why this entry's migration is not allowed (only VistA systems move), or None."""
        if self.migration is not None and self.ehr != VISTA:
            return f"only a VistA system can move to Oracle Health ({self.stationNumber} is {self.ehr})"
        return None


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
