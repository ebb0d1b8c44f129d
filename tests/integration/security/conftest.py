import pytest
from django.test import Client

# Nothing listens on port 1: every cache call fails (and is ignored, as in production).
DEAD_REDIS = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {
            "CLIENT_CLASS": "django_redis.client.DefaultClient",
            "SOCKET_CONNECT_TIMEOUT": 1,
            "SOCKET_TIMEOUT": 1,
            "IGNORE_EXCEPTIONS": True,
        },
    }
}


@pytest.fixture
def from_address():
    """A browser at a given client address (REMOTE_ADDR: no proxy is trusted by default)."""

    def make(address: str) -> Client:
        return Client(REMOTE_ADDR=address)

    return make


@pytest.fixture
def dead_cache(settings):
    """Every cache call fails (and is ignored, as in production)."""
    settings.CACHES = DEAD_REDIS
