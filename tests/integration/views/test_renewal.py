"""Medication renewal requests (flow.md 9), on a bundle of their own: the medications page,
the interstitial's parameters, the preselected team, the locked category, the prefilled
lines and their fallbacks, the warning, the checked redirect, the metrics."""

import re
from html import unescape

import pytest
from django.contrib.auth import get_user_model

from messaging.models import Message, MetricEvent, Prescription
from messaging.rollout import telemetry
from tests.factories import renewal_bundle
from tests.helpers import BASE, load

pytestmark = pytest.mark.django_db
NEW = f"{BASE}/new-message"
START = f"{NEW}/start-message/"
MEDS = "/my-health/medications/"
HOSTILE = ["//evil.example", "https://evil.example", "/\\evil.example", "javascript:alert(1)"]


def html(response) -> str:
    return unescape(response.content.decode())


def body_of(response) -> str:
    match = re.search(r'<textarea name="body"[^>]*>\n?(.*?)</textarea>', html(response), re.S)
    return match.group(1)


@pytest.fixture
def rx(client, set_flags):
    set_flags(curated=True, recent=True)
    load(renewal_bundle())
    client.force_login(get_user_model().objects.get(username="rx.vet"))
    return client


def start_renewal(client, prescription_id, redirect_path=MEDS, **extra):
    params = {"prescriptionId": prescription_id, "redirectPath": redirect_path, **extra}
    page = client.get(f"{NEW}/", params)
    assert page.status_code == 200
    assert "Only use messages for non-urgent needs" in html(page)
    return client.get(f"{NEW}/continue/")


def send(client, page, **fields):
    data = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html(page)))
    data.update(subject="Renewal Needed", body=body_of(page), action="send", **fields)
    return client.post(START, data)


def test_bundle_stores_prescriptions_and_signature():
    load(renewal_bundle())
    prescriptions = Prescription.objects.filter(veteran__username="rx.vet")
    assert [p.prescription_id for p in prescriptions] == [
        7100001,
        7100002,
        7100003,
        7100004,
        7100005,
    ]
    first = prescriptions[0]
    assert (first.name, first.care_team.upstream_id, first.renewable) == (
        "Atorvastatin 20 MG Oral Tablet",
        6400001,
        True,
    )
    assert prescriptions[1].care_team is None and prescriptions[1].dispensed_date is None
    user = get_user_model().objects.get(username="rx.vet")
    assert (user.message_signature.name, user.message_signature.include) == (
        "Dana Whitfield",
        True,
    )
    load(renewal_bundle())  # idempotent
    assert Prescription.objects.filter(veteran=user).count() == 5


def test_medications_page_lists_prescriptions_with_renewal_links(rx):
    page = rx.get(MEDS)
    text = html(page)
    assert page.status_code == 200
    for name in (
        "Atorvastatin 20 MG Oral Tablet",
        "Gabapentin 300 MG Oral Capsule",
        "Old Antibiotic",
    ):
        assert name in text
    assert "Last filled on: November 4, 2026" in text
    assert "Last filled on: Not filled yet" in text
    links = re.findall(r'<a class="usa-link" href="([^"]+)"[^>]*>Request a renewal</a>', text)
    assert f"{NEW}/?prescriptionId=7100001&redirectPath={MEDS}" in links
    assert not any("7100004" in link for link in links)  # not renewable: no link
    assert "Someone Else" not in text


def test_renewal_goes_straight_to_start_message_with_team_category_subject_and_lines(rx):
    response = start_renewal(rx, 7100001)
    assert response["Location"] == START
    page = rx.get(START)
    text = html(page)
    assert "VA Palo Alto health care - Pharmacy | Renewals" in text
    assert 'name="category"' not in text  # no category select: read-only "Medication"
    assert '<p class="sm-readonly-field__value">Medication</p>' in text
    assert 'value="Renewal Needed"' in text
    assert body_of(page).split("\n")[:6] == [
        "Medication name, strength, and form: Atorvastatin 20 MG Oral Tablet",
        "Instructions: Take one tablet by mouth daily",
        "Provider who prescribed it: Ana Okafor",
        "Prescription expiration date: March 9, 2027",
        "Last filled on: November 4, 2026",
        "Quantity: 30",
    ]
    assert "Add your medication information" not in text


def test_renewal_survives_a_reload_at_every_step(rx):
    rx.get(f"{NEW}/", {"prescriptionId": 7100001, "redirectPath": MEDS})
    assert "non-urgent" in html(rx.get(f"{NEW}/"))  # the interstitial again, renewal kept
    rx.get(f"{NEW}/continue/")
    first, again = rx.get(START), rx.get(START)
    assert body_of(first) == body_of(again)
    assert "Renewal Needed" in html(again)


def test_missing_values_fall_back(rx):
    response = start_renewal(rx, 7100002)
    # No team named: the veteran chooses one, in the prescription's care system.
    assert response["Location"] == f"{NEW}/recent/"
    rx.post(f"{NEW}/recent/", {"recipient": "other"})
    select = rx.get(f"{NEW}/select-care-team/")
    assert select.context["chosen_system"].station_number == "640"
    rx.post(
        f"{NEW}/select-care-team/",
        {"care_system": "640", "care_team": "6400002", "action": "continue"},
    )
    page = rx.get(START)
    assert body_of(page).split("\n")[:6] == [
        "Medication name, strength, and form: Gabapentin 300 MG Oral Capsule",
        "Instructions: Take one tablet by mouth daily",
        "Provider who prescribed it: ",
        "Prescription expiration date: ",
        "Last filled on: Not filled yet",
        "Quantity: ",
    ]
    assert "Renewal Needed" in html(page)


