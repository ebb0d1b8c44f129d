from django.conf import settings


def site(request):
    """What the base layout needs on every page."""
    return {
        "DEMO_SIGN_IN": settings.DEMO_SIGN_IN,
        "SM_ENVIRONMENT": settings.SM_ENVIRONMENT,
        "qa_banner": _qa_banner(request),
    }


def _qa_banner(request) -> str | None:
    """The test-account banner (qa.md): only a test veteran with overrides has one."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    from messaging.qa.selectors import banner_for

    return banner_for(user)
