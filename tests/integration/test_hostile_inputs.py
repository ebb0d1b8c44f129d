"""Hostile input: markup and odd Unicode shown as text, refused input refused, nothing stored.

- Markup and odd Unicode in subjects, bodies, file names, care team, care system and veteran
  names (from the data bundle, the pages and the API) render escaped on every page that shows
  them, and come back from the API as the same plain JSON strings.
- NUL characters and lone surrogates: a 4xx naming the field, nothing stored.
- A request body over DATA_UPLOAD_MAX_MEMORY_SIZE (there is no smaller limit on a message body):
  a 4xx, nothing stored.
- Malformed multipart (no or bad boundary, a body cut short, a content type that does not match
  the body) to the API's send endpoint and to the start-message page: a 4xx, nothing stored,
  never a 500.
"""

from __future__ import annotations

import json
from html.parser import HTMLParser

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from django.utils.html import escape
from rest_framework.test import APIClient

from messaging.models import Attachment, CareTeam, Message
from tests.factories import bundle, care_system, pool, triage_team, veteran, vista_payload
from tests.helpers import BASE, load

pytestmark = pytest.mark.django_db

API = "/my_health/v1/messaging"
NEW = f"{BASE}/new-message"
START = f"{NEW}/start-message/"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
RTL = "Refill \u202eexe.fdp"  # RIGHT-TO-LEFT OVERRIDE
ZWJ = "\U0001f469\u200d\u2695\ufe0f"  # woman health worker: a zero-width-joiner sequence
COMBINING = "Cafe\u0301 Z\u0335a\u0336l\u0337g\u0338o"
EMOJI = "\U0001fa7a\U0001f499"
UNICODE = f"{RTL} {ZWJ} {COMBINING} {EMOJI}"
assert len(UNICODE) <= 50 and len(IMG) <= 50

FULL_NAME = f"Pat {SCRIPT}"
VISTA_SYSTEM = f"VA {IMG} health care"
OH_SYSTEM = f"VA {SCRIPT} {EMOJI} health care"
TEAMS = {
    9901: f"Cardiology {SCRIPT}",
    9902: f"Audiology {IMG}",
    9903: f"Primary care {RTL}",
    9904: f"{ZWJ} Nurses {COMBINING} {EMOJI}",
}
POOL = 9905
POOL_NAME = f"Pool {IMG} {ZWJ}"
SENT_BODY = f"{SCRIPT}\n{IMG}\n{UNICODE}"
HOSTILE_BUNDLE = bundle(
    care_systems=[
        care_system("990", VISTA_SYSTEM),
        care_system("991", OH_SYSTEM, "oracle_health"),
    ],
    oh_pools=[{"stationNumber": "991", "pools": [pool(POOL, "991", externalName=POOL_NAME)]}],
    veterans=[
        veteran(
            "hostile.vet",
            fullName=FULL_NAME,
            vistaRecipients=vista_payload(
                [triage_team(team_id, "990", name=name) for team_id, name in TEAMS.items()]
            ),
            ohFacilities=["991"],
            sentMessages=[
                {
                    "recipientId": 9901,
                    "daysAgo": 1,
                    "category": "OTHER",
                    "subject": SCRIPT,
                    "body": SENT_BODY,
                },
                {
                    "recipientId": 9902,
                    "daysAgo": 2,
                    "category": "OTHER",
                    "subject": IMG,
                    "body": "b",
                },
                {
                    "recipientId": 9903,
                    "daysAgo": 3,
                    "category": "OTHER",
                    "subject": UNICODE,
                    "body": "b",
                },
                {
                    "recipientId": 9904,
                    "daysAgo": 4,
                    "category": "OTHER",
                    "subject": "Plain",
                    "body": "b",
                },
            ],
        )
    ],
)
DRAFT = {"category": "OTHER", "subject": IMG, "body": SENT_BODY, "recipient_id": 9902}


