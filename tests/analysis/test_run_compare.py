"""Runs are reproducible and comparable: the same inputs give identical rows and the
same fingerprint; a new answer changes the answers input and the estimates it moves.
The nightly refresh starts a run of every open round once."""

import datetime as dt

import pytest
from django.utils import timezone

from analysis.models import AnalysisRun, SurveyRound
from analysis.tasks import analysis_run_execute, rounds_refresh
from org.models import AdministrativeUnit, Role
from survey.models import Response
from tests.factories import (
    province_with_communes,
    signed_in,
    sipas_answers,
    sipas_version,
    survey_round,
)

pytestmark = pytest.mark.django_db

ROWS = ("statistic", "component", "unit_id", "domain_value", "estimate", "se", "ci_low", "n")


def _answer(version, unit, rating, at):
    Response.objects.create(
        version=version,
        unit=unit,
        sector="land",
        channel="counter",
        answers=sipas_answers(rating),
        submitted_at=at,
    )


def _run(round_) -> AnalysisRun:
    run = AnalysisRun.objects.create(round=round_)
    analysis_run_execute(run.pk)  # the task's own code, in this process
    run.refresh_from_db()
    assert run.status == "succeeded", run.error
    return run


@pytest.fixture
def round_():
    version = sipas_version()
    round_ = survey_round(province_with_communes(("X1", "X2")), version)
    round_.publication = {"min_n": 0}
    round_.save()
    for code, ratings in (("X1", [5, 4, 2]), ("X2", [3, 5])):
        unit = AdministrativeUnit.objects.get(code=code)
        for rating in ratings:
            _answer(version, unit, rating, round_.period_start)
    return round_


def test_the_same_inputs_give_identical_rows(round_):
    first, second = _run(round_), _run(round_)

    assert first.fingerprint == second.fingerprint
    assert first.inputs == second.inputs
    assert list(first.estimates.order_by(*ROWS[:4]).values_list(*ROWS)) == list(
        second.estimates.order_by(*ROWS[:4]).values_list(*ROWS)
    )


def test_a_comparison_says_what_changed_and_by_how_much(round_):
    first = _run(round_)
    x2 = AdministrativeUnit.objects.get(code="X2")
    _answer(round_.questionnaire.versions.get(), x2, 1, round_.period_start)
    second = _run(round_)
    stat = signed_in("stat", Role.STATISTICIAN, round_.scope)

    reply = stat.get(f"/api/v1/runs/{second.pk}/compare/")

    assert reply.status_code == 200
    body = reply.json()
    assert (body["run"], body["earlier"], body["inputs_changed"]) == (
        second.pk,
        first.pk,
        ["answers"],
    )
    moved = {(r["unit"], r["component"]): r for r in body["changed"]}
    access = moved[("X2", "sipas.access")]
    assert (access["before"], access["after"], access["n_before"], access["n_after"]) == (
        0.5,
        pytest.approx(1 / 3),
        2,
        3,
    )
    assert access["delta"] == pytest.approx(1 / 3 - 0.5)
    assert not any(unit == "X1" for unit, _c in moved)  # X1's answers did not change
    assert body["unchanged"] > 0


def test_a_comparison_outside_the_scope_is_absent(round_):
    run = _run(round_)
    elsewhere = AdministrativeUnit.objects.create(code="Q", name="Q", level=round_.scope.level)

    reply = signed_in("s", Role.STATISTICIAN, elsewhere).get(f"/api/v1/runs/{run.pk}/compare/")

    assert reply.status_code == 404


def test_the_nightly_refresh_runs_open_rounds_once(round_):
    SurveyRound.objects.create(
        code="old",
        name="Old",
        questionnaire=round_.questionnaire,
        scope=round_.scope,
        period_start=timezone.now() - dt.timedelta(days=400),
        period_end=timezone.now() - dt.timedelta(days=300),
    )
    round_.period_end = timezone.now() + dt.timedelta(days=30)
    round_.period_start = timezone.now() - dt.timedelta(days=30)
    round_.save()

    started = rounds_refresh()
    again = rounds_refresh()  # the first run is still queued: left alone

    assert (started, again) == (1, 0)
    assert list(AnalysisRun.objects.values_list("round__code", flat=True)) == [round_.code]
