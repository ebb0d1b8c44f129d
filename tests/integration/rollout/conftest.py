"""Fixtures of the rollout tests: generated metric events (tests/rollout_reference.py)."""

import pytest
from django.utils import timezone

from tests import rollout_reference as ref


@pytest.fixture
def events(db):
    """Generated events over the last 12 days (test traffic among them); returns now."""
    now = timezone.now()
    ref.generate(now)
    return now
