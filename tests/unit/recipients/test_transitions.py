"""The phase table of transition.md at every boundary, d = today - T from -61 to 46."""

from datetime import date, timedelta

import pytest

from messaging.recipients.common import CareSystemRef
from messaging.recipients.transitions import (
    Kind,
    TeamState,
    effective_ehr,
    migrating_to_oh,
    moving_system,
    phase_of,
    pool_state,
    vista_team_state,
)

T = date(2027, 4, 11)
SYSTEM = CareSystemRef("506", "VA Ann Arbor health care", "vista")

# transition.md, written out as ranges [first d, last d]: phase, kind, what the veteran's
# VistA teams at the system are, what the system's pools are, migratingToOh.
TABLE = [
    (-61, -61, None, None, "offered", "hidden", False),
    (-60, -46, "p0", Kind.QUIET, "offered", "hidden", False),
    (-45, -31, "p1", Kind.WARNING, "offered", "hidden", True),
    (-30, -7, "p2", Kind.WARNING, "offered", "hidden", True),
    (-6, -4, "p3", Kind.LOCKED, "locked", "hidden", True),
    (-3, -1, "p4", Kind.LOCKED, "locked", "hidden", True),
    (0, 1, "p5", Kind.LOCKED, "locked", "hidden", True),
    (2, 6, "p6", Kind.AFTER, "hidden", "offered", False),
    (7, 29, "p7", Kind.AFTER, "hidden", "offered", False),
    (30, 44, "p8", Kind.AFTER, "hidden", "offered", False),
    (45, 46, "p9", Kind.DONE, "hidden", "offered", False),
]
ROWS = [
    (d, *row[2:]) for row in TABLE for d in range(row[0], row[1] + 1)
]  # one row per day, -61..46


def test_the_table_covers_every_day_from_minus_61_to_46():
    assert [row[0] for row in ROWS] == list(range(-61, 47))


@pytest.mark.parametrize(("d", "phase", "kind", "vista", "pools", "migrating"), ROWS)
def test_phase_on_each_day(d, phase, kind, vista, pools, migrating):
    today = T + timedelta(days=d)
    assert phase_of(d) == ((phase, kind) if phase else None)
    assert vista_team_state(T, today) == TeamState(vista)
    assert pool_state(T, today) == TeamState(pools)
    assert migrating_to_oh(T, today) is migrating
    moving = moving_system(SYSTEM, T, today)
    if phase is None or kind == Kind.DONE:
        assert moving is None  # nothing to say before p0 or once done
    else:
        assert (moving.phase, moving.kind) == (phase, kind)
    assert effective_ehr("vista", T, today) == ("oracle_health" if d >= 0 else "vista")


def test_locked_period_and_resume_dates():
    moving = moving_system(SYSTEM, T, T - timedelta(days=20))
    assert moving.first_locked_day == date(2027, 4, 5)  # first day of p3 (d = -6)
    assert moving.last_locked_day == date(2027, 4, 12)  # last day of p5 (d = 1)
    assert moving.messaging_resumes == date(2027, 4, 13)  # T + 2 days


def test_no_migration_means_offered_as_always():
    assert vista_team_state(None, T) == pool_state(None, T) == TeamState.OFFERED
    assert migrating_to_oh(None, T) is False
