"""Start message as one tab's page (issue 12, "never lose"): carried text is a draft as soon as
the page shows, the address names the tab's draft (or team) so a reload or a second tab never
shows another tab's message, and a message that has been sent is never a live form again."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render

from messaging.common.choices import Platform
from messaging.compose.forms import DraftFieldsForm
from messaging.models import Message
from messaging.selectors.messages import draft_for, message_for
from messaging.services.messages import RecipientNotAllowed, draft_save

from .flowrequest import FlowRequest

PENDING_DRAFT = "_draft"  # which draft the carried text belongs to
SENT_MESSAGE_KEY = "sm_sent_message"  # the message this session sent last: {"id", "team"}
MAX_ID = 2**63


def pending_draft_of(request) -> str:
    """The draft a posted page edits, as kept with its carried text ("" for none)."""
    draft_id = request.POST.get("draft_id", "")
    return draft_id if draft_id.isdigit() and int(draft_id) < MAX_ID else ""


def own_page(request) -> bool:
    """Whether the address names this tab's page (start-message/?draft=<id> or ?team=<id>)."""
    return "draft" in request.GET or "team" in request.GET


def open_tabs_page(request, fr: FlowRequest):
    """A response for start message's address when it has one to give ("This message was
    sent"), else None after pointing the flow state at the tab's draft or team."""
    if response := _sent_since(request, fr):
        return response
    raw = request.GET.get("draft") or request.GET.get("team")
    if raw is None:
        return None
    if not (raw.isdigit() and int(raw) < MAX_ID):
        raise Http404("No such draft")
    if "draft" not in request.GET:
        team = fr.recipients.get(raw)
        if team is not None and team.can_message:
            fr.state.accepted, fr.state.draft_id = True, None
            fr.state.care_system, fr.state.care_team = team.care_system.station_number, team.id
        return None
    try:
        draft = draft_for(veteran=request.user, draft_id=int(raw))
    except Message.DoesNotExist as exc:
        try:
            return was_sent(request, message_for(veteran=request.user, message_id=int(raw)))
        except Message.DoesNotExist:
            raise Http404("No such draft") from exc
    recipient = fr.recipients.get(draft.care_team.upstream_id)
    fr.state.accepted, fr.state.draft_id = True, draft.pk
    fr.state.care_team = draft.care_team.upstream_id
    if recipient is not None:
        fr.state.care_system = recipient.care_system.station_number
    return None


def was_sent(request, message: Message):
    """Back or a reload of a page whose message has been sent: say so, link to it."""
    return render(request, "messaging/message_was_sent.html", {"message": message})


def remember_sent(request, message: Message) -> None:
    request.session[SENT_MESSAGE_KEY] = {"id": message.pk, "team": message.care_team.upstream_id}


def forget_sent(request) -> None:
    """A new message begins: no "This message was sent" for it."""
    request.session.pop(SENT_MESSAGE_KEY, None)


def _sent_since(request, fr: FlowRequest):
    """Start message (for the team just written to, or unnamed) with no flow going on, right
    after a send in this session, i.e. Back to the old page: "This message was sent"."""
    sent = request.session.get(SENT_MESSAGE_KEY)
    if fr.state.accepted or "draft" in request.GET or not isinstance(sent, dict):
        return None
    if request.GET.get("team", str(sent.get("team"))) != str(sent.get("team")):
        return None  # another tab's page, for another team
    try:
        return was_sent(request, message_for(veteran=request.user, message_id=int(sent["id"])))
    except (Message.DoesNotExist, KeyError, TypeError, ValueError):
        return None


def save_on_arrival(*, request, fr: FlowRequest, page) -> Message | None:
    """Text carried here (through "Select a different care team", a changed flag, ...) is
    stored as its tab's draft as soon as the page shows, never only in the session. None when
    it can't be a draft yet (a field still empty): the page then counts as unsaved."""
    pending = fr.state.pending
    form = DraftFieldsForm(
        pending,
        recipient=page.recipient,
        rules=page.rules,
        legacy_recipients=page.legacy_recipients,
        renewal=page.renewal,
    )
    if not form.is_valid():
        return None
    owner = pending.get(PENDING_DRAFT, "")
    fields = {
        "veteran": request.user,
        "recipient_id": page.recipient.id,
        "category": form.cleaned_data["category"],
        "subject": form.cleaned_data["subject"],
        "body": form.cleaned_data["body"],
        "flow": page.flow_name,
        "platform": Platform.WEB,
        "renewal": page.renewal,
    }
    try:
        try:
            draft, _ = draft_save(**fields, draft_id=int(owner) if owner else None)
        except Message.DoesNotExist:  # its draft was sent or deleted meanwhile: a new one
            draft, _ = draft_save(**fields, draft_id=None)
    except RecipientNotAllowed:
        return None
    fr.state.draft_id, fr.state.pending = draft.pk, {}
    fr.save()
    return draft
