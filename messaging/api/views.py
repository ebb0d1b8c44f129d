"""my_health/v1/messaging: the same selectors and services as the pages, no rule of its own."""

from __future__ import annotations

import json
import time

from django.contrib.auth.decorators import login_not_required
from django.utils.decorators import method_decorator
from djangorestframework_camel_case.util import underscoreize
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.parsers import FormParser
from rest_framework.response import Response
from rest_framework.views import APIView

from messaging.common.choices import Category, Platform
from messaging.compose import flow, limits
from messaging.compose.attachments import rules_for
from messaging.compose.forms import DraftFieldsForm
from messaging.models import Message
from messaging.recipients import recipients_for
from messaging.recipients.finder import MAX_QUERY_LENGTH
from messaging.rollout import telemetry
from messaging.selectors.messages import (
    FOLDER_IDS,
    draft_for,
    folder_search,
    folders_with_counts,
    message_for,
)
from messaging.selectors.teams import care_team_search
from messaging.services.messages import draft_save, message_delete, message_send
from messaging.services.teams import contact_list_update

from . import serializers as s
from .errors import ApiError, validation_errors
from .inflection import KeyInflectionJSONParser, KeyInflectionMultiPartParser

PLATFORM_HEADER = "X-Platform"
ERRORS = {400: s.ErrorResponse, 401: s.ErrorResponse, 404: s.ErrorResponse, 422: s.ErrorResponse}
# Writes can also be too large (413) or rate-limited per veteran (429).
WRITE_ERRORS = {**ERRORS, 413: s.ErrorResponse, 429: s.ErrorResponse}
# X-Key-Inflection: camel (camelCase keys) is described once, in the schema's description:
# the schema itself documents the default snake_case shape.
PLATFORM = OpenApiParameter(
    PLATFORM_HEADER,
    str,
    OpenApiParameter.HEADER,
    enum=[p.value for p in Platform],
    description="the client (default web)",
)
FOLDER_ID = OpenApiParameter("folder_id", int, OpenApiParameter.PATH, enum=sorted(FOLDER_IDS))


@method_decorator(login_not_required, name="dispatch")
class MessagingApiView(APIView):
    """Every endpoint: DRF authentication (token or session) and the client's platform.
    Writes are recorded as metrics (event, flow, platform, final status code)."""

    metric_events: dict[str, str] = {}  # HTTP method -> telemetry event
    rate_limits: dict[str, str] = {}  # HTTP method -> limits action

    def initial(self, request, *args, **kwargs):
        request.sm_started = time.perf_counter()
        super().initial(request, *args, **kwargs)
        platform = request.headers.get(PLATFORM_HEADER, Platform.WEB)
        if platform not in Platform.values:
            raise ApiError(
                status_code=400,
                title="Bad request",
                detail=f"{PLATFORM_HEADER} must be one of {', '.join(Platform.values)}",
                code="SM_PLATFORM_INVALID",
            )
        request.sm_platform = platform
        if (action := self.rate_limits.get(request.method)) and (
            limited := limits.check(request, action)
        ):
            raise RateLimited(limited)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        event = self.metric_events.get(request.method)
        user = getattr(request, "user", None)
        if event and user is not None and user.is_authenticated:
            telemetry.record_request(
                event,
                flow=self.flow_name(request),
                platform=getattr(request, "sm_platform", Platform.WEB),
                status_code=response.status_code,
                started=getattr(request, "sm_started", time.perf_counter()),
                veteran_id=user.pk,
                device=telemetry.device_of(request),
            )
        return response

    def flow_name(self, request) -> str:
        return flow.flags_for(request).flow

    def fields(self, request, data: dict) -> tuple[dict, object]:
        """Type checks (serializer), then the pages' own rules for the four fields (form)."""
        shape = s.SendRequest(data=data)
        shape.is_valid(raise_exception=True)
        values = shape.validated_data
        recipient = recipients_for(request.user).get(values["recipient_id"])
        form = DraftFieldsForm(
            data={k: values[k] for k in ("category", "subject", "body")},
            recipient=recipient,
            rules=rules_for(recipient.source if recipient else "vista"),
        )
        if not form.is_valid():
            raise _FormInvalid(form.errors)
        return {**values, **form.cleaned_data}, recipient


class RateLimited(ApiError):
    def __init__(self, limited: limits.Limited):
        super().__init__(
            status_code=429,
            title="Too many requests",
            detail=limited.message,
            code="SM_RATE_LIMITED",
        )
        self.retry_after = limited.retry_after


class _FormInvalid(Exception):
    def __init__(self, errors):
        self.errors = errors


def _form_errors_response(exc: _FormInvalid) -> Response:
    return Response({"errors": validation_errors(exc.errors)}, status=422)


