"""Recipients: the one place that knows who a veteran may message.

`recipients_for(veteran)` answers every question the pages, the services and the API ask
about the veteran's recipients, from the normalised care teams the adapters stored. Each
question reads only what answers it: a summary per care system (two grouped queries), the
teams of one system, a few teams by id, or, when a page really lists every team, all of
them. The number of queries never depends on how many teams the veteran has, and neither
does the work a flow page does (a veteran with 2,000 teams opens the interstitial as fast
as one with 10).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

from . import queries
from .common import ORACLE_HEALTH, VISTA, CareSystemRef, Recipient, may_message

__all__ = [
    "Recipient",
    "CareSystemRef",
    "RecipientSet",
    "SystemSummary",
    "recipients_for",
    "VISTA",
    "ORACLE_HEALTH",
]


@dataclass(frozen=True, slots=True)
class SystemSummary:
    """How many of the veteran's teams one care system holds, and of what kind."""

    system: CareSystemRef
    sources: frozenset[str]
    teams: int
    blocked: int
    messageable: int


class RecipientSet:
    """A veteran's recipients, in data order (VistA payload order, then OH registrations)."""

    def __init__(self, veteran):
        self._veteran = veteran
        self._systems: dict[int, CareSystemRef] = {}  # one CareSystemRef per care system
        self._known: dict[int, Recipient | None] = {}  # teams read by id so far
        self._by_station: dict[str, tuple[Recipient, ...]] = {}
        # Once the summary is read: station -> (VistA-linked teams, OH pools), so that a read
        # skips the query for a kind of team the veteran has none of there, and the version
        # of the system's pool data (team_options caches the pools' options by it).
        self._kinds: dict[str, tuple[int, int]] | None = None
        self._pool_versions: dict[str, int] = {}

    # --- The whole list (pages and endpoints that show every team) ------------------------

    @cached_property
    def recipients(self) -> tuple[Recipient, ...]:
        return tuple(self._read())

    def _everything_read(self) -> bool:
        return "recipients" in self.__dict__

    @cached_property
    def _by_id(self) -> dict[int, Recipient]:
        return {r.id: r for r in self.recipients}

    @cached_property
    def messageable(self) -> tuple[Recipient, ...]:
        return tuple(r for r in self.recipients if r.can_message)

    # --- Teams by id ----------------------------------------------------------------------

    def get(self, recipient_id: int | str | None) -> Recipient | None:
        try:
            wanted = int(recipient_id)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return None
        return self.get_many([wanted]).get(wanted)

    def get_many(self, recipient_ids: Iterable[int]) -> dict[int, Recipient]:
        """The veteran's teams among these ids (one read for all the ids not seen yet)."""
        # Ids that fit no database integer name no team (and would not fit the query).
        ids = {int(i) for i in recipient_ids if i is not None and -(2**63) <= int(i) < 2**63}
        if self._everything_read():
            return {i: self._by_id[i] for i in ids if i in self._by_id}
        missing = ids - self._known.keys()
        if missing:
            found = {r.id: r for r in self._read(ids=missing)}
            self._known.update({i: found.get(i) for i in missing})
        return {i: r for i in ids if (r := self._known[i]) is not None}

    def can_message(self, recipient_id: int | str | None) -> bool:
        recipient = self.get(recipient_id)
        return bool(recipient and recipient.can_message)

    # --- Care systems ---------------------------------------------------------------------

    @cached_property
    def summary(self) -> tuple[SystemSummary, ...]:
        """Every care system the veteran has a team in, in data order, with its counts."""
        if self._everything_read():
            return _summarise(self.recipients)
        return self._read_summary()

    @cached_property
    def care_systems(self) -> tuple[CareSystemRef, ...]:
        return tuple(s.system for s in self.summary)

    @cached_property
    def messageable_systems(self) -> tuple[CareSystemRef, ...]:
        """Care systems with at least one team the veteran may message, in data order."""
        return tuple(s.system for s in self.summary if s.messageable)

    @cached_property
    def blocked_systems(self) -> tuple[CareSystemRef, ...]:
        """Care systems where every one of the veteran's teams is blocked."""
        return tuple(s.system for s in self.summary if s.blocked == s.teams)

    @cached_property
    def blocked_teams(self) -> tuple[Recipient, ...]:
        if self._everything_read():
            return tuple(r for r in self.recipients if r.blocked)
        if not any(s.blocked for s in self.summary):
            return ()
        return tuple(self._read(blocked=True))

    def teams_count(self, system: CareSystemRef) -> int:
        return next((s.teams for s in self.summary if s.system == system), 0)

    def in_system(
        self, station_number: str, *, messageable_only: bool = True, pools: bool = True
    ) -> tuple[Recipient, ...]:
        if not pools:  # the veteran's own (VistA-linked) teams there only
            teams = tuple(self._read(station=station_number, pools=False))
            return tuple(r for r in teams if r.can_message) if messageable_only else teams
        if self._everything_read():
            teams = tuple(
                r for r in self.recipients if r.care_system.station_number == station_number
            )
        else:
            if station_number not in self._by_station:
                known = any(s.system.station_number == station_number for s in self.summary)
                self._by_station[station_number] = (
                    tuple(self._read(station=station_number)) if known else ()
                )
            teams = self._by_station[station_number]
        return tuple(r for r in teams if r.can_message) if messageable_only else teams

    def kinds_in(self, station_number: str) -> tuple[int, int, int]:
        """(VistA-linked teams, OH pools, pool-data version) the veteran has in one system."""
        _ = self.summary
        if self._kinds is None:  # the summary came from the whole list: ask the database
            self._read_summary()
        linked, pooled = (self._kinds or {}).get(station_number, (0, 0))
        return linked, pooled, self._pool_versions.get(station_number, 0)

    def pools_in_system(self, station_number: str) -> tuple[Recipient, ...]:
        """The OH pools of one system the veteran is registered at (the same for every
        veteran registered there)."""
        return tuple(self._read(station=station_number, links=False))

    @property
    def has_vista(self) -> bool:
        return any(VISTA in s.sources for s in self.summary)

    @property
    def has_oh(self) -> bool:
        return any(ORACLE_HEALTH in s.sources for s in self.summary)

    @property
    def can_message_anyone(self) -> bool:
        return bool(self.messageable_systems)

    # --- Reading ----------------------------------------------------------------------------

    def _system(self, system_id: int, station: str, name: str, ehr: str) -> CareSystemRef:
        system = self._systems.get(system_id)
        if system is None:
            system = self._systems[system_id] = CareSystemRef(station, name, ehr)
        return system

    def _read(
        self, *, ids=None, station=None, blocked=None, links=True, pools=True
    ) -> list[Recipient]:
        """The veteran's teams, in data order: VistA-linked teams, then the OH pools of the
        facilities they are registered at, narrowed when asked (one query, `queries.py`).
        Plain rows, not model instances: with 2,000 teams a page pays for rows only."""
        want_links, want_pools = self._kinds_wanted(station)
        rows = queries.team_rows(
            self._veteran.pk,
            ids=ids,
            station=station,
            blocked=blocked,
            links=want_links and links,
            pools=want_pools and pools,
        )
        return self._recipients(rows)

    def sent_to_since(self, since, *, message_table: str, sent_state: str) -> list[Recipient]:
        """The veteran's teams they sent a message to since `since`, most recent first (one
        query); each is also remembered for `get`."""
        rows = queries.recent_rows(
            self._veteran.pk, since=since, message_table=message_table, sent_state=sent_state
        )
        found = self._recipients(rows)
        if not self._everything_read():
            self._known.update({r.id: r for r in found})
        return found

    def _recipients(self, rows) -> list[Recipient]:
        recipients, seen = [], set()
        for row in rows:
            upstream_id, source, name, display, signature, system_id, *system = row[:9]
            if upstream_id in seen:  # the loader refuses duplicates; stay safe on old data
                continue
            seen.add(upstream_id)
            recipients.append(
                Recipient(
                    id=upstream_id,
                    source=source,
                    name=name,
                    display_name=display,
                    care_system=self._system(system_id, *system),
                    blocked=row[9],
                    on_contact_list=row[10],
                    signature_required=bool(signature),
                )
            )
        return recipients

    def _kinds_wanted(self, station: str | None) -> tuple[bool, bool]:
        if self._kinds is None:
            return True, True
        if station is not None:
            linked, pooled = self._kinds.get(station, (0, 0))
        else:
            linked = sum(n for n, _ in self._kinds.values())
            pooled = sum(n for _, n in self._kinds.values())
        return linked > 0, pooled > 0

    def _read_summary(self) -> tuple[SystemSummary, ...]:
        """One grouped query: the veteran's VistA links by system, source, blocked and
        contact-list state, then the OH pools offered to them by system and source."""
        rows = queries.summary_rows(self._veteran.pk)
        counts: dict[CareSystemRef, list] = {}  # system -> [sources, teams, blocked, messageable]
        kinds: dict[str, list[int]] = {}
        for system_id, station, name, ehr, source, blocked, listed, kind, teams, version in rows:
            kinds.setdefault(station, [0, 0])[kind] += teams
            if kind:
                self._pool_versions[station] = version
            entry = counts.setdefault(self._system(system_id, station, name, ehr), [set(), 0, 0, 0])
            entry[0].add(source)
            entry[1] += teams
            entry[2] += teams if blocked else 0
            entry[3] += teams if may_message(blocked=blocked, on_contact_list=listed) else 0
        self._kinds = {station: (linked, pooled) for station, (linked, pooled) in kinds.items()}
        return tuple(
            SystemSummary(system, frozenset(sources), teams, blocked, messageable)
            for system, (sources, teams, blocked, messageable) in counts.items()
        )


def _summarise(recipients: Iterable[Recipient]) -> tuple[SystemSummary, ...]:
    counts: dict[CareSystemRef, list] = {}
    for r in recipients:
        entry = counts.setdefault(r.care_system, [set(), 0, 0, 0])
        entry[0].add(r.source)
        entry[1] += 1
        entry[2] += r.blocked
        entry[3] += r.can_message
    return tuple(
        SystemSummary(system, frozenset(sources), teams, blocked, messageable)
        for system, (sources, teams, blocked, messageable) in counts.items()
    )


def recipients_for(veteran) -> RecipientSet:
    """The veteran's recipients, VistA-linked and OH pools alike. Lazy: nothing is read until
    a question is asked, and then only what answers it."""
    return RecipientSet(veteran)
