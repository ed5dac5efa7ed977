"""System administrators by role get every model permission (the admin asks for them);
the audit log stays read-only because its ModelAdmin refuses add/change/delete."""

from typing import Any

from django.contrib.auth.backends import BaseBackend

from org.permissions import is_system_admin


class SystemAdminBackend(BaseBackend):
    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        return is_system_admin(user_obj)

    def has_module_perms(self, user_obj: Any, app_label: str) -> bool:
        return is_system_admin(user_obj)