@pytest.fixture
def hostile(db, set_flags, user_named, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    load(HOSTILE_BUNDLE)
    set_flags(curated=True, recent=True)
    return user_named("hostile.vet")


@pytest.fixture
def vet_page(hostile):
    client = Client()
    client.force_login(hostile)
    return client


@pytest.fixture
def api(hostile):
    client = APIClient()
    client.force_authenticate(hostile)
    return client


def stored():
    """Every message and attachment row (what "nothing stored" compares)."""
    return (
        sorted(
            Message.objects.values_list("pk", "state", "care_team_id", "subject", "body", "sent_at")
        ),
        sorted(Attachment.objects.values_list("pk", "message_id", "name", "file")),
    )


def files_in(path) -> list:
    return [p for p in path.rglob("*") if p.is_file()]


# --- Shown as text ----------------------------------------------------------------------------


class _Elements(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict]] = []
        self.script_text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.script_text.append(data)


def assert_shown_as_text(page: str, texts: list[str]) -> None:
    """Each text is on the page, escaped; no markup from them became an element or attribute."""
    elements = _Elements()
    elements.feed(page)
    for tag, attrs in elements.found:
        assert not [name for name in attrs if name.startswith("on")], (tag, attrs)
        assert not (tag == "img" and attrs.get("src") == "x"), (tag, attrs)
        if tag == "script":
            assert attrs.get("src", "").startswith("/static/"), attrs
    assert elements.script_text == []
    for text in texts:
        assert escape(text) in page, text
        if set(text) & set("<>\"'&"):
            assert text not in page, text


def _sent(subject: str) -> Message:
    return Message.objects.get(veteran__username="hostile.vet", state="sent", subject=subject)


def _open_draft(page, api):
    draft_id = api.post(f"{API}/message_drafts", DRAFT, format="json").json()["data"]["id"]
    assert page.get(f"{BASE}/drafts/{draft_id}/")["Location"] == START
    return page.get(START)


def _received(page, api):
    Message.objects.create(
        veteran=_sent(SCRIPT).veteran,
        care_team=CareTeam.objects.get(upstream_id=9902),
        category="OTHER",
        subject=IMG,
        body=SENT_BODY,
        state=Message.State.RECEIVED,
        sent_at=timezone.now(),
    )
    return page.get(f"{BASE}/inbox/")


def _choose_system(page, api):
    page.get(f"{NEW}/continue/")
    return page.post(f"{NEW}/select-care-team/", {"care_system": "990", "action": "update"})


def _legacy(page, api, set_flags):
    set_flags(curated=False, recent=False)
    page.post(f"{NEW}/continue/")
    return page.get(f"{NEW}/")


ALL_TEAMS = [*TEAMS.values(), VISTA_SYSTEM]
PAGES = {
    "inbox": (_received, [IMG, TEAMS[9902], VISTA_SYSTEM]),
    "sent": (
        lambda page, api: page.get(f"{BASE}/sent/"),
        [SCRIPT, IMG, UNICODE, *ALL_TEAMS],
    ),
    "drafts": (
        lambda page, api: (
            api.post(f"{API}/message_drafts", DRAFT, format="json"),
            page.get(f"{BASE}/drafts/"),
        )[1],
        [IMG, TEAMS[9902], VISTA_SYSTEM],
    ),
    "message detail": (
        lambda page, api: page.get(f"{BASE}/messages/{_sent(SCRIPT).pk}/"),
        [SCRIPT, IMG, UNICODE, TEAMS[9901], VISTA_SYSTEM],
    ),
    "start message with a draft": (_open_draft, [IMG, SCRIPT, UNICODE, TEAMS[9902], VISTA_SYSTEM]),
    "recent care teams": (
        lambda page, api: (page.get(f"{NEW}/continue/"), page.get(f"{NEW}/recent/"))[1],
        ALL_TEAMS,
    ),
    "select care team": (_choose_system, [*ALL_TEAMS, OH_SYSTEM]),
    "contact list": (lambda page, api: page.get(f"{BASE}/contact-list/"), ALL_TEAMS),
}


@pytest.mark.parametrize("name", PAGES)
def test_pages_show_hostile_text_as_text(vet_page, api, name):
    get, texts = PAGES[name]
    response = get(vet_page, api)
    assert response.status_code == 200, (response.status_code, response.get("Location"))
    assert_shown_as_text(response.content.decode(), [FULL_NAME, *texts])


