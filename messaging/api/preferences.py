"""my_health/v1/messaging/preferences: the veteran's contact list (recipients) and messaging
signature."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from messaging.selectors.preferences import signature_for
from messaging.services.preferences import signature_save
from messaging.services.teams import contact_list_update

from . import serializers as s
from .views import ERRORS, PLATFORM, MessagingApiView


class PreferencesSignatureView(MessagingApiView):
    @extend_schema(
        parameters=[PLATFORM], responses={200: s.SignatureResponse, 401: s.ErrorResponse}
    )
    def get(self, request):
        """The veteran's messaging signature (name, title, whether new messages include it).
        Not the electronic signature that some teams require on each message."""
        return Response(s.signature_document(signature_for(veteran=request.user)))

    @extend_schema(
        parameters=[PLATFORM],
        request=s.SignatureRequest,
        responses={200: s.SignatureResponse, **ERRORS},
    )
    def post(self, request):
        """Set the messaging signature: `signature_name` (required when included) and
        `signature_title`, 50 characters each, and `include_signature`."""
        shape = s.SignatureRequest(data=request.data)
        shape.is_valid(raise_exception=True)
        values = shape.validated_data
        signature = signature_save(
            veteran=request.user,
            name=values["signature_name"],
            title=values["signature_title"],
            include=values["include_signature"],
        )
        return Response(s.signature_document(signature))


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
