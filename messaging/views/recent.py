"""Recent care teams: the teams the veteran wrote to lately, one click away."""

from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from messaging.compose import flow
from messaging.compose.flow import Page
from messaging.compose.forms import RecentTeamForm
from messaging.recipients.finder import plain_type_of_care
from messaging.selectors.teams import name_changes

from .flowrequest import INVALID, FlowRequest

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
