"""Staff-only operations pages: the rollout dashboard (figures in messaging.rollout.dashboard)."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from messaging.common import clock
from messaging.rollout import charts, dashboard, rollups
from messaging.rollout import stages as rollout
from messaging.rollout.explain import veteran_in_stage
from messaging.rollout.flags import ALL_FLAGS
from messaging.selectors.transitions import migrations_overview

CONFIRM_LABEL = "I understand this changes what veterans see"


class FlagChangeForm(forms.Form):
    """Set a flag's stage, or roll it back (action "rollback": off for everyone)."""

    flag = forms.ChoiceField(choices=[(f, f) for f in ALL_FLAGS])
    action = forms.ChoiceField(
        choices=[
            ("set-stage", "Set stage"),
            ("rollback", "Roll back"),
            ("whitelist-add", "Add to whitelist"),
            ("whitelist-remove", "Remove from whitelist"),
        ]
    )
    who = forms.CharField(max_length=150, required=False)
    stage = forms.ChoiceField(choices=[(s, s) for s in rollout.STAGES], required=False)
    reason = forms.CharField(max_length=500, required=False)
    force = forms.BooleanField(required=False)
    confirm = forms.BooleanField(
        label=CONFIRM_LABEL,
        error_messages={"required": f"Check “{CONFIRM_LABEL}” to make this change."},
    )

    def clean(self):
        data = super().clean()
        if data.get("action") == "set-stage" and not data.get("stage"):
            self.add_error("stage", "Choose a stage.")
        if str(data.get("action", "")).startswith("whitelist-") and not data.get("who", "").strip():
            self.add_error("who", "Enter a username or a group name.")
        return data


class StageReportForm(forms.Form):
    """Staff's part of a stage report."""

    flag = forms.ChoiceField(choices=[(f, f) for f in ALL_FLAGS])
    stage = forms.ChoiceField(choices=[(s, s) for s in rollout.STAGES if s != "off"])
    planned_start = forms.DateField(required=False)
    planned_end = forms.DateField(required=False)
    downstream_impact = forms.CharField(required=False, max_length=4000)
    changes_needed = forms.CharField(required=False, max_length=4000)

    def clean(self):
        data = super().clean()
        start, end = data.get("planned_start"), data.get("planned_end")
        if start and end and end < start:
            self.add_error("planned_end", "The planned end must not be before the planned start.")
        return data


@require_http_methods(["POST"])
def stage_report(request):
    """Save what staff write about a stage (planned dates, downstream impact, changes)."""
    _staff_only(request)
    form = StageReportForm(request.POST)
    if not form.is_valid():
        errors = [
            f"{field}: {e}" for field, field_errors in form.errors.items() for e in field_errors
        ]
        return _render(request, errors=errors, status=422)
    data = form.cleaned_data
    flag, stage = data.pop("flag"), data.pop("stage")
    rollout.stage_report_save(flag, stage, actor=request.user.username, **data)
    messages.success(request, f"Stage report for {flag} {stage} saved.")
    return redirect(f"{reverse('ops-rollout')}#stage-reports")


def _staff_only(request) -> None:
    if not request.user.is_staff:
        raise PermissionDenied


@require_http_methods(["GET", "HEAD", "POST"])
def rollout_dashboard(request):
    _staff_only(request)
    errors: list[str] = []
    status = 200
    failed_flag = None
    if request.method == "POST":
        form = FlagChangeForm(request.POST)
        failed_flag = request.POST.get("flag")
        if form.is_valid():
            data = form.cleaned_data
            actor = request.user.username
            try:
                if data["action"] == "rollback":
                    after = rollout.rollback(data["flag"], actor=actor, reason=data["reason"])
                elif data["action"].startswith("whitelist-"):
                    after = rollout.whitelist(
                        data["flag"],
                        data["who"].strip(),
                        add=data["action"] == "whitelist-add",
                        actor=actor,
                    )
                else:
                    after = rollout.set_stage(
                        data["flag"],
                        data["stage"],
                        actor=actor,
                        reason=data["reason"],
                        force=data["force"],
                    )
            except rollout.RolloutError as exc:
                errors, status = [str(exc)], 409
            else:
                messages.success(request, f"{data['flag']} is now at stage {after['stage']}.")
                window = dashboard.window_choice(value=request.GET.get("window"))
                return redirect(f"{reverse('ops-rollout')}?window={window}")
        else:
            errors = [e for field_errors in form.errors.values() for e in field_errors]
            status = 422
    return _render(request, errors=errors, status=status, failed_flag=failed_flag)


def _explain(request) -> dict:
    """The "Is a veteran in the current stage?" answer for the username asked about."""
    username = request.GET.get("veteran", "").strip()[:150]
    if not username:
        return {"username": ""}
    try:
        answers = [veteran_in_stage(flag_name=name, username=username) for name in ALL_FLAGS]
    except rollout.RolloutError as exc:
        return {"username": username, "error": str(exc)}
    return {"username": username, "answers": answers}


def _render(request, *, errors: list[str], status: int, failed_flag: str | None = None):
    window = dashboard.window_choice(value=request.GET.get("window"))
    include_test = request.GET.get("test") == "include"
    with rollups.snapshot():  # the tables and the charts read the rollups as of one moment
        data = dashboard.build(window=window, include_test=include_test)
        figures = charts.build_charts(since=data.since, include_test=include_test)
    for panel in data.flags:
        panel["next_stage"] = rollout.next_stage(panel["state"]["stage"])
        panel["failing"] = sum(not c.passed for c in panel["criteria"])
    figures["pie"] = charts.platform_share_chart(platforms=data.platforms)
    return render(
        request,
        "ops/rollout.html",
        {
            "d": data,
            "charts": figures,
            "window_label": dashboard.WINDOWS[window][0],
            "windows": dashboard.WINDOWS,
            "stages": rollout.STAGES,
            "errors": errors,
            "failed_flag": failed_flag,
            "confirm_label": CONFIRM_LABEL,
            "statistical_test": dashboard.STATISTICAL_TEST,
            "z_critical": rollout.Z_CRITICAL,
            "min_requests": rollout.MIN_REQUESTS,
            "percentiles": dashboard.PERCENTILES,
            "explain": _explain(request),
        },
        status=status,
    )


@require_http_methods(["GET", "HEAD"])
def transitions_page(request):
    """Facility transitions: each migration, its phase, and the lock at work (staff only)."""
    _staff_only(request)
    return render(
        request,
        "ops/transitions.html",
        {"migrations": migrations_overview(), "today": clock.today()},
    )
