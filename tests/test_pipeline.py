"""The whole path: register transactions → answer on the one-time links → Celery run →
published estimates. In CI this runs on PostgreSQL with a real Celery worker process."""

import math
import time

import pytest
from django.test import Client

from analysis.models import AnalysisRun, Estimate
from analysis.services import analysis_run_start
from org.models import Role
from survey.models import Response
from tests.factories import (
    province_with_communes,
    signed_in,
    sipas_answers,
    sipas_version,
    survey_round,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def _register(client: Client, external_id: str, unit: str) -> str:
    reply = client.post(
        "/api/v1/transactions/",
        {
            "external_id": external_id,
            "unit": unit,
            "procedure": "1.001",
            "sector": "land",
            "channel": "counter",
            "completed_at": "2026-03-02T09:30:00+07:00",
        },
        content_type="application/json",
    )
    assert reply.status_code == 201, reply.content
    return reply.json()["survey_url"].split("127.0.0.1:8000", 1)[-1]


def _answer(path: str, rating: int) -> int:
    form = Client().post(path, sipas_answers(rating))
    return form.status_code


def _wait(run: AnalysisRun, seconds: float = 60) -> AnalysisRun:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if run.status in {AnalysisRun.Status.SUCCEEDED, AnalysisRun.Status.FAILED}:
            return run
        time.sleep(0.2)
    raise AssertionError(f"run {run.pk} still {run.status}")


def test_transaction_to_published_estimate(celery_worker: object) -> None:
    # given a published SIPAS questionnaire, a province with two communes, a round
    version = sipas_version()
    province = province_with_communes(("X1", "X2"))
    round_ = survey_round(province, version)
    # Four answers: publish every cell (the default rule would suppress n < 30).
    round_.publication = {"min_n": 1, "max_rse": None}
    round_.save()
    system = signed_in("one-stop", Role.OFFICER, province)

    # when the one-stop shop registers 4 transactions in X1 and 2 in X2 …
    x1 = [_register(system, f"X1-{i}", "X1") for i in range(4)]
    x2 = [_register(system, f"X2-{i}", "X2") for i in range(2)]
    # … and citizens answer: X1 one very satisfied, one dissatisfied; X2 both satisfied
    assert [_answer(x1[0], 5), _answer(x1[1], 2), _answer(x2[0], 4), _answer(x2[1], 4)] == [302] * 4
    # a second submission on a used link is refused and changes nothing
    before = list(Response.objects.values_list("id", "answers"))
    assert _answer(x1[0], 1) == 409
    assert list(Response.objects.values_list("id", "answers")) == before

    run = _wait(analysis_run_start(survey_round=round_))

    # then the weighted element index and its SE are published
    assert run.status == AnalysisRun.Status.SUCCEEDED, run.error
    assert run.n_responses == 4
    reply = Client().get("/api/v1/estimates/", {"component": "sipas.access"})
    assert reply.status_code == 200
    rows = {row["unit"]: row for row in reply.json()["results"]}
    assert set(rows) == {"P", "X1", "X2"}
    # X1: weights 4/2; R = 0.5; SE² = (1 − 2/4)·2/1·Σ(z − z̄)² with z = ±0.25
    assert rows["X1"]["estimate"] == pytest.approx(0.5, rel=1e-12)
    assert rows["X1"]["se"] == pytest.approx(math.sqrt(0.125), rel=1e-12)
    # X2: every transaction answered (fpc = 0): no sampling error
    assert rows["X2"]["estimate"] == pytest.approx(1.0, rel=1e-12)
    assert rows["X2"]["se"] == pytest.approx(0.0, abs=1e-12)
    # province: (2·4 + 0 + 4 + 4) / (2·4 + 2·4 + 4 + 4) = 2/3, SE² = 1/18
    assert rows["P"]["estimate"] == pytest.approx(2 / 3, rel=1e-12)
    assert rows["P"]["se"] == pytest.approx(math.sqrt(1 / 18), rel=1e-12)
    assert rows["P"]["n"] == 4
    # no one gave feedback, so the feedback element has no estimate anywhere
    assert Estimate.objects.filter(run=run, statistic="element_index").count() == 3 * 5
    assert Estimate.objects.filter(run=run, statistic="overall").count() == 3
    assert not Estimate.objects.filter(component="sipas.feedback").exists()
    assert Client().get("/results/").status_code == 200


def test_unpublished_round_is_hidden_from_anonymous_readers(celery_worker: object) -> None:
    version = sipas_version()
    province = province_with_communes(("X1",))
    round_ = survey_round(province, version, published=False)
    staff = signed_in("statistician", Role.STATISTICIAN, province)
    path = _register(staff, "T-1", "X1")
    assert _answer(path, 5) == 302

    run = _wait(analysis_run_start(survey_round=round_))

    assert run.status == AnalysisRun.Status.SUCCEEDED
    assert Client().get("/api/v1/estimates/").json()["count"] == 0
    assert staff.get("/api/v1/estimates/").json()["count"] == 2 * (5 + 1)


def test_published_estimates_export_as_utf8_csv(celery_worker: object) -> None:
    import csv
    import io

    version = sipas_version()
    province = province_with_communes(("X1",))
    round_ = survey_round(province, version)
    round_.publication = {"min_n": 1, "max_rse": None}
    round_.save()
    staff = signed_in("stat", Role.STATISTICIAN, province)
    assert _answer(_register(staff, "T-1", "X1"), 5) == 302
    _wait(analysis_run_start(survey_round=round_))

    reply = Client().get("/results/export.csv", {"round": "r1"})

    assert reply.status_code == 200
    text = reply.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[0][:2] == ["Mã đơn vị", "Đơn vị"]
    assert len(rows) == 1 + 2 * (5 + 1)  # five elements and the overall index, two units
    assert {r[1] for r in rows[1:]} == {"Tỉnh Thử Nghiệm", "Xã X1"}
    assert Client().get("/results/export.csv", {"round": "nope"}).status_code == 404