def test_legacy_compose_shows_hostile_names_as_text(vet_page, api, set_flags):
    response = _legacy(vet_page, api, set_flags)
    assert response.status_code == 200
    assert_shown_as_text(
        response.content.decode(), [FULL_NAME, *TEAMS.values(), VISTA_SYSTEM, POOL_NAME, OH_SYSTEM]
    )


def test_text_typed_on_the_page_is_kept_exactly_and_shown_as_text(vet_page):
    vet_page.get(f"{NEW}/continue/")
    vet_page.post(
        f"{NEW}/select-care-team/",
        {"care_system": "990", "care_team": "9901", "action": "continue"},
    )
    typed = {"category": "OTHER", "subject": IMG, "body": f"{SCRIPT}\n{UNICODE}"}
    response = vet_page.post(START, {**typed, "action": "save-draft"})
    assert response.status_code == 302, response.content[:500]
    draft = Message.objects.get(state="draft")
    assert (draft.subject, draft.body) == (IMG, typed["body"])
    assert_shown_as_text(vet_page.get(START).content.decode(), [IMG, SCRIPT, UNICODE, TEAMS[9901]])
    # A send that fails (no category) shows what was typed, as text.
    response = vet_page.post(START, {**typed, "category": "", "action": "send"})
    assert response.status_code == 422
    assert_shown_as_text(response.content.decode(), [IMG, SCRIPT, UNICODE])


def test_attachment_names_are_shown_as_text_without_bidi_overrides(vet_page):
    vet_page.get(f"{NEW}/continue/")
    vet_page.post(
        f"{NEW}/select-care-team/",
        {"care_system": "990", "care_team": "9901", "action": "continue"},
    )
    uploads = [
        SimpleUploadedFile("<img src=x onerror=alert(1)>.pdf", PDF),
        SimpleUploadedFile("letter\u202efdp.exe.pdf", PDF + b" "),
    ]
    data = {"category": "OTHER", "subject": "Files", "body": "b", "attachments": uploads}
    response = vet_page.post(START, {**data, "action": "send"})
    assert response.status_code == 302, response.content[:500]
    names = sorted(Attachment.objects.values_list("name", flat=True))
    # Django drops unprintable characters (the RTL override) from upload names.
    assert names == ["<img src=x onerror=alert(1)>.pdf", "letterfdp.exe.pdf"]
    message = Message.objects.get(subject="Files")
    assert_shown_as_text(
        vet_page.get(f"{BASE}/messages/{message.pk}/").content.decode(),
        ["<img src=x onerror=alert(1)>.pdf", "letterfdp.exe.pdf"],
    )
    download = vet_page.get(f"{BASE}/attachments/{message.attachments.order_by('name')[0].pk}/")
    assert download["Content-Type"] == "application/octet-stream"
    assert download["Content-Disposition"].startswith("attachment;")
    assert (
        "\n" not in download["Content-Disposition"] and "\r" not in download["Content-Disposition"]
    )


# --- The API returns the same plain strings -------------------------------------------------


def test_api_returns_hostile_text_as_the_same_plain_strings(api):
    response = api.post(f"{API}/message_drafts", DRAFT, format="json")
    assert response.status_code == 201
    assert response["Content-Type"] == "application/json"
    attributes = response.json()["data"]["attributes"]
    assert (attributes["subject"], attributes["body"]) == (IMG, SENT_BODY)
    assert attributes["recipient_name"] == TEAMS[9902]
    # The body on the wire is JSON text, not HTML-escaped text.
    assert b"&lt;" not in response.content and b"&quot;" not in response.content

    sent = {
        m["attributes"]["subject"]: m for m in api.get(f"{API}/folders/-1/messages").json()["data"]
    }
    assert {SCRIPT, IMG, UNICODE} <= set(sent)
    detail = api.get(f"{API}/messages/{sent[SCRIPT]['id']}").json()["data"]["attributes"]
    assert (detail["subject"], detail["body"], detail["recipient_name"]) == (
        SCRIPT,
        SENT_BODY,
        TEAMS[9901],
    )

    recipients = api.get(f"{API}/allrecipients").json()
    by_id = {r["attributes"]["triage_team_id"]: r["attributes"] for r in recipients["data"]}
    for team_id, name in TEAMS.items():
        assert by_id[team_id]["name"] == name
        assert by_id[team_id]["health_care_system_name"] == VISTA_SYSTEM
    assert by_id[POOL]["suggested_name_display"] == POOL_NAME
    assert by_id[POOL]["health_care_system_name"] == OH_SYSTEM
    assert {s["health_care_system_name"] for s in recipients["meta"]["care_systems"]} == {
        VISTA_SYSTEM,
        OH_SYSTEM,
    }


