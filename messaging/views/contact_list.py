"""Contact list: which VistA care teams are offered in the flow."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from messaging.compose.flow import Page
from messaging.compose.forms import ContactListForm
from messaging.selectors.teams import contact_list
from messaging.services.teams import InvalidContactList, contact_list_update

from .flowrequest import FlowRequest, url_of


@require_http_methods(["GET", "POST"])
def contact_list_page(request):
    fr = FlowRequest(request)
    groups = contact_list(veteran=request.user, recipients=fr.recipients)
    form = ContactListForm(request.POST if request.method == "POST" else None, groups=groups)
    if request.method == "POST" and form.is_valid():
        try:
            contact_list_update(veteran=request.user, preferred=form.preferred())
        except InvalidContactList as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Contact list changes saved")
            return redirect(request.path)
    # "Go back" returns to the flow (keeping the draft) when the veteran came from it.
    if fr.state.accepted:
        go_back = url_of(Page.SELECT if fr.flags.curated else Page.LEGACY)
    else:
        go_back = url_of(Page.INBOX)
    return render(
        request,
        "messaging/contact_list.html",
        {
            "form": form,
            "groups": groups,
            "go_back": go_back,
            "can_change": any(not team.blocked for _, teams in groups for team in teams),
            "has_oh": fr.recipients.has_oh,
        },
        status=422 if form.errors else 200,
    )
