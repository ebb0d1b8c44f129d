"""Compressed JSON: brotli or gzip when the client accepts it, for JSON responses only.

HTML pages stay uncompressed: they carry a CSRF token next to text a request can reflect
(BREACH). JSON carries neither a CSRF token nor a secret of the session, and is the
heavy part (`allrecipients` for a veteran with 2,000 teams is ~800 KB raw, ~40 KB as
brotli). Static files are compressed ahead of time by WhiteNoise, never here.
"""

from __future__ import annotations

import gzip

from django.utils.cache import patch_vary_headers

try:  # whitenoise[brotli] brings it; without it, gzip only
    import brotli
except ImportError:  # pragma: no cover - a dependency of the project
    brotli = None

MIN_SIZE = 1024  # smaller bodies gain little and cost a header
JSON_TYPES = ("application/json", "application/problem+json", "application/vnd.api+json")
BROTLI_QUALITY = 5  # fast enough per request; most of brotli's gain on JSON
GZIP_LEVEL = 6


def accepted_encodings(header: str) -> set[str]:
    """Codings the client accepts (q > 0), e.g. "gzip, br;q=0.8, *;q=0" -> {"gzip", "br"}."""
    accepted = set()
    for part in header.split(","):
        coding, _, params = part.strip().partition(";")
        coding = coding.strip().lower()
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if coding and q > 0:
            accepted.add(coding)
    return accepted


def is_json(response) -> bool:
    content_type = response.get("Content-Type", "").split(";")[0].strip().lower()
    return content_type in JSON_TYPES


class JsonCompressionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            getattr(response, "streaming", False)
            or response.has_header("Content-Encoding")
            or not is_json(response)
        ):
            return response
        patch_vary_headers(response, ("Accept-Encoding",))
        if len(response.content) < MIN_SIZE:
            return response
        accepted = accepted_encodings(request.headers.get("Accept-Encoding", ""))
        if brotli is not None and "br" in accepted:
            body, coding = brotli.compress(response.content, quality=BROTLI_QUALITY), "br"
        elif "gzip" in accepted or "*" in accepted:
            body, coding = (
                gzip.compress(response.content, compresslevel=GZIP_LEVEL, mtime=0),
                "gzip",
            )
        else:
            return response
        response.content = body
        response["Content-Length"] = str(len(body))
        response["Content-Encoding"] = coding
        etag = response.get("ETag")
        if etag and etag.startswith('"'):
            response["ETag"] = "W/" + etag  # the bytes differ from the identity body's
        return response
