"""Start message and legacy compose: small views over named helpers. Forms validate, `flow`
routes, services write; the helpers below do one thing each."""

from __future__ import annotations

import logging
import time

from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from messaging.common.choices import Platform
from messaging.compose import limits
from messaging.compose.flow import Page
from messaging.compose.page import PENDING_FIELDS, ComposePage, initial_values, saved_status
from messaging.models import Message
from messaging.recipients import Recipient
from messaging.rollout import telemetry
from messaging.selectors.messages import draft_for
from messaging.services.messages import (
    RecipientNotAllowed,
    draft_save,
)

from . import compose_files as files
from . import compose_tabs as tabs
from .compose_send import count_refusal, send_form, to_inbox
from .flowrequest import INVALID, FlowRequest, url_of
from .renewal import new_message_prefill

log = logging.getLogger(__name__)


# --- Start message (curated) and legacy compose (curated flag off) -------------------------

TEMPLATE = "messaging/start_message.html"


def _typed(request) -> dict[str, str]:
    """What the veteran typed, kept in the flow state while they are on another page: all of
    it (the request size limit, DATA_UPLOAD_MAX_MEMORY_SIZE, bounds it), and the draft it
    belongs to (another tab may edit another draft meanwhile)."""
    typed = {k: request.POST.get(k, "") for k in (*PENDING_FIELDS, "recipient")}
    return {**typed, tabs.PENDING_DRAFT: tabs.pending_draft_of(request)}


def _compose_page(
    *,
    request,
    fr: FlowRequest,
    page: Page,
    recipient: Recipient | None,
    draft: Message | None,
    legacy_recipients: list[Recipient] | None = None,
    own_page: bool = False,
) -> ComposePage:
    prefill = new_message_prefill(request=request, fr=fr, draft=draft)
    return ComposePage(
        page=page,
        recipient=recipient,
        draft=draft,
        back_url=fr.back_url(page),
        initial=initial_values(fr.state, draft, prefill.initial, pending=not own_page),
        legacy_recipients=legacy_recipients,
        transition=fr.compose_transition_alerts(recipient, legacy=page == Page.LEGACY),
        renewal=bool(fr.state.renewal) or bool(draft and draft.renewal),
        prefill=prefill,
    )


def _render(request, page: ComposePage, context: dict, *, status: int = 200):
    """The page, shown: its facility-transition alerts are counted once."""
    if page.transition:
        telemetry.record_migration_alerts(
            page.transition.shown, page=page.page.value, request=request
        )
    return render(request, TEMPLATE, context, status=status)


def _adopt_posted_page(*, request, fr: FlowRequest, legacy: bool) -> None:
    """Every tab of a session shares one flow state, so a form speaks for its own page: the
    care team it showed and the draft it edits, whatever another tab chose meanwhile."""
    if "draft_id" in request.POST:
        posted = request.POST["draft_id"]
        if posted and not (posted.isdigit() and int(posted) < 2**63):
            raise Http404("No such draft")
        fr.state.draft_id = int(posted) if posted else None
    if not legacy and "flow_team" in request.POST:
        recipient = fr.recipients.get(request.POST["flow_team"])
        # A team that is no longer the veteran's: none (they choose again), never another tab's.
        fr.state.care_team = recipient.id if recipient else None
        fr.state.accepted = fr.state.accepted or recipient is not None


def _open_draft(*, request, fr: FlowRequest) -> Message | None:
    """The draft the page edits: None when there is none, it was deleted meanwhile (another
    tab) or it is not this veteran's: a new one starts."""
    if fr.state.draft_id is None:
        return None
    try:
        return draft_for(veteran=request.user, draft_id=fr.state.draft_id)
    except Message.DoesNotExist:
        # Deleted meanwhile (another tab), or never this veteran's: one answer for both (a new
        # draft), so a draft id tells nothing about whether it exists.
        fr.state.draft_id = None
        fr.save()
        return None


