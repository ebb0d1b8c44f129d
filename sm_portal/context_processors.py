from django.conf import settings


def site(request):
    """What the base layout needs on every page."""
    return {"DEMO_SIGN_IN": settings.DEMO_SIGN_IN}
