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
from datetime import date
from functools import cached_property

from messaging.common import clock

from . import queries, transitions
from .common import ORACLE_HEALTH, VISTA, CareSystemRef, Recipient, may_message
from .transitions import Kind, MovingSystem, TeamState

__all__ = [
    "Recipient",
    "CareSystemRef",
    "CrosswalkPair",
    "Kind",
    "MovingSystem",
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


@dataclass(frozen=True, slots=True)
class CrosswalkPair:
    """A VistA team of the veteran's and the Oracle Health pool that replaces it."""

    vista_id: int
    vista_name: str
    oh_id: int
    oh_name: str
    station_number: str


class RecipientSet:
    """A veteran's recipients, in data order (VistA payload order, then OH registrations).

    Facility transitions are applied here and nowhere else: the teams of a system in its
    locked phase are the veteran's (`get` finds them, `locked`) but never offered; after the
    cutover the system's VistA teams are gone and its pools are offered in their place."""

    def __init__(self, veteran):
        self._veteran = veteran
        self._systems: dict[int, CareSystemRef] = {}  # one CareSystemRef per care system
        self._known: dict[int, Recipient | None] = {}  # teams read by id so far
        self._by_station: dict[str, tuple[Recipient, ...]] = {}
        # Once the summary is read: station -> (VistA-linked teams, OH pools), so that a read
        # skips the query for a kind of team the veteran has none of there, and the version
        # of the system's pool data (team_options caches the pools' options by it) where
        # those pools are offered to the veteran today.
        self._kinds: dict[str, tuple[int, int]] | None = None
        self._pool_versions: dict[str, int] = {}

    # --- The whole list (pages and endpoints that show every team) ------------------------

    @cached_property
    def _all(self) -> tuple[Recipient, ...]:
        """Every team of the veteran's, locked ones included."""
        return tuple(self._read())

    @cached_property
    def recipients(self) -> tuple[Recipient, ...]:
        """Every team offered to the veteran (locked teams are not)."""
        return tuple(r for r in self._all if not r.locked)

    def _everything_read(self) -> bool:
        return "_all" in self.__dict__

    @cached_property
    def _by_id(self) -> dict[int, Recipient]:
        return {r.id: r for r in self._all}

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
        return tuple(r for r in self._read(blocked=True) if not r.locked)

    def teams_count(self, system: CareSystemRef) -> int:
        return next((s.teams for s in self.summary if s.system == system), 0)

    def in_system(
        self, station_number: str, *, messageable_only: bool = True, pools: bool = True
    ) -> tuple[Recipient, ...]:
        if not pools:  # the veteran's own teams there only (VistA links, a move's pools)
            teams = tuple(self._read(station=station_number, pools=False))
        elif self._everything_read():
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
        if messageable_only:
            return tuple(r for r in teams if r.can_message)
        return tuple(r for r in teams if not r.locked)

    def kinds_in(self, station_number: str) -> tuple[int, int, int]:
        """(the veteran's own teams, OH pools of a facility they are registered at, pool-data
        version) in one system. The pools (and a version) only where they are offered to the
        veteran today: a moving system's pools wait for its cutover, on each veteran's clock."""
        _ = self.summary
        if self._kinds is None:  # the summary came from the whole list: ask the database
            self._read_summary()
        linked, pooled = (self._kinds or {}).get(station_number, (0, 0))
        version = self._pool_versions.get(station_number)
        return linked, pooled if version is not None else 0, version or 0

    def pools_in_system(self, station_number: str) -> tuple[Recipient, ...]:
        """The OH pools of one system the veteran is registered at (the same for every
        veteran registered there on the same day)."""
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

    # --- Facility transitions -----------------------------------------------------------------

    @cached_property
    def today(self) -> date:
        """The veteran's today on the one clock (read only when a moving system is met)."""
        return clock.today(user=self._veteran)

    @cached_property
    def moving_systems(self) -> tuple[MovingSystem, ...]:
        """The veteran's care systems (where they have VistA teams) that are moving to Oracle
        Health and in p0-p8 today, in data order, each with its phase and dates."""
        found: dict[int, tuple[CareSystemRef, date]] = {}
        for row in self._summary_rows:
            system_id, station, name, ehr, cutover, *_rest, kind, pool, _teams, _version = row
            if cutover is not None and kind == 0 and not pool and system_id not in found:
                found[system_id] = (self._system(system_id, station, name, ehr, cutover), cutover)
        if not found:
            return ()
        facilities = queries.facility_counts(found)
        moving = (
            transitions.moving_system(system, cutover, self.today, facilities=facilities[pk])
            for pk, (system, cutover) in found.items()
        )
        return tuple(m for m in moving if m is not None)

    def moving_system(self, station_number: str) -> MovingSystem | None:
        return next(
            (m for m in self.moving_systems if m.system.station_number == station_number), None
        )

    def moving(self, *kinds: Kind) -> tuple[MovingSystem, ...]:
        """The veteran's moving systems in phases of these kinds."""
        return tuple(m for m in self.moving_systems if m.kind in kinds)

    def crosswalk(self) -> tuple[CrosswalkPair, ...]:
        """The veteran's VistA teams paired with the Oracle Health pools that replace them."""
        return tuple(CrosswalkPair(*row) for row in queries.crosswalk_rows(self._veteran.pk))

    # --- Reading ----------------------------------------------------------------------------

    def _system(
        self, system_id: int, station: str, name: str, ehr: str, cutover: date | None = None
    ) -> CareSystemRef:
        system = self._systems.get(system_id)
        if system is None:
            if cutover is not None:  # from T on, a moving system is an Oracle Health system
                ehr = transitions.effective_ehr(ehr, cutover, self.today)
            system = self._systems[system_id] = CareSystemRef(station, name, ehr)
        return system

    def _state(self, cutover: date | None, *, pool: bool) -> TeamState:
        if cutover is None:
            return TeamState.OFFERED
        if pool:
            return transitions.pool_state(cutover, self.today)
        return transitions.vista_team_state(cutover, self.today)

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
            cutover, pool = row[9], row[10]
            state = self._state(cutover, pool=pool)
            if upstream_id in seen or state == TeamState.HIDDEN:
                continue  # (the loader refuses duplicates; stay safe on old data)
            seen.add(upstream_id)
            recipients.append(
                Recipient(
                    id=upstream_id,
                    source=source,
                    name=name,
                    display_name=display,
                    care_system=self._system(system_id, *system, cutover),
                    blocked=row[11],
                    on_contact_list=row[12],
                    signature_required=bool(signature),
                    migrating_to_oh=cutover is not None
                    and not pool
                    and transitions.migrating_to_oh(cutover, self.today),
                    locked=state == TeamState.LOCKED,
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

    @cached_property
    def _summary_rows(self) -> list[tuple]:
        return queries.summary_rows(self._veteran.pk)

    def _read_summary(self) -> tuple[SystemSummary, ...]:
        """One grouped query: the veteran's VistA links by system, source, blocked and
        contact-list state, then the OH pools offered to them by system and source. Teams a
        facility transition locks or hides are not counted."""
        counts: dict[CareSystemRef, list] = {}  # system -> [sources, teams, blocked, messageable]
        kinds: dict[str, list[int]] = {}
        for row in self._summary_rows:
            system_id, station, name, ehr, cutover, source, blocked, listed, kind, pool = row[:10]
            teams, version = row[10:]
            kinds.setdefault(station, [0, 0])[kind] += teams
            if self._state(cutover, pool=bool(pool)) != TeamState.OFFERED:
                continue
            if kind:
                self._pool_versions[station] = version
            system = self._system(system_id, station, name, ehr, cutover)
            entry = counts.setdefault(system, [set(), 0, 0, 0])
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
