"""Errors the way vets-api reports them: {"errors": [{"title", "detail", "code", "status"}]}."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from messaging.models import Message
from messaging.services.messages import AttachmentsRefused, RecipientNotAllowed
from messaging.services.teams import InvalidContactList


class ApiError(exceptions.APIException):
    def __init__(
        self, *, status_code: int, title: str, detail: str, code: str, source: str | None = None
    ):
        self.status_code = status_code
        self.title, self.code, self.source = title, code, source
        super().__init__(detail=detail, code=code)


def error(status_code: int, title: str, detail: str, code: str, source: str | None = None) -> dict:
    item = {"title": title, "detail": detail, "code": code, "status": str(status_code)}
    if source:
        item["source"] = {"pointer": source}
    return item


def validation_errors(form_errors: dict) -> list[dict]:
    """Field errors from a form, each naming its field."""
    items = []
    for field, messages in form_errors.items():
        for message in messages:
            detail = f"{field} - {message}" if field != "__all__" else str(message)
            items.append(
                error(
                    422,
                    "Unprocessable Entity",
                    detail,
                    "SM_VALIDATION",
                    f"/{field}" if field != "__all__" else None,
                )
            )
    return items


def exception_handler(exc, context):
    if isinstance(exc, Message.DoesNotExist | Http404):
        return Response(
            {
                "errors": [
                    error(
                        404,
                        "Record not found",
                        "The record identified by the id could not be found",
                        "RECORD_NOT_FOUND",
                    )
                ]
            },
            status=404,
        )
    if isinstance(exc, RequestDataTooBig):  # else Django's HTML 400 page
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        detail = f"The request body is larger than {limit} bytes (uploaded files not counted)"
        return Response(
            {"errors": [error(413, "Payload too large", detail, "SM_PAYLOAD_TOO_LARGE")]},
            status=413,
        )
    if isinstance(exc, RecipientNotAllowed):
        return Response(
            {
                "errors": [
                    error(422, "Recipient not allowed", exc.message, exc.code, "/recipient_id")
                ]
            },
            status=422,
        )
    if isinstance(exc, AttachmentsRefused):
        return Response(
            {
                "errors": [
                    error(422, "Attachment refused", e.message, exc.code, "/uploads")
                    for e in exc.errors
                ]
            },
            status=422,
        )
    if isinstance(exc, InvalidContactList):
        return Response(
            {
                "errors": [
                    error(422, "Invalid contact list", str(exc), exc.code, "/updated_triage_teams")
                ]
            },
            status=422,
        )
    if isinstance(exc, ApiError):
        response = Response(
            {"errors": [error(exc.status_code, exc.title, str(exc.detail), exc.code, exc.source)]},
            status=exc.status_code,
        )
        if retry_after := getattr(exc, "retry_after", None):
            response["Retry-After"] = str(retry_after)
        return response
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {"__all__": exc.detail}
        flat = {k: [str(m) for m in (v if isinstance(v, list) else [v])] for k, v in detail.items()}
        return Response(
            {"errors": validation_errors(flat)}, status=status.HTTP_422_UNPROCESSABLE_ENTITY
        )
    title = {
        401: "Not authorized",
        403: "Forbidden",
        405: "Method not allowed",
        415: "Unsupported media type",
    }.get(response.status_code, "Error")
    code = getattr(exc, "default_code", "error")
    detail = (
        exc.detail
        if isinstance(getattr(exc, "detail", None), str)
        else str(getattr(exc, "detail", ""))
    )
    response.data = {"errors": [error(response.status_code, title, detail, str(code).upper())]}
    return response
