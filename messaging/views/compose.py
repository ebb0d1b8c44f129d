"""The new-message flow's pages. Thin: forms validate, `flow` routes, services write."""

from __future__ import annotations

import logging
import time

from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.views.decorators.http import require_GET, require_http_methods

from messaging import flow, limits, services, telemetry
from messaging.attachments import rules_for
from messaging.flow import FlowState, Page
from messaging.forms import ComposeForm, DraftFieldsForm, RecentTeamForm, SelectCareTeamForm
from messaging.models import Flow, Message, Platform
from messaging.recipients import Recipient
from messaging.recipients.finder import MAX_QUERY_LENGTH, plain_type_of_care
from messaging.selectors import (
    care_team_search,
    draft_for,
    message_for,
    name_changes,
    systems_offered,
    team_label,
    teams_in_system,
)
from messaging.services import SOMETHING_WENT_WRONG, AttachmentsRefused, RecipientNotAllowed

from .flowrequest import FlowRequest, url_of

log = logging.getLogger(__name__)
INVALID = 422  # a form that comes back with errors
PENDING_FIELDS = ("category", "subject", "body")
PENDING_DRAFT = "_draft"  # which draft the carried text belongs to
SENT_MESSAGE_KEY = "sm_sent_message"  # the message this session sent last (Back shows it)


# --- 1. Interstitial (and, with the curated flag off, the legacy compose page) -------------


@require_http_methods(["GET", "POST"])
def interstitial(request):
    fr = FlowRequest(request)
    if request.GET.get("from") in ("inbox", "sent", "drafts"):
        fr.state.origin = request.GET["from"]
        fr.save()
    if flow.new_message_page(fr.flags, fr.state) == Page.LEGACY:
        return compose(request, fr, legacy=True)
    if request.method == "POST":
        return interstitial_continue(request)
    if redirect_response := fr.guard(Page.INTERSTITIAL):
        return redirect_response
    return render(
        request,
        "messaging/interstitial.html",
        {"curated": fr.flags.curated, "back_url": fr.back_url(Page.INTERSTITIAL)},
    )


@require_http_methods(["GET", "POST"])
def interstitial_continue(request):
    """ "Continue to start message": records that the interstitial was accepted."""
    fr = FlowRequest(request)
    if redirect_response := fr.guard(Page.INTERSTITIAL):
        return redirect_response
    fr.state.accepted = True
    fr.state.ensure_send_key()
    request.session.pop(SENT_MESSAGE_KEY, None)  # a new message: no "This message was sent"
    return fr.go(flow.continue_from(Page.INTERSTITIAL, fr.flags, fr.facts))


# --- 2. Recent care teams ------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def recent(request):
    fr = FlowRequest(request)
    if redirect_response := fr.guard(Page.RECENT):
        return redirect_response
    initial = {"recipient": str(fr.state.care_team)} if fr.state.care_team else {}
    form = RecentTeamForm(
        request.POST if request.method == "POST" else None, teams=fr.recent, initial=initial
    )
    if request.method == "POST":
        if form.is_valid():
            chosen = form.chosen()
            if chosen is not None:
                fr.state.care_system, fr.state.care_team = (
                    chosen.care_system.station_number,
                    chosen.id,
                )
            return fr.go(
                flow.continue_from(
                    Page.RECENT, fr.flags, fr.facts, different_team=form.different_team
                )
            )
    return render(
        request,
        "messaging/recent.html",
        {
            "form": form,
            "rows": [{"team": t, "plain": plain_type_of_care(t.display_name)} for t in fr.recent],
            "back_url": fr.back_url(Page.RECENT),
            "name_changes": name_changes(veteran=request.user, recipients=fr.recipients),
        },
        status=INVALID if form.errors else 200,
    )


# --- 3. Select care team -------------------------------------------------------------------


