"""Ingestion at volume: the statements a submission and a registration cost, and the
guarantees the lean paths keep (one response per link, idempotent retries, nothing
written by a rejected call, registrations racing on one external id)."""

import threading
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.utils import timezone

from org.models import AdministrativeUnit
from questionnaires.services import library_definition, questionnaire_publish
from survey.lookups import GENERATION_KEY
from survey.models import ApiClient, Invitation, Response, ServiceTransaction
from survey.services import (
    TransactionConflict,
    TransactionData,
    api_client_create,
    transactions_register,
)
from tests.survey.conftest import COMPLETED, answers, register

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_rate_limits(settings: Any) -> None:
    settings.SURVEY_RATE_LIMITS = {"submit": "0/m", "open": "0/m"}


def _submit(token: str, body: dict[str, Any], key: str | None = None) -> Any:
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return Client().post(
        "/api/v1/responses/",
        {"token": token, "answers": body},
        content_type="application/json",
        **headers,
    )


def _item(external_id: str, unit: Any) -> dict[str, str]:
    return {
        "external_id": external_id,
        "unit": unit.code,
        "procedure": "1.001",
        "sector": "land",
        "channel": "counter",
        "completed_at": "2026-03-02T09:30:00+07:00",
    }


@pytest.mark.django_db(transaction=True)
def test_a_submission_takes_two_statements_on_postgresql(version, x1, django_assert_num_queries):
    if connection.vendor != "postgresql":
        pytest.skip("the two-statement path is PostgreSQL's (set DATABASE_URL)")
    # Given a process that has already seen this version (its definition is compiled)
    _submit(register(x1, "warm").invitation.token, answers(), key="warm")
    token = register(x1).invitation.token

    # When an answer is submitted with an Idempotency-Key, in autocommit as a request
    # is: the link read with its version and unit, then one statement that claims the
    # link and inserts the response (no BEGIN, no lock, no COMMIT round trip).
    with django_assert_num_queries(2) as captured:
        reply = _submit(token, answers(5), key="k-1")

    # Then it is stored, and the reply names questionnaire, version and unit
    assert captured.captured_queries[1]["sql"].startswith("WITH claimed AS (UPDATE")
    assert reply.status_code == 201
    assert reply.json()["questionnaire"] == "sipas" and reply.json()["unit"] == "X1"
    stored = Response.objects.get(invitation__token=token)
    assert reply.json()["id"] == stored.pk
    assert stored.answers["a1"] == 5 and stored.idempotency_key == "k-1"
    assert Invitation.objects.get(token=token).completed_at == stored.submitted_at


def test_a_submission_takes_five_statements_on_sqlite(version, x1, django_assert_num_queries):
    if connection.vendor == "postgresql":
        pytest.skip("SQLite's path (PostgreSQL takes two statements)")
    _submit(register(x1, "warm").invitation.token, answers(), key="warm")
    token = register(x1).invitation.token

    # the savepoint (inside the test's transaction), the locked link with its version and
    # unit, the insert, the link marked used, the release.
    with django_assert_num_queries(5):
        reply = _submit(token, answers(5), key="k-1")

    assert reply.status_code == 201
    assert Response.objects.get(invitation__token=token).answers["a1"] == 5


def test_a_retry_replays_and_another_links_key_changes_nothing(version, x1):
    one = register(x1, "A").invitation.token
    two = register(x1, "B").invitation.token
    first = _submit(one, answers(5), key="same")

    retry = _submit(one, answers(1), key="same")
    stolen = _submit(two, answers(2), key="same")

    assert first.status_code == 201
    assert retry.status_code == 200 and retry.json()["id"] == first.json()["id"]
    assert retry.json()["answers"]["a1"] == 5
    # The insert on link B hit the key's unique constraint: rolled back whole.
    assert stolen.status_code == 422
    assert Response.objects.count() == 1
    assert Invitation.objects.get(token=two).completed_at is None


def test_a_new_version_is_checked_against_its_own_definition(version, x1):
    # Given v1 compiled in this process, then v2 adding a required question
    _submit(register(x1, "v1-warm").invitation.token, answers(), key="w")
    definition = library_definition("sipas")
    definition["sections"][0]["questions"].append(
        {"code": "zz", "type": "yes_no", "required": True, "label": {"vi": "Mới?", "en": "New?"}}
    )
    questionnaire = version.questionnaire
    questionnaire.draft = definition
    questionnaire.save()
    questionnaire_publish(questionnaire=questionnaire)
    on_v2 = register(x1, "v2").invitation.token
    on_v1 = register(x1, "v1")
    Invitation.objects.filter(pk=on_v1.invitation.pk).update(version=version)

    refused = _submit(on_v2, answers())
    kept = _submit(on_v1.invitation.token, answers())

    assert refused.status_code == 400 and "zz" in refused.json()["answers"]
    assert kept.status_code == 201 and kept.json()["version"] == 1
    assert _submit(on_v2, {**answers(), "zz": "yes"}).json()["version"] == 2


