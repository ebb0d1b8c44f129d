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
    name_changes,
    systems_offered,
    team_label,
    teams_in_system,
)
from messaging.services import SOMETHING_WENT_WRONG, AttachmentsRefused, RecipientNotAllowed
from messaging.team_options import entry as option_entry
from messaging.team_options import render as render_options
from messaging.team_options import team_in_system, team_options

from .flowrequest import FlowRequest, url_of

log = logging.getLogger(__name__)
INVALID = 422  # a form that comes back with errors
PENDING_FIELDS = ("category", "subject", "body")


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
    action = request.POST.get("action")

    def team_ok(team_id) -> bool:
        return team_in_system(recipients=fr.recipients, station_number=station, team_id=team_id)

    search = None
    chosen_team = None
    options = None
    if request.method == "POST" and action == "search":
        # Without JavaScript: the finder ranks the system's teams for what the veteran typed.
        query = request.POST.get("team_query", "")[:MAX_QUERY_LENGTH]
        ranked = care_team_search(recipients=fr.recipients, query=query, station_number=station)
        search = {"query": query, "matches": sum(1 for m in ranked if m.score > 0)}
        fr.state.care_system, fr.state.care_team = station, None
        fr.save()
        chosen_team = next((str(m.recipient.id) for m in ranked if m.score > 0), "")
        options = render_options((option_entry(m.recipient) for m in ranked), chosen_team)
        form = SelectCareTeamForm(
            initial={"care_system": station, "care_team": chosen_team},
            systems=systems,
            team_ok=team_ok,
        )
    elif request.method == "POST" and action == "update":
        # Without JavaScript: choosing a system re-renders the list for it (and clears the team).
        fr.state.care_system, fr.state.care_team = station, None
        fr.save()
        form = SelectCareTeamForm(
            initial={"care_system": station}, systems=systems, team_ok=team_ok
        )
    elif request.method == "POST":
        form = SelectCareTeamForm(request.POST, systems=systems, team_ok=team_ok)
        if form.is_valid():
            fr.state.care_system = form.cleaned_data["care_system"]
            fr.state.care_team = int(form.cleaned_data["care_team"])
            return fr.go(flow.continue_from(Page.SELECT, fr.flags, fr.facts))
        chosen_team = request.POST.get("care_team")
    else:
        team = fr.state.care_team if team_ok(fr.state.care_team) else None
        chosen_team = str(team) if team else ""
        form = SelectCareTeamForm(
            initial={"care_system": station, "care_team": chosen_team},
            systems=systems,
            team_ok=team_ok,
        )
    if options is None:
        options = team_options(recipients=fr.recipients, station_number=station, chosen=chosen_team)
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
            "team_options": options,
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
    if request.method == "POST":
        _adopt_posted_page(request, fr, legacy=legacy)
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
            initial=_initial(fr.state, draft),
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
        fr.save()
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


def _sent(request, flow_name: str | None = None):
    flow.clear(request)
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
            return redirect(request.path)
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
            services.message_send(
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
            return _sent(request, flow_name)
    # Nothing typed is lost: the page comes back filled, and the draft is saved when it can be.
    draft_form = _draft_fields_valid(request, recipient, rules, legacy_recipients)
    if recipient is not None and recipient.can_message and draft_form.is_valid():
        try:
            draft = _store_draft(request, fr, recipient, draft_form, flow_name)
            context = {**context, "draft": draft, "saved_status": _saved_status(draft)}
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
