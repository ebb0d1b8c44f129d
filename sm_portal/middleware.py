"""One log line per request: method, route, status and time, with the request id (added by
the logging filter). No query string, user, address or user agent: nothing personal."""

import logging
import time

log = logging.getLogger("sm_portal.request")


class RequestLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        log.info(
            "request",
            extra={
                "method": request.method,
                # The URL pattern, not the path: ids stay out of the logs too.
                "route": f"/{match.route}" if match else None,
                "view": match.view_name if match else None,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )
        return response
