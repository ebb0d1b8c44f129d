import pytest
from django.contrib.auth import get_user_model

from .factories import DEMO_BUNDLE_PATH
from .helpers import load


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
def _fresh_cache(request):
    """Each test with a database starts with an empty cache (Redis outlives a test's
    transaction; the database cache is rolled back with it)."""
    if "django_db" not in {m.name for m in request.node.iter_markers()} and not {
        "db",
        "transactional_db",
        "live_server",
    } & set(request.fixturenames):
        return
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Bundle accounts are hashed on every load; a fast hasher keeps the suite quick."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def set_flags(db):
    """Turn the two product flags on or off for everyone (through the model, so waffle's cache
    is invalidated as it would be in production)."""
    from messaging.models import Flag
    from messaging.rollout.flags import CURATED_LIST_FLOW, RECENT_RECIPIENTS

    def apply(*, curated: bool, recent: bool):
        for name, on in ((CURATED_LIST_FLOW, curated), (RECENT_RECIPIENTS, recent)):
            # get_or_create: a live-server test's flush removes the rows migrations created.
            flag, _ = Flag.objects.get_or_create(name=name)
            flag.everyone = on
            flag.save()
            # waffle flushes its cache on commit; a test's transaction never commits.
            flag.flush()

    return apply


@pytest.fixture
def veteran_client(client, demo_data, user_named):
    """A test client signed in as the named demo veteran."""

    def sign_in(username: str):
        client.force_login(user_named(username))
        return client

    return sign_in


@pytest.fixture
def ratelimit_clock(monkeypatch):
    """django-ratelimit counts in fixed windows (a minute for "10/m"): a test that crosses
    a window's end would see its count restart. Freeze django-ratelimit's clock only."""
    import types

    import django_ratelimit.core

    now = django_ratelimit.core.time.time()
    monkeypatch.setattr(django_ratelimit.core, "time", types.SimpleNamespace(time=lambda: now))
