import re
from html import unescape

import pytest

from messaging.models import CareTeam, Message, VeteranTeam
from messaging.recipients import recipients_for
from messaging.selectors.teams import recent_teams
from tests.factories import bundle, care_system, triage_team, veteran, vista_payload
from tests.helpers import BASE, load

pytestmark = pytest.mark.django_db


def _veteran_with_history(history: list[tuple[int, int]], team_fields: dict | None = None):
    """A veteran with 10 teams at one system and sent messages [(team n, days ago)]."""
    teams = [triage_team(100 + n, "589", **(team_fields or {}).get(n, {})) for n in range(10)]
    sent = [
        {"recipientId": 100 + n, "daysAgo": days, "category": "OTHER", "subject": "s", "body": "b"}
        for n, days in history
    ]
    load(
        bundle(
            care_systems=[care_system("589", "VA Kansas City health care")],
            veterans=[veteran("v", vistaRecipients=vista_payload(teams), sentMessages=sent)],
        )
    )
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username="v")


def ids(user):
    return [r.id for r in recent_teams(veteran=user, recipients=recipients_for(user))]


def test_most_recent_first_and_distinct():
    user = _veteran_with_history([(1, 30), (2, 3), (1, 1), (3, 10), (2, 40)])
    assert ids(user) == [101, 102, 103]


def test_cap_is_six(settings):
    user = _veteran_with_history([(n, n + 1) for n in range(9)])
    assert ids(user) == [100, 101, 102, 103, 104, 105]
    settings.SM_RECENT_TEAMS_MAX = 2
    assert ids(user) == [100, 101]


def test_window_is_six_months(settings):
    user = _veteran_with_history([(1, 170), (2, 200), (3, 5)])
    assert ids(user) == [103, 101]
    settings.SM_RECENT_TEAMS_MONTHS = 12
    assert ids(user) == [103, 101, 102]


def test_blocked_and_off_contact_list_left_out():
    user = _veteran_with_history(
        [(1, 1), (2, 2), (3, 3)], {1: {"blockedStatus": True}, 2: {"preferredTeam": False}}
    )
    assert ids(user) == [103]


def test_drafts_do_not_count_as_recent():
    user = _veteran_with_history([(1, 1)])
    Message.objects.create(
        veteran=user,
        care_team=CareTeam.objects.get(upstream_id=104),
        category="OTHER",
        subject="d",
        body="d",
    )
    assert ids(user) == [101]


def test_one_query_whatever_the_history():
    """The recent teams with their details in one query: never one query per team."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for history in ([(1, 2)], [(n, n + 1) for n in range(9)]):
        user = _veteran_with_history(history)
        with CaptureQueriesContext(connection) as ctx:
            teams = recent_teams(veteran=user, recipients=recipients_for(user))
        assert teams and len(ctx) == 1


# --- Contact list --------------------------------------------------------------------------


def test_contact_list_lists_vista_teams_by_system_with_blocked_disabled(veteran_client):
    page = unescape(veteran_client("vista.multi").get(f"{BASE}/contact-list/").content.decode())
    assert re.findall(r'<legend class="usa-legend usa-legend--large">([^<]+)<', page) == [
        "VA Kansas City health care",
        "VA Dayton health care",
        "VA Northern California health care",
    ]
    assert re.search(
        r'id="team-4399512" type="checkbox" name="team_4399512" checked disabled', page
    )
    assert re.search(
        r'id="team-4399509" type="checkbox" name="team_4399509">', page
    )  # off the list: unchecked


def test_contact_list_has_no_oh_teams(veteran_client):
    page = veteran_client("hybrid").get(f"{BASE}/contact-list/").content.decode()
    assert "VA Central Ohio health care" not in page
    assert page.count('type="checkbox"') == 3


def test_saving_contact_list_changes_what_is_offered(veteran_client, set_flags):
    set_flags(curated=True, recent=False)
    client = veteran_client("vista.multi")
    checked = {
        f"team_{n}": "on"
        for n in (
            4399507,
            4399508,
            4399509,
            4399510,
            4399511,
            4399513,
            4399514,
            4399515,
            4399516,
            4399517,
            4399518,
        )
    }
    del checked["team_4399507"]
    response = client.post(f"{BASE}/contact-list/", checked, follow=True)
    assert "Contact list changes saved" in response.content.decode()
    links = dict(
        VeteranTeam.objects.filter(veteran__username="vista.multi").values_list(
            "care_team__upstream_id", "on_contact_list"
        )
    )
    assert links[4399509] is True and links[4399507] is False
    assert links[4399512] is True  # blocked: unchanged though not posted
    client.get(f"{BASE}/new-message/continue/")
    page = client.post(
        f"{BASE}/new-message/select-care-team/", {"care_system": "589", "action": "update"}
    ).content.decode()
    assert 'value="4399509"' in page and 'value="4399507"' not in page


def test_contact_list_go_back_returns_to_flow(veteran_client, set_flags):
    set_flags(curated=True, recent=False)
    client = veteran_client("vista.single")
    assert f'href="{BASE}/inbox/">Go back' in client.get(f"{BASE}/contact-list/").content.decode()
    client.get(f"{BASE}/new-message/continue/")
    assert (
        f'href="{BASE}/new-message/select-care-team/">Go back'
        in client.get(f"{BASE}/contact-list/").content.decode()
    )


def test_contact_list_service_refuses_other_teams(demo_data, user_named):
    from messaging.services.teams import InvalidContactList, contact_list_update

    user = user_named("vista.multi")
    with pytest.raises(InvalidContactList):
        contact_list_update(veteran=user, preferred={4399501: True})  # another veteran's team
    with pytest.raises(InvalidContactList):
        contact_list_update(veteran=user, preferred={4399512: False})  # blocked
    assert contact_list_update(veteran=user, preferred={4399509: True}) == 1
