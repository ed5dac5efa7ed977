"""Admin of org: the unit tree, memberships (audited), the audit log (read-only).

Only system administrators use the admin (org.permissions.may_use_admin): the site's
``has_permission`` and login form are replaced in org.apps.OrgConfig.ready.
"""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from org.models import AdministrativeUnit, AuditEntry, Membership, UnitLevel
from org.services import Action, audit_record


@admin.register(UnitLevel)
class UnitLevelAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "rank"]


@admin.register(AdministrativeUnit)
class AdministrativeUnitAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent", "valid_from", "valid_to"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    filter_horizontal = ["successors"]


def _state(membership: Membership) -> dict[str, Any]:
    return {
        "user": membership.user.get_username(),
        "role": membership.role,
        "unit": membership.unit.code,
    }


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "unit", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "unit__code", "unit__name"]
    autocomplete_fields = ["unit"]
    raw_id_fields = ["user"]

    def save_model(self, request: HttpRequest, obj: Membership, form: Any, change: bool) -> None:
        before = _state(Membership.objects.get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)
        if change:
            audit_record(
                actor=request.user,
                action=Action.ROLE_REVOKE,
                obj=obj,
                before=before,
                after=None,
                reason="admin",
                unit=obj.unit,
            )
        audit_record(
            actor=request.user,
            action=Action.ROLE_GRANT,
            obj=obj,
            before=None,
            after=_state(obj),
            reason="admin",
            unit=obj.unit,
        )

    def delete_model(self, request: HttpRequest, obj: Membership) -> None:
        audit_record(
            actor=request.user,
            action=Action.ROLE_REVOKE,
            obj=obj,
            before=_state(obj),
            after=None,
            reason="admin",
            unit=obj.unit,
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        # The bulk "delete selected" action: one entry per membership, then delete.
        for membership in queryset.select_related("user", "unit"):
            self.delete_model(request, membership)


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: no add, change or delete, whoever asks."""

    list_display = ["at", "actor_name", "action", "object_type", "object_label", "unit"]
    list_filter = ["action", "object_type"]
    search_fields = ["actor_name", "object_id", "object_label", "reason"]
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