def test_blocked_team_is_not_preselected(rx):
    response = start_renewal(rx, 7100003)
    assert response["Location"] != START


def test_oracle_health_team_is_preselected(rx):
    start_renewal(rx, 7100005)
    assert "VA Roseburg health care - Roseburg Pharmacy" in html(rx.get(START))


@pytest.mark.parametrize("prescription_id", ["7199999", "123", "not-a-number"])
def test_another_veterans_or_unknown_prescription_gives_empty_lines_and_the_warning(
    rx, prescription_id
):
    start_renewal(rx, prescription_id)
    rx.post(f"{NEW}/recent/", {"recipient": "6400002"})
    page = rx.get(START)
    text = html(page)
    assert "Add your medication information to this message" in text
    assert "To submit your renewal request, you should fill in as many" in text
    assert "Insulin" not in text  # nothing of the other veteran's prescription
    assert body_of(page).split("\n")[:6] == [
        "Medication name, strength, and form: ",
        "Instructions: ",
        "Provider who prescribed it: ",
        "Prescription expiration date: ",
        "Last filled on: ",
        "Quantity: ",
    ]
    assert 'name="category"' not in text and "Renewal Needed" in text


def test_sending_lands_on_the_redirect_path_with_message_sent_and_is_in_sent(rx):
    start_renewal(rx, 7100001)
    page = rx.get(START)
    response = send(rx, page)
    assert response.status_code == 302 and response["Location"] == MEDS
    landed = rx.get(MEDS)
    assert "Message sent" in html(landed)
    message = Message.objects.get(veteran__username="rx.vet", state="sent", renewal=True)
    assert (message.category, message.subject, message.care_team.upstream_id) == (
        "MEDICATIONS",
        "Renewal Needed",
        6400001,
    )
    sent_page = html(rx.get(f"{BASE}/sent/"))
    assert "Renewal Needed" in sent_page


def test_a_posted_category_cannot_change_a_renewal(rx):
    start_renewal(rx, 7100001)
    send(rx, rx.get(START), category="COVID")
    assert Message.objects.get(renewal=True, state="sent").category == "MEDICATIONS"


@pytest.mark.parametrize("hostile", HOSTILE)
def test_unsafe_redirect_path_is_ignored(rx, hostile):
    start_renewal(rx, 7100001, redirect_path=hostile)
    response = send(rx, rx.get(START))
    assert response.status_code == 302
    assert response["Location"] == f"{BASE}/inbox/"


def test_renewal_drafts_and_sends_are_counted_as_renewals(rx):
    start_renewal(rx, 7100001)
    page = rx.get(START)
    data = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html(page)))
    rx.post(START, {**data, "subject": "Renewal Needed", "body": "x", "action": "save-draft"})
    send(rx, rx.get(START))
    events = MetricEvent.objects.filter(
        name__in=[telemetry.DRAFT_CREATED, telemetry.MESSAGE_SENT], renewal=True
    )
    assert sorted(events.values_list("name", flat=True)) == ["draft_created", "message_sent"]
    draft_to_sent = Message.objects.get(veteran__username="rx.vet", renewal=True)
    assert draft_to_sent.state == "sent"


def test_an_ordinary_message_is_not_a_renewal(rx):
    rx.get(f"{NEW}/continue/")
    rx.post(
        f"{NEW}/select-care-team/",
        {"care_system": "640", "care_team": "6400002", "action": "continue"},
    )
    text = html(rx.get(START))
    assert 'name="category"' in text and "Renewal Needed" not in text


def test_renewal_in_the_legacy_flow(client, set_flags):
    set_flags(curated=False, recent=False)
    load(renewal_bundle())
    client.force_login(get_user_model().objects.get(username="rx.vet"))
    client.get(f"{NEW}/", {"prescriptionId": 7100001, "redirectPath": MEDS})
    client.post(f"{NEW}/continue/")
    page = client.get(f"{NEW}/")
    text = html(page)
    assert "Start a new message" in text and 'name="category"' not in text
    assert re.search(r'<option value="6400001" selected>', text)
    assert body_of(page).startswith("Medication name, strength, and form: Atorvastatin")


def test_station_number_preselects_the_care_system_when_no_team_is_named(rx):
    response = start_renewal(rx, "999", station_number="612")
    assert response["Location"] == f"{NEW}/recent/"
    rx.post(f"{NEW}/recent/", {"recipient": "other"})
    assert rx.get(f"{NEW}/select-care-team/").context["chosen_system"].station_number == "612"


def test_a_renewal_draft_reopens_as_a_renewal(rx):
    start_renewal(rx, 7100001)
    page = rx.get(START)
    data = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html(page)))
    rx.post(
        START, {**data, "subject": "Renewal Needed", "body": body_of(page), "action": "save-draft"}
    )
    draft = Message.objects.get(veteran__username="rx.vet", state="draft")
    assert draft.renewal and draft.category == "MEDICATIONS"
    rx.get(f"{BASE}/inbox/")  # leaving the flow
    rx.get(f"{BASE}/drafts/{draft.pk}/")
    text = html(rx.get(START))
    assert 'name="category"' not in text and "Medication" in text
    assert "Add your medication information" not in text
