from django.apps import AppConfig


class SmPortalConfig(AppConfig):
    name = "sm_portal"
    verbose_name = "sm_portal"

    def ready(self):
        from . import lockout  # noqa: F401 - connects the sign-in lockout receivers
