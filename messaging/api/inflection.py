"""Key inflection as VA.gov clients expect it: snake_case by default, camelCase when the
request says `X-Key-Inflection: camel`. Request bodies are accepted in either."""

from djangorestframework_camel_case.parser import CamelCaseJSONParser, CamelCaseMultiPartParser
from djangorestframework_camel_case.util import camelize
from rest_framework.renderers import JSONRenderer

INFLECTION_HEADER = "HTTP_X_KEY_INFLECTION"


def wants_camel(request) -> bool:
    return bool(request) and request.META.get(INFLECTION_HEADER, "").lower() == "camel"


class KeyInflectionJSONRenderer(JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        request = (renderer_context or {}).get("request")
        if wants_camel(request):
            data = camelize(data)
        return super().render(data, accepted_media_type, renderer_context)


class KeyInflectionJSONParser(CamelCaseJSONParser):
    """camelCase keys become snake_case; snake_case keys stay as they are."""


class KeyInflectionMultiPartParser(CamelCaseMultiPartParser):
    pass
