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
        # The URL pattern, not the path: ids stay out of the logs too.
        route = f"/{match.route}" if match else None
        duration_ms = round((time.perf_counter() - started) * 1000, 1)
        log.info(
            "%s %s %s %sms",
            request.method,
            route or "(no route)",
            response.status_code,
            duration_ms,
            extra={
                "method": request.method,
                "route": route,
                "view": match.view_name if match else None,
                "status": response.status_code,
                "duration_ms": duration_ms,
            },
        )
        return response


class NoStoreForSignedInMiddleware:
    """`Cache-Control: no-store, private` on every response to a signed-in user (pages, API,
    attachment downloads, the API docs): nothing with health data stays in a browser's or a
    proxy's cache. A user signed in by an API token counts too (DRF sets it on the request
    before the response comes back through here). Static files never get here (WhiteNoise
    answers them earlier, with their year-long cache)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # The session's user, and the one DRF may put in its place (a token's; or nobody, on
        # an endpoint that takes only tokens): either signed in marks the response.
        session_user = getattr(request, "user", None)
        response = self.get_response(request)
        users = (session_user, getattr(request, "user", None))
        if any(user is not None and user.is_authenticated for user in users):
            # Replace whatever a view set (max-age, public...): no-store alone is the rule.
            response["Cache-Control"] = "no-store, private"
            response["Pragma"] = "no-cache"
            if "Expires" in response:
                del response["Expires"]
        return response