def _blocked_warning(fr: FlowRequest) -> str | None:
    recipients = fr.recipients
    systems = recipients.blocked_systems
    if len(systems) == 1 and len(recipients.blocked_teams) == recipients.teams_count(systems[0]):
        return f"You can't send messages to care teams at {systems[0].name}"
    if len(recipients.blocked_teams) == 1:
        return f"You can't send messages to {recipients.blocked_teams[0].display_name}"
    if recipients.blocked_teams:
        return "You can't send messages to some of your care teams"
    return None


def _no_js_search(fr: FlowRequest, station: str | None, query: str) -> dict:
    """The no-JS search: in the chosen system, its teams with the matches first; with no
    system chosen yet, which of the veteran's systems have matching teams."""
    ranked = care_team_search(recipients=fr.recipients, query=query, station_number=station)
    matches = [m.recipient for m in ranked if m.score > 0]
    if station:
        return {"query": query, "matches": len(matches), "teams": [m.recipient for m in ranked]}
    systems = list(dict.fromkeys(t.care_system.name for t in matches))
    return {"query": query, "matches": len(matches), "systems": systems, "across": True}


@require_http_methods(["GET", "POST"])
def select_care_team(request):
    fr = FlowRequest(request)
    if redirect_response := fr.guard(Page.SELECT):
        return redirect_response
    systems = systems_offered(recipients=fr.recipients)
    stations = {s.station_number for s in systems}
    if len(systems) == 1:
        station = systems[0].station_number
    elif request.method == "POST":
        station = request.POST.get("care_system") or None
    else:
        station = fr.state.care_system
    station = station if station in stations else None
    teams = teams_in_system(recipients=fr.recipients, station_number=station)
    action = request.POST.get("action")

    # What the veteran typed in the type-ahead (or the no-JS search box): kept on every
    # page that comes back, never turned into a choice they did not make.
    typed = (request.POST.get("care_team_text") or request.POST.get("team_query") or "")[
        :MAX_QUERY_LENGTH
    ]
    search = None
    if request.method == "POST" and action == "search":
        # Without JavaScript: the finder ranks the system's teams for what the veteran typed;
        # the matches come first, none is chosen for them.
        search = _no_js_search(fr, station, typed)
        if station:
            teams = search.pop("teams")
        fr.state.care_system, fr.state.care_team = station, None
        fr.save()
        form = SelectCareTeamForm(initial={"care_system": station}, systems=systems, teams=teams)
    elif request.method == "POST" and action == "update":
        # Without JavaScript: choosing a system re-renders the list for it (and clears the team).
        fr.state.care_system, fr.state.care_team = station, None
        fr.save()
        form = SelectCareTeamForm(initial={"care_system": station}, systems=systems, teams=teams)
    elif request.method == "POST":
        form = SelectCareTeamForm(request.POST, systems=systems, teams=teams)
        if form.is_valid():
            fr.state.care_system = form.cleaned_data["care_system"]
            fr.state.care_team = int(form.cleaned_data["care_team"])
            return fr.go(flow.continue_from(Page.SELECT, fr.flags, fr.facts))
    else:
        team = fr.state.care_team if any(t.id == fr.state.care_team for t in teams) else None
        form = SelectCareTeamForm(
            initial={"care_system": station, "care_team": str(team) if team else ""},
            systems=systems,
            teams=teams,
        )
    chosen_system = next((s for s in systems if s.station_number == station), None)
    return render(
        request,
        "messaging/select_care_team.html",
        {
            "form": form,
            "systems": systems,
            "chosen_system": chosen_system,
            "has_vista_system": any(s.ehr == "vista" for s in systems),
            "blocked_warning": _blocked_warning(fr),
            "blocked_systems": fr.recipients.blocked_systems,
            "back_url": fr.back_url(Page.SELECT),
            "name_changes": name_changes(veteran=request.user, recipients=fr.recipients),
            "search": search,
            "typed": typed,
            "max_query_length": MAX_QUERY_LENGTH,
        },
        status=INVALID if form.errors else 200,
    )


