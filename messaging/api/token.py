"""A token for non-browser clients: POST username and password (public, like sign-in) for a
new token; DELETE with the token revokes it."""

from django.contrib.auth import authenticate
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.signals import user_logged_in
from django.utils.decorators import method_decorator
from drf_spectacular.utils import extend_schema
from knox.auth import TokenAuthentication
from rest_framework import serializers, status
from rest_framework.parsers import FormParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from messaging.services.tokens import token_issue, token_revoke

from .errors import ApiError
from .inflection import KeyInflectionJSONParser
from .serializers import ErrorResponse


class TokenRequest(serializers.Serializer):
    username = serializers.CharField(max_length=150, trim_whitespace=False)
    password = serializers.CharField(max_length=4096, trim_whitespace=False)


class TokenResponse(serializers.Serializer):
    token = serializers.CharField()
    expiry = serializers.DateTimeField(allow_null=True)


class _SignInRefused(ApiError):
    def __init__(self):
        super().__init__(
            status_code=422,
            title="Unprocessable Entity",
            detail="Unable to sign in with the username and password given.",
            code="SM_SIGN_IN_FAILED",
        )


@method_decorator(login_not_required, name="dispatch")
class TokenView(APIView):
    """A token for non-browser clients (the VA mobile app, end-to-end suites): POST a
    username and password for a new token (one per sign-in, expiring after SM_TOKEN_TTL);
    DELETE with the token to revoke it. Password guessing is limited as on the sign-in page."""

    parser_classes = [FormParser, KeyInflectionJSONParser]

    def get_authenticators(self):
        # Signing in reads no credentials but the posted ones (an expired token a client
        # still sends must not stand in its way); revoking reads only the token.
        method = getattr(self.request, "method", "DELETE")  # no request: the schema's view
        return [TokenAuthentication()] if method == "DELETE" else []

    def get_permissions(self):
        # Signing in is public; revoking needs the token (any other method: 405).
        return [IsAuthenticated()] if self.request.method == "DELETE" else [AllowAny()]

    @extend_schema(
        request=TokenRequest,
        responses={200: TokenResponse, 422: ErrorResponse, 429: ErrorResponse},
    )
    def post(self, request):
        shape = TokenRequest(data=request.data)
        shape.is_valid(raise_exception=True)
        username = shape.validated_data["username"]
        # The Django request: django-axes counts the failure and flags a lockout on it (its
        # middleware then answers 429, sm_portal.lockout).
        user = authenticate(
            request._request, username=username, password=shape.validated_data["password"]
        )
        if user is None:
            raise _SignInRefused()
        # A sign-in like the page's: resets this account's failures from this address.
        user_logged_in.send(sender=user.__class__, request=request._request, user=user)
        token, expiry = token_issue(user=user)
        return Response({"token": token, "expiry": expiry})

    @extend_schema(request=None, responses={204: None, 401: ErrorResponse})
    def delete(self, request):
        """Revoke the token this request was made with: it answers 401 from now on."""
        token_revoke(user=request.user, token_id=request.auth.digest)
        return Response(status=status.HTTP_204_NO_CONTENT)
