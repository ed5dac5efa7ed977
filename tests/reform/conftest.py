"""A province P with communes X1, X2, a small commune framework and an open round."""

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from org.models import AdministrativeUnit, Role
from reform.models import Criterion, ScoringRound
from reform.services import framework_import, round_open
from tests.factories import member, province_with_communes

SMALL = {
    "code": "commune-2026",
    "name": "Chỉ số CCHC cấp xã 2026",
    "year": 2026,
    "level": "commune",
    "kind": "par",
    "total": 100,
    "bands": [{"min": 90, "label": "Xuất sắc"}, {"min": 0, "label": "Khá"}],
    "nodes": [
        {
            "code": "1",
            "name": "Chỉ đạo, điều hành",
            "max": 60,
            "children": [
                {"code": "1.1", "name": "Kế hoạch", "max": 40},
                {"code": "1.2", "name": "Báo cáo", "max": 20},
            ],
        },
        {
            "code": "2",
            "name": "Tác động",
            "max": 40,
            "children": [
                {
                    "code": "2.1",
                    "name": "Hài lòng chung",
                    "max": 40,
                    "leaf": "survey",
                    "component": "sipas.overall",
                    "rule": {"type": "linear", "scale": 1},
                }
            ],
        },
    ],
}


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return settings


@pytest.fixture
def province(db: None) -> AdministrativeUnit:
    return province_with_communes(("X1", "X2"))


@pytest.fixture
def x1(province: AdministrativeUnit) -> AdministrativeUnit:
    return AdministrativeUnit.objects.get(code="X1")


@pytest.fixture
def x2(province: AdministrativeUnit) -> AdministrativeUnit:
    return AdministrativeUnit.objects.get(code="X2")


@pytest.fixture
def scoring_round(province: AdministrativeUnit) -> ScoringRound:
    framework = framework_import(data=SMALL, actor="test")
    now = timezone.now()
    return round_open(
        framework=framework,
        code="cchc-2026",
        name="Chỉ số CCHC cấp xã 2026",
        year=2026,
        scope=province,
        self_score_deadline=now + dt.timedelta(days=10),
        appraisal_deadline=now + dt.timedelta(days=20),
        publication_date=now + dt.timedelta(days=30),
        actor="test",
    )


@pytest.fixture
def plan(scoring_round: ScoringRound) -> Criterion:
    return scoring_round.framework.criteria.get(code="1.1")


@pytest.fixture
def officer(x1: AdministrativeUnit) -> Any:
    return member("officer1", Role.OFFICER, x1)


@pytest.fixture
def appraiser(province: AdministrativeUnit) -> Any:
    return member("appraiser", Role.APPRAISER, province)


def past_deadline(scoring_round: ScoringRound) -> None:
    scoring_round.self_score_deadline = timezone.now() - dt.timedelta(minutes=1)
    scoring_round.save()
