"""Medication renewal requests (flow.md 9) and the message signature prefill (flow.md 10):
the copy, the prefilled lines and where the veteran may be sent after sending. Pure: no
database, no request."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlsplit

from django.urls import Resolver404, resolve

RENEWAL_SUBJECT = "Renewal Needed"
RENEWAL_CATEGORY_LABEL = "Medication"
UNKNOWN_PRESCRIPTION_HEADING = "Add your medication information to this message"
UNKNOWN_PRESCRIPTION_TEXT = (
    "To submit your renewal request, you should fill in as many of the medication details "
    "as possible. You can find this information on your prescription label or in your "
    "prescription details page."
)
NOT_FILLED_YET = "Not filled yet"
EDIT_SIGNATURE_LINK = "Edit signature for all messages"
REDIRECT_PATH_MAX_LENGTH = 300

# A redirect target is a path on this site: one "/", then no second "/" or "\" (browsers
# read "//host" and "/\host" as another host), no scheme, no control character or space
# (browsers drop tabs and newlines, so "/\t/evil.example" would become "//evil.example").
_UNSAFE_CHARACTERS = re.compile(r"[\x00-\x20\x7f\\]")


@dataclass(frozen=True)
class PrescriptionLines:
    """What the renewal message says about one prescription; empty strings when unknown."""

    name: str = ""
    instructions: str = ""
    provider: str = ""
    expiration_date: date | None = None
    dispensed_date: date | None = None
    quantity: int | None = None
    known: bool = False


def long_date(value: date | None) -> str:
    """ "January 15, 2027" (Month D, YYYY); "" for no date."""
    return f"{value:%B} {value.day}, {value.year}" if value else ""


def renewal_body(lines: PrescriptionLines) -> str:
    """The prefilled message: one line per detail (labels kept, values empty when unknown)."""
    if lines.known:
        filled = long_date(lines.dispensed_date) or NOT_FILLED_YET
    else:
        filled = ""
    quantity = "" if lines.quantity is None else str(lines.quantity)
    return "\n".join(
        [
            f"Medication name, strength, and form: {lines.name}",
            f"Instructions: {lines.instructions}",
            f"Provider who prescribed it: {lines.provider}",
            f"Prescription expiration date: {long_date(lines.expiration_date)}",
            f"Last filled on: {filled}",
            f"Quantity: {quantity}",
        ]
    )


def provider_name(first: str, last: str) -> str:
    return " ".join(part.strip() for part in (first, last) if part and part.strip())


def signature_text(*, name: str, title: str) -> str:
    """The signature as it appears in a message: the name, then the title on its own line."""
    return "\n".join(part.strip() for part in (name, title) if part and part.strip())


def with_signature(body: str, signature: str) -> str:
    """A new message's body: two empty lines, then the signature (after `body` when the page
    prefills one, e.g. a renewal request's lines)."""
    if not signature:
        return body
    return f"{body}\n\n\n{signature}" if body else f"\n\n{signature}"


def safe_redirect_path(value: str | None) -> str:
    """`value` when it is a path on this site (one leading "/", a page this site serves),
    else "". Never a scheme, a host, "//", "/\\" or anything a browser could read as one."""
    if not value or len(value) > REDIRECT_PATH_MAX_LENGTH:
        return ""
    if not value.startswith("/") or value.startswith("//") or _UNSAFE_CHARACTERS.search(value):
        return ""
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or parts.path != value.split("?", 1)[0].split("#", 1)[0]:
        return ""
    try:
        resolve(parts.path)
    except Resolver404:
        return ""
    return value


@dataclass(frozen=True)
class Prefill:
    """What a new message starts with, and what the page says about it."""

    initial: dict = field(default_factory=dict)
    renewal_warning: bool = False  # "Add your medication information to this message"
    signature: str = ""  # the messaging signature when included (for the "Edit" link)
