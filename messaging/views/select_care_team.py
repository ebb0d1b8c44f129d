"""Select care team: a care system, then one of its teams (with the finder), its JSON for the
script, the care team help page and dismissing name-change notices."""

from __future__ import annotations

from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from messaging.common.choices import Ehr
from messaging.common.errors import error_json
from messaging.compose import flow
from messaging.compose.flow import Page
from messaging.compose.forms import SelectCareTeamForm
from messaging.recipients.finder import MAX_QUERY_LENGTH, team_label
from messaging.selectors.team_options import entry as option_entry
from messaging.selectors.team_options import render as render_options
from messaging.selectors.team_options import team_in_system, team_options
from messaging.selectors.teams import (
    care_team_search,
    name_changes,
    systems_offered,
    teams_in_system,
)
from messaging.services import teams as team_services

from .flowrequest import INVALID, FlowRequest, url_of

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


def _chosen_station(*, request, fr: FlowRequest, systems) -> str | None:
    """The care system the page lists teams of: the only one, the posted one, or the kept one."""
    if len(systems) == 1:
        station = systems[0].station_number
    elif request.method == "POST":
        station = request.POST.get("care_system") or None
    else:
        station = fr.state.care_system
    return station if station in {s.station_number for s in systems} else None


def _typed_text(request) -> str:
    """What the veteran typed in the type-ahead (or the no-JS search box): kept on every
    page that comes back, never turned into a choice they did not make."""
    typed = request.POST.get("care_team_text") or request.POST.get("team_query") or ""
    return typed[:MAX_QUERY_LENGTH]


def _team_check(fr: FlowRequest, station: str | None):
    """Whether a posted team is one the veteran may message in the chosen system: asked by
    id (one read), never by listing the system's teams."""

    def team_ok(team_id) -> bool:
        return team_in_system(recipients=fr.recipients, station_number=station, team_id=team_id)

    return team_ok


def _searched(*, request, fr: FlowRequest, systems, team_ok, recent, station: str | None):
    """Without JavaScript: the finder ranks the system's teams for what the veteran typed,
    the matches first (the recent ones first in their group) and none chosen for them; with
    no system chosen yet, it says which of the veteran's systems have matching teams."""
    query = _typed_text(request)
    ranked = care_team_search(recipients=fr.recipients, query=query, station_number=station)
    matches = [m.recipient for m in ranked if m.score > 0]
    search = {"query": query, "matches": len(matches)}
    teams = []
    if station:
        teams = [m.recipient for m in ranked]
        recent = [t for t in teams if t in recent]  # the finder's ranking inside each group
    else:
        search.update(across=True, systems=list(dict.fromkeys(t.care_system.name for t in matches)))
    fr.state.care_system, fr.state.care_team = station, None
    fr.save()
    form = SelectCareTeamForm(initial={"care_system": station}, systems=systems, team_ok=team_ok)
    options = render_options((option_entry(t) for t in teams), "", recent)
    return form, options, search


def _system_changed(*, fr: FlowRequest, systems, team_ok, station: str | None):
    """Without JavaScript: choosing a system re-renders the list for it (and clears the team)."""
    fr.state.care_system, fr.state.care_team = station, None
    fr.save()
    return SelectCareTeamForm(initial={"care_system": station}, systems=systems, team_ok=team_ok)


def _kept_choice(*, fr: FlowRequest, systems, team_ok, station: str | None):
    team = fr.state.care_team if team_ok(fr.state.care_team) else None
    return SelectCareTeamForm(
        initial={"care_system": station, "care_team": str(team) if team else ""},
        systems=systems,
        team_ok=team_ok,
    )


def _recent_in(fr: FlowRequest, station: str | None) -> list:
    """The veteran's recent teams (the /recent rule; none when that flag is off) in one care
    system, most recent first: listed first under "Recent care teams" (flow.md 11)."""
    if not station:
        return []
    return [t for t in fr.recent if t.care_system.station_number == station]


def _page(*, request, fr: FlowRequest, form, options, systems, station: str | None, search):
    chosen_system = next((s for s in systems if s.station_number == station), None)
    return render(
        request,
        "messaging/select_care_team.html",
        {
            "form": form,
            "team_options": options,
            "systems": systems,
            "chosen_system": chosen_system,
            "chosen_is_oh": bool(chosen_system and chosen_system.ehr == Ehr.ORACLE_HEALTH),
            "has_vista_system": any(s.ehr == Ehr.VISTA for s in systems),
            "blocked_warning": _blocked_warning(fr),
            "blocked_systems": fr.recipients.blocked_systems,
            "back_url": fr.back_url(Page.SELECT),
            "name_changes": name_changes(veteran=request.user, recipients=fr.recipients),
            "transition": fr.transition_alerts("select-care-team"),
            "search": search,
            "typed": _typed_text(request),
            "max_query_length": MAX_QUERY_LENGTH,
        },
        status=INVALID if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def select_care_team(request):
    fr = FlowRequest(request)
    if redirect_response := fr.guard(Page.SELECT):
        return redirect_response
    systems = systems_offered(recipients=fr.recipients)
    station = _chosen_station(request=request, fr=fr, systems=systems)
    recent = _recent_in(fr, station)
    lists = {"systems": systems, "team_ok": _team_check(fr, station), "station": station}
    action = request.POST.get("action")
    search = options = None
    if request.method == "POST" and action == "search":
        form, options, search = _searched(request=request, fr=fr, recent=recent, **lists)
    elif request.method == "POST" and action == "update":
        form = _system_changed(fr=fr, **lists)
    elif request.method == "POST":
        form = SelectCareTeamForm(request.POST, systems=systems, team_ok=lists["team_ok"])
        if form.is_valid():
            fr.state.care_system = form.cleaned_data["care_system"]
            fr.state.care_team = int(form.cleaned_data["care_team"])
            return fr.go(flow.continue_from(Page.SELECT, fr.flags, fr.facts))
        fr.state.care_team = None  # typed text is not a choice: no team, never the one before
        fr.save()
    else:
        form = _kept_choice(fr=fr, **lists)
    if options is None:  # the system's teams as the page lists them (an OH system's pools cached)
        chosen = form["care_team"].value()
        options = team_options(
            recipients=fr.recipients, station_number=station, chosen=chosen, recent=recent
        )
    return _page(
        request=request,
        fr=fr,
        form=form,
        options=options,
        systems=systems,
        station=station,
        search=search,
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
        return error_json(400, "Select a VA health care system")
    fr.state.care_system, fr.state.care_team = station, None
    fr.save()
    teams = teams_in_system(recipients=fr.recipients, station_number=station)
    return JsonResponse(
        {
            "careSystem": {
                "stationNumber": system.station_number,
                "name": system.name,
                "ehr": system.ehr,
                "oracleHealth": system.ehr == Ehr.ORACLE_HEALTH,
            },
            "teams": [{"id": t.id, "name": team_label(t)} for t in teams],
            # Listed first, under "Recent care teams" (then every team under "All care teams").
            "recentIds": [t.id for t in _recent_in(fr, station)],
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
        return error_json(400, "Query too long")
    station = request.GET.get("care_system", "")
    if not any(s.station_number == station for s in fr.recipients.messageable_systems):
        return error_json(400, "Select a VA health care system")
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
    team_services.name_changes_dismiss(veteran=request.user, pool_ids=pool_ids)
    back = request.POST.get("next")
    return redirect(url_of(Page.RECENT if back == "recent" else Page.SELECT))