@require_GET
def select_care_team_teams(request):
    """JSON for the script: the teams of one care system, as the page would list them."""
    fr = FlowRequest(request)
    if not fr.flags.curated:
        raise Http404
    station = request.GET.get("care_system", "")
    system = next(
        (s for s in fr.recipients.messageable_systems if s.station_number == station), None
    )
    if system is None:
        return JsonResponse(
            {"errors": [{"title": "Select a VA health care system", "status": "400"}]}, status=400
        )
    fr.state.care_system, fr.state.care_team = station, None
    fr.save()
    teams = teams_in_system(recipients=fr.recipients, station_number=station)
    return JsonResponse(
        {
            "careSystem": {
                "stationNumber": system.station_number,
                "name": system.name,
                "ehr": system.ehr,
            },
            "teams": [{"id": t.id, "name": team_label(t)} for t in teams],
        }
    )


@require_GET
def select_care_team_search(request):
    """JSON for the script: the ids of the system's teams that match a plain-language query,
    best first, with the words that matched (the combo box shows them first as one types)."""
    fr = FlowRequest(request)
    if not fr.flags.curated:
        raise Http404
    query = request.GET.get("query", "")
    if len(query) > MAX_QUERY_LENGTH:
        return JsonResponse({"errors": [{"title": "Query too long", "status": "400"}]}, status=400)
    station = request.GET.get("care_system", "")
    if not any(s.station_number == station for s in fr.recipients.messageable_systems):
        return JsonResponse(
            {"errors": [{"title": "Select a VA health care system", "status": "400"}]}, status=400
        )
    ranked = [
        m
        for m in care_team_search(recipients=fr.recipients, query=query, station_number=station)
        if m.score > 0
    ]
    return JsonResponse(
        {
            "ids": [m.recipient.id for m in ranked],
            "matched": {str(m.recipient.id): list(m.matched) for m in ranked},
        }
    )


# --- 4. Start message (and 7. legacy compose) ----------------------------------------------


def _saved_status(message: Message, *, not_sent: bool = False) -> str:
    when = timezone.localtime(message.updated_at)
    at = f"{date_format(when, 'F j, Y')} at {date_format(when, 'g:i a T')}"
    if not_sent:  # never reads like success after a refused send
        return f"Your message wasn’t sent. We saved it as a draft on {at}."
    return f"Your message was saved on {at}."


def _initial(state: FlowState, draft: Message | None, *, pending: bool = True) -> dict:
    initial = {"idempotency_key": state.ensure_send_key()}
    if draft is not None:
        initial.update(
            category=draft.category,
            subject=draft.subject,
            body=draft.body,
            recipient=str(draft.care_team.upstream_id),
        )
    if pending:
        initial.update(
            {k: v for k, v in state.pending.items() if k in PENDING_FIELDS + ("recipient",)}
        )
    return initial


def _typed(request) -> dict[str, str]:
    """What the veteran typed, kept in the flow state while they are on another page: all of
    it (the request size limit, DATA_UPLOAD_MAX_MEMORY_SIZE, bounds it), and the draft it
    belongs to (another tab may edit another draft meanwhile)."""
    typed = {k: request.POST.get(k, "") for k in (*PENDING_FIELDS, "recipient")}
    draft_id = request.POST.get("draft_id", "")
    typed[PENDING_DRAFT] = draft_id if draft_id.isdigit() and int(draft_id) < 2**63 else ""
    return typed


