"""The collection API: keys, batch registration, submission, links, lists and exports."""

import io
import json

import pytest
from django.test import Client
from openpyxl import load_workbook

from org.models import Role
from survey.models import Invitation, Response, ServiceTransaction
from survey.services import api_client_create, response_submit
from tests.factories import signed_in
from tests.survey.conftest import answers, register

pytestmark = pytest.mark.django_db


def _payload(external_id="T-1", unit="X1", **extra):
    return {
        "external_id": external_id,
        "unit": unit,
        "procedure": "1.001",
        "sector": "land",
        "channel": "counter",
        "completed_at": "2026-03-02T09:30:00+07:00",
        **extra,
    }


def _system(units):
    _client, key = api_client_create(name="one-stop", units=units)
    return Client(HTTP_AUTHORIZATION=f"Api-Key {key}")


@pytest.fixture
def staff(province):
    # A statistician of the whole test province: every raw answer of P, X1, X2.
    return signed_in("staff", Role.STATISTICIAN, province)


def test_registration_needs_a_key_or_staff(version, x1):
    body = _payload()

    anonymous = Client().post("/api/v1/transactions/", body, content_type="application/json")
    wrong = Client(HTTP_AUTHORIZATION="Api-Key hl_abc.def").post(
        "/api/v1/transactions/", body, content_type="application/json"
    )

    assert anonymous.status_code in {401, 403}
    assert wrong.status_code == 401
    assert ServiceTransaction.objects.count() == 0


def test_registration_returns_link_qr_and_receipt(version, x1):
    system = _system([x1])

    reply = system.post(
        "/api/v1/transactions/",
        _payload(full_name="Nguyễn Văn A", phone="0912345678"),
        content_type="application/json",
    )
    again = system.post("/api/v1/transactions/", _payload(), content_type="application/json")

    assert reply.status_code == 201 and again.status_code == 200
    body = reply.json()
    token = body["token"]
    assert body["survey_url"] == f"http://127.0.0.1:8000/s/{token}/"
    assert body["qr_svg_url"].endswith(f"/s/{token}/qr.svg")
    assert body["questionnaire"] == "sipas" and body["created"] is True
    assert again.json()["token"] == token and again.json()["created"] is False
    svg = Client().get(f"/s/{token}/qr.svg")
    png = Client().get(f"/s/{token}/qr.png")
    receipt = Client().get(f"/s/{token}/receipt/")
    assert svg["Content-Type"] == "image/svg+xml" and b"<svg" in svg.content
    assert png.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert receipt.status_code == 200 and b"<svg" in receipt.content
    stored = ServiceTransaction.objects.values().get()
    assert "Nguyễn" not in json.dumps(stored, default=str)  # personal fields never stored


def test_key_is_scoped_to_its_units(version, x1, x2):
    reply = _system([x1]).post(
        "/api/v1/transactions/", _payload(unit="X2"), content_type="application/json"
    )

    assert reply.status_code == 409
    assert reply.json()["external_ids"] == ["T-1"]
    assert ServiceTransaction.objects.count() == 0


def test_batch_registration_is_idempotent_and_all_or_nothing(version, x1, x2, province):
    system = _system([province])
    items = [_payload(f"B-{i}", "X1" if i % 2 else "X2") for i in range(20)]

    first = system.post(
        "/api/v1/transactions/batch/", {"transactions": items}, content_type="application/json"
    )
    second = system.post(
        "/api/v1/transactions/batch/", {"transactions": items}, content_type="application/json"
    )
    bad = system.post(
        "/api/v1/transactions/batch/",
        {"transactions": [_payload("N-1"), _payload("N-2", channel="fax")]},
        content_type="application/json",
    )

    assert first.status_code == 201 and first.json()["created"] == 20
    assert second.status_code == 200 and second.json()["existing"] == 20
    assert [r["token"] for r in first.json()["results"]] == [
        r["token"] for r in second.json()["results"]
    ]
    assert bad.status_code == 400 and list(bad.json()["transactions"]) == ["1"]
    assert "channel" in bad.json()["transactions"]["1"]
    assert ServiceTransaction.objects.count() == 20


def test_batch_of_more_than_1000_is_refused(version, x1, staff):
    items = [_payload(f"L-{i}") for i in range(1001)]

    reply = staff.post(
        "/api/v1/transactions/batch/", {"transactions": items}, content_type="application/json"
    )

    assert reply.status_code == 400
    assert ServiceTransaction.objects.count() == 0