def _page_changed(*, request, fr: FlowRequest, redirect_response):
    """Start message may not be shown now. E.g. the flag was rolled back while the veteran
    typed: the text goes along to the page they are sent to (legacy compose fills itself
    from it)."""
    if request.method == "POST" and redirect_response.url != url_of(Page.INBOX):
        fr.state.pending = {**_typed(request), "recipient": str(fr.state.care_team or "")}
        fr.save()
        messages.warning(
            request,
            "We didn’t send your message: this page changed while you were writing. "
            "Check your message, then select Send again."
            + (" Attach your files again." if request.FILES else ""),
        )
    return redirect_response


def _choose_again(*, request, fr: FlowRequest):
    """The chosen team is no longer one the veteran may write to: back to select care team,
    with what they typed kept."""
    if request.method == "POST":
        fr.state.pending = _typed(request)
    fr.state.care_team = None
    fr.save()
    messages.warning(
        request, "You can’t send messages to that care team anymore. Select a different care team."
    )
    return redirect(url_of(Page.SELECT))


def _legacy_recipients(*, fr: FlowRequest) -> list[Recipient]:
    """Legacy compose's "To" list: every team the veteran may message, by system then name."""
    return sorted(
        fr.recipients.messageable,
        key=lambda r: (r.care_system.name.casefold(), r.display_name.casefold()),
    )


def _legacy_recipient(*, request, fr: FlowRequest, draft: Message | None) -> Recipient | None:
    """The team chosen in legacy compose's "To" select: posted, kept, or the draft's."""
    chosen_id = request.POST.get("recipient") if request.method == "POST" else None
    chosen_id = (
        chosen_id or fr.state.pending.get("recipient") or (draft and draft.care_team.upstream_id)
    )
    recipient = fr.recipients.get(chosen_id)
    return recipient if recipient and recipient.can_message else None


@require_http_methods(["GET", "POST"])
def start_message(request):
    """Start message: write to the care team chosen in the flow."""
    fr = FlowRequest(request)
    if request.method == "POST":
        _adopt_posted_page(request=request, fr=fr, legacy=False)
    elif response := tabs.open_tabs_page(request, fr):
        return response  # "This message was sent"
    if redirect_response := fr.guard(Page.START):
        return _page_changed(request=request, fr=fr, redirect_response=redirect_response)
    draft = _open_draft(request=request, fr=fr)
    recipient = fr.recipients.get(fr.state.care_team)
    # A blocked team, or one locked by its facility's move to Oracle Health (the page says
    # so), is refused on send with the text kept; a team that is no longer the veteran's
    # at all sends them to choose another.
    if recipient is None or (
        request.method == "GET" and not recipient.can_message and not recipient.locked
    ):
        return _choose_again(request=request, fr=fr)
    own_page = request.method == "GET" and tabs.own_page(request)
    page = _compose_page(
        request=request, fr=fr, page=Page.START, recipient=recipient, draft=draft, own_page=own_page
    )
    return _show_or_write(request=request, fr=fr, page=page, own_page=own_page)


def legacy_compose(request, fr: FlowRequest):
    """Legacy compose (curated flag off, at /new-message/ once the interstitial is accepted):
    a "To" select of every team instead of the flow's chosen team."""
    if request.method == "POST":
        _adopt_posted_page(request=request, fr=fr, legacy=True)
    if not fr.recipients.can_message_anyone:
        return fr.guard(Page.INTERSTITIAL)
    draft = _open_draft(request=request, fr=fr)
    legacy_recipients = _legacy_recipients(fr=fr)
    page = _compose_page(
        request=request,
        fr=fr,
        page=Page.LEGACY,
        recipient=_legacy_recipient(request=request, fr=fr, draft=draft),
        draft=draft,
        legacy_recipients=legacy_recipients,
    )
    return _show_or_write(request=request, fr=fr, page=page)


