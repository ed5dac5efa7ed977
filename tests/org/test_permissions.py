"""Scopes: a membership covers its unit's subtree; capabilities follow the role table."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser

from org.models import AdministrativeUnit, Role
from org.permissions import (
    CAPABILITY_ROLES,
    Capability,
    is_system_admin,
    may_design,
    may_export_raw_answers,
    may_see_unpublished,
    may_start_run,
    units_in_scope,
)
from survey.models import Response
from tests.factories import member

pytestmark = pytest.mark.django_db


def _ids(*units: AdministrativeUnit) -> frozenset[int]:
    return frozenset(u.pk for u in units)


def test_a_membership_covers_the_unit_and_everything_below(province, x1, x2) -> None:
    statistician = member("s", Role.STATISTICIAN, province)
    officer = member("o", Role.OFFICER, x1)

    assert units_in_scope(statistician, Capability.RAW_ANSWERS).unit_ids == _ids(province, x1, x2)
    assert units_in_scope(officer, Capability.RAW_ANSWERS).unit_ids == _ids(x1)


def test_an_officer_of_one_commune_may_not_export_the_other(province, x1, x2) -> None:
    officer = member("o", Role.OFFICER, x1)

    assert may_export_raw_answers(officer, x1) is True
    assert may_export_raw_answers(officer, x2) is False
    assert may_export_raw_answers(officer, province) is False
    assert may_start_run(officer, x1) is False
    assert may_see_unpublished(officer, x1) is False


def test_several_memberships_add_up(x1, x2) -> None:
    user = member("two", Role.OFFICER, x1)
    user.memberships.create(role=Role.OFFICER, unit=x2)

    assert units_in_scope(user, Capability.RAW_ANSWERS).unit_ids == _ids(x1, x2)


def test_superusers_and_sysadmins_hold_everything_everywhere(x1, x2) -> None:
    superuser = get_user_model().objects.create_superuser("root", "r@example.org", "x")
    sysadmin = member("admin", Role.SYSADMIN, x1)

    for user in (superuser, sysadmin):
        assert is_system_admin(user) is True
        for capability in Capability:
            assert units_in_scope(user, capability).everything is True
        assert may_export_raw_answers(user, x2) is True


def test_anonymous_and_role_less_users_hold_nothing(province) -> None:
    plain = get_user_model().objects.create_user("plain", password="x")

    for user in (AnonymousUser(), plain):
        assert is_system_admin(user) is False
        assert may_design(user) is False
        assert not units_in_scope(user, Capability.RAW_ANSWERS)


def test_an_inactive_user_holds_nothing(x1) -> None:
    user = member("gone", Role.STATISTICIAN, x1, is_active=False)

    assert not units_in_scope(user, Capability.RAW_ANSWERS)


def test_design_is_system_wide_for_designers(x1) -> None:
    designer = member("d", Role.DESIGNER, x1)

    assert units_in_scope(designer, Capability.DESIGN).everything is True
    assert not units_in_scope(designer, Capability.RAW_ANSWERS)


def test_the_role_table(province) -> None:
    holders = {c: sorted(r.value for r in roles) for c, roles in CAPABILITY_ROLES.items()}

    assert holders == {
        Capability.DESIGN: ["designer", "sysadmin"],
        Capability.RAW_ANSWERS: ["officer", "statistician", "sysadmin"],
        Capability.RUNS: ["statistician", "sysadmin"],
        Capability.UNPUBLISHED: ["statistician", "sysadmin"],
        Capability.DASHBOARDS: ["appraiser", "leader", "officer", "statistician", "sysadmin"],
        Capability.SELF_SCORE: ["officer", "sysadmin"],
        Capability.APPRAISE: ["appraiser", "sysadmin"],
        Capability.AUDIT: ["sysadmin"],
        Capability.ADMIN: ["sysadmin"],
    }


def test_a_scope_filters_inside_the_query_with_two_lookups(
    province, x1, django_assert_num_queries
) -> None:
    officer = member("o", Role.OFFICER, x1)
    officer = get_user_model().objects.get(pk=officer.pk)  # nothing cached yet

    with django_assert_num_queries(3):  # memberships, the tree, then the filtered rows
        rows = units_in_scope(officer, Capability.RAW_ANSWERS).filter(Response.objects.all())
        assert list(rows) == []
    with django_assert_num_queries(1):  # the scope is cached on the user
        list(units_in_scope(officer, Capability.RAW_ANSWERS).filter(Response.objects.all()))


def test_the_tree_is_read_once_per_request_for_every_capability(
    province, django_assert_num_queries
) -> None:
    statistician = member("s", Role.STATISTICIAN, province)
    statistician = get_user_model().objects.get(pk=statistician.pk)

    with django_assert_num_queries(2):  # the memberships, the tree
        scopes = [units_in_scope(statistician, c) for c in Capability]

    assert [bool(s) for s in scopes] == [
        capability
        in {Capability.RAW_ANSWERS, Capability.RUNS, Capability.UNPUBLISHED, Capability.DASHBOARDS}
        for capability in Capability
    ]
