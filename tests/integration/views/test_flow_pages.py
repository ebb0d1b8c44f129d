"""The flow's pages, each in the flag states that affect it."""

import re
from html import unescape

import pytest
from django.contrib.messages import get_messages

from messaging.compose import flow
from tests.helpers import BASE, choose_team

pytestmark = pytest.mark.django_db
NEW = f"{BASE}/new-message"


def html(response) -> str:
    return unescape(response.content.decode())


def errors(response) -> list[str]:
    return re.findall(r"data-sm-error>([^<]+)<", html(response))


# --- Interstitial --------------------------------------------------------------------------


@pytest.mark.parametrize("curated", [True, False])
def test_interstitial_copy_and_call_to_action(veteran_client, set_flags, curated):
    set_flags(curated=curated, recent=True)
    page = html(veteran_client("vista.single").get(f"{NEW}/"))
    assert "Only use messages for non-urgent needs" in page
    assert "Your care team may take up to 3 business days to reply." in page
    assert "call 988 then press 1" in page
    assert "If you think your life or health is in danger, call 911" in page
    if curated:
        assert (
            '<a class="sm-action-link" href="/my-health/secure-messages/new-message/continue/">Continue to start message</a>'
            in page
        )
    else:
        assert '<button type="submit" class="usa-button">Continue to start message</button>' in page


@pytest.mark.parametrize(
    ("recent", "expected"), [(True, "/recent/"), (False, "/select-care-team/")]
)
def test_continue_goes_to_recent_only_when_flag_on_and_teams_recent(
    veteran_client, set_flags, recent, expected
):
    set_flags(curated=True, recent=recent)
    response = veteran_client("vista.single").get(f"{NEW}/continue/")
    assert response["Location"].endswith(expected)


def test_continue_without_recent_teams_goes_to_select(veteran_client, set_flags):
    set_flags(curated=True, recent=True)
    assert (
        veteran_client("oh.only").get(f"{NEW}/continue/")["Location"].endswith("/select-care-team/")
    )


def test_continue_with_curated_off_goes_to_legacy_compose(veteran_client, set_flags):
    set_flags(curated=False, recent=True)
    client = veteran_client("vista.single")
    response = client.post(f"{NEW}/continue/")
    assert response["Location"] == f"{NEW}/"
    page = html(client.get(f"{NEW}/"))
    assert '<h1 tabindex="-1">Start a new message</h1>' in page
    # "To" grouped by care system.
    assert '<optgroup label="VA Kansas City health care">' in page


@pytest.mark.parametrize("username", ["all.blocked", "no.teams"])
@pytest.mark.parametrize("curated", [True, False])
def test_no_messageable_team_goes_back_to_inbox_with_explanation(
    veteran_client, set_flags, username, curated
):
    set_flags(curated=curated, recent=True)
    client = veteran_client(username)
    for path in ("/", "/continue/", "/recent/", "/select-care-team/", "/start-message/"):
        response = client.get(NEW + path)
        assert response.status_code == 302 and response["Location"] == f"{BASE}/inbox/", path
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    assert shown and "You can’t send messages" in shown[-1]


@pytest.mark.parametrize("origin", ["sent", "drafts"])
def test_interstitial_back_goes_to_the_folder_the_veteran_came_from(
    veteran_client, set_flags, origin
):
    set_flags(curated=True, recent=True)
    page = html(veteran_client("vista.single").get(f"{NEW}/?from={origin}"))
    assert f'<a class="usa-link" href="{BASE}/{origin}/">Back</a>' in page


# --- Recent --------------------------------------------------------------------------------


def test_recent_page_lists_recent_teams_and_a_different_team(veteran_client, set_flags):
    set_flags(curated=True, recent=True)
    client = veteran_client("vista.single")
    client.get(f"{NEW}/continue/")
    response = client.get(f"{NEW}/recent/")
    page = html(response)
    assert "<title>Recently Messaged Care Teams - Start Message | Veterans Affairs</title>" in page
    assert "Care teams you recently sent messages to" in page
    assert "Select a team you want to message" in page
    assert (
        'This list only includes teams that you\'ve sent messages to in the last 6 months. If you want to contact another team, select "A different care team."'
        in page
    )
    labels = re.findall(
        r'<span class="sm-team-name">([^<]+)</span><span class="usa-checkbox__label-description">([^<]+)<',
        page,
    )
    assert labels == [
        ("Primary care | PACT team | T83 - Johnson, Tasha", "VA Kansas City health care"),
        ("Pharmacy | Ask a pharmacist | T29 - Haddad, Rami", "VA Kansas City health care"),
    ]
    assert page.index("T83") < page.index('for="recent-other">A different care team')


