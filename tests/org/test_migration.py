"""The unit tree moved from survey to org without losing a row or a relation."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from analysis.models import Estimate, SurveyRound
from org.models import AdministrativeUnit, UnitLevel
from survey.models import ApiClient, Response, ServiceTransaction

BEFORE = [
    ("survey", "0004_import_report_blank"),
    ("analysis", "0001_initial"),
    ("org", None),
]


def _migrate(targets: list[tuple[str, str | None]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor


@pytest.mark.django_db(transaction=True)
def test_units_transactions_and_responses_survive_the_move_to_org() -> None:
    # given the schema before org existed, holding a merged commune, a transaction,
    # a response, an API key, a round and an estimate (historical models)
    executor = _migrate(BEFORE)
    old = executor.loader.project_state(BEFORE[:2]).apps
    level_model = old.get_model("survey", "UnitLevel")
    unit_model = old.get_model("survey", "AdministrativeUnit")
    province_level = level_model.objects.create(code="province", name="Tỉnh", rank=0)
    commune_level = level_model.objects.create(code="commune", name="Xã", rank=2)
    province = unit_model.objects.create(code="P", name="Tỉnh P", level=province_level)
    merged = unit_model.objects.create(
        code="OLD",
        name="Xã Cũ",
        level=commune_level,
        parent=province,
        valid_to=dt.date(2025, 6, 30),
    )
    today = unit_model.objects.create(
        code="NEW",
        name="Xã Mới",
        level=commune_level,
        parent=province,
        valid_from=dt.date(2025, 7, 1),
    )
    merged.successors.add(today)
    questionnaire = old.get_model("questionnaires", "Questionnaire").objects.create(
        code="q", title="Q", draft={}
    )
    version = old.get_model("questionnaires", "QuestionnaireVersion").objects.create(
        questionnaire=questionnaire,
        number=1,
        definition={},
        content_hash="h",
        published_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
    )
    at = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
    old.get_model("survey", "ServiceTransaction").objects.create(
        external_id="T-1",
        unit=merged,
        procedure_code="p",
        sector="land",
        channel="counter",
        completed_at=at,
    )
    old.get_model("survey", "Response").objects.create(
        version=version,
        unit=merged,
        sector="land",
        channel="counter",
        answers={"q1": 5},
        submitted_at=at,
    )
    client = old.get_model("survey", "ApiClient").objects.create(
        name="one-stop", key_prefix="abc", key_hash="h"
    )
    client.units.add(province)
    survey_round = old.get_model("analysis", "SurveyRound").objects.create(
        code="r",
        name="R",
        questionnaire=questionnaire,
        scope=province,
        period_start=at,
        period_end=at,
    )
    run = old.get_model("analysis", "AnalysisRun").objects.create(round=survey_round)
    old.get_model("analysis", "Estimate").objects.create(
        run=run,
        unit=merged,
        component="e1",
        estimate=0.9,
        se=0.01,
        ci_low=0.88,
        ci_high=0.92,
        n=10,
    )

    # when the migrations run forward
    _migrate(executor.loader.graph.leaf_nodes())

    # then every row and relation reads through the org models
    assert list(UnitLevel.objects.values_list("code", flat=True)) == ["province", "commune"]
    assert list(AdministrativeUnit.objects.values_list("code", flat=True)) == ["P", "NEW", "OLD"]
    old_unit = AdministrativeUnit.objects.get(code="OLD")
    assert old_unit.parent.code == "P"
    assert old_unit.level.code == "commune"
    assert old_unit.valid_to == dt.date(2025, 6, 30)
    assert [u.code for u in old_unit.successors.all()] == ["NEW"]
    assert [u.code for u in AdministrativeUnit.objects.get(code="NEW").predecessors.all()] == [
        "OLD"
    ]
    assert ServiceTransaction.objects.get(external_id="T-1").unit == old_unit
    assert Response.objects.get().unit == old_unit
    assert Response.objects.get().answers == {"q1": 5}
    assert [u.code for u in ApiClient.objects.get().units.all()] == ["P"]
    assert SurveyRound.objects.get().scope.code == "P"
    assert Estimate.objects.get().unit == old_unit
