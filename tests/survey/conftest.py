"""Fixtures of the collection tests: a published SIPAS version, a small unit tree."""

import datetime as dt
import os
from typing import Any

import pytest
from django.core.cache import cache

from org.models import AdministrativeUnit
from survey.services import Registration, transaction_register
from tests.factories import province_with_communes, sipas_answers, sipas_version

# Playwright's sync API runs an event loop in the test thread; the ORM calls the browser
# test makes between page actions are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()  # rate-limit windows must not leak between tests


@pytest.fixture
def version(db: None) -> Any:
    return sipas_version()


@pytest.fixture
def province(db: None) -> AdministrativeUnit:
    return province_with_communes(("X1", "X2"))


@pytest.fixture
def x1(province: AdministrativeUnit) -> AdministrativeUnit:
    return AdministrativeUnit.objects.get(code="X1")


@pytest.fixture
def x2(province: AdministrativeUnit) -> AdministrativeUnit:
    return AdministrativeUnit.objects.get(code="X2")


COMPLETED = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)


def register(unit: AdministrativeUnit, external_id: str = "T-1", **extra: Any) -> Registration:
    return transaction_register(
        external_id=external_id,
        unit=unit,
        procedure_code="1.001",
        sector="land",
        channel="counter",
        completed_at=COMPLETED,
        **extra,
    )


def answers(rating: int = 4, **extra: Any) -> dict[str, Any]:
    return {**sipas_answers(rating), **extra}
