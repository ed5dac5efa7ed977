"""A small tree for org tests: province P with communes X1, X2 (tests.factories)."""

from typing import Any

import pytest

from org.models import AdministrativeUnit
from tests.factories import province_with_communes


@pytest.fixture
def province(db: None) -> AdministrativeUnit:
    return province_with_communes(("X1", "X2"))


@pytest.fixture
def x1(province: AdministrativeUnit) -> Any:
    return AdministrativeUnit.objects.get(code="X1")


@pytest.fixture
def x2(province: AdministrativeUnit) -> Any:
    return AdministrativeUnit.objects.get(code="X2")
