"""Select care team's options (messaging/selectors/team_options.py): the same teams, labels
and order as `teams_in_system`, the chosen one selected, labels escaped; an Oracle Health
system's pool options rendered once per pool-data version and rendered anew after a
bundle load changes the pools."""

from __future__ import annotations

import html
import re

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from messaging.recipients import recipients_for
from messaging.recipients.finder import team_label
from messaging.selectors import team_options as options
from messaging.selectors.teams import teams_in_system
from tests.factories import (
    big_veteran_bundle,
    bundle,
    care_system,
    pool,
    triage_team,
    veteran,
    vista_payload,
)
from tests.helpers import load

pytestmark = pytest.mark.django_db

OPTION = re.compile(r'<option value="(\d*)"( selected)?>([^<]*)</option>')


@pytest.fixture(autouse=True)
def _fresh_process_copies():
    options.clear_local()
    yield
    options.clear_local()


def parsed(rendered) -> list[tuple[str, bool, str]]:
    return [(v, bool(s), html.unescape(label)) for v, s, label in OPTION.findall(str(rendered))]


def expected(recipients, station, chosen=None):
    teams = teams_in_system(recipients=recipients, station_number=station)
    return [("", False, "- Select -")] + [
        (str(t.id), str(t.id) == str(chosen), team_label(t)) for t in teams
    ]


def user(name):
    return get_user_model().objects.get(username=name)


def mixed_bundle(pool_name='VHA Pool <Heart> & "Lungs"'):
    """An OH system whose pools the veteran sees, where they also have VistA-linked teams
    (a system moving to Oracle Health), and a plain VistA system."""
    return bundle(
        care_systems=[
            care_system("701", "VA OH Mixed health care", "oracle_health", ["701", "701GA"]),
            care_system("501", "VA VistA health care"),
        ],
        oh_pools=[
            {
                "stationNumber": "701",
                "pools": [
                    pool(7010001, "701", externalName=pool_name),
                    pool(7010002, "701", externalName="VHA SPO BHIP Team 3"),
                    pool(7010003, "701GA", externalName="2nd floor clinic"),
                ],
            }
        ],
        veterans=[
            veteran(
                "mixed.vet",
                ohFacilities=["701"],
                vistaRecipients=vista_payload(
                    [
                        triage_team(5010001, "701", suggestedNameDisplay="Audiology | Hearing"),
                        triage_team(5010002, "501", suggestedNameDisplay="Primary care | PACT"),
                        triage_team(5010003, "501", suggestedNameDisplay="Zeta team"),
                    ]
                ),
            )
        ],
    )


@pytest.mark.parametrize("station", ["701", "501"])
def test_options_are_the_systems_teams_in_the_pages_order(station):
    load(mixed_bundle())
    recipients = recipients_for(user("mixed.vet"))
    got = parsed(options.team_options(recipients=recipients, station_number=station))
    assert got == expected(recipients, station)
    assert len(got) == (5 if station == "701" else 3)


def test_the_chosen_team_is_selected_and_labels_are_escaped():
    load(mixed_bundle())
    recipients = recipients_for(user("mixed.vet"))
    rendered = str(
        options.team_options(recipients=recipients, station_number="701", chosen=7010001)
    )
    assert "&lt;Heart&gt; &amp; &quot;Lungs&quot;" in rendered and "<Heart>" not in rendered
    assert parsed(rendered) == expected(recipients, "701", chosen=7010001)
    assert rendered.count(" selected") == 1
    # Nothing chosen, a team of another system, or garbage: nothing selected.
    for chosen in (None, "", 5010002, "x<y", "12 OR 1=1"):
        text = str(options.team_options(recipients=recipients, station_number="701", chosen=chosen))
        assert " selected" not in text