def _submit(token, body_answers, key=None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return Client().post(
        "/api/v1/responses/",
        {"token": token, "answers": body_answers},
        content_type="application/json",
        **headers,
    )


def test_submit_then_retry_with_idempotency_key(version, x1):
    token = register(x1).invitation.token

    first = _submit(token, answers(5), key="abc-1")
    retry = _submit(token, answers(5), key="abc-1")
    other = _submit(token, answers(5), key="abc-2")

    assert first.status_code == 201 and first.json()["answers"]["a1"] == 5
    assert first.json()["unit"] == "X1" and first.json()["source"] == "api"
    assert retry.status_code == 200 and retry.json()["id"] == first.json()["id"]
    assert other.status_code == 409 and other.json()["reason"] == "used"
    assert Response.objects.count() == 1


def test_idempotency_key_of_another_link_is_refused(version, x1):
    one = register(x1, "A").invitation.token
    two = register(x1, "B").invitation.token
    _submit(one, answers(), key="same")

    reply = _submit(two, answers(), key="same")

    assert reply.status_code == 422
    assert Response.objects.count() == 1


def test_submit_reports_field_errors(version, x1):
    token = register(x1).invitation.token
    sent = answers()
    sent["a1"], sent["sex"] = 7, "robot"

    reply = _submit(token, sent)

    assert reply.status_code == 400
    assert set(reply.json()["answers"]) == {"a1", "sex"}
    assert Response.objects.count() == 0


def test_unknown_answer_codes_are_named_up_to_twenty(version, x1):
    # QA: 20,000 made-up keys came back as a 200 KB error message.
    token = register(x1).invitation.token
    sent = {**answers(), **{f"zz{i:05d}": 1 for i in range(20_000)}}

    reply = _submit(token, sent)

    assert reply.status_code == 400
    (message,) = reply.json()["answers"]["non_field_errors"]
    assert message.count("zz") == 20 and "zz00019" in message and "zz00020" not in message
    assert message.endswith("(và 19980 mã khác)")
    assert Response.objects.count() == 0


def test_closed_links_give_404_409_410(version, x1):
    from django.utils import timezone

    used = register(x1, "U").invitation.token
    response_submit(token=used, answers=answers())
    expired = register(x1, "E").invitation
    Invitation.objects.filter(pk=expired.pk).update(expires_at=timezone.now())

    assert _submit("unknown-token", answers()).status_code == 404
    assert _submit(used, answers()).status_code == 409
    assert _submit(expired.token, answers()).status_code == 410
    assert Client().get("/api/v1/links/unknown-token/").status_code == 404
    assert Client().get(f"/api/v1/links/{used}/").status_code == 409
    assert Client().get(f"/api/v1/links/{expired.token}/").status_code == 410
    assert Client().get(f"/s/{used}/").status_code == 409
    assert Client().get(f"/s/{expired.token}/").status_code == 410
    assert Client().get("/s/unknown-token/").status_code == 404


def test_open_link_state_carries_the_definition(version, x1):
    token = register(x1).invitation.token

    reply = Client().get(f"/api/v1/links/{token}/")

    assert reply.status_code == 200
    assert reply.json()["definition"]["code"] == "sipas" and reply.json()["unit"] == "X1"


def test_submission_is_rate_limited(version, x1, settings):
    # Hourly windows: a fixed minute window could reset between two requests (flaky).
    settings.SURVEY_RATE_LIMITS = {"submit": "3/h", "open": "3/h"}
    token = register(x1).invitation.token

    codes = [_submit(token, {"a1": 99}).status_code for _ in range(5)]

    assert codes == [400, 400, 400, 429, 429]


def test_staff_list_filters_and_anonymous_cannot_read(version, x1, x2, staff):
    for i, unit in enumerate([x1, x1, x2]):
        response_submit(token=register(unit, f"R-{i}").invitation.token, answers=answers())

    listed = staff.get("/api/v1/responses/", {"unit": "X1"})

    assert Client().get("/api/v1/responses/").status_code in {401, 403}
    assert listed.status_code == 200 and listed.json()["count"] == 2
    assert {r["unit"] for r in listed.json()["results"]} == {"X1"}


def test_exports_csv_json_xlsx_with_codes_or_labels(version, x1, staff):
    response_submit(
        token=register(x1).invitation.token, answers=answers(5, priorities=["time", "online"])
    )

    csv_codes = b"".join(staff.get("/api/v1/responses/export.csv").streaming_content).decode()
    csv_labels = b"".join(
        staff.get("/api/v1/responses/export.csv", {"labels": "1"}).streaming_content
    ).decode()
    data = json.loads(b"".join(staff.get("/api/v1/responses/export.json").streaming_content))
    xlsx = staff.get("/api/v1/responses/export.xlsx", {"labels": "1", "lang": "en"})
    sheet = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))

    header, row = csv_codes.lstrip("\ufeff").splitlines()[:2]
    assert header.split(",")[:9] == [
        "response_id",
        "questionnaire",
        "version",
        "unit",
        "sector",
        "channel",
        "source",
        "submitted_at",
        "a1",
    ]
    assert row.split(",")[8] == "5" and "time;online" in row
    assert "Rất hài lòng" in csv_labels
    assert data[0]["answers"]["a1"] == 5 and data[0]["unit"] == "X1"
    assert rows[0][8] == "a1" and rows[2][8] == "Very satisfied"
    assert staff.get("/api/v1/responses/export.pdf").status_code == 404
    assert Client().get("/api/v1/responses/export.csv").status_code in {401, 403}


