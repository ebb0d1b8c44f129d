"""The contact list page: VistA teams by system, blocked ones disabled, saving changes what
the flow offers; the service refuses other teams."""

import re
from html import unescape

import pytest

from messaging.models import VeteranTeam
from tests.helpers import BASE

pytestmark = pytest.mark.django_db


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
