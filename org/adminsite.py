"""The admin belongs to system administrators (superusers or the sysadmin role), not to
every ``is_staff`` account: the one rule lives in org.permissions.may_use_admin."""

from django import forms
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.http import HttpRequest

from org.permissions import may_use_admin


class SystemAdminLoginForm(AdminAuthenticationForm):
    def confirm_login_allowed(self, user) -> None:  # type: ignore[no-untyped-def]
        if not user.is_active or not may_use_admin(user):
            raise forms.ValidationError(
                self.error_messages["invalid_login"],
                code="invalid_login",
                params={"username": self.username_field.verbose_name},
            )


def _has_permission(request: HttpRequest) -> bool:
    return may_use_admin(request.user)


def restrict_admin() -> None:
    admin.site.has_permission = _has_permission  # type: ignore[method-assign]
    admin.site.login_form = SystemAdminLoginForm
