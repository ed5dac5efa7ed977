"""Survey-based points from published estimates; totals, ranks, intervals, changes."""

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from analysis.models import AnalysisRun, Estimate
from org.models import AdministrativeUnit
from reform.models import Score, SurveyPoints
from reform.results import round_results
from reform.services import (
    framework_import,
    round_open,
    score_self_set,
    survey_points_refresh,
)
from tests.factories import sipas_version, survey_round


def _estimates(province, values: dict[str, tuple[float, float]], *, published: bool = True):
    survey = survey_round(province, sipas_version(), published=published)
    run = AnalysisRun.objects.create(
        round=survey, status=AnalysisRun.Status.SUCCEEDED, finished_at=timezone.now()
    )
    for code, (estimate, se) in values.items():
        Estimate.objects.create(
            run=run,
            unit=AdministrativeUnit.objects.get(code=code),
            component="sipas.overall",
            estimate=estimate,
            se=se,
            ci_low=estimate - 1.96 * se,
            ci_high=estimate + 1.96 * se,
            n=300,
        )
    return survey, run


def _score(scoring_round, unit, officer_points: dict[str, float], actor):
    for code, points in officer_points.items():
        score_self_set(
            scoring_round=scoring_round,
            unit=unit,
            criterion=scoring_round.framework.criteria.get(code=code),
            points=points,
            comment="",
            actor=actor,
        )


def test_survey_points_come_from_the_latest_published_run_with_its_estimate_and_se(
    scoring_round, province
):
    survey, run = _estimates(province, {"X1": (0.9, 0.02), "X2": (0.75, 0.03)})
    scoring_round.survey_round = survey
    scoring_round.save()

    written = survey_points_refresh(scoring_round=scoring_round, actor="test")

    rows = {p.unit.code: p for p in SurveyPoints.objects.select_related("unit", "estimate")}
    assert written == 2
    assert (rows["X1"].points, rows["X1"].se, rows["X1"].run_id) == (36.0, 0.02, run.pk)
    assert rows["X2"].estimate.estimate == 0.75
    assert rows["X2"].points == pytest.approx(30.0)


def test_an_unpublished_survey_gives_no_points(scoring_round, province):
    survey, _ = _estimates(province, {"X1": (0.9, 0.02)}, published=False)
    scoring_round.survey_round = survey
    scoring_round.save()

    assert survey_points_refresh(scoring_round=scoring_round, actor="test") == 0
    assert SurveyPoints.objects.count() == 0


def test_results_rank_units_with_intervals_in_a_fixed_number_of_queries(
    scoring_round, province, x1, x2, django_user_model
):
    from org.models import Role
    from tests.factories import member

    survey, _ = _estimates(province, {"X1": (0.9, 0.02), "X2": (0.5, 0.03)})
    scoring_round.survey_round = survey
    scoring_round.save()
    survey_points_refresh(scoring_round=scoring_round, actor="test")
    officer = member("o", Role.OFFICER, province)
    _score(scoring_round, x1, {"1.1": 38, "1.2": 19}, officer)
    _score(scoring_round, x2, {"1.1": 40}, officer)

    with CaptureQueriesContext(connection) as queries:
        results = round_results(scoring_round=scoring_round, draws=500)

    rows = [(r.unit.code, r.total, r.rank, r.band, r.complete) for r in results.rows]
    assert rows == [("X1", 93.0, 1, "Xuất sắc", True), ("X2", 60.0, 2, "Khá", False)]
    assert [(r.rank_low, r.rank_high) for r in results.rows] == [(1, 1), (2, 2)]
    assert results.rows[0].p_top == 1.0
    assert [(r.weight_low, r.weight_high) for r in results.rows] == [(1, 1), (2, 2)]
    assert results.rows[1].drop_one == {"1": 0, "2": 0}
    assert len(queries) <= 6


def test_a_round_without_survey_rescales_the_appraised_points(scoring_round, province, x1):
    from org.models import Role
    from tests.factories import member

    officer = member("o", Role.OFFICER, province)
    _score(scoring_round, x1, {"1.1": 36, "1.2": 18}, officer)

    results = round_results(scoring_round=scoring_round, draws=100)

    # 54 of the 60 appraised points: 54 / (100 − 40) × 100 = 90
    assert results.survey is False
    assert results.rows[0].total == 90.0
    assert results.rows[0].rank_low is None