def _save_on_arrival(request, fr: FlowRequest, recipient, rules, legacy_recipients, flow_name):
    """Text carried here (through "Select a different care team", a changed flag, ...) is
    stored as that tab's draft as soon as the page is shown: never only in the session.
    None when it can't be a draft yet (a field still empty): the page then counts as unsaved."""
    pending = fr.state.pending
    form = DraftFieldsForm(
        pending, recipient=recipient, rules=rules, legacy_recipients=legacy_recipients
    )
    if not form.is_valid():
        return None
    owner = pending.get(PENDING_DRAFT, "")
    fr.state.draft_id = int(owner) if owner else None
    try:
        draft = _store_draft(request, fr, recipient, form, flow_name)
    except Message.DoesNotExist:  # its draft was sent or deleted meanwhile: a new one
        fr.state.draft_id = None
        draft = _store_draft(request, fr, recipient, form, flow_name)
    except RecipientNotAllowed:
        return None
    fr.state.pending = {}
    fr.save()
    return draft


def _this_tabs_page(request, fr: FlowRequest):
    """start-message/?draft=<id> or ?team=<id> (the script puts them in the address): the page
    of one tab, which a reload shows again whatever another tab chose meanwhile. A draft
    sent since shows "This message was sent", never a live form."""
    raw = request.GET.get("draft") or request.GET.get("team")
    if raw is None:
        return None
    if not (raw.isdigit() and int(raw) < 2**63):
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
            return _was_sent(request, message_for(veteran=request.user, message_id=int(raw)))
        except Message.DoesNotExist:
            raise Http404("No such draft") from exc
    recipient = fr.recipients.get(draft.care_team.upstream_id)
    fr.state.accepted, fr.state.draft_id = True, draft.pk
    fr.state.care_team = draft.care_team.upstream_id
    if recipient is not None:
        fr.state.care_system = recipient.care_system.station_number
    return None


def _was_sent(request, message: Message):
    """Back or a reload of a page whose message has been sent: say so, link to it."""
    return render(request, "messaging/message_was_sent.html", {"message": message})


def _sent_since(request, fr: FlowRequest):
    """Start message (for the team just written to, or any) with no flow going on, right after
    a send in this session, i.e. Back to the old page: "This message was sent"."""
    sent = request.session.get(SENT_MESSAGE_KEY)
    if fr.state.accepted or "draft" in request.GET or not isinstance(sent, dict):
        return None
    if request.GET.get("team", str(sent.get("team"))) != str(sent.get("team")):
        return None  # another tab's page, for another team
    try:
        return _was_sent(request, message_for(veteran=request.user, message_id=sent["id"]))
    except (Message.DoesNotExist, KeyError, TypeError, ValueError):
        return None


def _signature_block(form: ComposeForm) -> tuple[str, str] | None:
    if not form.signs:
        return None
    return form.cleaned_data["signature_name"], form.cleaned_data["signature_certified"]


def _draft_fields_valid(request, recipient, rules, legacy_recipients) -> DraftFieldsForm:
    return DraftFieldsForm(
        request.POST, recipient=recipient, rules=rules, legacy_recipients=legacy_recipients
    )


def _adopt_posted_page(request, fr: FlowRequest, *, legacy: bool) -> None:
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