def test_registration_statements_do_not_grow_with_the_batch(
    version, province, x1, x2, django_assert_num_queries
):
    _client, key = api_client_create(name="one-stop", units=[province])
    system = Client(HTTP_AUTHORIZATION=f"Api-Key {key}")
    system.post("/api/v1/transactions/", _item("warm", x1), content_type="application/json")
    # 40: SQLite splits an INSERT above 999 parameters (PostgreSQL sends 1,000 rows in one).
    batch = {"transactions": [_item(f"B-{i}", (x1, x2)[i % 2]) for i in range(40)]}

    # The key, the units, the unit tree, the current version and the campaigns come from
    # the per-process cache (survey.lookups): the transaction (a savepoint here), INSERT
    # of the transactions, INSERT of their links, end — new ids: no look for known ones.
    with django_assert_num_queries(4):
        reply = system.post("/api/v1/transactions/batch/", batch, content_type="application/json")
    # and one transaction alone costs the same
    with django_assert_num_queries(4):
        single = system.post(
            "/api/v1/transactions/", _item("S-1", x1), content_type="application/json"
        )

    assert reply.status_code == 201 and reply.json()["created"] == 40
    assert single.status_code == 201 and single.json()["created"] is True
    assert ServiceTransaction.objects.count() == 42
    assert Invitation.objects.filter(transaction__external_id__startswith="B-").count() == 40
    tokens = [r["token"] for r in reply.json()["results"]]
    assert len(set(tokens)) == 40
    assert set(tokens) == set(
        Invitation.objects.filter(transaction__external_id__startswith="B-").values_list(
            "token", flat=True
        )
    )


@pytest.mark.django_db(transaction=True)
def test_registration_is_one_statement_on_postgresql(
    version, province, x1, x2, django_assert_num_queries
):
    if connection.vendor != "postgresql":
        pytest.skip("the one-statement path is PostgreSQL's (set DATABASE_URL)")
    _client, key = api_client_create(name="one-stop", units=[province])
    system = Client(HTTP_AUTHORIZATION=f"Api-Key {key}")
    system.post("/api/v1/transactions/", _item("warm", x1), content_type="application/json")
    batch = {"transactions": [_item(f"B-{i}", (x1, x2)[i % 2]) for i in range(1000)]}

    # In autocommit, as a request is: the transactions and their links in one INSERT …
    # WITH statement, its own transaction (no BEGIN, no COMMIT round trip).
    with django_assert_num_queries(1):
        reply = system.post("/api/v1/transactions/batch/", batch, content_type="application/json")
    with django_assert_num_queries(1):
        single = system.post(
            "/api/v1/transactions/", _item("S-1", x2), content_type="application/json"
        )

    assert reply.status_code == 201 and reply.json()["created"] == 1000
    assert single.status_code == 201
    stored = {
        i.transaction.external_id: i
        for i in Invitation.objects.select_related("transaction", "unit")
    }
    assert len(stored) == 1002
    for result in reply.json()["results"] + [single.json()]:
        invitation = stored[result["external_id"]]
        assert invitation.token == result["token"]
        assert invitation.unit == invitation.transaction.unit
        assert result["survey_url"].endswith(f"/s/{invitation.token}/")
    assert stored["B-1"].unit.code == "X2" and stored["S-1"].sector == "land"
    # and a retry of the batch returns the same links, writing nothing
    again = system.post("/api/v1/transactions/batch/", batch, content_type="application/json")
    assert again.status_code == 200 and again.json()["existing"] == 1000
    assert [r["token"] for r in again.json()["results"]] == [
        r["token"] for r in reply.json()["results"]
    ]
    assert ServiceTransaction.objects.count() == 1002


def test_a_known_id_resent_with_data_that_no_longer_validates_returns_its_link(
    version, province, x1
):
    first = register(x1, "KNOWN")

    # The optimistic first attempt refuses the item; the second finds it known.
    again = register(x1, "KNOWN", questionnaire_code="no-such-questionnaire")

    assert again.created is False
    assert again.invitation.token == first.invitation.token
    assert ServiceTransaction.objects.count() == 1


def _items(ids: range, unit: Any) -> list[TransactionData]:
    return [
        TransactionData(
            external_id=f"R-{i}",
            unit=unit,
            procedure_code="1.001",
            sector="land",
            channel="counter",
            completed_at=COMPLETED,
        )
        for i in ids
    ]