def _show_or_write(*, request, fr: FlowRequest, page: ComposePage, own_page: bool = False):
    """GET shows the page; POST goes to another page of the flow, saves or sends."""
    if request.method == "GET":
        return _show(
            request=request, fr=fr, page=page, carried=bool(fr.state.pending) and not own_page
        )
    if not request.POST.get("idempotency_key"):
        request.POST = request.POST.copy()
        request.POST["idempotency_key"] = fr.state.ensure_send_key()
    action = request.POST.get("action", "send")
    if action.startswith(files.REMOVE_ACTION):  # the page comes back with the text kept
        files.remove_file(request=request, draft_id=fr.state.draft_id, action=action)
        fr.state.pending = _typed(request)
        fr.save()
        return redirect(request.get_full_path())
    if action in ("change-team", "delete-draft"):
        fr.state.pending = _typed(request)
        return fr.go(Page.SELECT if action == "change-team" else "delete-draft")
    return _write(request=request, fr=fr, page=page, action=action)


def _show(*, request, fr: FlowRequest, page: ComposePage, carried: bool):
    """The page; text carried here is stored as the tab's draft first (then shown at its
    address), or the page counts as unsaved when it can't be a draft yet."""
    if carried and page.recipient is not None and page.recipient.can_message:
        if draft := tabs.save_on_arrival(request=request, fr=fr, page=page):
            return redirect(_page_url(request, draft, legacy=page.legacy))
    fr.save()
    return _render(request, page, page.context(form=page.form(), unsaved=carried))


def _page_url(request, draft: Message, *, legacy: bool) -> str:
    """Where a page editing `draft` lives: start message names its draft (one per tab)."""
    return request.path if legacy else f"{url_of(Page.START)}?draft={draft.pk}"


def _write(*, request, fr: FlowRequest, page: ComposePage, action: str):
    """Save the draft or send it, within the veteran's rate, and record the metric."""
    started = time.perf_counter()
    saving = action in ("save-draft", "autosave")
    if saving:
        event = telemetry.DRAFT_UPDATED if fr.state.draft_id else telemetry.DRAFT_CREATED
    else:
        event = telemetry.MESSAGE_SENT
    autosave = action == "autosave"
    if limited := limits.check(
        request,
        limits.DRAFT_SAVE if saving else limits.SEND,
        # A send retried (double click, reload, a timeout) is counted once.
        retry_of="" if saving else _send_fingerprint(request=request, fr=fr),
    ):
        response = _rate_limited(request=request, fr=fr, page=page, limited=limited, json=autosave)
    elif saving:
        response = _save_draft(request=request, fr=fr, page=page, autosave=autosave)
    else:
        response = _send(request=request, fr=fr, page=page)
    telemetry.record_request(
        event,
        flow=page.flow_name,
        platform=Platform.WEB,
        status_code=response.status_code,
        started=started,
        veteran_id=request.user.pk,
        device=telemetry.device_of(request),
        replayed=getattr(request, "sm_replayed", False),
        renewal=page.renewal,
    )
    return response


def _send_fingerprint(*, request, fr: FlowRequest) -> str:
    """What a send is, for the rate limit: its retries carry the same."""
    posted = request.POST
    return limits.fingerprint(
        posted.get("idempotency_key", ""),
        fr.state.care_team,
        fr.state.draft_id,
        *(posted.get(k, "") for k in (*PENDING_FIELDS, "recipient", "signature_name")),
        [(f.name, f.size) for f in request.FILES.getlist("attachments")],
    )


def _rate_limited(
    *, request, fr: FlowRequest, page: ComposePage, limited: limits.Limited, json: bool
):
    """Over the veteran's rate: nothing stored, the text stays on the page, try again later."""
    if json:
        response = JsonResponse({"errors": {"__all__": [{"message": limited.message}]}}, status=429)
    else:
        form = page.form(request.POST, request.FILES)
        form.is_valid()
        form.add_error(None, limited.message)
        fr.save()
        context = page.context(form=form, files_dropped=bool(request.FILES))
        response = _render(request, page, context, status=429)
    response["Retry-After"] = str(limited.retry_after)
    return response


