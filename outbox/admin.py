from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from outbox.models import OutboxMessage
from outbox.services import outbox_relay


class PendingFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "pending"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("1", _("Pending")), ("0", _("Sent"))]

    def queryset(self, request: HttpRequest, queryset: Any) -> Any:
        if self.value() in {"0", "1"}:
            return queryset.filter(sent_at__isnull=self.value() == "1")
        return queryset


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    """Read-only: messages are written by services and published by the relay."""

    list_display = ["id", "task", "created_at", "sent_at", "attempts", "last_error"]
    list_filter = [PendingFilter, "task"]
    actions = ["relay_now"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("Publish every pending message now"))
    def relay_now(self, request: HttpRequest, queryset: Any) -> None:
        published = outbox_relay()
        self.message_user(
            request, _("%(n)d messages published.") % {"n": published}, messages.SUCCESS
        )