def test_recent_continue_with_nothing_chosen_shows_error(veteran_client, set_flags):
    set_flags(curated=True, recent=True)
    client = veteran_client("vista.single")
    client.get(f"{NEW}/continue/")
    response = client.post(f"{NEW}/recent/", {})
    assert response.status_code == 422
    assert errors(response) == ["Select a care team"]
    assert 'aria-describedby="id_recipient_error id_recipient_helptext"' in html(response)


def test_recent_choice_goes_to_start_and_different_team_to_select(veteran_client, set_flags):
    set_flags(curated=True, recent=True)
    client = veteran_client("vista.single")
    client.get(f"{NEW}/continue/")
    assert client.post(f"{NEW}/recent/", {"recipient": "other"})["Location"].endswith(
        "/select-care-team/"
    )
    assert client.post(f"{NEW}/recent/", {"recipient": "4399502"})["Location"].endswith(
        "/start-message/"
    )
    assert "T29 - Haddad, Rami" in html(client.get(f"{NEW}/start-message/"))


def test_recent_refuses_a_team_that_is_not_recent(veteran_client, set_flags):
    set_flags(curated=True, recent=True)
    client = veteran_client("vista.single")
    client.get(f"{NEW}/continue/")
    assert client.post(f"{NEW}/recent/", {"recipient": "4399506"}).status_code == 422


@pytest.mark.parametrize(
    ("curated", "recent", "accepted", "expected"),
    [
        (True, False, True, "/select-care-team/"),
        (False, True, True, f"{NEW}/"),
        (True, True, False, f"{NEW}/"),
    ],
)
def test_recent_redirects(veteran_client, set_flags, curated, recent, accepted, expected):
    set_flags(curated=curated, recent=recent)
    client = veteran_client("vista.single")
    if accepted:
        client.get(f"{NEW}/continue/")
    response = client.get(f"{NEW}/recent/")
    assert response.status_code == 302 and response["Location"].endswith(expected)


# --- Select care team ----------------------------------------------------------------------


def _select_page(client):
    client.get(f"{NEW}/continue/")
    return client.get(f"{NEW}/select-care-team/")


def test_single_system_has_no_system_control(veteran_client, set_flags):
    set_flags(curated=True, recent=False)
    page = html(_select_page(veteran_client("vista.single")))
    assert '<input type="hidden" name="care_system" value="589">' in page
    assert 'type="radio" name="care_system"' not in page
    # The team list is there at once, sorted by display name.
    names = re.findall(r'<option value="\d+">([^<]+)</option>', page)
    assert names == sorted(names, key=lambda n: (n[:1].isalpha(), n.casefold()))
    assert len(names) == 6


def test_two_to_five_systems_are_radios_in_data_order(veteran_client, set_flags):
    set_flags(curated=True, recent=False)
    page = html(_select_page(veteran_client("vista.multi")))
    radios = re.findall(r'type="radio" name="care_system" value="(\w+)"', page)
    assert radios == ["589", "552", "612"]


def test_six_or_more_systems_are_a_select_sorted_by_name(veteran_client, set_flags):
    set_flags(curated=True, recent=False)
    page = html(_select_page(veteran_client("many.systems")))
    names = re.findall(r'<option value="\w+" data-ehr="\w+"[^>]*>([^<]+)</option>', page)
    assert len(names) == 7
    assert names == sorted(names)


def test_blocked_system_is_not_offered_and_is_named(veteran_client, set_flags):
    set_flags(curated=True, recent=False)
    page = html(_select_page(veteran_client("facility.blocked")))
    assert "You can't send messages to care teams at VA Western New York health care" in page
    assert 'value="528"' not in page


def test_oh_info_only_for_oh_system_and_contact_list_note_only_with_vista(
    veteran_client, set_flags
):
    set_flags(curated=True, recent=False)
    client = veteran_client("hybrid")
    client.get(f"{NEW}/continue/")
    vista = html(
        client.post(f"{NEW}/select-care-team/", {"care_system": "589", "action": "update"})
    )
    assert re.search(r"data-sm-oh-info hidden", vista)
    assert "Update your contact list" in vista
    oh = html(client.post(f"{NEW}/select-care-team/", {"care_system": "757", "action": "update"}))
    assert not re.search(r"data-sm-oh-info hidden", oh)
    assert "This list shows every care team at" in oh
    oh_only = html(_select_page(veteran_client("oh.only")))
    assert "Update your contact list" not in oh_only
    assert "Note: If you can’t find the care team" not in oh_only


def test_update_without_javascript_lists_the_chosen_system_and_clears_team(
    veteran_client, set_flags
):
    set_flags(curated=True, recent=False)
    client = veteran_client("vista.multi")
    client.get(f"{NEW}/continue/")
    page = html(client.post(f"{NEW}/select-care-team/", {"care_system": "552", "action": "update"}))
    teams = re.findall(r'<option value="(\d+)"', page)
    assert set(teams) == {"4399511", "4399513", "4399514"}  # 4399512 is blocked
    assert client.session[flow.SESSION_KEY]["care_system"] == "552"
    assert client.session[flow.SESSION_KEY]["care_team"] is None


