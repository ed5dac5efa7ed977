"""manage.py grant / revoke: the membership only (and its audit entry), idempotent,
exit code 2 and nothing written for an unknown user, role or unit."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from org.models import AuditEntry, Membership

pytestmark = pytest.mark.django_db


@pytest.fixture
def lan(province):
    return get_user_model().objects.create_user("lan", password="x")


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_grant_creates_the_membership_once(lan, x1) -> None:
    first = _run("grant", "lan", "officer", "X1")
    second = _run("grant", "lan", "officer", "X1")

    assert list(Membership.objects.values_list("user__username", "role", "unit__code")) == [
        ("lan", "officer", "X1")
    ]
    assert first.strip() == "Đã cấp quyền: lan là Cán bộ đơn vị của X1."
    assert second.strip() == "Đã có quyền: lan là Cán bộ đơn vị của X1."
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor_name, entry.unit.code) == (
        "role.grant",
        "manage.py grant",
        "X1",
    )
    assert entry.after == {"user": "lan", "role": "officer", "unit": "X1"}


def test_grant_creates_nothing_else(lan, x1) -> None:
    users, groups = get_user_model().objects.count(), lan.groups.count()

    _run("grant", "lan", "statistician", "P")

    assert get_user_model().objects.count() == users
    assert lan.groups.count() == groups
    lan.refresh_from_db()
    assert (lan.is_staff, lan.is_superuser, lan.user_permissions.count()) == (False, False, 0)


def test_revoke_removes_it_and_is_idempotent(lan, x1) -> None:
    _run("grant", "lan", "officer", "X1")

    first = _run("revoke", "lan", "officer", "X1", "--reason", "moved to X2")
    second = _run("revoke", "lan", "officer", "X1")

    assert Membership.objects.count() == 0
    assert first.strip() == "Đã thu hồi: lan không còn là Cán bộ đơn vị của X1."
    assert second.strip() == "Không có gì để thu hồi: lan không phải là Cán bộ đơn vị của X1."
    revoked = AuditEntry.objects.get(action="role.revoke")
    assert (revoked.before, revoked.after, revoked.reason) == (
        {"user": "lan", "role": "officer", "unit": "X1"},
        None,
        "moved to X2",
    )


@pytest.mark.parametrize("command", ["grant", "revoke"])
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("nobody", "officer", "X1"), "Không có người dùng: nobody"),
        (("lan", "mayor", "X1"), "Không có vai trò: mayor"),
        (("lan", "officer", "ZZ"), "Không có đơn vị hành chính: ZZ"),
    ],
)
def test_unknown_user_role_or_unit_exits_2_and_writes_nothing(
    lan, x1, command, args, message
) -> None:
    with pytest.raises(CommandError) as refused:
        call_command(command, *args)

    assert refused.value.returncode == 2
    assert str(refused.value).startswith(message)
    assert Membership.objects.count() == 0
    assert AuditEntry.objects.count() == 0
