"""The pages through every phase of a facility's move to Oracle Health, in both flag states:
the alerts (copy, dates, roles), what is offered, the lock, the notice, the metric."""

import re
from datetime import timedelta
from html import unescape

import pytest

from messaging.models import CareSystem, Message, MetricEvent
from tests.factories import LOCKED, WARNED, transition_bundle
from tests.helpers import BASE, choose_team, load

pytestmark = pytest.mark.django_db
NEW = f"{BASE}/new-message"
LETTER = {"category": "OTHER", "subject": "Inhaler", "body": "Please refill my inhaler."}
NAME = "VA Marion health care"  # the WARNED system, two facilities


def text(response) -> str:
    return re.sub(r"\s+", " ", unescape(response.content.decode()))


def day(d) -> str:
    return f"{d:%B} {d.day}, {d.year}"


def warning(cutover) -> str:
    return (
        f"From {day(cutover - timedelta(days=6))} to {day(cutover + timedelta(days=1))}, you "
        f"won't be able to send messages to care teams at {NAME}."
    )


CALL = "During this time, you can still call these facilities to contact your provider."
LOCKED_HEADING = "You can't send messages to care teams at some facilities right now"
COMING = "We're making changes to your contact list"
UPDATED = "We updated your contact list"

# inDays of the WARNED system (d = -inDays) -> phase, kind; the other two systems are far
# from their cutovers (no phase, and done).
PHASES = [
    (70, None, None),
    (50, "p0", "quiet"),
    (40, "p1", "warning"),
    (20, "p2", "warning"),
    (5, "p3", "locked"),
    (2, "p4", "locked"),
    (0, "p5", "locked"),
    (-3, "p6", "after"),
    (-10, "p7", "after"),
    (-35, "p8", "after"),
    (-50, "p9", "done"),
]


@pytest.fixture
def mover(client, db, set_flags, user_named):
    def sign_in(in_days, *, curated=True, username="mover"):
        load(transition_bundle(warned_in=in_days, locked_in=200, cut_over_in=-200))
        set_flags(curated=curated, recent=True)
        client.force_login(user_named(username))
        return client, CareSystem.objects.get(station_number=WARNED).migration_date

    return sign_in


def _alerts_of(page: str) -> dict[str, bool]:
    return {
        "warning": CALL in page,
        "locked": LOCKED_HEADING in page,
        "coming": COMING in page,
        "updated": UPDATED in page,
    }


@pytest.mark.parametrize("curated", [True, False], ids=["curated", "legacy"])
@pytest.mark.parametrize(("in_days", "phase", "kind"), PHASES, ids=[p[1] or "none" for p in PHASES])
def test_each_phase_pages(mover, in_days, phase, kind, curated):
    client, cutover = mover(in_days, curated=curated)
    inbox = text(client.get(f"{BASE}/inbox/"))
    assert client.get(f"{NEW}/continue/").status_code == 302
    if curated:
        flow_page = client.get(f"{NEW}/select-care-team/?care_system={WARNED}")
        offered = text(
            client.post(f"{NEW}/select-care-team/", {"care_system": WARNED, "action": "update"})
        )
    else:
        flow_page = client.get(f"{NEW}/")
        offered = text(flow_page)
    assert flow_page.status_code == 200
    page = text(flow_page)
    contacts = text(client.get(f"{BASE}/contact-list/"))

    for shown in (inbox, page):
        assert _alerts_of(shown) == {
            "warning": kind == "warning",
            "locked": kind == "locked",
            "coming": False,
            "updated": False,
        }
    assert _alerts_of(contacts) == {
        "warning": False,
        "locked": kind == "locked",
        "coming": kind == "warning",
        "updated": kind == "after",
    }
    if kind == "warning":
        assert warning(cutover) in page and warning(cutover) in inbox
        assert 'role="status"' in page and 'id="transition-warning-610"' in page
        assert f"On {day(cutover)}, we'll remove care teams from these facilities" in contacts
        assert (
            f"You can still send messages to care teams at these facilities after {day(cutover)}."
            in contacts
        )
    if kind == "locked":
        assert 'role="alert"' in page and 'id="transition-locked-610"' in page
        assert f"<li>{NAME}</li>" in page
        resumes = day(cutover + timedelta(days=2))
        assert f"After {resumes}, you'll be able to start a new message" in page
        assert "If you need to contact your care team now, call the facility directly." in inbox
    if kind == "after":
        assert "We removed care teams from these facilities from your contact list:" in contacts
    # What is offered: the VistA team until the lock, the pool from the end of the lock on.
    vista_offered = kind in (None, "quiet", "warning")
    assert ('<option value="8610001"' in offered) is vista_offered
    assert ('<option value="9610001"' in offered) is (kind in ("after", "done"))
    if kind == "after" and curated:  # the crosswalk feeds the notice
        assert "Primary care | PACT team | T12 - Patel, Anika</span> is now" in offered
    # Each page view counts each alert once, with phase and station.
    events = MetricEvent.objects.filter(name="migration_alert_shown", station=WARNED)
    expected_pages = {
        "warning": ["contact-list", "inbox", "select-care-team" if curated else "legacy-compose"],
        "locked": ["contact-list", "inbox", "select-care-team" if curated else "legacy-compose"],
        "after": ["contact-list"],
    }.get(kind, [])
    if curated and kind in ("warning", "locked"):
        expected_pages.append("select-care-team")  # the select page was shown twice
    assert sorted(events.values_list("page", flat=True)) == sorted(expected_pages)
    assert set(events.values_list("phase", flat=True)) <= {phase}


