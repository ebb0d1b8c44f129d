"""The QA tools' JSON API under /qa/api/ (qa.md): QA staff (group `qa`) with their API token
or session (CSRF for sessions), same authentication classes as the messaging API. Keys are
as the spec writes them (camelCase); flag names are keys and are never inflected."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.utils.decorators import method_decorator
from rest_framework import exceptions
from rest_framework.parsers import JSONParser
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from messaging.common import clock
from messaging.qa import links
from messaging.qa import services as qa
from messaging.qa.access import is_qa_staff
from messaging.qa.links import sign_in_url
from messaging.qa.scenarios import SCENARIOS
from messaging.qa.selectors import NotATestVeteran, test_veteran_get
from messaging.rollout.flags import ALL_FLAGS

from .errors import ApiError


class IsQaStaff(BasePermission):
    message = "Only QA staff (the group qa) may use the QA tools."

    def has_permission(self, request, view) -> bool:
        return is_qa_staff(request.user)


def _refused(exc: qa.QaError) -> ApiError:
    title = {400: "Bad request", 409: "Conflict"}.get(exc.status, "Unprocessable Entity")
    return ApiError(
        status_code=exc.status,
        title=title,
        detail=exc.message,
        code="QA_INVALID" if exc.status != 409 else "QA_CONFLICT",
        source=f"/{exc.field.replace('.', '/')}" if exc.field else None,
    )


def _not_found(username: str) -> ApiError:
    return ApiError(
        status_code=404,
        title="Record not found",
        detail=f"No test veteran named {username!r}",
        code="RECORD_NOT_FOUND",
    )


def overrides_body(record, user) -> dict:
    return {
        "flags": dict(record.flag_overrides),
        "todayOffsetDays": record.today_offset_days,
        "today": clock.today(user=user).isoformat(),
    }


@method_decorator(login_not_required, name="dispatch")
class QaApiView(APIView):
    """404 wherever the QA tools are off (before anything else is looked at)."""

    permission_classes = [IsAuthenticated, IsQaStaff]
    renderer_classes = [JSONRenderer]
    parser_classes = [JSONParser]
    schema = None  # not part of the messaging API's OpenAPI document

    def initial(self, request, *args, **kwargs):
        if not settings.SM_QA_TOOLS:
            raise exceptions.NotFound()
        super().initial(request, *args, **kwargs)

    def body(self, request) -> dict:
        data = request.data
        if not isinstance(data, dict):
            raise _refused(qa.QaError("the body must be a JSON object", field=None, status=400))
        return data


class ScenariosView(QaApiView):
    def get(self, request):
        return Response(
            {
                "scenarios": [
                    {"name": s.name, "description": s.description} for s in SCENARIOS.values()
                ],
                "flags": list(ALL_FLAGS),
            }
        )


class VeteransView(QaApiView):
    def post(self, request):
        data = self.body(request)
        unknown = sorted(set(data) - {"scenario", "veteran"})
        try:
            if unknown:
                raise qa.QaError(f"{unknown[0]}: unknown field", field=unknown[0])
            if "scenario" in data and not isinstance(data["scenario"], str):
                raise qa.QaError("scenario: must be a scenario name", field="scenario")
            created = qa.test_veteran_create(
                actor=request.user, scenario=data.get("scenario"), veteran=data.get("veteran")
            )
        except qa.QaError as exc:
            raise _refused(exc) from exc
        return Response(
            {
                "username": created.user.username,
                "password": created.password,
                "signInUrl": sign_in_url(request, created.link_token),
            },
            status=201,
        )


class VeteranView(QaApiView):
    def delete(self, request, username: str):
        try:
            qa.test_veteran_delete(actor=request.user, username=username)
        except NotATestVeteran as exc:
            raise _not_found(username) from exc
        return Response(status=204)


class ResetView(QaApiView):
    def post(self, request, username: str):
        try:
            qa.test_veteran_reset(actor=request.user, username=username)
        except NotATestVeteran as exc:
            raise _not_found(username) from exc
        except qa.QaError as exc:
            raise _refused(exc) from exc
        return Response(status=204)


class OverridesView(QaApiView):
    def get(self, request, username: str):
        try:
            user = test_veteran_get(username=username)
        except NotATestVeteran as exc:
            raise _not_found(username) from exc
        return Response(overrides_body(user.test_veteran, user))

    def put(self, request, username: str):
        data = self.body(request)
        try:
            record = qa.overrides_set(actor=request.user, username=username, data=data)
        except NotATestVeteran as exc:
            raise _not_found(username) from exc
        except qa.QaError as exc:
            raise _refused(exc) from exc
        return Response(overrides_body(record, record.user))


class SignInLinkView(QaApiView):
    def post(self, request, username: str):
        try:
            token = links.sign_in_link_create(actor=request.user, username=username)
        except NotATestVeteran as exc:
            raise _not_found(username) from exc
        return Response({"signInUrl": sign_in_url(request, token)}, status=201)