class AllRecipientsView(MessagingApiView):
    @extend_schema(
        parameters=[PLATFORM], responses={200: s.RecipientsResponse, 401: s.ErrorResponse}
    )
    def get(self, request):
        """The veteran's recipients (VistA triage teams and Oracle Health pools alike)."""
        return Response(s.recipients_document(recipients_for(request.user)))


class SearchQuery(s.serializers.Serializer):
    query = s.serializers.CharField(
        required=False, allow_blank=True, max_length=MAX_QUERY_LENGTH, default=""
    )
    station_number = s.serializers.CharField(
        required=False, allow_blank=True, max_length=16, default=""
    )


class AllRecipientsSearchView(MessagingApiView):
    @extend_schema(
        parameters=[PLATFORM, SearchQuery],
        responses={200: s.RecipientsSearchResponse, 401: s.ErrorResponse, 422: s.ErrorResponse},
    )
    def get(self, request):
        """The recipients the veteran may message, ranked for a plain-language query
        (type of care, provider, place, abbreviations, small typos), with the words that matched."""
        shape = SearchQuery(data=request.query_params)
        shape.is_valid(raise_exception=True)
        recipients = recipients_for(request.user)
        ranked = care_team_search(
            recipients=recipients,
            query=shape.validated_data["query"],
            station_number=shape.validated_data["station_number"] or None,
        )
        return Response(
            {
                "data": [
                    {
                        "id": str(m.recipient.id),
                        "type": "all_triage_teams",
                        "attributes": {
                            **s.recipient_attributes(m.recipient),
                            "matched_words": list(m.matched),
                        },
                    }
                    for m in ranked
                ],
                "meta": {"query": shape.validated_data["query"], "count": len(ranked)},
            }
        )


class CategoriesView(MessagingApiView):
    @extend_schema(
        parameters=[PLATFORM], responses={200: s.CategoriesResponse, 401: s.ErrorResponse}
    )
    def get(self, request):
        """The six message categories."""
        return Response(
            {
                "data": {
                    "id": "0",
                    "type": "categories",
                    "attributes": {"message_category_type": Category.values},
                }
            }
        )


class DraftsView(MessagingApiView):
    metric_events = {"POST": telemetry.DRAFT_CREATED}
    rate_limits = {"POST": limits.DRAFT_SAVE}

    @extend_schema(
        parameters=[PLATFORM],
        request=s.DraftRequest,
        responses={201: s.MessageResponse, **WRITE_ERRORS},
    )
    def post(self, request):
        """Create a draft (recipient, category, subject, body)."""
        try:
            values, _ = self.fields(request, request.data)
        except _FormInvalid as exc:
            return _form_errors_response(exc)
        draft, _ = draft_save(
            veteran=request.user,
            recipient_id=values["recipient_id"],
            category=values["category"],
            subject=values["subject"],
            body=values["body"],
            flow=self.flow_name(request),
            platform=request.sm_platform,
        )
        return Response({"data": s.message_resource(draft)}, status=status.HTTP_201_CREATED)


