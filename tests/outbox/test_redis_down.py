"""Redis is a helper, never the keeper of an answer: with it down, answers are stored,
their tasks wait in the outbox, and the relay publishes them once it is back."""

import json
import logging
import subprocess
import sys

import pytest
from django.core import mail
from django.db import transaction
from django.test import Client

from config import views as config_views
from outbox.models import OutboxMessage
from outbox.services import broker_breaker, outbox_enqueue, outbox_relay
from survey.invitations import firms_upload
from survey.models import Campaign, Invitation, Response
from survey.privacy import rate_limited
from tests.conftest import ROOT
from tests.outbox.conftest import queued
from tests.survey.conftest import answers, register

pytestmark = pytest.mark.django_db

FIRMS = b"email,unit,name\na@firm.vn,X1,C\xc3\xb4ng ty A\nb@firm.vn,X2,\n"
RECEIPT = "survey.tasks.firm_receipt_send"


@pytest.fixture
def firm_tokens(version, province) -> list[str]:
    campaign = Campaign.objects.create(
        code="ddci", name="DDCI", mode="firm", questionnaire=version.questionnaire
    )
    firms_upload(campaign=campaign, file_name="firms.csv", content=FIRMS)
    return list(
        Invitation.objects.filter(kind="firm").order_by("id").values_list("token", flat=True)
    )


def test_a_refused_task_waits_and_is_published_when_the_broker_is_back(
    broker, private_redis, django_capture_on_commit_callbacks
):
    private_redis.stop()

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        first = outbox_enqueue(RECEIPT, 1)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        second = outbox_enqueue(RECEIPT, 2)

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.sent_at is None and first.attempts == 1 and "Error" in first.last_error
    # The breaker is open: the second request did not wait for the broker at all.
    assert second.sent_at is None and second.attempts == 0
    assert outbox_relay() == 0  # still down: nothing published, nothing lost

    private_redis.start()
    published = outbox_relay()

    assert published == 2
    assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == 0
    assert queued(private_redis) == [RECEIPT, RECEIPT]
    assert not broker_breaker.is_open
    assert outbox_relay() == 0  # each message once


def test_with_the_broker_up_a_task_is_published_at_commit(
    broker, private_redis, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        message = outbox_enqueue(RECEIPT, 7)
        assert queued(private_redis) == []  # not before the change is committed

    message.refresh_from_db()
    assert message.sent_at is not None and message.attempts == 1
    assert queued(private_redis) == [RECEIPT]


def test_a_rolled_back_change_publishes_nothing(broker, private_redis):
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox_enqueue(RECEIPT, 7)
        raise RuntimeError

    assert OutboxMessage.objects.count() == 0
    assert queued(private_redis) == []


def test_rate_limits_fail_open_to_a_local_count(shared_cache, private_redis, caplog):
    private_redis.stop()

    with caplog.at_level(logging.WARNING):
        hits = [rate_limited(scope="submit", key="k", limit=2, seconds=60) for _ in range(4)]

    assert hits == [False, False, True, True]  # still limited, per process
    warnings = [r for r in caplog.records if "unavailable" in r.getMessage()]
    assert len(warnings) == 1  # logged once, not once per request


def test_answers_are_stored_through_the_api_and_the_form_with_redis_down(
    broker, shared_cache, private_redis, django_capture_on_commit_callbacks, firm_tokens, x1
):
    transaction_token = register(x1).invitation.token
    private_redis.stop()

    with django_capture_on_commit_callbacks(execute=True):
        api = Client().post(
            "/api/v1/responses/",
            {"token": firm_tokens[0], "answers": answers(5)},
            content_type="application/json",
        )
        form = Client().post(f"/s/{firm_tokens[1]}/", answers(4))
        linked = Client().post(
            "/api/v1/responses/",
            {"token": transaction_token, "answers": answers(3)},
            content_type="application/json",
        )

    assert (api.status_code, form.status_code, linked.status_code) == (201, 302, 201)
    assert Response.objects.count() == 3
    pending = OutboxMessage.objects.filter(sent_at__isnull=True)
    receipts = sorted(m.args[0] for m in pending)
    assert receipts == sorted(Invitation.objects.filter(kind="firm").values_list("pk", flat=True))

    private_redis.start()
    assert outbox_relay() == 2
    assert queued(private_redis) == [RECEIPT, RECEIPT]


def test_the_receipt_is_sent_once(
    settings, version, firm_tokens, django_capture_on_commit_callbacks
):
    from celery import current_app

    eager = current_app.conf.task_always_eager
    current_app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            Client().post(f"/s/{firm_tokens[0]}/", answers(5))
        invitation = Invitation.objects.get(token=firm_tokens[0])
        message = OutboxMessage.objects.get()
        # A second delivery (at-least-once) sends nothing more.
        from survey.tasks import firm_receipt_send

        again = firm_receipt_send(invitation.pk)
    finally:
        current_app.conf.task_always_eager = eager

    assert message.sent_at is not None and message.last_error == ""
    assert invitation.receipt_sent_at is not None
    assert again is False
    assert [m.to for m in mail.outbox] == [["a@firm.vn"]]
    assert "Công ty A" in mail.outbox[0].body
    assert "đã được ghi nhận" in mail.outbox[0].subject


def test_healthz_reports_each_part(settings, private_redis):
    config_views._redis.cache_clear()
    settings.REDIS_URL = private_redis.url
    try:
        up = Client().get("/healthz")
        private_redis.stop()
        config_views._redis.cache_clear()
        down = Client().get("/healthz")
    finally:
        config_views._redis.cache_clear()

    assert (up.status_code, up.json()) == (
        200,
        {"status": "ok", "database": "ok", "redis": "ok", "outbox_pending": 0},
    )
    assert (down.status_code, down.json()) == (
        200,
        {"status": "degraded", "database": "ok", "redis": "down", "outbox_pending": 0},
    )


def test_healthz_without_a_redis_configured(settings):
    settings.REDIS_URL = ""

    reply = Client().get("/healthz")

    assert reply.json() == {
        "status": "ok",
        "database": "ok",
        "redis": "not configured",
        "outbox_pending": 0,
    }


def test_healthz_is_unhealthy_without_the_database():
    script = (
        "import django, json; django.setup();"
        "from django.test import Client; r = Client().get('/healthz');"
        "print(r.status_code, json.dumps(r.json()))"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "DATABASE_URL": "postgres://nobody@127.0.0.1:9/none",
        "ALLOWED_HOSTS": "testserver",
    }
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )

    status, body = done.stdout.strip().splitlines()[-1].split(" ", 1)
    assert (status, json.loads(body)) == (
        "503",
        {
            "status": "unhealthy",
            "database": "down",
            "redis": "not configured",
            "outbox_pending": None,
        },
    )


def test_paper_imports_do_not_need_redis(broker, shared_cache, private_redis, version, x1):
    from survey.imports import import_batch_run

    private_redis.stop()
    rows = [{"form_id": "P-1", "unit": "X1", "submitted_at": "2026-03-05", **answers(4)}]
    header = list(rows[0])
    content = (",".join(header) + "\n" + ",".join(str(rows[0][k]) for k in header)).encode()

    batch = import_batch_run(
        version=version, file_name="paper.csv", content=content, mode="all", commit=True
    )

    assert (batch.rows_valid, batch.rows_invalid) == (1, 0), batch.report
    assert Response.objects.filter(source="import").count() == 1
