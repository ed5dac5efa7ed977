"""One channel vocabulary: the API, imports, the SIPAS question and stored answers use the
service channels (counter, online, partly_online, postal); how a respondent reached the
survey (a firm's e-mail, an open link) is the link's kind."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client

from survey.imports import import_batch_run
from survey.models import Channel, Invitation, Response
from survey.services import api_client_create
from tests.survey.conftest import answers
from tests.survey.test_imports import _csv, _row

pytestmark = pytest.mark.django_db


def test_the_api_and_imports_accept_the_same_channels(version, province):
    _client, key = api_client_create(name="one-stop", units=[province])
    system = Client(HTTP_AUTHORIZATION=f"Api-Key {key}")

    def register(channel: str) -> int:
        body = {
            "external_id": f"T-{channel}",
            "unit": "X1",
            "procedure": "1.001",
            "sector": "land",
            "channel": channel,
            "completed_at": "2026-03-02T09:30:00+07:00",
        }
        return system.post("/api/v1/transactions/", body, content_type="application/json")

    def imported(channel: str) -> bool:
        batch = import_batch_run(
            version=version,
            file_name="paper.csv",
            content=_csv([_row(f"P-{channel}", channel=channel)]),
            mode="good",
            commit=False,
        )
        return batch.rows_valid == 1

    for channel in ("counter", "online", "partly_online", "postal"):
        assert register(channel).status_code == 201, channel
        assert imported(channel), channel
    for old in ("email", "web"):
        assert register(old).status_code == 400, old
        assert not imported(old), old
    assert Channel.values == ["counter", "online", "partly_online", "postal"]


@pytest.mark.django_db(transaction=True)
def test_the_migration_moves_email_and_web_to_the_answered_channel(version, x1):
    before = [("survey", "0008_kiosk")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    executor.loader.build_graph()
    old = executor.loader.project_state(before).apps
    OldInvitation = old.get_model("survey", "Invitation")
    OldResponse = old.get_model("survey", "Response")
    rows = {}
    for token, kind, channel, given in (
        ("open-1", "open", "web", "online"),
        ("open-2", "open", "web", None),
        ("firm-1", "firm", "email", None),
        ("tx-1", "transaction", "counter", "postal"),
    ):
        invitation = OldInvitation.objects.create(
            token=token,
            kind=kind,
            channel=channel,
            version_id=version.pk,
            unit_id=x1.pk,
            expires_at="2030-01-01T00:00:00Z",
        )
        body = answers(4) if given is None else {**answers(4), "channel": given}
        if given is None:
            body.pop("channel", None)
        rows[token] = OldResponse.objects.create(
            invitation_id=invitation.pk,
            version_id=version.pk,
            unit_id=x1.pk,
            sector="",
            channel=channel,
            answers=body,
            submitted_at="2026-03-01T00:00:00Z",
        ).pk

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    channels = {
        r.invitation.token: (r.invitation.channel, r.channel)
        for r in Response.objects.select_related("invitation")
    }
    assert channels == {
        "open-1": ("", "online"),
        "open-2": ("", ""),
        "firm-1": ("", ""),
        "tx-1": ("counter", "counter"),  # a transaction's channel is the transaction's
    }
    assert not Invitation.objects.filter(channel__in=["email", "web"]).exists()
