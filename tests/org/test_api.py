"""Scoped lists cost a fixed number of queries, however many rows or units."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from org.models import AdministrativeUnit, Role, UnitLevel
from org.services import audit_record
from tests.factories import signed_in

pytestmark = pytest.mark.django_db


def _queries(client, url: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as captured:
        reply = client.get(url)
    assert reply.status_code == 200
    return len(captured), reply.json()["count"]


def _communes(province: AdministrativeUnit, first: int, last: int) -> list[AdministrativeUnit]:
    level = UnitLevel.objects.get(code="commune")
    return [
        AdministrativeUnit.objects.create(
            code=f"C{i}", name=f"Xã {i}", level=level, parent=province
        )
        for i in range(first, last)
    ]


def test_the_audit_list_of_a_statistician_takes_the_same_queries_for_3_or_30_rows(
    province,
) -> None:
    statistician = signed_in("thu", Role.STATISTICIAN, province)
    for unit in _communes(province, 0, 3):
        audit_record(actor="a", action="run.start", obj=unit, unit=unit)
    few = _queries(statistician, "/api/v1/audit/")

    for unit in _communes(province, 3, 30):
        audit_record(actor="a", action="run.start", obj=unit, unit=unit)
    many = _queries(statistician, "/api/v1/audit/")

    assert (few[1], many[1]) == (3, 30)
    assert few[0] == many[0]