def test_the_lock_through_the_pages_keeps_the_text(mover):
    client, _ = mover(20)  # warned: the veteran chooses a team and writes
    choose_team(client, WARNED, 8610001)
    start = text(client.get(f"{NEW}/start-message/"))
    assert warning(CareSystem.objects.get(station_number=WARNED).migration_date) in start
    # ... and the system locks before they select Send (its cutover moved closer).
    locked_cutover = CareSystem.objects.get(station_number=WARNED).migration_date - timedelta(
        days=18
    )
    CareSystem.objects.filter(station_number=WARNED).update(migration_date=locked_cutover)
    for action in ("send", "save-draft"):
        response = client.post(
            f"{NEW}/start-message/", {**LETTER, "action": action, "flow_team": "8610001"}
        )
        assert response.status_code == 422
        page = text(response)
        assert LOCKED_HEADING in page and 'role="alert"' in page
        assert f"You can’t send messages to care teams at {NAME} right now." in page
        assert LETTER["body"] in page and LETTER["subject"] in page
    assert not Message.objects.filter(
        care_team__upstream_id=8610001, subject=LETTER["subject"]
    ).exists()
    refused = MetricEvent.objects.filter(name="migration_refused", station=WARNED)
    assert sorted(refused.values_list("page", flat=True)) == ["draft_created", "message_sent"]


def test_an_existing_draft_to_a_locked_team_stays_listed_readable_and_deletable(mover):
    client, _ = mover(20)
    choose_team(client, WARNED, 8610001)
    client.post(f"{NEW}/start-message/", {**LETTER, "action": "save-draft", "flow_team": "8610001"})
    draft = Message.objects.get(subject=LETTER["subject"], state="draft")
    CareSystem.objects.filter(station_number=WARNED).update(
        migration_date=CareSystem.objects.get(station_number=LOCKED).migration_date
        - timedelta(days=198)
    )
    assert LETTER["subject"] in text(client.get(f"{BASE}/drafts/"))
    opened = client.get(f"{BASE}/drafts/{draft.pk}/", follow=True)
    page = text(opened)
    assert opened.status_code == 200 and LETTER["body"] in page and LOCKED_HEADING in page
    client.post(f"{NEW}/delete-draft/")
    assert not Message.objects.filter(pk=draft.pk).exists()


def test_a_veteran_whose_only_teams_are_locked_gets_the_inbox_with_the_locked_alert(mover):
    client, _ = mover(2, username="locked.only")
    load(transition_bundle(locked_in=2))
    response = client.get(f"{NEW}/", follow=True)
    page = text(response)
    assert response.redirect_chain[-1][0].endswith("/inbox/")
    assert LOCKED_HEADING in page and "VA Hudson Valley health care" in page
    assert "don’t have any care teams" not in page


def test_the_name_change_notice_after_cutover(client, db, set_flags, user_named):
    load(transition_bundle())
    set_flags(curated=True, recent=True)
    client.force_login(user_named("mover"))
    client.get(f"{NEW}/continue/")
    page = text(client.get(f"{NEW}/select-care-team/"))
    assert (
        'Primary care | PACT team | T31</span> is now <span class="sm-team-name">VHA LKC Primary Care Teal'
        in page
    )


def test_staff_see_each_migration(client, db, user_named, django_user_model):
    load(transition_bundle())
    staff = django_user_model.objects.create_user("ops", password="x", is_staff=True)
    client.force_login(staff)
    page = text(client.get("/ops/transitions/"))
    assert "VA Hudson Valley health care" in page and "p4 (locked)" in page and "p7 (after)" in page
    client.force_login(user_named("mover"))
    assert client.get("/ops/transitions/").status_code == 403
