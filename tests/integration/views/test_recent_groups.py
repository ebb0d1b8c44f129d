"""Recent care teams inside select care team (flow.md 11): the veteran's recent teams of the
chosen system under "Recent care teams", then every team under "All care teams", in the
select without JavaScript and in the JSON the type-ahead builds its groups from."""

import re
from html import unescape

import pytest
from django.contrib.auth import get_user_model

from tests.factories import renewal_bundle
from tests.helpers import BASE, load

pytestmark = pytest.mark.django_db
SELECT = f"{BASE}/new-message/select-care-team/"


def html(response) -> str:
    return unescape(response.content.decode())


def groups(text: str) -> dict[str, list[str]]:
    """optgroup label -> the option labels inside it, from the care-team select."""
    select = re.search(r'<select[^>]*name="care_team".*?</select>', text, re.S).group(0)
    return {
        label: re.findall(r"<option[^>]*>([^<]+)</option>", inner)
        for label, inner in re.findall(r'<optgroup label="([^"]+)">(.*?)</optgroup>', select, re.S)
    }


@pytest.fixture
def rx(client, set_flags):
    def sign_in(recent=True):
        set_flags(curated=True, recent=recent)
        load(renewal_bundle())
        client.force_login(get_user_model().objects.get(username="rx.vet"))
        client.get(f"{BASE}/new-message/continue/")
        return client

    return sign_in


def test_select_shows_recent_then_all_care_teams_without_javascript(rx):
    client = rx()
    page = client.post(SELECT, {"care_system": "640", "action": "update"})
    found = groups(html(page))
    assert list(found) == ["Recent care teams", "All care teams"]
    assert found["Recent care teams"] == ["Primary care | Blue team"]
    assert found["All care teams"] == ["Pharmacy | Renewals", "Primary care | Blue team"]


def test_a_team_in_both_groups_can_be_chosen_and_is_selected_once(rx):
    client = rx()
    response = client.post(
        SELECT, {"care_system": "640", "care_team": "6400002", "action": "continue"}
    )
    assert response.status_code == 302
    page = html(client.get(SELECT))
    assert page.count('<option value="6400002" selected>') == 1


def test_no_groups_in_a_system_without_recent_teams(rx):
    client = rx()
    page = html(client.post(SELECT, {"care_system": "653", "action": "update"}))
    assert "<optgroup" not in re.search(
        r'<select[^>]*name="care_team".*?</select>', page, re.S
    ).group(0)


def test_no_groups_when_the_recent_flag_is_off(rx):
    client = rx(recent=False)
    page = html(client.post(SELECT, {"care_system": "640", "action": "update"}))
    assert groups(page) == {}


def test_search_without_javascript_keeps_the_groups_in_ranked_order(rx):
    client = rx()
    page = client.post(SELECT, {"care_system": "640", "team_query": "primary", "action": "search"})
    found = groups(html(page))
    assert found["Recent care teams"] == ["Primary care | Blue team"]
    assert found["All care teams"][0] == "Primary care | Blue team"  # best match first


def test_teams_json_names_the_recent_teams(rx):
    client = rx()
    data = client.get(f"{SELECT}teams/", {"care_system": "640"}).json()
    assert data["recentIds"] == [6400002]
    assert [t["id"] for t in data["teams"]] == [6400001, 6400002]
    assert client.get(f"{SELECT}teams/", {"care_system": "653"}).json()["recentIds"] == []