def test_change_against_last_year_maps_a_merged_unit_through_its_predecessors(
    scoring_round, province, x1, x2
):
    from org.models import Role
    from tests.factories import member

    # given last year X1 (54 → 90) and X2 (48 → 80); this year X3 merges them
    officer = member("o", Role.OFFICER, province)
    _score(scoring_round, x1, {"1.1": 36, "1.2": 18}, officer)
    _score(scoring_round, x2, {"1.1": 30, "1.2": 18}, officer)
    x3 = AdministrativeUnit.objects.create(
        code="X3", name="Xã X3", level=x1.level, parent=province, valid_from=dt.date(2027, 1, 1)
    )
    AdministrativeUnit.objects.filter(pk__in=[x1.pk, x2.pk]).update(valid_to=dt.date(2026, 12, 31))
    x3.predecessors.set([x1, x2])
    now = timezone.now()
    this_year = round_open(
        framework=scoring_round.framework,
        code="cchc-2027",
        name="2027",
        year=2027,
        scope=province,
        self_score_deadline=now + dt.timedelta(days=1),
        appraisal_deadline=now + dt.timedelta(days=2),
        publication_date=now + dt.timedelta(days=3),
        actor="test",
        previous=scoring_round,
    )
    officer_2027 = member("o2027", Role.OFFICER, province)  # scopes are cached per user object
    _score(this_year, x3, {"1.1": 39, "1.2": 18}, officer_2027)  # 57 → 95

    results = round_results(scoring_round=this_year, draws=0)

    x3_row = next(r for r in results.rows if r.unit.code == "X3")
    # then X3 is the only unit of 2027, 10 points above the mean of X1 and X2 (85)
    assert [r.unit.code for r in results.rows] == ["X3"]
    assert x3_row.history == [85.0]
    assert (x3_row.change.points, x3_row.change.ranks) == (10.0, None)
    assert Score.objects.filter(round=this_year).count() == 2


def test_min_max_over_the_last_two_years_uses_last_years_values(province, x1, x2):
    from tests.reform.conftest import SMALL

    # given a min–max leaf over 2 years, last year's values 0.5 (X1) and 0.95 (X2)
    data = json.loads(json.dumps(SMALL))
    data["nodes"][1]["children"][0]["rule"] = {
        "type": "minmax",
        "direction": "positive",
        "years": 2,
    }
    framework = framework_import(data=data, actor="test")
    now = timezone.now()
    dates = dict(self_score_deadline=now, appraisal_deadline=now, publication_date=now)
    last = round_open(
        framework=framework,
        code="y2025",
        name="2025",
        year=2025,
        scope=province,
        actor="test",
        **dates,
    )
    survey, run = _estimates(province, {"X1": (0.9, 0.02), "X2": (0.7, 0.02)})
    leaf = framework.criteria.get(code="2.1")
    for unit, value in ((x1, 0.5), (x2, 0.95)):
        SurveyPoints.objects.create(
            round=last,
            unit=unit,
            criterion=leaf,
            run=run,
            estimate=Estimate.objects.get(unit=unit),
            value=value,
            se=0.02,
            points=0,
        )
    this = round_open(
        framework=framework,
        code="y2026",
        name="2026",
        year=2026,
        scope=province,
        actor="test",
        survey_round=survey,
        previous=last,
        **dates,
    )

    # when this year's estimates 0.9 and 0.7 are converted
    survey_points_refresh(scoring_round=this, actor="test")

    # then min and max are 0.5 and 0.95: (0.9 − 0.5) / 0.45 × 40 and (0.7 − 0.5) / 0.45 × 40
    points = dict(SurveyPoints.objects.filter(round=this).values_list("unit__code", "points"))
    assert points == pytest.approx({"X1": 35.5556, "X2": 17.7778}, abs=1e-4)
    results = round_results(scoring_round=this, draws=0)
    assert [r.domains[1] for r in results.rows] == [35.56, 17.78]


def test_the_simulation_is_cached_until_a_score_changes(
    scoring_round, province, x1, x2, monkeypatch
):
    from django.core.cache import cache

    import reform.results as results_module
    from org.models import Role
    from tests.factories import member

    cache.clear()  # other tests may have simulated the same inputs
    officer = member("o", Role.OFFICER, province)
    _score(scoring_round, x1, {"1.1": 36}, officer)
    first = round_results(scoring_round=scoring_round, draws=300)
    # count the simulations actually run (a spy: the real function still runs)
    runs: list[int] = []
    real = results_module._uncertainty
    monkeypatch.setattr(
        results_module, "_uncertainty", lambda *a, **kw: runs.append(1) or real(*a, **kw)
    )

    again = round_results(scoring_round=scoring_round, draws=300)
    _score(scoring_round, x2, {"1.1": 39}, officer)
    changed = round_results(scoring_round=scoring_round, draws=300)

    assert runs == [1]  # only after the change
    assert [r.weight_low for r in again.rows] == [r.weight_low for r in first.rows]
    assert [r.unit.code for r in changed.rows] == ["X2", "X1"]
