"""The signed-in user's own sessions: "sign out everywhere".

Sessions live in the database (Django's default engine); a user's are found by
decoding the live ones, which stays cheap for a staff tool's few hundred sessions and
needs no extra table. A password change ends the other sessions by itself (Django
checks the password hash stored in each session).
"""

from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.decorators import login_required
from django.contrib.sessions.models import Session
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods


@transaction.atomic
def user_sessions_end(*, user: AbstractBaseUser) -> int:
    """Delete every live session of ``user``; returns how many were ended."""
    user_id = str(user.pk)
    ended = [
        session.pk
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if str(session.get_decoded().get(SESSION_KEY)) == user_id
    ]
    Session.objects.filter(pk__in=ended).delete()
    return len(ended)


@login_required
@require_http_methods(["GET", "POST"])
def logout_everywhere(request: HttpRequest) -> HttpResponse:
    """GET asks to confirm; POST ends all the user's sessions, this one included."""
    if request.method == "POST":
        count = user_sessions_end(user=request.user)  # type: ignore[arg-type]
        logout(request)
        messages.success(
            request, _("Signed out of %(count)d sessions on every device.") % {"count": count}
        )
        return redirect("login")
    return render(request, "account/logout_everywhere.html")
