"""Starting analysis runs: from the API, the admin and the command line."""

import time

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client

from analysis.models import AnalysisRun
from survey.services import response_submit, transaction_register
from tests.factories import province_with_communes, sipas_answers, sipas_version, survey_round

pytestmark = pytest.mark.django_db(transaction=True)


def _round_with_one_answer():
    version = sipas_version()
    province = province_with_communes(("X1",))
    round_ = survey_round(province, version)
    registration = transaction_register(
        external_id="T1",
        unit=province.children.get(),
        procedure_code="p",
        sector="land",
        channel="counter",
        completed_at=round_.period_start,
    )
    response_submit(token=registration.invitation.token, answers=sipas_answers(5))
    return round_


def _staff() -> Client:
    client = Client()
    client.force_login(get_user_model().objects.create_superuser("stat", "s@example.org", "x"))
    return client


def test_staff_start_a_run_through_the_api_and_read_it(celery_worker):
    round_ = _round_with_one_answer()
    staff = _staff()

    started = staff.post(f"/api/v1/rounds/{round_.code}/runs/")

    assert started.status_code == 202
    run = AnalysisRun.objects.get(pk=started.json()["id"])
    for _ in range(300):
        run.refresh_from_db()
        if run.status == AnalysisRun.Status.SUCCEEDED:
            break
        time.sleep(0.1)
    detail = staff.get(f"/api/v1/runs/{run.pk}/").json()
    assert detail["status"] == "succeeded"
    assert detail["n_responses"] == 1
    assert [
        r["id"] for r in staff.get(f"/api/v1/rounds/{round_.code}/runs/").json()["results"]
    ] == [run.pk]


def test_anonymous_and_unknown_rounds_are_refused():
    round_ = _round_with_one_answer()

    assert Client().post(f"/api/v1/rounds/{round_.code}/runs/").status_code == 403
    assert _staff().post("/api/v1/rounds/nope/runs/").status_code == 404
    assert not AnalysisRun.objects.exists()


def test_admin_action_starts_a_run(celery_worker):
    round_ = _round_with_one_answer()

    page = _staff().post(
        "/admin/analysis/surveyround/",
        {"action": "run_analysis", "_selected_action": [round_.pk]},
        follow=True,
    )

    assert page.status_code == 200
    assert AnalysisRun.objects.filter(round=round_).count() == 1


def test_command_runs_and_waits(celery_worker, capsys):
    round_ = _round_with_one_answer()

    call_command("analysis_run", round_.code)

    # 5 elements answered (no feedback given) × 2 units (the commune and its province)
    # in the project's language, like grant / revoke (QA: this one spoke English)
    assert "Thành công, 1 phiếu trả lời, 12 ước lượng" in capsys.readouterr().out
    with pytest.raises(CommandError, match="Không có đợt khảo sát nope"):
        call_command("analysis_run", "nope")
