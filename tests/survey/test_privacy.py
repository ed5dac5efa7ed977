"""Nothing stored with an answer leads back to a network address: open-link duplicate
checks live in the cache for SURVEY_DUPLICATE_WINDOW_HOURS, fail open without Redis,
and the migration wipes the hashes stored before."""

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client

from survey.models import Campaign, CampaignQuota, Invitation, Response
from survey.privacy import cache_breaker, keyed_hash
from tests.outbox.conftest import shared_cache  # noqa: F401  (Redis as the cache)
from tests.survey.conftest import answers

pytestmark = pytest.mark.django_db

SENDER = "198.51.100.23"


@pytest.fixture(autouse=True)
def _closed_breaker() -> Iterator[None]:
    cache_breaker.reset()
    yield
    cache_breaker.reset()


@pytest.fixture
def open_link(version, x1) -> str:
    campaign = Campaign.objects.create(
        code="web", name="Web", mode="open", open_token="OPEN", questionnaire=version.questionnaire
    )
    CampaignQuota.objects.create(campaign=campaign, unit=x1, quota=100)
    return "/o/OPEN/"


def _start(visitor: Client, link: str) -> str:
    return visitor.post(link, {"unit": "X1"})["Location"].split("/")[2]


def _stored_rows() -> str:
    rows = [*Response.objects.values(), *Invitation.objects.values()]
    return json.dumps(rows, default=str)


def test_same_answers_from_one_sender_are_refused_and_no_row_keeps_the_address(open_link):
    sender, other = Client(REMOTE_ADDR=SENDER), Client(REMOTE_ADDR="198.51.100.99")
    tokens = [_start(sender, open_link) for _ in range(3)]

    first = sender.post(f"/s/{tokens[0]}/", answers(5))
    again = sender.post(f"/s/{tokens[1]}/", answers(5))
    changed = sender.post(f"/s/{tokens[2]}/", answers(4))
    elsewhere = other.post(f"/s/{_start(other, open_link)}/", answers(5))

    assert (first.status_code, again.status_code) == (302, 409)
    assert (changed.status_code, elsewhere.status_code) == (302, 302)
    assert Response.objects.count() == 3
    field_names = {f.name for m in (Response, Invitation) for f in m._meta.get_fields()}
    assert "client_hash" not in field_names
    stored = _stored_rows()
    assert SENDER not in stored
    assert keyed_hash(SENDER, purpose="client") not in stored


def test_a_refused_submission_releases_its_claim(open_link):
    sender = Client(REMOTE_ADDR=SENDER)
    one, two, three = (_start(sender, open_link) for _ in range(3))

    def api(token: str, rating: int, key: str) -> Any:
        return sender.post(
            "/api/v1/responses/",
            {"token": token, "answers": answers(rating)},
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY=key,
        )

    api(one, 5, "k-one")
    # Link one's key on link two: the insert fails and the answers are not stored, so
    # sending them again (with a key of its own) is no duplicate.
    stolen = api(two, 4, "k-one")
    retried = api(two, 4, "k-two")
    repeated = api(three, 5, "k-three")  # link one's answers again: a duplicate

    assert stolen.status_code == 422
    assert retried.status_code == 201
    assert repeated.status_code == 409 and repeated.json()["reason"] == "duplicate"
    assert Response.objects.count() == 2


@pytest.mark.usefixtures("shared_cache")
def test_the_duplicate_entry_expires_with_the_window(private_redis, open_link, settings):
    import redis

    settings.SURVEY_DUPLICATE_WINDOW_HOURS = 2
    sender = Client(REMOTE_ADDR=SENDER)

    sender.post(f"/s/{_start(sender, open_link)}/", answers(5))

    client = redis.Redis.from_url(private_redis.url)
    keys = [k for k in client.keys("*") if b"survey:dup:" in k]
    assert len(keys) == 1
    assert 2 * 3600 - 60 <= client.ttl(keys[0]) <= 2 * 3600
    assert SENDER.encode() not in keys[0]


@pytest.mark.usefixtures("shared_cache")
def test_with_redis_down_duplicates_are_let_through(private_redis, open_link):
    sender = Client(REMOTE_ADDR=SENDER)
    tokens = [_start(sender, open_link) for _ in range(2)]
    private_redis.stop()

    replies = [sender.post(f"/s/{t}/", answers(5)) for t in tokens]

    # A duplicate costs less than a lost answer: both are kept.
    assert [r.status_code for r in replies] == [302, 302]
    assert Response.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_the_migration_wipes_stored_address_hashes(version, x1):
    before = [("survey", "0006_invitation_receipt_sent_at")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    executor.loader.build_graph()
    old = executor.loader.project_state(before).apps
    invitation = old.get_model("survey", "Invitation").objects.create(
        token="t",
        kind="open",
        version_id=version.pk,
        unit_id=x1.pk,
        expires_at="2030-01-01T00:00:00Z",
        client_hash="a" * 64,
    )
    old.get_model("survey", "Response").objects.create(
        invitation_id=invitation.pk,
        version_id=version.pk,
        unit_id=x1.pk,
        sector="",
        channel="web",
        answers={"a1": 5},
        submitted_at="2026-03-01T00:00:00Z",
        client_hash="b" * 64,
        answers_hash="c" * 64,
    )

    executor = MigrationExecutor(connection)
    executor.migrate([("survey", "0007_remove_client_hashes")])

    with connection.cursor() as cursor:
        columns = {
            table: {c.name for c in connection.introspection.get_table_description(cursor, table)}
            for table in ("survey_response", "survey_invitation")
        }
    assert all("client_hash" not in names for names in columns.values())
    response = Response.objects.get()
    assert response.answers == {"a1": 5} and response.invitation.token == "t"
    assert response.answers_hash == "c" * 64
