"""A run's life: stages and timings, one at a time per round, and a worker killed
mid-run — the task is redelivered, the run shows "retrying", then finishes whole."""

import os
import signal
import subprocess
import sys
import threading
import time
import uuid

import pytest
from django.conf import settings
from django.db import connection, transaction

from analysis.models import AnalysisRun, Estimate
from analysis.services import RunInProgress, analysis_run_start
from questionnaires.models import QuestionnaireVersion
from tests.analysis.test_runs import _round_with_one_answer, _staff
from tests.conftest import ROOT, _database_url

pytestmark = pytest.mark.django_db(transaction=True)


def _wait(run: AnalysisRun, states: set[str], seconds: float = 60) -> AnalysisRun:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if run.status in states:
            return run
        time.sleep(0.1)
    raise AssertionError(f"run {run.pk} still {run.status} (waited for {states})")


def test_a_finished_run_shows_its_stages(celery_worker):
    round_ = _round_with_one_answer()

    run = _wait(analysis_run_start(survey_round=round_), {"succeeded", "failed"})

    assert run.status == "succeeded", run.error
    assert (run.stage, run.progress, run.attempts) == ("", 100, 1)
    assert set(run.timings) == {"extract", "load", "compute", "store"}
    assert all(seconds >= 0 for seconds in run.timings.values())
    assert run.started_at <= run.finished_at


def test_a_round_has_one_run_at_a_time():
    round_ = _round_with_one_answer()
    first = AnalysisRun.objects.create(round=round_)  # queued, no worker yet

    with pytest.raises(RunInProgress) as busy:
        analysis_run_start(survey_round=round_)
    reply = _staff().post(f"/api/v1/rounds/{round_.code}/runs/")

    assert busy.value.run == first
    assert reply.status_code == 409
    assert reply.json()["run"]["id"] == first.pk
    assert AnalysisRun.objects.count() == 1


def test_a_finished_run_makes_room_for_the_next():
    round_ = _round_with_one_answer()
    AnalysisRun.objects.create(round=round_, status="succeeded")
    AnalysisRun.objects.create(round=round_, status="failed")

    assert analysis_run_start(survey_round=round_).status == "queued"


def _worker(queue: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "DATABASE_URL": _database_url(),
        "CELERY_QUEUE": queue,
        # An unacknowledged task goes back to the queue after 2 s (production: 1 h).
        "CELERY_VISIBILITY_TIMEOUT": "2",
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-Q",
            queue,
            "-n",
            f"{queue}-{uuid.uuid4().hex[:6]}@localhost",
            "--pool=solo",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=WARNING",
        ],
        cwd=ROOT,
        env=env,
    )


@pytest.mark.worker
def test_a_worker_killed_mid_run_leaves_nothing_half_written():
    if (
        settings.CELERY_TASK_ALWAYS_EAGER
        or "postgresql" not in settings.DATABASES["default"]["ENGINE"]
    ):
        pytest.skip("needs a broker (REDIS_URL) and PostgreSQL")
    from config.celery import app

    round_ = _round_with_one_answer()
    earlier = AnalysisRun.objects.create(round=round_, status="succeeded")
    Estimate.objects.create(
        run=earlier,
        unit=round_.scope,
        component="x",
        estimate=0.5,
        se=0.1,
        ci_low=0.3,
        ci_high=0.7,
        n=1,
    )
    queue = f"test-{uuid.uuid4().hex[:10]}"
    previous = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    holding, release = threading.Event(), threading.Event()

    def hold_the_version() -> None:
        # The run's first stage locks the questionnaire version: holding that lock from
        # another connection keeps the run "running" until the worker is killed.
        with transaction.atomic():
            list(QuestionnaireVersion.objects.select_for_update())
            holding.set()
            release.wait(60)
        connection.close()

    holder = threading.Thread(target=hold_the_version)
    holder.start()
    holding.wait(10)
    first = _worker(queue)
    second = None
    try:
        run = analysis_run_start(survey_round=round_)
        _wait(run, {"running"}, 60)
        first.send_signal(signal.SIGKILL)  # the worker dies mid-run
        first.wait(10)
        release.set()
        holder.join(10)
        run.refresh_from_db()
        assert (run.status, run.estimates.count()) == ("running", 0)
        time.sleep(2.5)  # past the visibility timeout: the task goes back to the queue

        second = _worker(queue)
        run = _wait(run, {"retrying", "succeeded", "failed"}, 60)
        seen = run.status
        run = _wait(run, {"succeeded", "failed"}, 60)
    finally:
        release.set()
        app.conf.task_default_queue = previous
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(20)

    assert seen in {"retrying", "succeeded"}
    assert (run.status, run.attempts) == ("succeeded", 2), run.error
    assert run.estimates.count() > 0
    assert earlier.estimates.count() == 1  # the earlier run's rows untouched
