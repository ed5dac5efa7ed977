"""Rate limits per survey link, per API key and per address: a commune office or a row
of kiosks behind one shared address is not locked out, a hammered link is.

Hourly windows: a fixed window that ended in the middle of a test would reset a count.
"""

from typing import Any

import pytest
from django.test import Client

from survey.models import Response, ServiceTransaction
from survey.services import api_client_create
from tests.survey.conftest import answers, register

pytestmark = pytest.mark.django_db

OFFICE = "203.0.113.10"  # the one public address of a commune office


def _submit(client: Client, token: str, body: dict[str, Any], **headers: str) -> Any:
    return client.post(
        "/api/v1/responses/",
        {"token": token, "answers": body},
        content_type="application/json",
        **headers,
    )


def test_kiosks_behind_one_address_each_answer_while_a_hammered_link_is_refused(
    version, x1, settings
):
    settings.SURVEY_RATE_LIMITS = {"submit": "20/h", "submit_token": "2/h"}
    settings.SURVEY_TRUSTED_PROXIES = 0
    kiosks = [Client(REMOTE_ADDR=OFFICE) for _ in range(6)]
    tokens = [register(x1, f"K-{i}").invitation.token for i in range(6)]
    hammered = register(x1, "H").invitation.token

    # Given one client hammering its link with invalid answers (3 tries, limit 2)
    tries = [_submit(kiosks[0], hammered, {"a1": 99}) for _ in range(3)]
    # When six kiosks of the same office each send a citizen's answer
    replies = [_submit(k, t, answers()) for k, t in zip(kiosks, tokens, strict=True)]

    assert [r.status_code for r in tries] == [400, 400, 429]
    assert 1 <= int(tries[2]["Retry-After"]) <= 3600
    assert tries[2].json()["detail"]
    assert [r.status_code for r in replies] == [201] * 6
    assert Response.objects.count() == 6


def test_the_address_limit_still_holds_for_many_links_from_one_address(version, x1, settings):
    settings.SURVEY_RATE_LIMITS = {"submit": "3/h", "submit_token": "10/h"}
    settings.SURVEY_TRUSTED_PROXIES = 0
    tokens = [register(x1, f"A-{i}").invitation.token for i in range(4)]

    replies = [_submit(Client(REMOTE_ADDR=OFFICE), t, answers()) for t in tokens]

    assert [r.status_code for r in replies] == [201, 201, 201, 429]
    assert "Retry-After" in replies[3]
    assert Response.objects.count() == 3  # the refused call wrote nothing


def test_forwarded_addresses_count_apart_only_behind_a_trusted_proxy(version, x1, settings):
    settings.SURVEY_RATE_LIMITS = {"submit": "1/h", "submit_token": "10/h"}
    tokens = [register(x1, f"F-{i}").invitation.token for i in range(4)]
    proxy = Client(REMOTE_ADDR="10.0.0.1")  # every request arrives from the proxy

    # One trusted proxy: the entry it appended (right-most) is the sender; a forged
    # entry on the left changes nothing.
    settings.SURVEY_TRUSTED_PROXIES = 1
    first = _submit(proxy, tokens[0], answers(), HTTP_X_FORWARDED_FOR="198.51.100.1")
    second = _submit(proxy, tokens[1], answers(), HTTP_X_FORWARDED_FOR="198.51.100.2")
    forged = _submit(proxy, tokens[2], answers(), HTTP_X_FORWARDED_FOR="192.0.2.99, 198.51.100.2")
    # Not trusted: the header is ignored, everyone is the proxy's address (already used
    # by neither count above, which were per forwarded address).
    settings.SURVEY_TRUSTED_PROXIES = 0
    untrusted = [
        _submit(proxy, tokens[3], {"a1": 99}, HTTP_X_FORWARDED_FOR=f"192.0.2.{i}") for i in range(2)
    ]

    assert (first.status_code, second.status_code, forged.status_code) == (201, 201, 429)
    assert [r.status_code for r in untrusted] == [400, 429]


def _transaction(external_id: str) -> dict[str, str]:
    return {
        "external_id": external_id,
        "unit": "X1",
        "procedure": "1.001",
        "sector": "land",
        "channel": "counter",
        "completed_at": "2026-03-02T09:30:00+07:00",
    }


def test_each_api_key_has_its_own_budget_whatever_the_address(version, x1, settings):
    settings.SURVEY_RATE_LIMITS = {"api_key": "2/h", "submit": "1/h"}
    settings.SURVEY_TRUSTED_PROXIES = 0
    _a, key_a = api_client_create(name="counter A", units=[x1])
    _b, key_b = api_client_create(name="counter B", units=[x1])
    system_a = Client(REMOTE_ADDR=OFFICE, HTTP_AUTHORIZATION=f"Api-Key {key_a}")
    system_b = Client(REMOTE_ADDR=OFFICE, HTTP_AUTHORIZATION=f"Api-Key {key_b}")

    def post(system: Client, external_id: str) -> Any:
        return system.post(
            "/api/v1/transactions/", _transaction(external_id), content_type="application/json"
        )

    from_a = [post(system_a, f"A-{i}").status_code for i in range(3)]
    from_b = [post(system_b, f"B-{i}").status_code for i in range(2)]
    batch_a = system_a.post(
        "/api/v1/transactions/batch/",
        {"transactions": [_transaction("A-9")]},
        content_type="application/json",
    )
    # A kiosk submitting with its own key is counted by key, not by the office address,
    # whose budget (1/h) a citizen's phone on the office Wi-Fi has just used up.
    _c, key_c = api_client_create(name="kiosk C", units=[x1])
    phone = Client(REMOTE_ADDR=OFFICE)
    tokens = [register(x1, f"P-{i}").invitation.token for i in range(3)]
    phone_replies = [_submit(phone, t, answers()).status_code for t in tokens[:2]]
    kiosk = _submit(
        Client(REMOTE_ADDR=OFFICE, HTTP_AUTHORIZATION=f"Api-Key {key_c}"), tokens[2], answers()
    )

    assert from_a == [201, 201, 429] and from_b == [201, 201]
    assert batch_a.status_code == 429 and int(batch_a["Retry-After"]) >= 1
    assert ServiceTransaction.objects.filter(external_id__startswith="A-").count() == 2
    assert phone_replies == [201, 429]
    assert kiosk.status_code == 201


def test_the_public_form_sends_retry_after(version, x1, settings):
    settings.SURVEY_RATE_LIMITS = {"submit": "100/h", "submit_token": "1/h"}
    token = register(x1).invitation.token
    citizen = Client()

    citizen.post(f"/s/{token}/", {"a1": "99"})
    refused = citizen.post(f"/s/{token}/", {"a1": "99"})

    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
