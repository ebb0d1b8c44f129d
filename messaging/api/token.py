"""A token for non-browser clients: POST username and password (public, like sign-in)."""

from django.contrib.auth.decorators import login_not_required
from django.utils.decorators import method_decorator
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.parsers import FormParser

from .inflection import KeyInflectionJSONParser
from .serializers import ErrorResponse


class TokenResponse(serializers.Serializer):
    token = serializers.CharField()


@method_decorator(login_not_required, name="dispatch")
class TokenView(ObtainAuthToken):
    """A token for non-browser clients (the VA mobile app, end-to-end suites)."""

    parser_classes = [FormParser, KeyInflectionJSONParser]

    @extend_schema(request=AuthTokenSerializer, responses={200: TokenResponse, 422: ErrorResponse})
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)
