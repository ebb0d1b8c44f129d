import json

import pytest
from django.contrib.auth import get_user_model

from messaging.bundle import bundle_parse
from messaging.services import bundle_load

from .factories import DEMO_BUNDLE_PATH


def load(data: dict | str | bytes):
    text = data if isinstance(data, str | bytes) else json.dumps(data)
    return bundle_load(bundle=bundle_parse(text))


@pytest.fixture
def demo_data(db):
    """The demo bundle, loaded through the real loader."""
    load(DEMO_BUNDLE_PATH.read_bytes())


@pytest.fixture
def user_named(db):
    def get(username: str):
        return get_user_model().objects.get(username=username)

    return get


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Bundle accounts are hashed on every load; a fast hasher keeps the suite quick."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
