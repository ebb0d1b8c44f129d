"""How care teams are ordered wherever they are listed (pages, API, the finder)."""

from __future__ import annotations

from .common import Recipient


def team_sort_key(recipient: Recipient) -> tuple[int, str]:
    """Care teams sort by display name, names starting with a non-letter first."""
    name = recipient.display_name
    return (1 if name[:1].isalpha() else 0, name.casefold())