def test_type_ahead_json_returns_team_names_as_plain_strings(vet_page):
    vet_page.get(f"{NEW}/continue/")
    response = vet_page.get(f"{NEW}/select-care-team/teams/", {"care_system": "990"})
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    data = response.json()
    assert data["careSystem"]["name"] == VISTA_SYSTEM
    names = {team["id"]: team["name"] for team in data["teams"]}
    for team_id, name in TEAMS.items():
        assert names[team_id].startswith(name)


# --- NUL characters and lone surrogates are refused -------------------------------------------

NUL = "a\x00b"
SURROGATES = ["\ud800", "a\udfffb"]  # a lone high and a lone low surrogate


def _draft_id(api) -> int:
    return int(
        api.post(
            f"{API}/message_drafts",
            {**DRAFT, "subject": "Kept", "body": "Kept"},
            format="json",
        ).json()["data"]["id"]
    )


def _api_post(api, path, payload):
    # json.dumps writes a lone surrogate as its \uXXXX escape: valid JSON text.
    return api.generic("POST", f"{API}/{path}", json.dumps(payload), "application/json")


API_WRITES = {
    "create a draft": lambda api, payload, draft_id: _api_post(api, "message_drafts", payload),
    "update a draft": lambda api, payload, draft_id: api.generic(
        "PUT", f"{API}/message_drafts/{draft_id}", json.dumps(payload), "application/json"
    ),
    "send": lambda api, payload, draft_id: _api_post(api, "messages", payload),
    "send a draft": lambda api, payload, draft_id: _api_post(
        api, "messages", {**payload, "draft_id": draft_id}
    ),
    "send (multipart)": lambda api, payload, draft_id: api.post(
        f"{API}/messages",
        {"message": json.dumps(payload), "uploads[]": [SimpleUploadedFile("a.pdf", PDF)]},
        format="multipart",
    ),
}


@pytest.mark.parametrize("field", ["subject", "body"])
@pytest.mark.parametrize("bad", [NUL, *SURROGATES], ids=["nul", "d800", "dfff"])
@pytest.mark.parametrize("write", API_WRITES)
def test_api_refuses_nul_and_lone_surrogates(api, tmp_path, write, bad, field):
    draft_id = _draft_id(api)
    before = stored()
    response = API_WRITES[write](api, {**DRAFT, field: f"x{bad}"}, draft_id)
    assert response.status_code == 422, response.content[:300]
    details = [e["detail"] for e in response.json()["errors"]]
    expected = "Null characters" if bad == NUL else "Surrogate characters"
    assert any(d.startswith(f"{field} - {expected} are not allowed") for d in details), details
    assert stored() == before
    assert files_in(tmp_path) == []


