"""URLconf for bench/pages.py: the project's URLs plus one minimal signed-in view.

The minimal view is the yardstick for "a flow page costs at most 3x a minimal signed-in
Django view that renders a template": it goes through the same middleware (session,
sign-in, CSRF, CSP, flags) and renders a template that extends the same base layout, with
no data of its own.
"""

from django.http import HttpResponse
from django.template import engines
from django.urls import path

from sm_portal import urls as project_urls

MINIMAL_PATH = "/bench/minimal/"

_TEMPLATE = engines["django"].from_string(
    '{% extends "base.html" %}{% block title %}Bench{% endblock %}'
    '{% block content %}<h1 tabindex="-1">Hello, {{ user.username }}</h1>'
    "<p>A minimal signed-in page.</p>{% endblock %}"
)


def minimal(request):
    return HttpResponse(_TEMPLATE.render({}, request))


urlpatterns = [
    path(MINIMAL_PATH.strip("/") + "/", minimal, name="bench-minimal"),
    *project_urls.urlpatterns,
]

# The project's error handlers (handler404, handler500, ...), whichever it defines.
globals().update(
    {name: value for name, value in vars(project_urls).items() if name.startswith("handler")}
)