def test_select_errors(veteran_client, set_flags):
    set_flags(curated=True, recent=False)
    client = veteran_client("vista.multi")
    client.get(f"{NEW}/continue/")
    response = client.post(f"{NEW}/select-care-team/", {"action": "continue"})
    assert response.status_code == 422
    assert errors(response) == ["Select a VA health care system", "Select a care team"]
    response = client.post(f"{NEW}/select-care-team/", {"care_system": "589", "action": "continue"})
    assert errors(response) == ["Select a care team"]


@pytest.mark.parametrize("team", ["4399512", "4399509", "4399519", "6238801", "abc"])
def test_select_refuses_teams_the_veteran_may_not_message(veteran_client, set_flags, team):
    # blocked, off the contact list, another veteran's, a pool at a facility they're not at, junk
    set_flags(curated=True, recent=False)
    client = veteran_client("vista.multi")
    client.get(f"{NEW}/continue/")
    response = client.post(
        f"{NEW}/select-care-team/", {"care_system": "552", "care_team": team, "action": "continue"}
    )
    assert response.status_code == 422
    assert errors(response) == ["Select a care team"]


def test_select_preselects_current_choice(veteran_client, set_flags):
    set_flags(curated=True, recent=False)
    client = veteran_client("vista.multi")
    choose_team(client, "552", 4399513)
    page = html(client.get(f"{NEW}/select-care-team/"))
    assert re.search(r'value="552" data-ehr="vista" data-sm-system checked', page)
    assert '<option value="4399513" selected>' in page
    assert 'data-default-value="4399513"' in page


def test_select_help_and_contact_links(veteran_client, set_flags):
    set_flags(curated=True, recent=False)
    page = html(_select_page(veteran_client("vista.single")))
    assert (
        f'href="{NEW}/care-team-help/"' in page
        and "Learn what to do if you can’t find your care team" in page
    )
    assert f'href="{BASE}/contact-list/"' in page


def test_select_back_goes_to_recent_when_shown_else_interstitial(veteran_client, set_flags):
    set_flags(curated=True, recent=True)
    assert f'href="{NEW}/recent/">Back' in html(_select_page(veteran_client("vista.single")))
    assert f'href="{NEW}/">Back' in html(_select_page(veteran_client("oh.only")))


def test_teams_json_for_the_script(veteran_client, set_flags):
    set_flags(curated=True, recent=False)
    client = veteran_client("hybrid")
    client.get(f"{NEW}/continue/")
    data = client.get(f"{NEW}/select-care-team/teams/", {"care_system": "757"}).json()
    assert data["careSystem"] == {
        "stationNumber": "757",
        "name": "VA Central Ohio health care",
        "ehr": "oracle_health",
    }
    assert len(data["teams"]) == 60
    assert client.get(f"{NEW}/select-care-team/teams/", {"care_system": "668"}).status_code == 400


# --- Care team help --------------------------------------------------------------------------


def test_help_page_reasons_by_source(veteran_client, set_flags):
    set_flags(curated=True, recent=True)
    vista = html(veteran_client("vista.single").get(f"{NEW}/care-team-help/"))
    assert "Can’t find your care team?" in vista
    assert (
        "You removed them from your contact list" in vista
        and "Their name may appear different" not in vista
    )
    oh = html(veteran_client("oh.only").get(f"{NEW}/care-team-help/"))
    assert (
        "Their name may appear different" in oh and "Your account isn’t connected to them" not in oh
    )
    assert "Try entering your type of care, provider name, or any part of your care team name" in oh


@pytest.mark.parametrize(
    "path", ["/recent/", "/select-care-team/", "/start-message/", "/care-team-help/"]
)
def test_curated_pages_redirect_to_new_message_when_flag_off(veteran_client, set_flags, path):
    set_flags(curated=False, recent=True)
    client = veteran_client("vista.single")
    client.post(f"{NEW}/continue/")
    response = client.get(NEW + path)
    assert response.status_code == 302 and response["Location"] == f"{NEW}/"


# --- Leaving the flow ---------------------------------------------------------------------


def test_leaving_the_flow_clears_its_state_but_contact_list_and_help_keep_it(
    veteran_client, set_flags
):
    set_flags(curated=True, recent=False)
    client = veteran_client("vista.single")
    choose_team(client, "589", 4399504)
    client.get(f"{BASE}/contact-list/")
    client.get(f"{NEW}/care-team-help/")
    assert client.get(f"{NEW}/start-message/").status_code == 200
    client.get(f"{BASE}/inbox/")
    assert client.get(f"{NEW}/start-message/")["Location"] == f"{NEW}/"