def _store_draft(*, request, fr: FlowRequest, page: ComposePage, form) -> Message:
    """Save the four draft fields of a valid form; the flow state remembers the draft."""
    draft, _ = draft_save(
        veteran=request.user,
        recipient_id=page.recipient.id,
        category=form.cleaned_data["category"],
        subject=form.cleaned_data["subject"],
        body=form.cleaned_data["body"],
        draft_id=fr.state.draft_id,
        flow=page.flow_name,
        platform=Platform.WEB,
        renewal=page.renewal,
    )
    fr.state.draft_id = draft.pk
    return draft


def _save_draft(*, request, fr: FlowRequest, page: ComposePage, autosave: bool):
    """Save draft (a button, or the script's autosave as JSON)."""
    form = page.draft_fields_form(request.POST)
    if form.is_valid() and page.recipient is not None:
        try:
            draft = _store_draft(request=request, fr=fr, page=page, form=form)
        except RecipientNotAllowed as exc:
            count_refusal(
                request, exc, telemetry.DRAFT_UPDATED if page.draft else telemetry.DRAFT_CREATED
            )
            form.add_error(None, exc.message)
        except Message.DoesNotExist as exc:
            raise Http404("No such draft") from exc
        else:
            return _draft_saved(request=request, fr=fr, page=page, draft=draft, autosave=autosave)
    if autosave:
        return JsonResponse({"errors": form.errors.get_json_data()}, status=INVALID)
    full = page.form(request.POST, request.FILES)
    full.is_valid()
    for error in form.non_field_errors():
        full.add_error(None, error)
    return _render(request, page, page.context(form=full), status=INVALID)


def _draft_saved(*, request, fr: FlowRequest, page: ComposePage, draft: Message, autosave: bool):
    fr.state.pending = {}
    fr.save()
    if autosave:
        return JsonResponse({"draftId": draft.pk, "status": saved_status(draft)})
    if request.FILES or request.POST.get("signature_name"):
        messages.warning(
            request,
            "We saved your message without attachments or your signature. "
            "Drafts never keep them: add them again before you send.",
        )
    return redirect(_page_url(request, draft, legacy=page.legacy))


def _send(*, request, fr: FlowRequest, page: ComposePage):
    """Send: to the inbox with "Message sent", or the page again with every word kept."""
    form = page.form(request.POST, request.FILES)
    status = INVALID
    if form.is_valid() and page.recipient is not None:
        outcome = send_form(request=request, fr=fr, page=page, form=form)
        if outcome.message is not None:
            return to_inbox(
                request=request,
                flow_name=page.flow_name,
                message=outcome.message,
                redirect_path=fr.state.renewal.get("redirect", ""),
            )
        status = outcome.status
    context = _keep_typed(request=request, fr=fr, page=page)
    # The valid files stay, kept with the draft; only without a draft are they dropped.
    held = files.hold_files(request=request, draft=context["draft"], rules=page.rules)
    context["files_dropped"] = bool(request.FILES) and held is None
    context = page.context(**{**context, "form": form, "held": held or []})
    return _render(request, page, context, status=status)


def _keep_typed(*, request, fr: FlowRequest, page: ComposePage) -> dict:
    """After a failed send nothing typed is lost: the draft is saved when it can be."""
    context = {"draft": page.draft, "saved_status": "Your message wasn’t sent."}
    draft_form = page.draft_fields_form(request.POST)
    recipient = page.recipient
    if recipient is not None and recipient.can_message and draft_form.is_valid():
        try:
            draft = _store_draft(request=request, fr=fr, page=page, form=draft_form)
            context = {
                **context,
                "draft": draft,
                "saved_status": saved_status(draft, not_sent=True),
            }
        except (RecipientNotAllowed, Message.DoesNotExist):
            pass
        except Exception:  # the last saved draft stays intact
            log.exception("draft save after failed send failed")
    fr.save()
    return context