class DraftDetailView(MessagingApiView):
    metric_events = {"PUT": telemetry.DRAFT_UPDATED}
    rate_limits = {"PUT": limits.DRAFT_SAVE}

    @extend_schema(
        parameters=[PLATFORM], request=s.DraftRequest, responses={204: None, **WRITE_ERRORS}
    )
    def put(self, request, draft_id: int):
        """Update one of the veteran's drafts."""
        # Anyone else's draft is a 404 whatever the body says (never a 422 about its fields).
        draft_for(veteran=request.user, draft_id=draft_id)
        try:
            values, _ = self.fields(request, request.data)
        except _FormInvalid as exc:
            return _form_errors_response(exc)
        draft_save(
            veteran=request.user,
            recipient_id=values["recipient_id"],
            category=values["category"],
            subject=values["subject"],
            body=values["body"],
            draft_id=draft_id,
            platform=request.sm_platform,
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class MessagesView(MessagingApiView):
    metric_events = {"POST": telemetry.MESSAGE_SENT}
    rate_limits = {"POST": limits.SEND}
    parser_classes = [KeyInflectionJSONParser, KeyInflectionMultiPartParser]

    @extend_schema(
        parameters=[
            PLATFORM,
            OpenApiParameter(
                "Idempotency-Key", str, OpenApiParameter.HEADER, description="one message per key"
            ),
        ],
        request={"application/json": s.SendRequest, "multipart/form-data": OpenApiTypes.OBJECT},
        responses={200: s.MessageResponse, 201: s.MessageResponse, **WRITE_ERRORS},
    )
    def post(self, request):
        """Send a message exactly once. Multipart: `message` (JSON) and `uploads[]` files."""
        data, files = request.data, []
        if request.content_type.startswith("multipart/"):
            try:
                data = json.loads(request.data.get("message", ""))
            except json.JSONDecodeError as exc:
                raise ApiError(
                    status_code=422,
                    title="Unprocessable Entity",
                    detail="message - must be JSON",
                    code="SM_VALIDATION",
                    source="/message",
                ) from exc
            if not isinstance(data, dict):
                raise ApiError(
                    status_code=422,
                    title="Unprocessable Entity",
                    detail="message - must be a JSON object",
                    code="SM_VALIDATION",
                    source="/message",
                )
            data = underscoreize(data)
            files = request.FILES.getlist("uploads[]") or request.FILES.getlist("uploads")
        try:
            values, _ = self.fields(request, data)
        except _FormInvalid as exc:
            return _form_errors_response(exc)
        result = message_send(
            veteran=request.user,
            recipient_id=values["recipient_id"],
            category=values["category"],
            subject=values["subject"],
            body=values["body"],
            idempotency_key=request.headers.get("Idempotency-Key", "")[:100],
            draft_id=values.get("draft_id"),
            files=files,
            flow=self.flow_name(request),
            platform=request.sm_platform,
        )
        code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        return Response({"data": s.message_resource(result.message)}, status=code)


class MessageDetailView(MessagingApiView):
    metric_events = {"DELETE": telemetry.DRAFT_DELETED}

    @extend_schema(parameters=[PLATFORM], responses={200: s.MessageResponse, **ERRORS})
    def get(self, request, message_id: int):
        """One sent or received message of the veteran's."""
        return Response(
            {"data": s.message_resource(message_for(veteran=request.user, message_id=message_id))}
        )

    @extend_schema(parameters=[PLATFORM], responses={204: None, **ERRORS})
    def delete(self, request, message_id: int):
        """Delete one of the veteran's drafts or messages."""
        message_delete(veteran=request.user, message_id=message_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class FoldersView(MessagingApiView):
    @extend_schema(parameters=[PLATFORM], responses={200: s.FoldersResponse, 401: s.ErrorResponse})
    def get(self, request):
        """Inbox (0), Sent (-1) and Drafts (-2)."""
        return Response(
            {
                "data": [
                    {"id": str(f["folder_id"]), "type": "folders", "attributes": f}
                    for f in folders_with_counts(veteran=request.user)
                ]
            }
        )


def _folder(folder_id: int) -> int:
    if folder_id not in FOLDER_IDS:
        raise Message.DoesNotExist("no such folder")
    return folder_id


class FolderMessagesView(MessagingApiView):
    @extend_schema(
        parameters=[PLATFORM, FOLDER_ID], responses={200: s.MessageListResponse, **ERRORS}
    )
    def get(self, request, folder_id: int):
        """A folder's messages, newest first."""
        messages = folder_search(veteran=request.user, folder_id=_folder(folder_id))[:250]
        return Response({"data": [s.message_resource(m) for m in messages]})


class FolderSearchView(MessagingApiView):
    @extend_schema(
        parameters=[PLATFORM, FOLDER_ID],
        request=s.SearchRequest,
        responses={200: s.MessageListResponse, **ERRORS},
    )
    def post(self, request, folder_id: int):
        """Search a folder by date (Sent, -1, is where recent care teams come from)."""
        shape = s.SearchRequest(data=request.data)
        shape.is_valid(raise_exception=True)
        messages = folder_search(
            veteran=request.user, folder_id=_folder(folder_id), **shape.validated_data
        )[:250]
        return Response({"data": [s.message_resource(m) for m in messages]})


class PreferencesRecipientsView(MessagingApiView):
    @extend_schema(
        parameters=[PLATFORM], request=s.PreferencesRequest, responses={204: None, **ERRORS}
    )
    def post(self, request):
        """Put VistA teams on or off the veteran's contact list."""
        shape = s.PreferencesRequest(data=request.data)
        shape.is_valid(raise_exception=True)
        preferred = {
            t["triage_team_id"]: t["preferred_team"]
            for t in shape.validated_data["updated_triage_teams"]
        }
        contact_list_update(veteran=request.user, preferred=preferred)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TokenResponse(s.serializers.Serializer):
    token = s.serializers.CharField()


@method_decorator(login_not_required, name="dispatch")
class TokenView(ObtainAuthToken):
    """A token for non-browser clients (the VA mobile app, end-to-end suites)."""

    parser_classes = [FormParser, KeyInflectionJSONParser]

    @extend_schema(
        request=AuthTokenSerializer, responses={200: TokenResponse, 422: s.ErrorResponse}
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)
