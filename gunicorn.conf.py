"""gunicorn for `make serve`: the production profile on one machine. Workers and timeouts
live here and nowhere else; every value can be overridden from the environment."""

import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
worker_class = "gthread"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
# Idle keep-alive connections stay open longer than a load balancer's idle timeout (AWS ALB:
# 60 s), so the balancer never reuses a connection gunicorn is closing (a 502).
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "75"))
max_requests = 2000  # recycle workers now and then
max_requests_jitter = 200
# Django logs every request itself (sm_portal.request: route, status, time, request id, and
# nothing personal), so gunicorn's access log (full URLs with query strings, client
# addresses) stays off. gunicorn's own messages are JSON lines like the app's.
accesslog = None
errorlog = "-"
_JSON = {
    "()": "pythonjsonlogger.json.JsonFormatter",
    "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
    "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
}
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": _JSON},
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stderr",
        }
    },
    "root": {"level": "INFO", "handlers": ["stderr"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["stderr"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": [], "propagate": False},
    },
}
wsgi_app = "sm_portal.wsgi:application"
