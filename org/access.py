"""org.permissions applied to views: a DRF permission class and a page decorator.

Both only ask "does the user hold this capability somewhere"; the view then filters
its query by ``units_in_scope`` so an out-of-scope object is a 404.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from rest_framework import permissions

from org.permissions import Capability, has_capability, roles_of


def capability(needed: Capability) -> type[permissions.BasePermission]:
    """A DRF permission class: signed in and holding ``needed`` somewhere."""

    class HasCapability(permissions.BasePermission):
        def has_permission(self, request: Any, view: Any) -> bool:
            return has_capability(request.user, needed)

    HasCapability.__name__ = f"Has{needed.name.title().replace('_', '')}"
    return HasCapability


class HasAnyRole(permissions.BasePermission):
    """Signed in with at least one role (a superuser counts)."""

    def has_permission(self, request: Any, view: Any) -> bool:
        return bool(roles_of(request.user))


def capability_required(needed: Capability) -> Callable[[Any], Any]:
    """For pages: anonymous visitors go to the login page, others without ``needed`` get
    403 (the page exists for everyone; what it lists is filtered by scope)."""

    def decorator(view: Any) -> Any:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_capability(request.user, needed):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
