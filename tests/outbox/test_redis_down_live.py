"""The production shape with Redis stopped mid-flight: gunicorn and a Celery worker with
beat on a private Redis, PostgreSQL. Answers sent through the form and the API while
Redis is down are all stored; every task they triggered runs once it is back."""

import http.cookiejar
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model

from analysis.models import AnalysisRun
from outbox.models import OutboxMessage
from survey.invitations import firms_upload
from survey.models import Campaign, Invitation, Response
from tests.conftest import ROOT, PrivateRedis, _database_url
from tests.factories import survey_round
from tests.survey.conftest import answers, register

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]

FIRMS = "email,unit,name\na@firm.vn,X1,Công ty A\nb@firm.vn,X2,Công ty B\nc@firm.vn,X1,\n"


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _env(redis: PrivateRedis, tmp: Path, queue: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": redis.url,
        "CELERY_QUEUE": queue,
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(tmp / "mail"),
        "OUTBOX_RELAY_EVERY_SECONDS": "1",
        "SURVEY_RATE_SUBMIT": "1000/m",
    }


def _get(url: str, opener: Any = None) -> tuple[int, str]:
    try:
        with (opener or urllib.request.build_opener()).open(url, timeout=10) as reply:
            return reply.status, reply.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except urllib.error.URLError:  # not listening yet
        return 0, ""


def _post(url: str, data: bytes, headers: dict[str, str], opener: Any = None) -> int:
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")
    try:
        with (opener or urllib.request.build_opener()).open(request, timeout=10) as reply:
            return reply.status
    except urllib.error.HTTPError as error:
        return error.code


def _post_json(base: str, path: str, body: dict, auth: str = "") -> int:
    headers = {"Content-Type": "application/json"}
    if auth:
        headers["Authorization"] = auth
    return _post(base + path, json.dumps(body).encode(), headers)


def _post_form(base: str, token: str, values: dict) -> int:
    """As a browser: GET the page (CSRF cookie and field), POST every answer at once."""
    cookies = http.cookiejar.CookieJar()

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(cookies), NoRedirect())
    status, html = _get(f"{base}/s/{token}/", opener)
    assert status == 200, html[:500]
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert csrf
    data = urllib.parse.urlencode({"csrfmiddlewaretoken": csrf.group(1), **values}).encode()
    return _post(
        f"{base}/s/{token}/",
        data,
        {"Content-Type": "application/x-www-form-urlencoded", "Referer": f"{base}/s/{token}/"},
        opener,
    )


def _health(base: str) -> dict:
    return json.loads(_get(base + "/healthz")[1])


def _until(check: Any, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.25)


@pytest.fixture
def live_stack(private_redis: PrivateRedis, tmp_path: Path) -> Any:
    if "postgresql" not in settings.DATABASES["default"]["ENGINE"]:
        pytest.skip("the production shape needs PostgreSQL (set DATABASE_URL)")
    queue = f"test-{uuid.uuid4().hex[:10]}"
    env = _env(private_redis, tmp_path, queue)
    port = _free_port()
    web = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env={**env, "ALLOWED_HOSTS": "127.0.0.1", "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}"},
    )
    processes = [web]

    def start_worker() -> None:
        processes.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "config",
                    "worker",
                    "--beat",
                    "-Q",
                    queue,
                    "-n",
                    f"{queue}@localhost",
                    "--pool=solo",
                    "--schedule",
                    str(tmp_path / "beat-schedule"),
                    "--loglevel=WARNING",
                    "--without-gossip",
                    "--without-mingle",
                ],
                cwd=ROOT,
                env=env,
            )
        )

    base = f"http://127.0.0.1:{port}"
    try:
        _until(lambda: _get(base + "/healthz")[0] == 200, 30, "gunicorn")
        yield base, start_worker, tmp_path / "mail"
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def test_answers_and_their_tasks_survive_redis_going_down(
    live_stack, private_redis, version, x1, x2
):
    base, start_worker, mailbox = live_stack
    # given firms invited to a DDCI survey, two citizens' links, a round, a statistician
    campaign = Campaign.objects.create(
        code="ddci", name="DDCI", mode="firm", questionnaire=version.questionnaire
    )
    firms_upload(campaign=campaign, file_name="firms.csv", content=FIRMS.encode())
    firm_tokens = list(
        Invitation.objects.filter(kind="firm").order_by("id").values_list("token", flat=True)
    )
    citizen_tokens = [register(x1, f"T-{i}").invitation.token for i in range(2)]
    survey_round(x1.parent, version)
    get_user_model().objects.create_superuser("stat", password="a-long-password-1")
    assert _health(base) == {"status": "ok", "database": "ok", "redis": "ok", "outbox_pending": 0}

    # when Redis stops, and answers arrive through the API and the form
    private_redis.stop()
    statuses = [
        _post_json(base, "/api/v1/responses/", {"token": firm_tokens[0], "answers": answers(5)}),
        _post_form(base, firm_tokens[1], answers(4)),
        _post_form(base, firm_tokens[2], answers(2)),
        _post_json(base, "/api/v1/responses/", {"token": citizen_tokens[0], "answers": answers(3)}),
        _post_form(base, citizen_tokens[1], answers(5)),
    ]
    run_start = _post_json(
        base, "/api/v1/rounds/r1/runs/", {}, auth="Basic " + _basic("stat", "a-long-password-1")
    )
    degraded = _health(base)

    # then every answer is stored at once, and their tasks wait in the outbox
    assert statuses == [201, 302, 302, 201, 302]
    assert run_start in {201, 202}
    assert Response.objects.count() == 5
    assert degraded == {
        "status": "degraded",
        "database": "ok",
        "redis": "down",
        "outbox_pending": 4,
    }
    assert Invitation.objects.filter(receipt_sent_at__isnull=False).count() == 0

    # when Redis is back and a worker (with beat, which runs the relay) starts
    private_redis.start()
    start_worker()

    # then every triggered task runs, once
    _until(
        lambda: (
            Invitation.objects.filter(receipt_sent_at__isnull=False).count() == 3
            and AnalysisRun.objects.filter(status="succeeded").exists()
        ),
        90,
        "the receipts and the run",
    )
    assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == 0
    sent = sorted(
        re.search(r"^To: (.+)$", path.read_text(), re.M).group(1)  # type: ignore[union-attr]
        for path in mailbox.iterdir()
    )
    assert sent == ["a@firm.vn", "b@firm.vn", "c@firm.vn"]
    assert AnalysisRun.objects.get().n_responses == 5
    assert _health(base)["status"] == "ok"


def _basic(user: str, password: str) -> str:
    import base64

    return base64.b64encode(f"{user}:{password}".encode()).decode()
