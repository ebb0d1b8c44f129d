"""Start message and legacy compose: small views over named helpers. Forms validate, `flow`
routes, services write; the helpers below do one thing each."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from functools import cached_property

from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.views.decorators.http import require_http_methods

from messaging.common.choices import Ehr, Flow, Platform
from messaging.compose import flow, limits
from messaging.compose.attachments import AttachmentRules, rules_for
from messaging.compose.flow import FlowState, Page
from messaging.compose.forms import ComposeForm, DraftFieldsForm
from messaging.compose.signature import signed_body
from messaging.models import Message
from messaging.recipients import Recipient
from messaging.rollout import telemetry
from messaging.selectors.messages import draft_for, message_of_another
from messaging.services.messages import (
    SOMETHING_WENT_WRONG,
    AttachmentsRefused,
    RecipientNotAllowed,
    draft_save,
    message_send,
)

from .flowrequest import INVALID, FlowRequest, url_of

log = logging.getLogger(__name__)
PENDING_FIELDS = ("category", "subject", "body")


# --- Start message (curated) and legacy compose (curated flag off) -------------------------

TEMPLATE = "messaging/start_message.html"


def _saved_status(message: Message) -> str:
    when = timezone.localtime(message.updated_at)
    return f"Your message was saved on {date_format(when, 'F j, Y')} at {date_format(when, 'g:i a T')}."


def _initial(state: FlowState, draft: Message | None) -> dict:
    initial = {"idempotency_key": state.ensure_send_key()}
    if draft is not None:
        initial.update(
            category=draft.category,
            subject=draft.subject,
            body=draft.body,
            recipient=str(draft.care_team.upstream_id),
        )
    initial.update({k: v for k, v in state.pending.items() if k in PENDING_FIELDS + ("recipient",)})
    return initial


def _typed(request) -> dict[str, str]:
    """What the veteran typed, kept in the flow state while they are on another page: all of
    it (the request size limit, DATA_UPLOAD_MAX_MEMORY_SIZE, bounds it)."""
    return {k: request.POST.get(k, "") for k in (*PENDING_FIELDS, "recipient")}


@dataclass
class ComposePage:
    """One showing of start message or legacy compose: the team, the draft, the rules."""

    page: Page
    recipient: Recipient | None
    draft: Message | None
    back_url: str
    initial: dict
    legacy_recipients: list[Recipient] | None = None

    @property
    def legacy(self) -> bool:
        return self.page == Page.LEGACY

    @property
    def flow_name(self) -> str:
        return Flow.LEGACY if self.legacy else Flow.CURATED

    @cached_property
    def rules(self) -> AttachmentRules:
        return rules_for(self.recipient.source if self.recipient else Ehr.VISTA)

    def form(self, data=None, files=None) -> ComposeForm:
        """The whole form: the four draft fields, attachments and, when needed, the signature."""
        return ComposeForm(
            data,
            files,
            recipient=self.recipient,
            rules=self.rules,
            legacy_recipients=self.legacy_recipients,
            signature=bool(self.recipient and self.recipient.signature_required),
            initial=self.initial,
        )

    def draft_fields_form(self, data) -> DraftFieldsForm:
        """The four fields a draft keeps (never attachments or a signature)."""
        return DraftFieldsForm(
            data,
            recipient=self.recipient,
            rules=self.rules,
            legacy_recipients=self.legacy_recipients,
        )

    def context(self, **extra) -> dict:
        return {
            "page": self.page,
            "recipient": self.recipient,
            "draft": self.draft,
            "back_url": self.back_url,
            "legacy": self.legacy,
            "saved_status": _saved_status(self.draft) if self.draft else "",
            **extra,
        }


def _compose_page(
    *,
    fr: FlowRequest,
    page: Page,
    recipient: Recipient | None,
    draft: Message | None,
    legacy_recipients: list[Recipient] | None = None,
) -> ComposePage:
    return ComposePage(
        page=page,
        recipient=recipient,
        draft=draft,
        back_url=fr.back_url(page),
        initial=_initial(fr.state, draft),
        legacy_recipients=legacy_recipients,
    )


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
    """The draft the page edits: None when there is none or it was deleted meanwhile (another
    tab: a new one starts), a 404 when the id is another veteran's."""
    if fr.state.draft_id is None:
        return None
    try:
        return draft_for(veteran=request.user, draft_id=fr.state.draft_id)
    except Message.DoesNotExist as exc:
        if message_of_another(veteran=request.user, message_id=fr.state.draft_id):
            raise Http404("No such draft") from exc
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
    if redirect_response := fr.guard(Page.START):
        return _page_changed(request=request, fr=fr, redirect_response=redirect_response)
    draft = _open_draft(request=request, fr=fr)
    recipient = fr.recipients.get(fr.state.care_team)
    # A blocked team is refused on send (the page comes back with the text and the error);
    # a team that is no longer the veteran's at all sends them to choose another.
    if recipient is None or (request.method == "GET" and not recipient.can_message):
        return _choose_again(request=request, fr=fr)
    page = _compose_page(fr=fr, page=Page.START, recipient=recipient, draft=draft)
    return _show_or_write(request=request, fr=fr, page=page)


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
        fr=fr,
        page=Page.LEGACY,
        recipient=_legacy_recipient(request=request, fr=fr, draft=draft),
        draft=draft,
        legacy_recipients=legacy_recipients,
    )
    return _show_or_write(request=request, fr=fr, page=page)


