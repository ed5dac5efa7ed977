"""Counter kiosks: pairing with a short code, the survey of the counter's transaction on
screen, reset after the answer or when abandoned, the QR receipt without a kiosk."""

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from org.models import AuditEntry, Role
from survey.kiosks import kiosk_pair, kiosk_reset, kiosk_start, kiosk_state
from survey.models import Campaign, Kiosk
from survey.services import api_client_create, response_submit
from tests.factories import signed_in
from tests.survey.kiosk_helpers import kiosk_campaign

pytestmark = pytest.mark.django_db


def _transaction(external_id: str, counter: str = "", unit: str = "X1") -> dict[str, str]:
    body = {
        "external_id": external_id,
        "unit": unit,
        "procedure": "1.001",
        "sector": "land",
        "channel": "counter",
        "completed_at": "2026-03-02T09:30:00+07:00",
    }
    return {**body, "counter": counter} if counter else body


@pytest.fixture
def system(province) -> Client:
    _client, key = api_client_create(name="one-stop", units=[province])
    return Client(HTTP_AUTHORIZATION=f"Api-Key {key}")


def _register(system: Client, body: dict[str, str]) -> Any:
    return system.post("/api/v1/transactions/", body, content_type="application/json")


def test_a_staff_member_pairs_a_kiosk_with_its_code(version, province, x1, x2):
    officer = signed_in("officer", Role.OFFICER, x1)
    tablet = Client()
    page = tablet.post("/kiosk/")
    kiosk = Kiosk.objects.get()
    code = tablet.get(f"/kiosk/{kiosk.device_token}/state").json()

    outside = officer.post(
        "/survey/kiosks/", {"code": kiosk.pairing_code, "unit": "X2", "counter": "3"}
    )
    wrong = officer.post("/survey/kiosks/", {"code": "000000x", "unit": "X1", "counter": "3"})
    paired = officer.post(
        "/survey/kiosks/", {"code": kiosk.pairing_code, "unit": "X1", "counter": "3"}
    )

    assert page.status_code == 302 and page["Location"] == f"/kiosk/{kiosk.device_token}/"
    assert code == {"state": "unpaired", "code": kiosk.pairing_code}
    assert outside.status_code == 400 and wrong.status_code == 400  # X2 is not theirs
    assert paired.status_code == 302
    kiosk.refresh_from_db()
    assert (kiosk.unit, kiosk.counter, kiosk.pairing_code) == (x1, "3", "")
    assert tablet.get(f"/kiosk/{kiosk.device_token}/state").json() == {
        "state": "waiting",
        "counter": "3",
    }
    assert Client().get("/survey/kiosks/").status_code == 302  # sign in first


def test_the_counters_transaction_is_shown_on_its_kiosk_in_the_short_form(
    version, province, x1, x2, system
):
    kiosk_campaign(province)
    kiosk = kiosk_pair(code=kiosk_start().pairing_code, unit=x1, counter="3")

    at_kiosk = _register(system, _transaction("T-1", counter="3")).json()
    other_counter = _register(system, _transaction("T-2", counter="4")).json()
    other_unit = _register(system, _transaction("T-3", counter="3", unit="X2")).json()
    state = kiosk_state(Kiosk.objects.get(pk=kiosk.pk))

    assert at_kiosk["kiosk"] is True and at_kiosk["questionnaire"] == "kiosk_short"
    assert state.state == "survey" and state.token == at_kiosk["token"]
    # No kiosk there: the transaction's own questionnaire and the QR receipt.
    for reply in (other_counter, other_unit):
        assert reply["kiosk"] is False and reply["questionnaire"] == "sipas"
        assert reply["receipt_url"].endswith("/receipt/")


def test_after_the_answer_the_kiosk_says_thanks_once_then_waits(version, province, x1, system):
    kiosk_campaign(province)
    kiosk = kiosk_pair(code=kiosk_start().pairing_code, unit=x1, counter="3")
    token = _register(system, _transaction("T-1", counter="3")).json()["token"]

    response_submit(token=token, answers={"k1": 5, "k2": 4})
    states = [kiosk_state(Kiosk.objects.get(pk=kiosk.pk)).state for _ in range(2)]

    assert states == ["done", "waiting"]


def test_an_abandoned_survey_leaves_the_screen_and_its_link_stays_valid(
    version, province, x1, system
):
    kiosk_campaign(province)
    kiosk = kiosk_pair(code=kiosk_start().pairing_code, unit=x1, counter="3")
    token = _register(system, _transaction("T-1", counter="3")).json()["token"]
    tablet = Client()

    stale = tablet.post(f"/kiosk/{kiosk.device_token}/reset", {"token": "not-this-one"})
    reset = tablet.post(f"/kiosk/{kiosk.device_token}/reset", {"token": token})

    assert stale.json()["state"] == "survey"  # a reset for another survey changes nothing
    assert reset.json() == {"state": "waiting", "counter": "3"}
    assert Client().get(f"/s/{token}/").status_code == 200  # the receipt still works


def test_a_new_kiosk_on_a_counter_replaces_the_old_one(version, x1):
    old = kiosk_pair(code=kiosk_start().pairing_code, unit=x1, counter="3")
    code = kiosk_start().pairing_code
    new = kiosk_pair(code=code, unit=x1, counter="3")

    assert kiosk_state(Kiosk.objects.get(pk=old.pk)).state == "unpaired"
    assert kiosk_state(Kiosk.objects.get(pk=new.pk)).state == "waiting"
    with pytest.raises(ValidationError):
        kiosk_pair(code=code, unit=x1, counter="5")  # a code pairs once


