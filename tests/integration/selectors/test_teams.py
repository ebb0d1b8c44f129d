"""'{old name} is now {new name}' for OH pools that replaced a VistA team the veteran messaged."""

import re
from html import unescape

import pytest

from messaging.models import CareTeam, DismissedNameChange, Message
from messaging.recipients import recipients_for
from messaging.selectors.teams import recent_teams
from tests.factories import bundle, care_system, pool, triage_team, veteran, vista_payload
from tests.helpers import BASE, load

pytestmark = pytest.mark.django_db
NEW = f"{BASE}/new-message"


@pytest.fixture
def replaced(db, set_flags, client):
    """A veteran who messaged 6 VistA teams; 5 of them were replaced by OH pools (one of
    those messaged 8 months ago), and one other pool replaced a team they never messaged."""
    teams = [triage_team(100 + n, "589", suggestedNameDisplay=f"Old team {n}") for n in range(7)]
    pools = [
        pool(900 + n, "668", externalName=f"VHA SPO New pool {n}", legacyVistaTriageGroupId=100 + n)
        for n in range(7)
    ]
    sent = [
        {"recipientId": 100 + n, "daysAgo": days, "category": "OTHER", "subject": "s", "body": "b"}
        for n, days in [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5), (5, 240)]
    ]
    load(
        bundle(
            care_systems=[
                care_system("589", "VA Kansas City health care"),
                care_system("668", "VA Spokane health care", "oracle_health", ["668"]),
            ],
            oh_pools=[{"stationNumber": "668", "pools": pools}],
            veterans=[
                veteran(
                    "changed",
                    vistaRecipients=vista_payload(teams),
                    ohFacilities=["668"],
                    sentMessages=sent,
                )
            ],
        )
    )
    set_flags(curated=True, recent=True)
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username="changed"))
    client.get(f"{NEW}/continue/")
    return client


def notices(html: str) -> list[str]:

    return re.findall(
        r'<li><span class="sm-team-name">([^<]+)</span> is now <span class="sm-team-name">([^<]+)</span></li>',
        unescape(html),
    )


def test_shown_for_messaged_replaced_teams_at_most_four_newest_first(replaced):
    for path in ("/recent/", "/select-care-team/"):
        page = replaced.get(NEW + path).content.decode()
        assert "We’ve updated your care team name" in page
        assert notices(page) == [(f"Old team {n}", f"VHA SPO New pool {n}") for n in range(4)]


def test_dismissed_notices_stay_dismissed(replaced):
    page = replaced.get(f"{NEW}/select-care-team/").content.decode()
    assert len(notices(page)) == 4
    response = replaced.post(
        f"{NEW}/name-changes/dismiss/", {"pool": ["900", "901", "902", "903"], "next": "select"}
    )
    assert response["Location"] == f"{NEW}/select-care-team/"
    assert DismissedNameChange.objects.count() == 4
    # The fifth (still recent) shows now; the one messaged 8 months ago and the never-messaged one never do.
    assert notices(replaced.get(f"{NEW}/select-care-team/").content.decode()) == [
        ("Old team 4", "VHA SPO New pool 4")
    ]
    replaced.post(f"{NEW}/name-changes/dismiss/", {"pool": ["904"], "next": "recent"})
    assert notices(replaced.get(f"{NEW}/recent/").content.decode()) == []


def test_not_shown_for_other_veterans(veteran_client, set_flags):
    set_flags(curated=True, recent=True)
    client = veteran_client("hybrid")
    client.get(f"{NEW}/continue/")
    assert "We’ve updated your care team name" not in client.get(f"{NEW}/recent/").content.decode()


# --- Recent care teams (recent_teams) ------------------------------------------------------


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

    from messaging.common import clock

    for history in ([(1, 2)], [(n, n + 1) for n in range(9)]):
        user = _veteran_with_history(history)
        clock.today(user=user)  # the clock's one cached read of the account, as any request has
        with CaptureQueriesContext(connection) as ctx:
            teams = recent_teams(veteran=user, recipients=recipients_for(user))
        assert teams and len(ctx) == 1
