from messaging.compose import flow


class FlowStateMiddleware:
    """Leaving the flow (for anything but its own pages, the contact list or the help page)
    clears its state; the saved draft itself stays in Drafts."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if (
            match is not None
            and match.namespace == "messaging"
            and match.url_name not in flow.FLOW_URL_NAMES
            and hasattr(request, "session")
            and flow.SESSION_KEY in request.session
        ):
            flow.clear(request)
        return None
