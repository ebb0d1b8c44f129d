"""A Redis outage is logged once per interval, not once per request."""

import io
import json
import logging

import pytest
from django_guid.log_filters import CorrelationId
from pythonjsonlogger.json import JsonFormatter

pytestmark = pytest.mark.django_db


DEAD_REDIS = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        "OPTIONS": {
            "CLIENT_CLASS": "django_redis.client.DefaultClient",
            "SOCKET_CONNECT_TIMEOUT": 1,
            "SOCKET_TIMEOUT": 1,
            "IGNORE_EXCEPTIONS": True,
        },
    }
}


def test_redis_outage_logs_once_per_interval_not_once_per_request(demo_data, settings):
    """django-redis logs each ignored exception; the throttle keeps one line every 30 s."""
    from django.core.cache import caches

    from sm_portal.logfilters import Throttle

    logger = logging.getLogger("django_redis.cache")
    assert any(isinstance(f, Throttle) for f in logger.filters), "wired by settings.LOGGING"
    settings.CACHES = DEAD_REDIS
    settings.DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True  # as with REDIS_URL set
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(CorrelationId("request_id"))
    options = settings.LOGGING["formatters"]["json"]
    handler.setFormatter(JsonFormatter(options["fmt"], rename_fields=options["rename_fields"]))
    saved = logger.filters[:], logger.handlers[:], logger.propagate
    logger.filters = [Throttle(seconds=30)]  # a fresh one: earlier tests' lines don't count
    logger.handlers, logger.propagate = [handler], False
    try:
        for _ in range(50):
            caches["default"].get("anything")
    finally:
        logger.filters, logger.handlers, logger.propagate = saved
    lines = [json.loads(line) for line in stream.getvalue().splitlines() if line.startswith("{")]
    assert len(lines) == 1 and lines[0]["logger"] == "django_redis.cache"