def test_the_kiosk_page_loads_its_script_as_a_static_file(version, x1):
    kiosk = kiosk_start()

    html = Client().get(f"/kiosk/{kiosk.device_token}/").content.decode()

    assert "kiosk.js" in html and "<script>" not in html
    assert Client().get("/kiosk/nope/").status_code == 404
    kiosk_reset(kiosk, "")  # harmless on an unpaired kiosk


def test_starting_kiosks_is_rate_limited_per_address(db, settings):
    # QA: anyone could POST /kiosk/ in a loop: one unpaired kiosk row and one of the
    # million pairing codes per request, until legitimate tablets got a server error.
    settings.SURVEY_RATE_LIMITS = {**settings.SURVEY_RATE_LIMITS, "open": "2/h"}
    client = Client()
    replies = [client.post("/kiosk/", REMOTE_ADDR="203.0.113.7") for _ in range(3)]
    assert [r.status_code for r in replies] == [302, 302, 429]
    assert int(replies[2]["Retry-After"]) > 0
    assert "Xin vui lòng chờ trong giây lát" in replies[2].content.decode()
    assert Kiosk.objects.count() == 2
    # another address (another office) still starts its kiosk
    assert Client().post("/kiosk/", REMOTE_ADDR="203.0.113.8").status_code == 302


def test_pairing_and_unpairing_are_audited(version, x1):
    officer_page = signed_in("officer", Role.OFFICER, x1)
    code = kiosk_start().pairing_code
    officer_page.post("/survey/kiosks/", {"code": code, "unit": "X1", "counter": "3"})
    kiosk = Kiosk.objects.get()
    # A second tablet on the same counter replaces (unpairs) the first one.
    replacement = kiosk_pair(code=kiosk_start().pairing_code, unit=x1, counter="3")
    officer_page.post("/survey/kiosks/", {"unpair": replacement.pk})

    entries = list(
        AuditEntry.objects.filter(action__startswith="kiosk.")
        .order_by("id")
        .values_list("action", "actor_name", "object_id", "unit__code", "before", "after")
    )
    assert entries == [
        ("kiosk.pair", "officer", str(kiosk.pk), "X1", None, {"unit": "X1", "counter": "3"}),
        ("kiosk.unpair", "system", str(kiosk.pk), "X1", {"unit": "X1", "counter": "3"}, None),
        ("kiosk.pair", "system", str(replacement.pk), "X1", None, {"unit": "X1", "counter": "3"}),
        (
            "kiosk.unpair",
            "officer",
            str(replacement.pk),
            "X1",
            {"unit": "X1", "counter": "3"},
            None,
        ),
    ]
    assert not Kiosk.objects.filter(unit__isnull=False).exists()


def test_a_designer_chooses_the_short_form_of_the_kiosks_in_their_units(
    version, province, x1, x2, system
):
    from questionnaires.services import questionnaire_publish, questionnaire_save_draft
    from tests.survey.kiosk_helpers import SHORT

    questionnaire_publish(questionnaire=questionnaire_save_draft(definition=SHORT))
    designer = signed_in("thietke", Role.DESIGNER, x1)
    kiosk_pair(code=kiosk_start().pairing_code, unit=x1, counter="3")
    kiosk_pair(code=kiosk_start().pairing_code, unit=x2, counter="3")

    page = designer.get("/survey/kiosk-forms/")
    outside = designer.post("/survey/kiosk-forms/", {"unit": "X2", "questionnaire": "kiosk_short"})
    unknown = designer.post("/survey/kiosk-forms/", {"unit": "X1", "questionnaire": "nope"})
    chosen = designer.post("/survey/kiosk-forms/", {"unit": "X1", "questionnaire": "kiosk_short"})
    at_x1 = _register(system, _transaction("T-1", counter="3")).json()
    at_x2 = _register(system, _transaction("T-2", counter="3", unit="X2")).json()

    # The page lists the designer's units only; a unit outside them reads as unknown.
    assert page.status_code == 200
    assert [u.code for u in page.context["units"]] == ["X1"]
    assert outside.status_code == 400 and "unit" in outside.context["errors"]
    assert unknown.status_code == 400 and "questionnaire" in unknown.context["errors"]
    assert chosen.status_code == 302
    assert (at_x1["questionnaire"], at_x2["questionnaire"]) == ("kiosk_short", "sipas")
    campaign = Campaign.objects.get(mode="kiosk")
    entry = AuditEntry.objects.get(action="kiosk.form")
    assert (entry.actor_name, entry.unit, entry.after["questionnaire"]) == (
        "thietke",
        x1,
        "kiosk_short",
    )

    # Stopping it: the kiosk falls back to the transaction's own questionnaire.
    other = signed_in("khac", Role.DESIGNER, x2)
    assert other.post("/survey/kiosk-forms/", {"stop": campaign.pk}).status_code == 404
    assert designer.post("/survey/kiosk-forms/", {"stop": campaign.pk}).status_code == 302
    after = _register(system, _transaction("T-3", counter="3")).json()
    assert after["questionnaire"] == "sipas"
    assert AuditEntry.objects.filter(action="kiosk.form").count() == 2
    # Other roles do not choose forms.
    officer = signed_in("canbo", Role.OFFICER, x1)
    assert officer.get("/survey/kiosk-forms/").status_code == 403
