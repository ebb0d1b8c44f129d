"""The electronic signature block some care teams require on a message."""

from __future__ import annotations

from datetime import date


def signed_body(*, body: str, full_name: str, on: date) -> str:
    """The message body with the electronic signature block appended."""
    return f"{body.rstrip()}\n\n{'-' * 40}\n{full_name.strip()}\nSigned electronically on {on.isoformat()}."