def test_large_oh_system_matches_and_is_read_once_per_version():
    load(big_veteran_bundle("big", teams=600, id_base=3))
    recipients = recipients_for(user("big"))
    oh = next(s for s in recipients.summary if s.system.ehr == "oracle_health")
    station = oh.system.station_number
    first = options.team_options(recipients=recipients, station_number=station)
    assert parsed(first) == expected(recipients, station)
    # A second page for the same system and version reads no pool: one query fewer.
    fresh = recipients_for(user("big"))
    with CaptureQueriesContext(connection) as ctx:
        again = options.team_options(recipients=fresh, station_number=station)
    assert str(again) == str(first)
    assert not any("per_facility" in q["sql"] and "upstream_id" in q["sql"] for q in ctx)


def test_a_bundle_load_that_changes_the_pools_changes_the_options():
    load(mixed_bundle())
    before = options.team_options(
        recipients=recipients_for(user("mixed.vet")), station_number="701"
    )
    assert "Renamed pool" not in str(before)
    load(mixed_bundle(pool_name="Renamed pool"))
    recipients = recipients_for(user("mixed.vet"))
    after = options.team_options(recipients=recipients, station_number="701")
    assert "Renamed pool" in str(after)
    assert parsed(after) == expected(recipients, "701")


def test_team_in_system_asks_by_id():
    load(mixed_bundle())
    recipients = recipients_for(user("mixed.vet"))
    assert options.team_in_system(recipients=recipients, station_number="701", team_id="7010002")
    assert options.team_in_system(recipients=recipients, station_number="701", team_id=5010001)
    assert not options.team_in_system(recipients=recipients, station_number="501", team_id=7010002)
    for bad in (None, "", "abc", "99999999999999999999999", 123):
        assert not options.team_in_system(recipients=recipients, station_number="701", team_id=bad)
    assert not options.team_in_system(recipients=recipients, station_number=None, team_id=7010002)


def test_pool_counts_are_stored_by_the_load_and_match_the_whole_list():
    """The summary reads each system's pool count (set by every bundle load), not the pools."""
    data = mixed_bundle()
    load(data)
    for extra in (0, 1):
        narrow = recipients_for(user("mixed.vet"))
        whole = recipients_for(user("mixed.vet"))
        _ = whole.recipients  # read everything: the summary is then counted from the list
        assert narrow.summary == whole.summary
        oh = next(s for s in narrow.summary if s.system.station_number == "701")
        assert oh.teams == 4 + extra and oh.messageable == 4 + extra  # pools + 1 VistA team
        got = parsed(options.team_options(recipients=narrow, station_number="701"))
        assert got == expected(whole, "701")
        if not extra:  # a later load adds a pool: the count and the options follow
            data["ohPools"][0]["pools"].append(pool(7010004, "701", externalName="Added pool"))
            load(data)


def test_recent_teams_come_first_in_their_own_group_selected_once():
    """flow.md 11: the veteran's recent teams of the system under "Recent care teams", then
    every team under "All care teams"; the chosen team is selected once (its first listing)."""
    load(mixed_bundle())
    recipients = recipients_for(user("mixed.vet"))
    teams = teams_in_system(recipients=recipients, station_number="701")
    recent = [teams[-1]]
    text = str(
        options.team_options(
            recipients=recipients, station_number="701", chosen=recent[0].id, recent=recent
        )
    )
    groups = re.findall(r'<optgroup label="([^"]+)">(.*?)</optgroup>', text)
    assert [label for label, _ in groups] == [options.RECENT_TEAMS_GROUP, options.ALL_TEAMS_GROUP]
    assert parsed(groups[0][1]) == [(str(recent[0].id), True, team_label(recent[0]))]
    assert parsed(groups[1][1]) == [(str(t.id), False, team_label(t)) for t in teams]
    assert text.count(" selected") == 1
    assert text.startswith('<option value="">- Select -</option><optgroup')


@pytest.mark.parametrize("station", ["610", "620", "630", "640"])
def test_a_moving_veterans_options_follow_the_transition(station):
    """Facility transitions (ADR 0012): locked teams are not offered, a cut-over system
    offers its pools in place of the VistA teams; the options stay the page's list."""
    from tests.factories import transition_bundle

    load(transition_bundle())
    recipients = recipients_for(user("mover"))
    got = parsed(options.team_options(recipients=recipients, station_number=station))
    assert got == expected(recipients, station)
