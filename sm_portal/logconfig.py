"""The logging configuration: one JSON object per line (production default) with the request
id, or text for a terminal; never names, subjects, bodies, query strings or addresses."""


def logging_config(*, log_format: str, level: str) -> dict:
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {
                "()": "django_guid.log_filters.CorrelationId",
                "correlation_id_field": "request_id",
            },
            "throttle": {"()": "sm_portal.logfilters.Throttle", "seconds": 30},
        },
        "formatters": {
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
                "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            },
            "text": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "filters": ["request_id"],
                "formatter": log_format,
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "INFO"},
            # runserver's own access lines carry query strings; ours (sm_portal.request) don't.
            "django.server": {"level": "WARNING"},
            "django_guid": {"level": "WARNING"},
            # axes logs usernames and addresses; our own line (sm_portal.lockout) says what matters.
            "axes": {"level": "ERROR"},
            # While Redis is down, one line every 30 s (with the count dropped), not one a request.
            "django_redis.cache": {"filters": ["throttle"]},
        },
    }
