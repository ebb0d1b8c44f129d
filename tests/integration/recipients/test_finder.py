"""The care-team finder on the demo bundle (issue 7's sample set is a floor, not the target)."""

import json
from pathlib import Path

import pytest

from messaging.recipients import recipients_for
from messaging.recipients.finder import vocabulary
from messaging.recipients.ordering import team_sort_key
from messaging.selectors.teams import care_team_search

pytestmark = pytest.mark.django_db
SAMPLE = json.loads((Path(__file__).parents[2] / "data" / "finder-queries-sample.json").read_text())


@pytest.fixture
def search(demo_data, user_named):
    def run(query, station, username="many.systems"):
        recipients = recipients_for(user_named(username))
        return care_team_search(recipients=recipients, query=query, station_number=station)

    return run


def top3(results):
    return [m.recipient.display_name for m in results[:3]]


@pytest.mark.parametrize("case", SAMPLE["queries"], ids=[q["query"] for q in SAMPLE["queries"]])
def test_every_sample_query_answered_in_the_first_three(search, case):
    username = "hybrid" if case["stationNumber"] == "757" else "oh.only"
    results = search(case["query"], case["stationNumber"], username)
    assert set(top3(results)) & set(case["accept"]), (case["query"], top3(results))


@pytest.mark.parametrize(
    ("query", "station", "expected"),
    [
        ("hart", "668", "VHA SPO Cardiology"),  # typo
        ("kidny", "668", "VHA SPO Nephrology"),  # typo
        ("dr nguyen", "668", "Nguyen, Linh"),  # provider, with "dr"
        ("linh nguyen", "668", "Nguyen, Linh"),  # provider, either order
        ("walla walla eyes", "687", "VHA WWW O"),  # facility code + plain words
        ("roi", "668", "Release of Information"),  # abbreviation
        ("my medical records", "668", "Release of Information"),
        ("hearing", "668", "VHA SPO Audiology"),
    ],
)
def test_typo_provider_code_and_place_queries(search, query, station, expected):
    username = "oh.only" if station == "668" else "many.systems"
    results = search(query, station, username)
    assert expected in results[0].recipient.display_name, top3(results)
    assert results[0].matched  # explainable


@pytest.mark.parametrize(
    "query", ["", "   ", "qwzxv", "<script>alert(1)</script>", "x" * 10_000, "🙂🙂"]
)
def test_empty_nonsense_or_huge_query_gives_the_alphabetical_list(search, query):
    results = search(query, "668", "oh.only")
    names = [m.recipient for m in results]
    assert names == sorted(names, key=team_sort_key)
    assert all(m.score == 0 for m in results)


@pytest.mark.parametrize("query", ["dental", "my teeth", "dentist"])
def test_a_known_need_with_no_team_matches_nothing_not_a_look_alike(search, query):
    """Spokane has no dental team: "dental" must not turn into "mental" (mental health)."""
    results = search(query, "668", "oh.only")
    assert all(m.score == 0 for m in results), top3(results)


def test_only_teams_the_veteran_may_message(search):
    names = {m.recipient.display_name for m in search("heart", None, "hybrid")}
    assert not any(n.startswith("VHA SPO") for n in names)  # hybrid is not registered at 668


def test_vocabulary_is_reviewable_data():
    vocab = vocabulary()
    assert "Audiology" in vocab["care_types"] and "tinnitus" in vocab["care_types"]["Audiology"]
    assert vocab["abbreviations"]["pact"] == "primary care"
    assert len(vocab["care_types"]) >= 40


def test_select_care_team_search_without_javascript(veteran_client, set_flags):
    import re
    from html import unescape

    set_flags(curated=True, recent=False)
    client = veteran_client("oh.only")
    client.get("/my-health/secure-messages/new-message/continue/")
    page = unescape(
        client.post(
            "/my-health/secure-messages/new-message/select-care-team/",
            {"care_system": "668", "team_query": "hearing", "action": "search"},
        ).content.decode()
    )
    options = re.findall(r'<option value="(\d+)"( selected)?>([^<]+)</option>', page)
    assert options[0][2] == "VHA SPO Audiology" and options[0][1] == " selected"
    assert "3 care teams match “hearing”. The best match is selected." in page
    huge = client.post(
        "/my-health/secure-messages/new-message/select-care-team/",
        {"care_system": "668", "team_query": "<b>x</b>" * 5000, "action": "search"},
    ).content.decode()
    assert "<b>x</b>" not in huge and "&lt;b&gt;x&lt;/b&gt;" in huge


def test_plain_type_of_care_only_when_the_name_does_not_say_it():
    from messaging.recipients.finder import plain_type_of_care

    assert plain_type_of_care("VHA SPO BHIP Team 3") == "Mental health"
    assert plain_type_of_care("589 PACT T83 JOHNSON") == "Primary care"
    assert plain_type_of_care("VHA SPO Mental Health BHIP Team 1") is None
    assert plain_type_of_care("VHA SPO Cardiology") is None
    assert plain_type_of_care("Something else entirely") is None
