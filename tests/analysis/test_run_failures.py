"""A run that cannot be weighted fails at once, with a reason the statistician can act on
(QA: the reason was the Python repr "WeightingError('no margin uploaded for sex')", and a
frame matching none of the answered cells gave a "succeeded" run of unweighted estimates)."""

import contextlib

import pytest

from analysis.models import AnalysisRun, FrameCell
from analysis.tasks import analysis_run_execute
from analysis.weighting import WeightingError
from org.models import AdministrativeUnit, Role
from tests.analysis.test_round_instrument import _answers, _file, _run
from tests.factories import province_with_communes, signed_in, sipas_version, survey_round

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def round_():
    return survey_round(province_with_communes(("X1", "X2")), sipas_version())


@pytest.fixture
def stat(round_):
    return signed_in("stat", Role.STATISTICIAN, round_.scope)


def _start(stat, round_):
    """Start a run through the API, then run its task here (with a broker configured the
    task would wait in the queue; its code is the same)."""
    reply = stat.post(f"/api/v1/rounds/{round_.code}/runs/")
    assert reply.status_code == 202, reply.content
    run = AnalysisRun.objects.get(pk=reply.json()["id"])
    if run.status == "queued":
        with contextlib.suppress(Exception):  # the task re-raises after recording the failure
            analysis_run_execute(run.pk)
    return run


def test_a_rake_on_a_margin_never_uploaded_fails_with_a_readable_reason(round_, stat, caplog):
    _answers(round_, [("X1", "land", "female", "35-44", 5), ("X2", "land", "male", "18-24", 4)])
    reply = stat.put(
        f"/api/v1/rounds/{round_.code}/instrument/",
        {"weighting": [{"step": "rake", "margins": ["sex"]}]},
        content_type="application/json",
    )
    assert reply.status_code == 200, reply.content

    run = _start(stat, round_)
    run.refresh_from_db()

    assert run.status == "failed"
    assert run.error.startswith("Chưa tải lên tổng biên cho sex")
    assert "WeightingError" not in run.error
    # an expected failure, not a crash: no traceback in the log (manage.py analysis_run
    # printed one before its message)
    assert not [r for r in caplog.records if r.exc_info]


def _frame(round_, cells):
    units = {u.code: u for u in AdministrativeUnit.objects.all()}
    for code, sector, count in cells:
        FrameCell.objects.create(
            round=round_, unit=units[code], sector=sector, count=count, source="upload"
        )


def test_a_frame_that_matches_no_answered_cell_fails_the_run(round_, stat):
    _answers(round_, [("X1", "land", "female", "35-44", 5), ("X2", "land", "male", "18-24", 4)])
    refused = stat.post(
        f"/api/v1/rounds/{round_.code}/frame/",
        {"file": _file("f.csv", "unit,sector,count\nX1,tu-phap,100\nX2,tu-phap,60\n")},
    )
    # an upload's sectors are checked now; a frame stored before that still fails the run
    assert refused.status_code == 400
    assert [(e["row"], e["column"]) for e in refused.json()["errors"]] == [
        (2, "sector"),
        (3, "sector"),
    ]
    _frame(round_, [("X1", "tu-phap", 100), ("X2", "tu-phap", 60)])

    with pytest.raises(WeightingError, match="covers none"):
        _run(round_)
    run = _start(stat, round_)
    run.refresh_from_db()

    assert run.status == "failed"
    assert run.error.startswith("Khung mẫu không khớp với ô nào trong 2 ô")
    assert not run.estimates.exists()


def test_a_frame_that_matches_some_cells_still_runs(round_, stat):
    _answers(round_, [("X1", "land", "female", "35-44", 5), ("X2", "land", "male", "18-24", 4)])
    _frame(round_, [("X1", "land", 100), ("X2", "tu-phap", 60)])

    assert _run(round_).diagnostics["cells"]["without_frame"] == 1