def compose(request, fr: FlowRequest | None = None, *, legacy: bool = False):
    """Start message (curated) or the legacy compose page (curated flag off)."""
    fr = fr or FlowRequest(request)
    own_page = False
    if request.method == "POST":
        _adopt_posted_page(request, fr, legacy=legacy)
    elif not legacy:
        if response := (_sent_since(request, fr) or _this_tabs_page(request, fr)):
            return response
        own_page = "draft" in request.GET or "team" in request.GET
    if not legacy and (redirect_response := fr.guard(Page.START)):
        if request.method == "POST" and redirect_response.url != url_of(Page.INBOX):
            # E.g. the flag was rolled back while the veteran typed: the text goes along to
            # the page they are sent to (the legacy compose page fills itself from it).
            fr.state.pending = {**_typed(request), "recipient": str(fr.state.care_team or "")}
            fr.save()
            messages.warning(
                request,
                "We didn’t send your message: this page changed while you were writing. "
                "Check your message, then select Send again."
                + (" Attach your files again." if request.FILES else ""),
            )
        return redirect_response
    if legacy and not fr.recipients.can_message_anyone:
        return fr.guard(Page.INTERSTITIAL)
    page = Page.LEGACY if legacy else Page.START
    draft = None
    if fr.state.draft_id is not None:
        try:
            draft = draft_for(veteran=request.user, draft_id=fr.state.draft_id)
        except Message.DoesNotExist as exc:
            if Message.objects.filter(pk=fr.state.draft_id).exclude(veteran=request.user).exists():
                raise Http404("No such draft") from exc
            fr.state.draft_id = None  # deleted meanwhile (another tab): start a new one
            fr.save()

    legacy_recipients = None
    if legacy:
        legacy_recipients = sorted(
            fr.recipients.messageable,
            key=lambda r: (r.care_system.name.casefold(), r.display_name.casefold()),
        )
        chosen_id = request.POST.get("recipient") if request.method == "POST" else None
        chosen_id = (
            chosen_id
            or fr.state.pending.get("recipient")
            or (draft and draft.care_team.upstream_id)
        )
        recipient = fr.recipients.get(chosen_id)
        recipient = recipient if recipient and recipient.can_message else None
    else:
        recipient = fr.recipients.get(fr.state.care_team)
        # A blocked team is refused on send (the page comes back with the text and the error);
        # a team that is no longer the veteran's at all sends them to choose another.
        if recipient is None or (request.method == "GET" and not recipient.can_message):
            if request.method == "POST":
                fr.state.pending = _typed(request)
            fr.state.care_team = None
            fr.save()
            messages.warning(
                request,
                "You can’t send messages to that care team anymore. Select a different care team.",
            )
            return redirect(url_of(Page.SELECT))
    rules = rules_for(recipient.source if recipient else "vista")
    signature = bool(recipient and recipient.signature_required)

    def make_form(data=None, files=None):
        return ComposeForm(
            data,
            files,
            recipient=recipient,
            rules=rules,
            legacy_recipients=legacy_recipients,
            signature=signature,
            initial=_initial(fr.state, draft, pending=not own_page),
        )

    context = {
        "page": page,
        "recipient": recipient,
        "draft": draft,
        "back_url": fr.back_url(page),
        "legacy": legacy,
        "saved_status": _saved_status(draft) if draft else "",
    }
    if request.method == "GET":
        flow_name = Flow.LEGACY if legacy else Flow.CURATED
        carried = bool(fr.state.pending) and not own_page
        if carried and recipient is not None and recipient.can_message:
            if stored := _save_on_arrival(
                request, fr, recipient, rules, legacy_recipients, flow_name
            ):
                return redirect(_page_url(request, stored, legacy=legacy))
        fr.save()
        context["unsaved"] = carried
        return render(request, "messaging/start_message.html", {**context, "form": make_form()})

    if not request.POST.get("idempotency_key"):
        request.POST = request.POST.copy()
        request.POST["idempotency_key"] = fr.state.ensure_send_key()
    action = request.POST.get("action", "send")
    flow_name = Flow.LEGACY if legacy else Flow.CURATED
    if action in ("change-team", "delete-draft"):
        fr.state.pending = _typed(request)
        return fr.go(Page.SELECT if action == "change-team" else "delete-draft")
    started = time.perf_counter()
    saving = action in ("save-draft", "autosave")
    if saving:
        event = telemetry.DRAFT_UPDATED if fr.state.draft_id else telemetry.DRAFT_CREATED
    else:
        event = telemetry.MESSAGE_SENT
    if limited := limits.check(request, limits.DRAFT_SAVE if saving else limits.SEND):
        response = _rate_limited(request, fr, limited, action, context, make_form)
    elif saving:
        response = _save_draft(
            request, fr, recipient, rules, legacy_recipients, context, make_form, flow_name, action
        )
    else:
        response = _send(
            request, fr, recipient, rules, legacy_recipients, context, make_form, flow_name
        )
    telemetry.record_request(
        event,
        flow=flow_name,
        platform=Platform.WEB,
        status_code=response.status_code,
        started=started,
        veteran_id=request.user.pk,
        device=telemetry.device_of(request),
    )
    return response


