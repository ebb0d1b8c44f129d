"""Who may touch a draft, a message or an attachment: every endpoint that does, x four actors.

- the owner (a veteran): success, and the change happens;
- another veteran, and a staff user (no veteran profile, no care teams): 404, never 403, so
  an id says nothing about whether it exists; the answer for the owner's id is the answer
  for an id nobody has; nothing in the database or in storage changes;
- anonymous: sign-in for pages, 401 JSON for the API; nothing changes.

Pages that take the draft from the flow's state (start message, legacy compose, delete draft)
are tried with the owner's draft put in the other actor's session: the session is server-side,
so no veteran can do that, but the pages must refuse it all the same (defence in depth).
A staff user has no care teams, so those pages send them to the inbox before any draft is read.

`test_the_matrix_covers_every_url_with_an_id` fails when a URL pattern that takes an id (or a
method of one) is added without a row here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from messaging.compose import flow
from messaging.models import Attachment, Message
from messaging.recipients import recipients_for
from messaging.services.messages import draft_save, message_send
from tests.factories import bundle, care_system, triage_team, veteran, vista_payload
from tests.helpers import BASE, load

pytestmark = pytest.mark.django_db

API = "/my_health/v1/messaging"
NEW = f"{BASE}/new-message"
START = f"{NEW}/start-message/"
USERNAMES = {"owner": "owner.vet", "other": "other.vet", "staff": "staff.qa"}
ACTORS = ("owner", "other", "staff", "anonymous")
OWNER_TEAM = 501
# The other veteran may message the owner's team too: refusals below are about whose record
# it is, not about the team.
BUNDLE = bundle(
    care_systems=[care_system("589", "VA Kansas City health care")],
    veterans=[
        veteran("owner.vet", vistaRecipients=vista_payload([triage_team(OWNER_TEAM, "589")])),
        veteran(
            "other.vet",
            vistaRecipients=vista_payload(
                [triage_team(OWNER_TEAM, "589"), triage_team(502, "589")]
            ),
        ),
    ],
    staff=[{"username": "staff.qa", "password": "pw-staff-secret", "fullName": "Quinn Staff"}],
)
MISSING_ID = 987_654_321
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
# Words only the owner's records hold: no other actor's response may contain one.
MARKERS = ("draft-5e1d", "sent-7c2b", "inbox-9a4f", "file-3d8e")

# What a non-owner gets.
NOT_FOUND = "404"
OWN_ONLY = "200, only their own records"
NO_TEAMS = "302 to the inbox (no care teams: the flow ends before any draft is read)"


@dataclass
class World:
    media: Path
    draft: Message
    sent: Message
    received: Message
    attachment: Attachment


@dataclass
class Ctx:
    actor: str
    user: object | None
    page: Client
    api: APIClient
    set_flags: Callable


@pytest.fixture
def world(db, user_named, settings, tmp_path, set_flags):
    load(BUNDLE)
    settings.MEDIA_ROOT = tmp_path
    set_flags(curated=True, recent=False)
    owner = user_named(USERNAMES["owner"])
    draft, _ = draft_save(
        veteran=owner,
        recipient_id=OWNER_TEAM,
        category="OTHER",
        subject="Owner draft-5e1d",
        body="Owner's draft body draft-5e1d",
    )
    sent = message_send(
        veteran=owner,
        recipient_id=OWNER_TEAM,
        category="OTHER",
        subject="Owner sent-7c2b",
        body="Owner's sent body sent-7c2b",
        files=[SimpleUploadedFile("file-3d8e.pdf", PDF, content_type="application/pdf")],
    ).message
    received = Message.objects.create(
        veteran=owner,
        care_team=sent.care_team,
        category="OTHER",
        subject="Owner inbox-9a4f",
        body="A reply from the care team inbox-9a4f",
        state=Message.State.RECEIVED,
        sent_at=timezone.now(),
    )
    return World(tmp_path, draft, sent, received, sent.attachments.get())


@pytest.fixture
def ctx_for(world, user_named, set_flags):
    def make(actor: str) -> Ctx:
        page, api = Client(), APIClient()
        user = None
        if actor != "anonymous":
            user = user_named(USERNAMES[actor])
            page.force_login(user)
            token, _ = Token.objects.get_or_create(user=user)
            api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return Ctx(actor, user, page, api, set_flags)

    return make


def snapshot(world: World):
    """Every message and attachment row, and every stored file."""
    return (
        sorted(
            Message.objects.values_list(
                "pk",
                "veteran_id",
                "state",
                "care_team_id",
                "category",
                "subject",
                "body",
                "sent_at",
                "updated_at",
                "idempotency_key",
            )
        ),
        sorted(
            Attachment.objects.values_list("pk", "message_id", "name", "file", "size", "sha256")
        ),
        sorted(str(p.relative_to(world.media)) for p in world.media.rglob("*") if p.is_file()),
    )


def own_team(ctx: Ctx) -> int:
    """The team the request names: the owner's (the other veteran may message it too; a staff
    user has no team at all)."""
    if ctx.user is not None and ctx.actor != "staff":
        assert recipients_for(ctx.user).can_message(OWNER_TEAM)
    return OWNER_TEAM


def put_draft_in_flow(ctx: Ctx, draft_id: int) -> None:
    """The flow state the pages read the draft from (as if the actor had opened it)."""
    session = ctx.page.session
    session[flow.SESSION_KEY] = {
        "accepted": True,
        "care_system": "589",
        "care_team": own_team(ctx),
        "draft_id": draft_id,
        "send_key": "",
        "pending": {},
        "origin": "drafts",
    }
    session.save()


def fields(ctx: Ctx, **extra) -> dict:
    return {
        "category": "COVID",
        "subject": "Changed by request",
        "body": "Changed body",
        "recipient_id": own_team(ctx),
        **extra,
    }


def html(response) -> str:
    return response.content.decode()


# --- The owner's success, case by case ----------------------------------------------------


def _shows(marker: str, status: int = 200):
    def check(world: World, response) -> None:
        assert response.status_code == status, response.status_code
        assert marker in html(response)

    return check


def _draft_opened(world, response):
    assert response.status_code == 302 and response["Location"] == START


def _downloaded(world, response):
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert b"".join(response.streaming_content) == PDF


def _draft_changed(status: int, location: str | None = None):
    def check(world: World, response) -> None:
        assert response.status_code == status, response.content[:300]
        if location:
            assert response["Location"] == location
        world.draft.refresh_from_db()
        assert (world.draft.state, world.draft.subject) == ("draft", "Changed by request")

    return check


def _draft_sent(status: int, location: str | None = None):
    def check(world: World, response) -> None:
        assert response.status_code == status, response.content[:300]
        if location:
            assert response["Location"] == location
        world.draft.refresh_from_db()
        assert (world.draft.state, world.draft.subject) == ("sent", "Changed by request")

    return check


def _draft_deleted(status: int, location: str | None = None):
    def check(world: World, response) -> None:
        assert response.status_code == status
        if location:
            assert response["Location"] == location
        assert not Message.objects.filter(pk=world.draft.pk).exists()

    return check


def _sent_deleted(world, response):
    assert response.status_code == 204
    assert not Message.objects.filter(pk=world.sent.pk).exists()
    assert not Attachment.objects.filter(pk=world.attachment.pk).exists()


def _api_message(attribute: str):
    def check(world: World, response) -> None:
        assert response.status_code == 200
        data = response.json()["data"]
        assert data["id"] == str(getattr(world, attribute).pk)
        assert data["attributes"]["body"] == getattr(world, attribute).body

    return check


def _api_lists(attribute: str):
    def check(world: World, response) -> None:
        assert response.status_code == 200
        ids = [m["id"] for m in response.json()["data"]]
        assert str(getattr(world, attribute).pk) in ids

    return check


# --- The matrix -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    name: str
    url_name: str  # namespace:name of the URL pattern requested
    method: str
    target: Callable[[World], int]  # the owner's record (or folder) id the request is about
    call: Callable[[Ctx, int], object]
    owner: Callable[[World, object], None]
    other: str = NOT_FOUND
    staff: str = NOT_FOUND
    api: bool = False
    in_flow: bool = False  # the id travels in the session's flow state

    def __str__(self) -> str:
        return self.name


def _draft(w: World) -> int:
    return w.draft.pk


def _sent(w: World) -> int:
    return w.sent.pk


def _received(w: World) -> int:
    return w.received.pk


def _attachment(w: World) -> int:
    return w.attachment.pk


def _start(action: str, legacy: bool = False):
    def call(ctx: Ctx, draft_id: int):
        ctx.set_flags(curated=not legacy, recent=False)
        put_draft_in_flow(ctx, draft_id)
        data = {
            "category": "COVID",
            "subject": "Changed by request",
            "body": "Changed body",
            "action": action,
        }
        if legacy:
            data["recipient"] = str(own_team(ctx))
        url = f"{NEW}/" if legacy else START
        return ctx.page.get(url) if action == "open" else ctx.page.post(url, data)

    return call


def _delete_draft(ctx: Ctx, draft_id: int):
    put_draft_in_flow(ctx, draft_id)
    return ctx.page.post(f"{NEW}/delete-draft/")


CASES = [
    # Pages with an id in the URL.
    Case(
        "page: sent message",
        "messaging:message",
        "GET",
        _sent,
        lambda c, i: c.page.get(f"{BASE}/messages/{i}/"),
        _shows("sent-7c2b"),
    ),
    Case(
        "page: received message",
        "messaging:message",
        "GET",
        _received,
        lambda c, i: c.page.get(f"{BASE}/messages/{i}/"),
        _shows("inbox-9a4f"),
    ),
    Case(
        "page: open a draft",
        "messaging:draft-open",
        "GET",
        _draft,
        lambda c, i: c.page.get(f"{BASE}/drafts/{i}/"),
        _draft_opened,
    ),
    Case(
        "page: download an attachment",
        "messaging:attachment",
        "GET",
        _attachment,
        lambda c, i: c.page.get(f"{BASE}/attachments/{i}/"),
        _downloaded,
    ),
    # Pages that list records (no id; each veteran sees only their own).
    Case(
        "page: inbox",
        "messaging:inbox",
        "GET",
        _received,
        lambda c, i: c.page.get(f"{BASE}/inbox/"),
        _shows("inbox-9a4f"),
        other=OWN_ONLY,
        staff=OWN_ONLY,
    ),
    Case(
        "page: sent",
        "messaging:sent",
        "GET",
        _sent,
        lambda c, i: c.page.get(f"{BASE}/sent/"),
        _shows("sent-7c2b"),
        other=OWN_ONLY,
        staff=OWN_ONLY,
    ),
    Case(
        "page: drafts",
        "messaging:drafts",
        "GET",
        _draft,
        lambda c, i: c.page.get(f"{BASE}/drafts/"),
        _shows("draft-5e1d"),
        other=OWN_ONLY,
        staff=OWN_ONLY,
    ),
    # Pages that take the draft from the flow state.
    Case(
        "page: start message shows the draft",
        "messaging:start-message",
        "GET",
        _draft,
        _start("open"),
        _shows('value="Owner draft-5e1d"'),
        staff=NO_TEAMS,
        in_flow=True,
    ),
    Case(
        "page: start message saves the draft",
        "messaging:start-message",
        "POST",
        _draft,
        _start("save-draft"),
        _draft_changed(302, START),
        staff=NO_TEAMS,
        in_flow=True,
    ),
    Case(
        "page: start message autosaves the draft",
        "messaging:start-message",
        "POST",
        _draft,
        _start("autosave"),
        _draft_changed(200),
        staff=NO_TEAMS,
        in_flow=True,
    ),
    Case(
        "page: start message sends the draft",
        "messaging:start-message",
        "POST",
        _draft,
        _start("send"),
        _draft_sent(302, f"{BASE}/inbox/"),
        staff=NO_TEAMS,
        in_flow=True,
    ),
    Case(
        "page: legacy compose shows the draft",
        "messaging:interstitial",
        "GET",
        _draft,
        _start("open", legacy=True),
        _shows('value="Owner draft-5e1d"'),
        staff=NO_TEAMS,
        in_flow=True,
    ),
    Case(
        "page: legacy compose sends the draft",
        "messaging:interstitial",
        "POST",
        _draft,
        _start("send", legacy=True),
        _draft_sent(302, f"{BASE}/inbox/"),
        staff=NO_TEAMS,
        in_flow=True,
    ),
    Case(
        "page: delete draft",
        "messaging:delete-draft",
        "POST",
        _draft,
        _delete_draft,
        _draft_deleted(302, f"{BASE}/drafts/"),
        in_flow=True,
    ),
    # The API.
    Case(
        "api: update a draft",
        "api:draft",
        "PUT",
        _draft,
        lambda c, i: c.api.put(f"{API}/message_drafts/{i}", fields(c), format="json"),
        _draft_changed(204),
        api=True,
    ),
    Case(
        "api: read a sent message",
        "api:message",
        "GET",
        _sent,
        lambda c, i: c.api.get(f"{API}/messages/{i}"),
        _api_message("sent"),
        api=True,
    ),
    Case(
        "api: read a received message",
        "api:message",
        "GET",
        _received,
        lambda c, i: c.api.get(f"{API}/messages/{i}"),
        _api_message("received"),
        api=True,
    ),
    Case(
        "api: delete a draft",
        "api:message",
        "DELETE",
        _draft,
        lambda c, i: c.api.delete(f"{API}/messages/{i}"),
        _draft_deleted(204),
        api=True,
    ),
    Case(
        "api: delete a sent message",
        "api:message",
        "DELETE",
        _sent,
        lambda c, i: c.api.delete(f"{API}/messages/{i}"),
        _sent_deleted,
        api=True,
    ),
    Case(
        "api: send a draft",
        "api:messages",
        "POST",
        _draft,
        lambda c, i: c.api.post(f"{API}/messages", fields(c, draft_id=i), format="json"),
        _draft_sent(201),
        api=True,
    ),
    Case(
        "api: send a draft (multipart)",
        "api:messages",
        "POST",
        _draft,
        lambda c, i: c.api.post(
            f"{API}/messages",
            {"message": json.dumps(fields(c, draft_id=i))},
            format="multipart",
        ),
        _draft_sent(201),
        api=True,
    ),
    *[
        Case(
            f"api: {verb} folder {folder}",
            f"api:folder-{kind}",
            method,
            target,
            call,
            _api_lists(attribute),
            other=OWN_ONLY,
            staff=OWN_ONLY,
            api=True,
        )
        for folder, target, attribute in (
            (0, _received, "received"),
            (-1, _sent, "sent"),
            (-2, _draft, "draft"),
        )
        for verb, kind, method, call in (
            (
                "list",
                "messages",
                "GET",
                lambda c, i, f=folder: c.api.get(f"{API}/folders/{f}/messages"),
            ),
            (
                "search",
                "search",
                "POST",
                lambda c, i, f=folder: c.api.post(f"{API}/folders/{f}/search", {}, format="json"),
            ),
        )
    ],
]


def _check_denied(case: Case, response, expected: str) -> None:
    if expected == NOT_FOUND:
        assert response.status_code == 404, (response.status_code, response.content[:300])
        if case.api:
            assert [e["code"] for e in response.json()["errors"]] == ["RECORD_NOT_FOUND"]
    elif expected == OWN_ONLY:
        assert response.status_code == 200, response.status_code
    elif expected == NO_TEAMS:
        assert response.status_code == 302 and response["Location"] == f"{BASE}/inbox/"
    else:  # pragma: no cover - a typo in the matrix
        raise AssertionError(expected)
    body = b"" if getattr(response, "streaming", False) else response.content
    for marker in MARKERS:
        assert marker.encode() not in body, (marker, body[:300])
    assert PDF not in body


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("case", CASES, ids=str)
def test_access(world, ctx_for, case, actor):
    ctx = ctx_for(actor)
    target = case.target(world)
    if actor == "owner":
        case.owner(world, case.call(ctx, target))
        return
    before = snapshot(world)
    response = case.call(ctx, target)
    if actor == "anonymous":
        if case.api:
            assert response.status_code == 401
            assert response.json()["errors"][0]["status"] == "401"
        else:
            assert response.status_code == 302
            assert response["Location"].startswith("/sign-in/?next=")
        assert snapshot(world) == before
        return
    expected = case.other if actor == "other" else case.staff
    _check_denied(case, response, expected)
    assert snapshot(world) == before
    if case.in_flow or expected != NOT_FOUND:
        return
    # An id nobody has gets the same answer: the owner's id tells nothing.
    nobody = case.call(ctx, MISSING_ID)
    assert nobody.status_code == response.status_code
    if case.api:
        assert nobody.json() == response.json()
    assert snapshot(world) == before


def test_staff_user_is_no_veteran(world, user_named):
    """What the staff rows above stand on: the staff account has no profile and no teams."""
    staff = user_named(USERNAMES["staff"])
    assert staff.is_staff and not hasattr(staff, "veteran")
    assert recipients_for(staff).recipients == ()


# --- The matrix covers every URL that takes an id -------------------------------------------


def _methods(pattern: URLPattern) -> set[str]:
    view_class = getattr(pattern.callback, "view_class", None)
    if view_class is None:
        return {"GET"}  # page views with an id are GET-only (checked below)
    return {m.upper() for m in ("get", "post", "put", "patch", "delete") if hasattr(view_class, m)}


def _routes_with_an_id() -> set[tuple[str, str]]:
    from messaging import urls as page_urls
    from messaging.api import urls as api_urls

    return {
        (f"{module.app_name}:{pattern.name}", method)
        for module in (page_urls, api_urls)
        for pattern in module.urlpatterns
        if pattern.pattern.converters
        for method in _methods(pattern)
    }


def test_the_matrix_covers_every_url_with_an_id():
    routes = _routes_with_an_id()
    assert {name for name, _ in routes} == {
        "messaging:draft-open",
        "messaging:message",
        "messaging:attachment",
        "api:draft",
        "api:message",
        "api:folder-messages",
        "api:folder-search",
    }
    names = {name for name, _ in routes}
    assert {(c.url_name, c.method) for c in CASES if c.url_name in names} == routes


@pytest.mark.parametrize("path", ["messages/{sent}/", "drafts/{draft}/", "attachments/{file}/"])
def test_pages_with_an_id_only_read(world, ctx_for, path):
    """The id pages answer GET only, as `_methods` assumes (a new method needs a matrix row)."""
    client = ctx_for("owner").page
    url = f"{BASE}/" + path.format(
        sent=world.sent.pk, draft=world.draft.pk, file=world.attachment.pk
    )
    before = snapshot(world)
    for method in ("post", "put", "patch", "delete"):
        assert getattr(client, method)(url).status_code == 405, (method, url)
    assert snapshot(world) == before