def _show_or_write(*, request, fr: FlowRequest, page: ComposePage):
    """GET shows the page; POST goes to another page of the flow, saves or sends."""
    if request.method == "GET":
        fr.save()
        return render(request, TEMPLATE, page.context(form=page.form()))
    if not request.POST.get("idempotency_key"):
        request.POST = request.POST.copy()
        request.POST["idempotency_key"] = fr.state.ensure_send_key()
    action = request.POST.get("action", "send")
    if action in ("change-team", "delete-draft"):
        fr.state.pending = _typed(request)
        return fr.go(Page.SELECT if action == "change-team" else "delete-draft")
    return _write(request=request, fr=fr, page=page, action=action)


def _write(*, request, fr: FlowRequest, page: ComposePage, action: str):
    """Save the draft or send it, within the veteran's rate, and record the metric."""
    started = time.perf_counter()
    saving = action in ("save-draft", "autosave")
    if saving:
        event = telemetry.DRAFT_UPDATED if fr.state.draft_id else telemetry.DRAFT_CREATED
    else:
        event = telemetry.MESSAGE_SENT
    autosave = action == "autosave"
    if limited := limits.check(request, limits.DRAFT_SAVE if saving else limits.SEND):
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
    )
    return response


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
        response = render(request, TEMPLATE, context, status=429)
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
            form.add_error(None, exc.message)
        except Message.DoesNotExist as exc:
            raise Http404("No such draft") from exc
        else:
            return _draft_saved(request=request, fr=fr, draft=draft, autosave=autosave)
    if autosave:
        return JsonResponse({"errors": form.errors.get_json_data()}, status=INVALID)
    full = page.form(request.POST, request.FILES)
    full.is_valid()
    for error in form.non_field_errors():
        full.add_error(None, error)
    return render(request, TEMPLATE, page.context(form=full), status=INVALID)


def _draft_saved(*, request, fr: FlowRequest, draft: Message, autosave: bool):
    fr.state.pending = {}
    fr.save()
    if autosave:
        return JsonResponse({"draftId": draft.pk, "status": _saved_status(draft)})
    if request.FILES or request.POST.get("signature_name"):
        messages.warning(
            request,
            "We saved your message without attachments or your signature. "
            "Drafts never keep them: add them again before you send.",
        )
    return redirect(request.path)


def _send(*, request, fr: FlowRequest, page: ComposePage):
    """Send: to the inbox with "Message sent", or the page again with every word kept."""
    form = page.form(request.POST, request.FILES)
    if form.is_valid() and page.recipient is not None:
        if _sent_now(request=request, fr=fr, page=page, form=form):
            return _sent(request=request, flow_name=page.flow_name)
    context = _keep_typed(request=request, fr=fr, page=page)
    context["files_dropped"] = bool(request.FILES)  # browsers can't re-fill a file input
    return render(request, TEMPLATE, {**context, "form": form}, status=INVALID)


def _sent_now(*, request, fr: FlowRequest, page: ComposePage, form: ComposeForm) -> bool:
    """Send a valid form's message; a refusal becomes an error on the form (False)."""
    body = form.cleaned_data["body"]
    if form.signs:
        body = signed_body(
            body=body, full_name=form.cleaned_data["signature_name"], on=timezone.localdate()
        )
    try:
        message_send(
            veteran=request.user,
            recipient_id=page.recipient.id,
            category=form.cleaned_data["category"],
            subject=form.cleaned_data["subject"],
            body=body,
            idempotency_key=form.cleaned_data.get("idempotency_key") or "",
            draft_id=fr.state.draft_id,
            files=form.cleaned_data.get("attachments") or [],
            flow=page.flow_name,
            platform=Platform.WEB,
        )
    except RecipientNotAllowed as exc:
        form.add_error(None, exc.message)
    except AttachmentsRefused as exc:
        for error in exc.errors:
            form.add_error("attachments", error.message)
    except Message.DoesNotExist as exc:
        raise Http404("No such draft") from exc
    except Exception:  # storage or database failure: keep everything, save the draft
        log.exception("send failed")
        form.add_error(None, SOMETHING_WENT_WRONG)
    else:
        return True
    return False


def _keep_typed(*, request, fr: FlowRequest, page: ComposePage) -> dict:
    """After a failed send nothing typed is lost: the draft is saved when it can be."""
    context = page.context()
    draft_form = page.draft_fields_form(request.POST)
    recipient = page.recipient
    if recipient is not None and recipient.can_message and draft_form.is_valid():
        try:
            draft = _store_draft(request=request, fr=fr, page=page, form=draft_form)
            context = {**context, "draft": draft, "saved_status": _saved_status(draft)}
        except (RecipientNotAllowed, Message.DoesNotExist):
            pass
        except Exception:  # the last saved draft stays intact
            log.exception("draft save after failed send failed")
    fr.save()
    return context


def _sent(*, request, flow_name: str):
    flow.clear(request)
    request.session["sm_last_sent_flow"] = flow_name  # for the satisfaction survey
    messages.success(request, "Message sent", extra_tags="message-sent")
    return redirect(url_of(Page.INBOX))