def _page_url(request, draft: Message, *, legacy: bool) -> str:
    """Where a page editing `draft` lives: start message names its draft (one per tab)."""
    return request.path if legacy else f"{url_of(Page.START)}?draft={draft.pk}"


def _rate_limited(request, fr, limited: limits.Limited, action, context, make_form):
    """Over the veteran's rate: nothing stored, the text stays on the page, try again later."""
    if action == "autosave":
        response = JsonResponse({"errors": {"__all__": [{"message": limited.message}]}}, status=429)
    else:
        form = make_form(request.POST, request.FILES)
        form.is_valid()
        form.add_error(None, limited.message)
        fr.save()
        context = {**context, "files_dropped": bool(request.FILES)}
        response = render(
            request, "messaging/start_message.html", {**context, "form": form}, status=429
        )
    response["Retry-After"] = str(limited.retry_after)
    return response


def _sent(request, flow_name: str | None = None, message: Message | None = None):
    flow.clear(request)
    if message is not None:
        request.session[SENT_MESSAGE_KEY] = {"id": message.pk, "team": message.care_team.upstream_id}
    if flow_name:
        request.session["sm_last_sent_flow"] = flow_name  # for the satisfaction survey
    messages.success(request, "Message sent", extra_tags="message-sent")
    return redirect(url_of(Page.INBOX))


def _store_draft(request, fr: FlowRequest, recipient: Recipient, form, flow_name: str) -> Message:
    """Save the four draft fields of a valid form; the flow state remembers the draft."""
    draft, _ = services.draft_save(
        veteran=request.user,
        recipient_id=recipient.id,
        category=form.cleaned_data["category"],
        subject=form.cleaned_data["subject"],
        body=form.cleaned_data["body"],
        draft_id=fr.state.draft_id,
        flow=flow_name,
        platform=Platform.WEB,
    )
    fr.state.draft_id = draft.pk
    return draft


def _save_draft(
    request, fr, recipient, rules, legacy_recipients, context, make_form, flow_name, action
):
    form = _draft_fields_valid(request, recipient, rules, legacy_recipients)
    autosave = action == "autosave"
    if form.is_valid() and recipient is not None:
        try:
            draft = _store_draft(request, fr, recipient, form, flow_name)
        except RecipientNotAllowed as exc:
            form.add_error(None, exc.message)
        except Message.DoesNotExist as exc:
            raise Http404("No such draft") from exc
        else:
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
            return redirect(_page_url(request, draft, legacy=context["legacy"]))
    if autosave:
        return JsonResponse({"errors": form.errors.get_json_data()}, status=INVALID)
    full = make_form(request.POST, request.FILES)
    full.is_valid()
    for error in form.non_field_errors():
        full.add_error(None, error)
    return render(
        request, "messaging/start_message.html", {**context, "form": full}, status=INVALID
    )