def test_api_refuses_json_that_is_not_utf8(api):
    before = stored()
    raw = json.dumps({**DRAFT, "subject": "SUBJECT"}).encode().replace(b"SUBJECT", b"\xed\xa0\x80")
    response = api.generic("POST", f"{API}/message_drafts", raw, "application/json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["status"] == "400"
    assert stored() == before


@pytest.fixture
def at_start(vet_page):
    vet_page.get(f"{NEW}/continue/")
    vet_page.post(
        f"{NEW}/select-care-team/",
        {"care_system": "990", "care_team": "9901", "action": "continue"},
    )
    return vet_page


@pytest.mark.parametrize("field", ["subject", "body"])
@pytest.mark.parametrize("action", ["send", "save-draft", "autosave"])
def test_page_refuses_nul(at_start, action, field):
    before = stored()
    data = {"category": "OTHER", "subject": "Subject", "body": "Body", field: NUL}
    response = at_start.post(START, {**data, "action": action})
    assert response.status_code == 422
    if action == "autosave":
        assert response.json()["errors"][field][0]["message"] == "Null characters are not allowed."
    else:
        assert "Null characters are not allowed." in response.content.decode()
    assert stored() == before


@pytest.mark.parametrize("encoding", ["urlencoded", "multipart"])
def test_page_never_stores_a_surrogate_from_bytes_that_are_not_utf8(at_start, encoding):
    """A browser cannot send a lone surrogate; bytes that would decode to one (CESU-8) are not
    UTF-8 and are read as U+FFFD, never stored as a surrogate and never a 500."""
    if encoding == "urlencoded":
        body = b"category=OTHER&subject=S%ED%A0%80&body=B&action=save-draft"
        content_type = "application/x-www-form-urlencoded"
    else:
        body = (
            b'--B\r\nContent-Disposition: form-data; name="category"\r\n\r\nOTHER\r\n'
            b'--B\r\nContent-Disposition: form-data; name="subject"\r\n\r\nS\xed\xa0\x80\r\n'
            b'--B\r\nContent-Disposition: form-data; name="body"\r\n\r\nB\r\n'
            b'--B\r\nContent-Disposition: form-data; name="action"\r\n\r\nsave-draft\r\n'
            b"--B--\r\n"
        )
        content_type = "multipart/form-data; boundary=B"
    response = at_start.generic("POST", START, body, content_type)
    assert response.status_code == 302
    subject = Message.objects.get(state="draft").subject
    assert subject.startswith("S") and set(subject[1:]) == {"\ufffd"}
    subject.encode("utf-8")  # storable anywhere: no surrogate


# --- Oversize bodies ------------------------------------------------------------------------


@pytest.fixture
def too_big(settings) -> str:
    """A message body one byte over the request limit (the only limit on a body's size)."""
    return "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)


@pytest.mark.parametrize("write", API_WRITES)
def test_api_refuses_a_body_over_the_limit(api, tmp_path, too_big, write):
    draft_id = _draft_id(api)
    before = stored()
    response = API_WRITES[write](api, {**DRAFT, "body": too_big}, draft_id)
    assert response.status_code == 413, response.content[:300]
    assert response.json()["errors"][0]["status"] == "413"
    assert stored() == before
    assert files_in(tmp_path) == []


@pytest.mark.parametrize("multipart", [False, True], ids=["urlencoded", "multipart"])
@pytest.mark.parametrize("action", ["send", "save-draft"])
def test_page_refuses_a_body_over_the_limit(at_start, tmp_path, too_big, action, multipart):
    at_start.post(
        START, {"category": "OTHER", "subject": "Kept", "body": "Kept", "action": "save-draft"}
    )
    before = stored()
    data = {"category": "OTHER", "subject": "Big", "body": too_big, "action": action}
    if multipart:
        data["attachments"] = SimpleUploadedFile("a.pdf", PDF)
    response = at_start.post(START, data)
    assert_clear_page_error(response)
    assert stored() == before
    assert files_in(tmp_path) == []


CLEAR_PAGE_ERRORS = {
    400: "We couldn’t read that request",
    403: "Your page expired",
    413: "We couldn’t read that request",
}


def assert_clear_page_error(response) -> None:
    """A refused form post gets a page that says what happened, not a bare status line."""
    assert response.status_code in CLEAR_PAGE_ERRORS, response.status_code
    page = response.content.decode()
    assert CLEAR_PAGE_ERRORS[response.status_code] in page, page[:300]
    assert "Nothing was sent or saved." in page


# --- Malformed multipart --------------------------------------------------------------------


def multipart(boundary: bytes, parts: list[tuple[str, bytes, str | None]], close=True) -> bytes:
    body = b""
    for name, value, filename in parts:
        body += b"--" + boundary + b"\r\n"
        disposition = f'form-data; name="{name}"'
        if filename:
            disposition += f'; filename="{filename}"\r\nContent-Type: application/pdf'
        body += f"Content-Disposition: {disposition}\r\n\r\n".encode() + value + b"\r\n"
    if close:
        body += b"--" + boundary + b"--\r\n"
    return body


def malformed(parts) -> dict[str, tuple[str, bytes]]:
    good = multipart(b"BOUNDARY", parts)
    boundary = "multipart/form-data; boundary=BOUNDARY"
    return {
        "no boundary": ("multipart/form-data", good),
        "empty boundary": ("multipart/form-data; boundary=", good),
        "boundary with control characters": ("multipart/form-data; boundary=\x00\x01", good),
        "boundary too long": ("multipart/form-data; boundary=" + "B" * 71, good),
        "another boundary": ("multipart/form-data; boundary=OTHER", good),
        "cut short in a file": (boundary, good[: good.index(b"%%EOF")]),
        "cut short in a field": (boundary, good[: good.index(b"Body text") + 4]),
        "no closing boundary": (boundary, multipart(b"BOUNDARY", parts, close=False)),
        "cut short in part headers": (boundary, good[:30]),
        "not multipart at all": (boundary, b"\xff\xfe\x00garbage\x00"),
        "json content type": ("application/json", good),
        "text content type": ("text/plain", good),
        "form content type": ("application/x-www-form-urlencoded", good),
        "no content type": ("", good),
    }


API_PARTS = [
    ("message", json.dumps({**DRAFT, "subject": "Multipart", "body": "Body text"}).encode(), None),
    ("uploads[]", PDF, "a.pdf"),
]
PAGE_PARTS = [
    ("category", b"OTHER", None),
    ("subject", b"Multipart", None),
    ("body", b"Body text", None),
    ("attachments", PDF, "a.pdf"),
    ("action", b"send", None),
]


@pytest.mark.parametrize("case", malformed(API_PARTS))
def test_api_send_refuses_malformed_multipart(api, tmp_path, case):
    content_type, body = malformed(API_PARTS)[case]
    before = stored()
    response = api.generic("POST", f"{API}/messages", body, content_type)
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    assert response.json()["errors"][0]["status"] == str(response.status_code)
    assert stored() == before
    assert files_in(tmp_path) == []


@pytest.mark.parametrize("case", malformed(PAGE_PARTS))
def test_start_message_refuses_malformed_multipart(at_start, tmp_path, case):
    content_type, body = malformed(PAGE_PARTS)[case]
    before = stored()
    response = at_start.generic("POST", START, body, content_type)
    assert 400 <= response.status_code < 500, response.status_code
    if response.status_code in CLEAR_PAGE_ERRORS:  # else the form itself shows the errors
        assert_clear_page_error(response)
    assert stored() == before
    assert files_in(tmp_path) == []


def test_well_formed_multipart_by_hand_is_sent(api, at_start, tmp_path):
    """The hand-made bodies above are right but for what each case breaks."""
    content_type = "multipart/form-data; boundary=BOUNDARY"
    response = api.generic(
        "POST", f"{API}/messages", multipart(b"BOUNDARY", API_PARTS), content_type
    )
    assert response.status_code == 201, response.content[:300]
    response = at_start.generic("POST", START, multipart(b"BOUNDARY", PAGE_PARTS), content_type)
    assert response.status_code == 302
    assert Message.objects.filter(subject="Multipart", state="sent").count() == 2
    assert Attachment.objects.count() == 2


@pytest.mark.parametrize("case", ["no boundary", "cut short in a file", "no closing boundary"])
def test_malformed_multipart_with_csrf_checks_on(hostile, tmp_path, case):
    """As a browser meets it: CSRF middleware reads the form before the view does."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(hostile)
    client.get(f"{NEW}/continue/")
    client.get(f"{NEW}/select-care-team/")  # a page with a form sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    chosen = client.post(
        f"{NEW}/select-care-team/",
        {"care_system": "990", "care_team": "9901", "action": "continue"},
        HTTP_X_CSRFTOKEN=token,
    )
    assert chosen.status_code == 302 and chosen["Location"] == START
    parts = [("csrfmiddlewaretoken", token.encode(), None), *PAGE_PARTS]
    content_type, body = malformed(parts)[case]
    before = stored()
    response = client.generic("POST", START, body, content_type, HTTP_X_CSRFTOKEN=token)
    assert_clear_page_error(response)
    assert stored() == before
    assert files_in(tmp_path) == []
