"""Staff-only operations pages: the rollout dashboard (figures in messaging.dashboard)."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from messaging import dashboard, rollout
from messaging.flags import ALL_FLAGS

CONFIRM_LABEL = "I understand this changes what veterans see"


class FlagChangeForm(forms.Form):
    """Set a flag's stage, or roll it back (action "rollback": off for everyone)."""

    flag = forms.ChoiceField(choices=[(f, f) for f in ALL_FLAGS])
    action = forms.ChoiceField(choices=[("set-stage", "Set stage"), ("rollback", "Roll back")])
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
        return data


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
    window = dashboard.window_choice(value=request.GET.get("window"))
    data = dashboard.build(window=window)
    return render(
        request,
        "ops/rollout.html",
        {
            "d": data,
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
        },
        status=status,
    )
