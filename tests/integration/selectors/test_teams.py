"""'{old name} is now {new name}' for OH pools that replaced a VistA team the veteran messaged."""

import pytest

from messaging.models import DismissedNameChange
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
    import re
    from html import unescape

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
