"""The adapter applies facility transitions: what a veteran is offered in each phase."""

from datetime import timedelta

import pytest

from messaging.common import clock
from messaging.models import CareSystem, CareTeam
from messaging.recipients import Kind, recipients_for
from messaging.recipients.bundle import BundleError, bundle_parse
from tests.factories import (
    CUT_OVER,
    LOCKED,
    STABLE,
    WARNED,
    bundle,
    care_system,
    pool,
    transition_bundle,
    triage_team,
    veteran,
    vista_payload,
)
from tests.helpers import load

pytestmark = pytest.mark.django_db


@pytest.fixture
def moved(db, user_named):
    load(transition_bundle())
    return lambda username="mover": recipients_for(user_named(username))


def test_in_days_is_stored_as_a_date_from_the_load_day(moved):
    today = clock.today()
    dates = dict(CareSystem.objects.values_list("station_number", "migration_date"))
    assert dates[WARNED] == today + timedelta(days=40)
    assert dates[LOCKED] == today + timedelta(days=2)
    assert dates[CUT_OVER] == today - timedelta(days=10)
    assert dates[STABLE] is None


def test_pools_of_a_moving_system_are_stored_and_wait(moved):
    assert CareTeam.objects.filter(upstream_id__in=[9610001, 9620001]).count() == 2
    offered = {r.id for r in moved().recipients}
    assert not offered & {9610001, 9620001}  # before the end of the lock: not offered


def test_offered_teams_per_phase(moved):
    recipients = moved()
    # Warned teams as before (migratingToOh), locked ones nowhere, the cut-over system's
    # pools in place of its VistA teams (where those were in the data), the stable team.
    assert [r.id for r in recipients.recipients] == [
        8610001,
        8610002,
        9630001,
        9630002,
        9630003,
        8640001,
    ]
    by_id = {r.id: r for r in recipients.recipients}
    assert by_id[8610001].migrating_to_oh and by_id[8610002].migrating_to_oh
    assert not by_id[8640001].migrating_to_oh and not by_id[9630001].migrating_to_oh
    assert by_id[9630001].care_system.ehr == "oracle_health"  # from T on, an OH system
    assert [s.station_number for s in recipients.messageable_systems] == [
        WARNED,
        CUT_OVER,
        STABLE,
    ]


def test_locked_teams_are_the_veterans_but_cannot_be_messaged(moved):
    recipients = moved()
    locked = recipients.get(8620001)
    assert locked.locked and locked.migrating_to_oh and not locked.can_message
    assert recipients.in_system(LOCKED) == ()
    assert recipients.in_system(LOCKED, messageable_only=False) == ()
    assert recipients.get(8630001) is None  # after cutover the VistA team is gone


def test_narrow_reads_agree_with_the_whole_list(moved, user_named):
    whole = moved()
    whole_ids = [r.id for r in whole.recipients]
    narrow = moved()
    by_station = [r.id for s in narrow.summary for r in narrow.in_system(s.system.station_number)]
    assert sorted(by_station) == sorted(whole_ids)
    assert [s.teams for s in moved().summary] == [2, 3, 1]
    assert set(moved().get_many([8610001, 8620001, 9630001, 8630001])) == {
        8610001,
        8620001,
        9630001,
    }


def test_moving_systems_with_phase_and_dates(moved):
    moving = moved().moving_systems
    assert [(m.system.station_number, m.phase, m.kind) for m in moving] == [
        (WARNED, "p1", Kind.WARNING),
        (LOCKED, "p4", Kind.LOCKED),
        (CUT_OVER, "p7", Kind.AFTER),
    ]
    warned = moving[0]
    assert warned.facilities == 2 and moving[1].facilities == 1
    assert warned.messaging_resumes == warned.cutover + timedelta(days=2)


def test_a_veteran_with_no_teams_at_a_moving_system_sees_nothing(moved):
    assert moved("bystander").moving_systems == ()
    assert [r.id for r in moved("bystander").recipients] == [8640101]


def test_a_veteran_whose_only_teams_are_locked_can_message_no_one(moved):
    recipients = moved("locked.only")
    assert not recipients.can_message_anyone
    assert [m.kind for m in recipients.moving_systems] == [Kind.LOCKED]


def test_crosswalk_pairs_the_veterans_vista_teams_with_their_pools(moved):
    pairs = moved().crosswalk()
    assert [(p.vista_id, p.oh_id, p.station_number) for p in pairs] == [
        (8610001, 9610001, WARNED),
        (8620001, 9620001, LOCKED),
        (8630001, 9630001, CUT_OVER),
        (8630002, 9630002, f"{CUT_OVER}GA"[:3]),
    ]
    assert pairs[2].vista_name == "Primary care | PACT team | T31"
    assert pairs[2].oh_name == "VHA LKC Primary Care Teal"
    assert moved("bystander").crosswalk() == ()


def test_sm_today_36_days_after_loading_a_system_moving_in_35_days_is_locked_p5(
    db, settings, user_named
):
    data = transition_bundle(warned_in=35)
    load(data)
    settings.SM_TODAY = (clock.today() + timedelta(days=36)).isoformat()
    recipients = recipients_for(user_named("mover"))
    moving = {m.system.station_number: m for m in recipients.moving_systems}
    assert (moving[WARNED].phase, moving[WARNED].kind) == ("p5", Kind.LOCKED)
    assert recipients.get(8610001).locked
    assert WARNED not in {s.station_number for s in recipients.messageable_systems}


def test_pools_follow_the_clock_from_the_end_of_the_lock(db, settings, user_named):
    load(transition_bundle())
    cutover = CareSystem.objects.get(station_number=LOCKED).migration_date
    for d, pools_offered in ((1, False), (2, True)):  # d = 1: last locked day (p5); 2: p6
        settings.SM_TODAY = (cutover + timedelta(days=d)).isoformat()
        ids = {r.id for r in recipients_for(user_named("mover")).recipients}
        assert (9620001 in ids) is pools_offered
        assert 8620001 not in ids


def _migrating(station, ehr="vista", **migration):
    return {**care_system(station, f"System {station}", ehr), "migration": migration}


@pytest.mark.parametrize(
    ("system", "message"),
    [
        (_migrating("668", "oracle_health", inDays=3), "careSystems[0].migration: only a VistA"),
        (_migrating("506", inDays=3, date="2027-01-01"), "give either date or inDays"),
        (_migrating("506"), "careSystems[0].migration: give either date or inDays"),
        (_migrating("506", date="2027-02-30"), "careSystems[0].migration.date"),
        (_migrating("506", inDays="3"), "careSystems[0].migration.inDays"),
    ],
)
def test_a_migration_is_validated(system, message):
    data = bundle(care_systems=[system], veterans=[])
    with pytest.raises(BundleError) as excinfo:
        bundle_parse(__import__("json").dumps(data))
    assert message in str(excinfo.value)


def test_pools_of_a_system_that_has_not_cut_over_are_accepted_and_may_be_messaged_later(db):
    data = bundle(
        care_systems=[_migrating("506", date="2030-01-01")],
        oh_pools=[{"stationNumber": "506", "pools": [pool(9506001, "506")]}],
        veterans=[
            veteran(
                "v",
                vistaRecipients=vista_payload([triage_team(8506001, "506")]),
                sentMessages=[
                    {
                        "recipientId": 9506001,
                        "daysAgo": 1,
                        "category": "OTHER",
                        "subject": "s",
                        "body": "b",
                    }
                ],
            )
        ],
    )
    load(data)
    assert CareTeam.objects.get(upstream_id=9506001).care_system.migration_date.year == 2030