def _send(request, fr, recipient, rules, legacy_recipients, context, make_form, flow_name):
    form = make_form(request.POST, request.FILES)
    if form.is_valid() and recipient is not None:
        body = form.cleaned_data["body"]
        if signature := _signature_block(form):
            body = services.signed_body(body=body, full_name=signature[0], on=timezone.localdate())
        try:
            result = services.message_send(
                veteran=request.user,
                recipient_id=recipient.id,
                category=form.cleaned_data["category"],
                subject=form.cleaned_data["subject"],
                body=body,
                idempotency_key=form.cleaned_data.get("idempotency_key") or "",
                draft_id=fr.state.draft_id,
                files=form.cleaned_data.get("attachments") or [],
                flow=flow_name,
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
            return _sent(request, flow_name, result.message)
    # Nothing typed is lost: the page comes back filled, and the draft is saved when it can be.
    draft_form = _draft_fields_valid(request, recipient, rules, legacy_recipients)
    context = {**context, "saved_status": "Your message wasn’t sent."}
    if recipient is not None and recipient.can_message and draft_form.is_valid():
        try:
            draft = _store_draft(request, fr, recipient, draft_form, flow_name)
            context = {
                **context,
                "draft": draft,
                "saved_status": _saved_status(draft, not_sent=True),
            }
        except (RecipientNotAllowed, Message.DoesNotExist):
            pass
        except Exception:  # the last saved draft stays intact
            log.exception("draft save after failed send failed")
    fr.save()
    context["files_dropped"] = bool(request.FILES)  # browsers can't re-fill a file input
    return render(
        request, "messaging/start_message.html", {**context, "form": form}, status=INVALID
    )


@require_http_methods(["GET", "POST"])
def start_message(request):
    return compose(request)


# --- Delete draft, reopen a draft -----------------------------------------------------------


@require_http_methods(["GET", "POST"])
def delete_draft(request):
    fr = FlowRequest(request)
    back = url_of(Page.START if fr.flags.curated else Page.LEGACY)
    if request.method == "POST":
        had_draft = fr.state.draft_id is not None
        flow_name = fr.flags.flow
        started = time.perf_counter()
        if had_draft:
            try:
                services.draft_delete(veteran=request.user, draft_id=fr.state.draft_id)
            except Message.DoesNotExist as exc:
                telemetry.record_request(
                    telemetry.DRAFT_DELETED,
                    flow=flow_name,
                    platform=Platform.WEB,
                    status_code=404,
                    started=started,
                    veteran_id=request.user.pk,
                    device=telemetry.device_of(request),
                )
                raise Http404("No such draft") from exc
            telemetry.record_request(
                telemetry.DRAFT_DELETED,
                flow=flow_name,
                platform=Platform.WEB,
                status_code=302,
                started=started,
                veteran_id=request.user.pk,
                device=telemetry.device_of(request),
            )
        flow.clear(request)
        messages.success(request, "Draft was successfully deleted.")
        return redirect(url_of("drafts" if had_draft else "inbox"))
    return render(request, "messaging/delete_draft.html", {"back_url": back})


@require_GET
def draft_open(request, draft_id: int):
    """Reopen a draft from Drafts into start message (or legacy compose, flag off)."""
    try:
        draft = draft_for(veteran=request.user, draft_id=draft_id)
    except Message.DoesNotExist as exc:
        raise Http404("No such draft") from exc
    fr = FlowRequest(request)
    recipient: Recipient | None = fr.recipients.get(draft.care_team.upstream_id)
    fr.state = FlowState(
        accepted=True,
        care_system=recipient.care_system.station_number if recipient else None,
        care_team=recipient.id if recipient else None,
        draft_id=draft.pk,
        origin="drafts",
    )
    fr.state.ensure_send_key()
    return fr.go(Page.START if fr.flags.curated else Page.LEGACY)


# --- 5. Care team help --------------------------------------------------------------------


@require_GET
def care_team_help(request):
    fr = FlowRequest(request)
    if redirect_response := fr.guard(Page.HELP):
        return redirect_response
    return render(
        request,
        "messaging/care_team_help.html",
        {
            "has_vista": fr.recipients.has_vista,
            "has_oh": fr.recipients.has_oh,
            "back_url": fr.back_url(Page.HELP),
        },
    )


@require_http_methods(["POST"])
def name_changes_dismiss(request):
    """Dismiss the "{old} is now {new}" notices shown, for good."""
    pool_ids = [int(v) for v in request.POST.getlist("pool") if v.isdigit()][:4]
    services.name_changes_dismiss(veteran=request.user, pool_ids=pool_ids)
    back = request.POST.get("next")
    return redirect(url_of(Page.RECENT if back == "recent" else Page.SELECT))
