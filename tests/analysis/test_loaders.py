"""A round read from the extracts: only its units and period, cells and frame counts."""

import datetime as dt

import pytest

from analysis.extracts import extract_refresh
from analysis.loaders import round_frame, round_load, round_versions
from questionnaires.services import (
    library_definition,
    questionnaire_publish,
    questionnaire_save_draft,
)
from survey.models import AdministrativeUnit, Response, ServiceTransaction
from tests.factories import province_with_communes, sipas_answers, survey_round

pytestmark = pytest.mark.django_db

IN_PERIOD = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
BEFORE = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)


def _answer(version, unit, sector, rating, at=IN_PERIOD):
    return Response.objects.create(
        version=version,
        unit=unit,
        sector=sector,
        channel="counter",
        answers=sipas_answers(rating),
        submitted_at=at,
    )


def test_a_round_reads_its_units_period_and_versions():
    v1 = questionnaire_publish(
        questionnaire=questionnaire_save_draft(definition=library_definition("sipas"))
    )
    province = province_with_communes(("X1", "X2"))
    x1, x2 = (AdministrativeUnit.objects.get(code=c) for c in ("X1", "X2"))
    elsewhere = province_with_communes(("Y1",)) and AdministrativeUnit.objects.get(code="Y1")
    elsewhere.parent = None
    elsewhere.save()
    round_ = survey_round(province, v1)
    kept = [
        _answer(v1, x2, "land", 5),
        _answer(v1, x1, "justice", 2),
        _answer(v1, x1, "land", 4),
    ]
    _answer(v1, x1, "land", 5, at=BEFORE)  # outside the period
    _answer(v1, elsewhere, "land", 5)  # outside the scope
    changed = {**library_definition("sipas"), "title": {"vi": "Phiên bản 2", "en": "Version 2"}}
    v2 = questionnaire_publish(
        questionnaire=questionnaire_save_draft(definition=changed, questionnaire=v1.questionnaire)
    )
    kept.append(_answer(v2, x1, "land", 1))
    for n in range(6):
        ServiceTransaction.objects.create(
            external_id=f"T{n}",
            unit=x1,
            procedure_code="1",
            sector="land",
            channel="counter",
            completed_at=IN_PERIOD,
        )
    for version in round_versions(round_):
        extract_refresh(version=version)

    data = round_load(round_)

    assert len(round_versions(round_)) == 2
    assert data.leaf_unit.tolist() == [r.unit_id for r in kept]  # response-id order
    access = data.components.index("sipas.access")
    assert data.valid[:, access].tolist() == [4.0, 4.0, 4.0, 4.0]
    assert data.satisfied[:, access].tolist() == [4.0, 0.0, 4.0, 0.0]
    assert data.columns["sector"].tolist() == ["land", "justice", "land", "land"]
    assert data.columns["unit"].tolist() == [str(r.unit_id) for r in kept]
    assert data.items[0] == "a1" and data.values[:, 0].tolist() == [5.0, 2.0, 4.0, 1.0]
    assert round_frame(round_) == [
        ({"unit": str(x1.pk), "sector": "land", "channel": "counter"}, 6.0)
    ]
