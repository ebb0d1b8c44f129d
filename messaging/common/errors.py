"""The error response, one shape everywhere JSON is answered (the API, the flow pages'
script endpoints, server errors under the API's prefix): vets-api's
{"errors": [{"title", "detail", "code", "status", "source": {"pointer"}}]}."""

from __future__ import annotations

from django.http import JsonResponse

API_PREFIX = "/my_health/"  # everything under it answers errors as JSON


def error_item(
    status: int,
    title: str,
    detail: str | None = None,
    code: str | None = None,
    source: str | None = None,
) -> dict:
    """One error of the list; `detail` and `code` are left out when not given."""
    item = {"title": title, "detail": detail, "code": code, "status": str(status)}
    item = {k: v for k, v in item.items() if v is not None}
    if source:
        item["source"] = {"pointer": source}
    return item


def error_json(
    status: int,
    title: str,
    detail: str | None = None,
    code: str | None = None,
    source: str | None = None,
) -> JsonResponse:
    """A JSON response holding one error."""
    return JsonResponse(
        {"errors": [error_item(status, title, detail, code, source)]}, status=status
    )