def test_batch_repeating_an_id_with_other_data_is_refused(version, x1, x2, province):
    system = _system([province])

    reply = system.post(
        "/api/v1/transactions/batch/",
        {"transactions": [_payload("D-1"), _payload("D-1", unit="X2")]},
        content_type="application/json",
    )

    assert reply.status_code == 400
    assert list(reply.json()["transactions"]) == ["1"]
    assert list(reply.json()["transactions"]["1"]) == ["external_id"]
    assert ServiceTransaction.objects.count() == 0 and Invitation.objects.count() == 0


def test_batch_repeating_an_identical_item_is_one_registration(version, x1, province):
    system = _system([province])

    reply = system.post(
        "/api/v1/transactions/batch/",
        {"transactions": [_payload("D-1"), _payload("D-1")]},
        content_type="application/json",
    )

    assert reply.status_code == 201
    assert (reply.json()["created"], reply.json()["existing"]) == (1, 1)
    assert ServiceTransaction.objects.count() == 1


def test_exports_quote_answers_a_spreadsheet_would_run_as_formulas(version, x1, staff):
    formula = '=HYPERLINK("http://evil.example","click")'
    response_submit(token=register(x1).invitation.token, answers=answers(5, comment=formula))

    csv_text = b"".join(staff.get("/api/v1/responses/export.csv").streaming_content).decode()
    xlsx = staff.get("/api/v1/responses/export.xlsx")
    sheet = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    column = rows[0].index("comment")

    assert "'=HYPERLINK(" in csv_text and ",=HYPERLINK(" not in csv_text
    assert rows[1][column] == "'" + formula
    assert sheet.cell(row=2, column=column + 1).data_type == "s"
    assert Response.objects.get().answers["comment"] == formula  # stored as typed


def test_nul_in_a_submitted_comment_does_not_lose_the_answer(version, x1):
    token = register(x1).invitation.token

    reply = Client().post(
        "/api/v1/responses/",
        {"token": token, "answers": answers(4, comment="Tốt\u0000")},
        content_type="application/json",
    )

    assert reply.status_code == 201
    assert Response.objects.get().answers["comment"] == "Tốt"


def test_framework_field_errors_are_in_vietnamese(version, x1, province):
    system = _system([province])

    reply = system.post(
        "/api/v1/transactions/",
        _payload(external_id=["T"], sector=None, channel="fax", completed_at="hôm qua"),
        content_type="application/json",
    )

    assert reply.status_code == 400
    assert reply.json() == {
        "external_id": ["Không phải là chuỗi văn bản hợp lệ."],
        "sector": ["Trường này không được để trống (null)."],
        "channel": ['"fax" không phải là lựa chọn hợp lệ.'],
        "completed_at": [
            "Thời điểm sai định dạng. Hãy dùng một trong các định dạng sau: "
            "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
        ],
    }
    assert ServiceTransaction.objects.count() == 0


def test_a_completion_time_in_the_future_is_refused(version, x1, staff):
    reply = staff.post(
        "/api/v1/transactions/",
        _payload(completed_at="2099-01-01T08:00:00+07:00"),
        content_type="application/json",
    )

    assert reply.status_code == 400
    assert reply.json()["completed_at"] == ["Thời điểm hoàn thành nằm ở tương lai."]
    assert ServiceTransaction.objects.count() == 0


def test_malformed_json_is_a_400_in_the_visitors_language(version, x1, staff):
    url = "/api/v1/transactions/"

    vi = staff.post(url, "{not json", content_type="application/json")
    en = staff.post(url + "?lang=en", "{not json", content_type="application/json")

    assert vi.status_code == en.status_code == 400
    assert vi.json()["detail"].startswith("Nội dung yêu cầu không phải JSON hợp lệ (")
    assert en.json()["detail"].startswith("The request body is not valid JSON (")
    assert ServiceTransaction.objects.count() == 0


def test_a_unit_code_with_nul_is_a_field_error_not_a_server_error(version, x1, staff):
    # found by the schemathesis run: PostgreSQL refuses NUL, the lookup was a 500
    reply = staff.post(
        "/api/v1/transactions/", _payload(unit="X\x001"), content_type="application/json"
    )
    assert reply.status_code == 400
    assert reply.json() == {"unit": ["Không được dùng ký tự rỗng (NUL)."]}
    assert not ServiceTransaction.objects.exists()


def test_a_link_token_with_nul_is_unknown(db):
    reply = Client().get("/api/v1/links/ab%00cd/")
    assert reply.status_code == 404
    assert reply.json()["reason"] == "unknown"


def test_response_filters_are_validated(version, staff):
    reply = staff.get("/api/v1/responses/", {"version": "0", "source": "fax"})
    assert reply.status_code == 400
    assert set(reply.json()) == {"version", "source"}
    exported = staff.get("/api/v1/responses/export.csv", {"submitted_from": "yesterday"})
    assert exported.status_code == 400
    assert set(exported.json()) == {"submitted_from"}


def test_response_list_query_count_does_not_grow_with_rows(
    version, x1, staff, django_assert_max_num_queries
):
    for i in range(6):
        response_submit(token=register(x1, f"Q-{i}").invitation.token, answers=answers())
    with django_assert_max_num_queries(8):
        listed = staff.get("/api/v1/responses/", {"unit": "P", "limit": 5})
    assert listed.json()["count"] == 6
    assert len(listed.json()["results"]) == 5
