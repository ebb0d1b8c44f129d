from django.contrib import admin
from django.urls import include, path

from messaging.api import qa as qa_api
from messaging.views import medications, ops
from messaging.views import qa as qa_views

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("health/", views.health, name="health"),
    path("sign-in/", views.SignInView.as_view(), name="sign-in"),
    path("sign-in/demo/", views.demo_sign_in, name="demo-sign-in"),
    path("sign-out/", views.sign_out, name="sign-out"),
    path("account/devices/", views.devices, name="devices"),
    # One sign-in page for everyone: the admin's own login form is not offered, and an
    # account the admin refuses gets a 403 page (not a loop back through sign-in).
    path("admin/login/", views.admin_login),
    path("admin/", admin.site.urls),
    path("ops/rollout/", ops.rollout_dashboard, name="ops-rollout"),
    path("ops/rollout/stage-report/", ops.stage_report, name="ops-stage-report"),
    # QA tools (qa.md): 404 wherever SM_QA_TOOLS is off.
    path("qa/", qa_views.qa_page, name="qa"),
    path("qa/sign-in/<str:token>/", qa_views.sign_in_link, name="qa-sign-in"),
    path("qa/api/scenarios", qa_api.ScenariosView.as_view(), name="qa-api-scenarios"),
    path("qa/api/veterans", qa_api.VeteransView.as_view(), name="qa-api-veterans"),
    path("qa/api/veterans/<str:username>", qa_api.VeteranView.as_view(), name="qa-api-veteran"),
    path("qa/api/veterans/<str:username>/reset", qa_api.ResetView.as_view(), name="qa-api-reset"),
    path(
        "qa/api/veterans/<str:username>/overrides",
        qa_api.OverridesView.as_view(),
        name="qa-api-overrides",
    ),
    path(
        "qa/api/veterans/<str:username>/sign-in-link",
        qa_api.SignInLinkView.as_view(),
        name="qa-api-sign-in-link",
    ),
    path("ops/transitions/", ops.transitions_page, name="ops-transitions"),
    path("my-health/secure-messages/", include("messaging.urls")),
    path("my-health/medications/", medications.medications, name="medications"),
    path("my_health/v1/messaging/", include("messaging.api.urls")),
]

handler404 = "sm_portal.views.not_found"
handler500 = "sm_portal.errors.server_error"
