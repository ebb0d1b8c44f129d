"""Admin: look, don't touch. Flags change only through the rollout commands and dashboard
(which record who, why and the audit entry); the audit log is append-only."""

from django.contrib import admin
from waffle.admin import FlagAdmin

from .models import AuditEvent, Flag


class ReadOnlyAdmin(admin.ModelAdmin):
    actions = None

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


if admin.site.is_registered(Flag):
    admin.site.unregister(Flag)


@admin.register(Flag)
class ReadOnlyFlagAdmin(ReadOnlyAdmin, FlagAdmin):
    actions = None


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "action", "actor", "target_type", "target_id", "request_id")
    list_filter = ("action", "target_type")
    search_fields = ("actor", "target_id", "request_id")
    date_hierarchy = "at"
