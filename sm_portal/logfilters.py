"""Logging filters."""

from __future__ import annotations

import logging
import threading
import time


class Throttle(logging.Filter):
    """At most one record per (logger, message) every `seconds`; the next one that passes
    says how many were dropped. A Redis outage makes django-redis log every ignored
    exception (hundreds a second under load): one line every 30 s says the same."""

    def __init__(self, seconds: float = 30.0):
        super().__init__()
        self.seconds = seconds
        self._lock = threading.Lock()
        self._last: dict[tuple[str, str], tuple[float, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.name, str(record.msg))
        now = time.monotonic()
        with self._lock:
            last, dropped = self._last.get(key, (float("-inf"), 0))
            if now - last < self.seconds:
                self._last[key] = (last, dropped + 1)
                return False
            self._last[key] = (now, 0)
        if dropped:
            record.dropped = dropped  # a field of its own in JSON logs
        return True
