from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "messaging"
    verbose_name = "Secure messaging"

    def ready(self):
        from django.db.models.signals import post_migrate

        from .qa import setup

        setup.connect(self, post_migrate)