def _race(calls: list[Any]) -> list[Any]:
    """Run the calls in threads released together; each result or the exception."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = calls[index]()
        except Exception as error:
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


@pytest.mark.django_db(transaction=True)
def test_overlapping_batches_at_the_same_moment_register_each_id_once(version, province, x1):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (set DATABASE_URL)")
    client, _key = api_client_create(name="one-stop", units=[province])
    first, second = _race(
        [
            lambda: transactions_register(items=_items(range(0, 600), x1), client=client),
            lambda: transactions_register(items=_items(range(300, 900), x1), client=client),
        ]
    )

    # Both succeed; an id in both batches is one transaction with one link, the same
    # token in both answers, created by exactly one of them.
    assert not isinstance(first, Exception) and not isinstance(second, Exception)
    assert ServiceTransaction.objects.count() == 900
    assert Invitation.objects.count() == 900
    tokens_first = {r.transaction.external_id: r.invitation.token for r in first}
    tokens_second = {r.transaction.external_id: r.invitation.token for r in second}
    for i in range(300, 600):
        assert tokens_first[f"R-{i}"] == tokens_second[f"R-{i}"]
    created = {r.transaction.external_id for r in first + second if r.created}
    assert len(created) == 900
    assert sum(r.created for r in first + second) == 900


@pytest.mark.django_db(transaction=True)
def test_another_system_racing_for_the_same_ids_gets_a_conflict(version, province, x1):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (set DATABASE_URL)")
    ours, _ = api_client_create(name="ours", units=[province])
    theirs, _ = api_client_create(name="theirs", units=[province])
    results = _race(
        [
            lambda: transactions_register(items=_items(range(0, 400), x1), client=ours),
            lambda: transactions_register(items=_items(range(200, 600), x1), client=theirs),
        ]
    )

    # Exactly one wins the shared ids; the other writes nothing at all.
    conflicts = [r for r in results if isinstance(r, TransactionConflict)]
    assert len(conflicts) == 1
    assert conflicts[0].external_ids == sorted(f"R-{i}" for i in range(200, 400))
    assert ServiceTransaction.objects.count() == 400
    assert Invitation.objects.count() == 400


@pytest.mark.django_db(transaction=True)
def test_the_same_retry_sent_twice_at_once_stores_one_response(version, x1):
    if connection.vendor != "postgresql":
        pytest.skip("row locking is only meaningful on PostgreSQL (set DATABASE_URL)")
    token = register(x1).invitation.token

    replies = _race([lambda: _submit(token, answers(4), key="twice")] * 2)

    assert sorted(r.status_code for r in replies) == [200, 201]
    assert replies[0].json()["id"] == replies[1].json()["id"]
    assert Response.objects.count() == 1


def test_a_revoked_key_and_a_new_unit_are_seen_at_once_in_this_process(version, province, x1):
    client, key = api_client_create(name="one-stop", units=[province])
    system = Client(HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert (
        system.post(
            "/api/v1/transactions/", _item("A", x1), content_type="application/json"
        ).status_code
        == 201
    )

    # A unit created after the tree was cached registers at once (an unknown code is
    # looked up again) …
    new = AdministrativeUnit.objects.create(
        code="X9", name="Xã mới", level=x1.level, parent=province
    )
    assert (
        system.post(
            "/api/v1/transactions/", _item("B", new), content_type="application/json"
        ).status_code
        == 201
    )
    # … and a key revoked here is refused on the next call.
    client.is_active = False
    client.save()
    refused = system.post("/api/v1/transactions/", _item("C", x1), content_type="application/json")

    assert refused.status_code in {401, 403}
    assert not ServiceTransaction.objects.filter(external_id="C").exists()


def test_a_change_made_by_another_process_is_seen_within_the_check_interval(
    version, province, x1, settings
):
    # Given a key cached in this process
    settings.SURVEY_LOOKUP_CHECK_SECONDS = 0
    client, key = api_client_create(name="one-stop", units=[province])
    system = Client(HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert (
        system.post(
            "/api/v1/transactions/", _item("A", x1), content_type="application/json"
        ).status_code
        == 201
    )

    # When another process revokes it: a write this process's signals never see, and
    # that process's bump of the shared generation
    ApiClient.objects.filter(pk=client.pk).update(is_active=False)
    still_cached = system.post(
        "/api/v1/transactions/", _item("B", x1), content_type="application/json"
    )
    cache.set(GENERATION_KEY, "another process", timeout=None)
    refused = system.post("/api/v1/transactions/", _item("C", x1), content_type="application/json")

    # Then the cached key served until the bump, and not after it
    assert still_cached.status_code == 201
    assert refused.status_code in {401, 403}


@pytest.mark.django_db(transaction=True)
def test_the_two_statement_path_keeps_every_refusal(version, x1):
    # In autocommit, as a request runs: a link already answered, an expired link and a
    # key used for another link are refused as on the full path, writing nothing.
    first = register(x1, "A").invitation.token
    expired = register(x1, "B").invitation
    other = register(x1, "C").invitation.token
    Invitation.objects.filter(pk=expired.pk).update(expires_at=timezone.now())
    stored = _submit(first, answers(5), key="k-1")

    replay = _submit(first, answers(1), key="k-1")
    again = _submit(first, answers(1), key="k-2")
    late = _submit(expired.token, answers(1))
    stolen = _submit(other, answers(1), key="k-1")
    invalid = _submit(other, {**answers(1), "a1": 9})

    assert stored.status_code == 201
    assert replay.status_code == 200 and replay.json()["id"] == stored.json()["id"]
    assert (again.status_code, again.json()["reason"]) == (409, "used")
    assert (late.status_code, late.json()["reason"]) == (410, "expired")
    assert stolen.status_code == 422
    assert invalid.status_code == 400 and "a1" in invalid.json()["answers"]
    assert Response.objects.count() == 1
    assert list(
        Invitation.objects.filter(completed_at__isnull=False).values_list("token", flat=True)
    ) == [first]
