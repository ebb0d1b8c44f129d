"""The QA page `/qa/` (QA staff; server-rendered, works without JavaScript) and the one-time
sign-in link. Both answer 404 wherever the QA tools are off."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from messaging.qa import links
from messaging.qa import selectors as qa_selectors
from messaging.qa import services as qa
from messaging.qa.access import is_qa_staff
from messaging.qa.links import sign_in_url
from messaging.qa.scenarios import SCENARIOS
from messaging.qa.selectors import NotATestVeteran
from messaging.rollout.flags import ALL_FLAGS

FLAG_CHOICES = [("", "Rollout stage decides"), ("on", "On"), ("off", "Off")]
CREATED_KEY = "sm_qa_created"


class CreateForm(forms.Form):
    scenario = forms.ChoiceField(
        choices=[(name, f"{name}: {s.description}") for name, s in SCENARIOS.items()]
    )


class OverridesForm(forms.Form):
    today_offset_days = forms.IntegerField(
        required=False, min_value=-qa.MAX_OFFSET_DAYS, max_value=qa.MAX_OFFSET_DAYS
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ALL_FLAGS:
            self.fields[name] = forms.ChoiceField(choices=FLAG_CHOICES, required=False)

    def as_overrides(self) -> dict:
        data = self.cleaned_data
        return {
            "flags": {name: {"on": True, "off": False}.get(data[name]) for name in ALL_FLAGS},
            "todayOffsetDays": data["today_offset_days"],
        }


def _qa_tools_on() -> None:
    if not settings.SM_QA_TOOLS:
        raise Http404("The QA tools are off here.")


@login_not_required  # 404 first where the tools are off, then sign-in
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def qa_page(request):
    _qa_tools_on()
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not is_qa_staff(request.user):
        raise PermissionDenied
    if request.method == "POST":
        return _act(request)
    created = request.session.pop(CREATED_KEY, None)
    return render(
        request,
        "qa/index.html",
        {
            "create_form": CreateForm(),
            "created": created,
            "veterans": qa_selectors.test_veterans_of(actor=request.user),
            "stages": qa_selectors.flag_stages(),
            "flag_choices": FLAG_CHOICES,
            "max_offset": qa.MAX_OFFSET_DAYS,
        },
    )


def _act(request):
    action, username = request.POST.get("action", ""), request.POST.get("username", "")
    try:
        if action == "create":
            form = CreateForm(request.POST)
            if not form.is_valid():
                messages.error(request, "Choose one of the scenarios.")
                return redirect("qa")
            created = qa.test_veteran_create(
                actor=request.user, scenario=form.cleaned_data["scenario"]
            )
            request.session[CREATED_KEY] = {
                "username": created.user.username,
                "password": created.password,
                "sign_in_url": sign_in_url(request, created.link_token),
            }
        elif action == "link":
            token = links.sign_in_link_create(actor=request.user, username=username)
            request.session[CREATED_KEY] = {
                "username": username,
                "sign_in_url": sign_in_url(request, token),
            }
        elif action == "reset":
            qa.test_veteran_reset(actor=request.user, username=username)
            messages.success(request, f"{username} is back to its scenario’s state.")
        elif action == "delete":
            qa.test_veteran_delete(actor=request.user, username=username)
            messages.success(request, f"{username} was deleted.")
        elif action == "overrides":
            form = OverridesForm(request.POST)
            if not form.is_valid():
                messages.error(
                    request,
                    f"Today offset for {username}: a whole number of days within "
                    f"±{qa.MAX_OFFSET_DAYS}.",
                )
                return redirect("qa")
            qa.overrides_set(actor=request.user, username=username, data=form.as_overrides())
            messages.success(request, f"Overrides of {username} saved.")
        else:
            messages.error(request, "Unknown action.")
    except NotATestVeteran as exc:
        raise Http404("No such test veteran.") from exc
    except qa.QaError as exc:
        messages.error(request, exc.message)
    return redirect("qa")


@login_not_required
@never_cache
@require_GET
def sign_in_link(request, token: str):
    """Sign the link's test veteran in (once), then open their inbox."""
    _qa_tools_on()
    try:
        user = links.sign_in_link_use(token=token)
    except links.LinkRefused as exc:
        return render(request, "qa/link_refused.html", {"reason": str(exc)}, status=410)
    auth.login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return redirect(reverse("messaging:inbox"))
