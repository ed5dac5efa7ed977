"""Every refusal of the API is JSON in its error shape, in Vietnamese (QA: a 5 MB body was
Django's English HTML "Bad Request (400)"; wrong HTTP Basic credentials were a 403 with
no challenge; ?limit=abc, ?offset=-1 and ?limit=10⁹ were silently ignored)."""

import base64
import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from survey.models import Response, ServiceTransaction
from survey.services import api_client_create
from tests.survey.conftest import province, version, x1  # noqa: F401  (fixtures)
from tests.test_openapi import known, wsgi_keeps_test_connection  # noqa: F401  (fixtures)

PASSWORD = "a-long-enough-pass"
PAGE_MAX_LIMIT = 1000  # config.api.PAGE_MAX_LIMIT, documented in the schema
TOO_LARGE = "Nội dung yêu cầu quá lớn: tối đa 2,5\xa0MB."
BIG_BODY = json.dumps({"answers": {"q1": "a" * (5 * 1024 * 1024)}})


def _basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def _is_json(reply) -> bool:
    return reply["Content-Type"].startswith("application/json")


@pytest.fixture
def staff(db):
    return get_user_model().objects.create_superuser("stat", "s@example.org", PASSWORD)


def _operations_with_a_body(objects: dict[str, dict[str, object]]) -> list[tuple[str, str]]:
    schema = Client().get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operations = []
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            if "requestBody" not in operation:
                continue
            url = path
            for prefix, values in objects.items():
                if path.startswith(prefix):
                    for name, value in values.items():
                        url = url.replace("{" + name + "}", str(value))
            operations.append((method, url))
    return operations


# --- bodies: too large, not JSON, of a wrong type ------------------------------------


def test_a_5_mb_body_is_a_json_400_in_vietnamese_on_the_public_endpoint(db):
    # given an anonymous caller (the response endpoint parses before it authenticates)
    # when it posts 5 MB of JSON
    reply = Client().post("/api/v1/responses/", BIG_BODY, content_type="application/json")
    # then a JSON 400 in the error shape, nothing stored
    assert reply.status_code == 400
    assert _is_json(reply)
    assert reply.json() == {"detail": TOO_LARGE}
    assert Response.objects.count() == 0


def test_a_5_mb_body_is_a_json_400_in_english_with_the_language_switch(db):
    reply = Client().post("/api/v1/responses/?lang=en", BIG_BODY, content_type="application/json")
    assert reply.status_code == 400
    assert reply.json() == {"detail": "The request body is too large: at most 2.5\xa0MB."}


def test_a_5_mb_batch_from_a_system_is_refused_whole(version, x1):  # noqa: F811
    _client, key = api_client_create(name="one-stop", units=[x1])
    system = Client(HTTP_AUTHORIZATION=f"Api-Key {key}")
    reply = system.post("/api/v1/transactions/batch/", BIG_BODY, content_type="application/json")
    assert reply.status_code == 400
    assert reply.json() == {"detail": TOO_LARGE}
    assert ServiceTransaction.objects.count() == 0


def test_malformed_json_names_its_position_in_vietnamese_only(db):
    reply = Client().post("/api/v1/responses/", "{bad", content_type="application/json")
    assert reply.status_code == 400
    assert reply.json() == {"detail": "Nội dung yêu cầu không phải JSON hợp lệ (dòng 1, cột 2)."}


def test_a_body_that_is_not_utf8_is_a_json_400(db):
    reply = Client().post("/api/v1/responses/", b"\xff\xfe{}", content_type="application/json")
    assert reply.status_code == 400
    assert reply.json() == {"detail": "Nội dung yêu cầu không phải JSON hợp lệ ở dạng UTF-8."}


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ('{"token": "x", "answers": {"a1": NaN}}', "JSON hợp lệ: có số vượt quá giới hạn."),
        ('{"token": "x", "answers": {"a1": Infinity}}', "JSON hợp lệ: có số vượt quá giới hạn."),
        ('{"token": "x", "answers": {"a1": ' + "9" * 5000 + "}}", "có số vượt quá giới hạn."),
    ],
)
def test_numbers_json_cannot_carry_are_not_called_bad_utf8(db, body, detail):
    reply = Client().post("/api/v1/responses/", body, content_type="application/json")
    assert reply.status_code == 400
    assert reply.json()["detail"].endswith(detail)
    assert "UTF-8" not in reply.json()["detail"]


def test_a_multipart_body_without_boundary_is_refused_in_vietnamese(staff):
    client = Client()
    client.force_login(staff)
    reply = client.post("/api/v1/imports/", b"abc", content_type="multipart/form-data")
    assert reply.status_code == 400
    assert reply.json() == {"detail": "Nội dung yêu cầu không phải biểu mẫu multipart hợp lệ."}


def test_a_json_null_body_is_refused_in_vietnamese(db):
    reply = Client().post("/api/v1/responses/", "null", content_type="application/json")
    assert reply.status_code == 400
    assert reply.json() == {"non_field_errors": ["Nội dung yêu cầu trống."]}


def test_every_api_operation_with_a_body_answers_json_to_bad_bodies(known, staff):  # noqa: F811
    # given a signed-in superuser (every permission), and real objects behind the paths
    client = Client()
    client.force_login(staff)
    refusals = {}
    for method, url in _operations_with_a_body(known):
        send = getattr(client, method)
        # when each operation gets a body too large, not JSON, and of a wrong type
        big = send(url, BIG_BODY, content_type="application/json")
        malformed = send(url, "{bad", content_type="application/json")
        wrong_type = send(url, "a=b", content_type="text/plain")
        refusals[f"{method.upper()} {url}"] = (big, malformed, wrong_type)
    # then every answer is JSON (never Django's HTML page) and never a server error
    html = [name for name, replies in refusals.items() if not all(map(_is_json, replies))]
    assert html == []
    assert all(r.status_code < 500 for replies in refusals.values() for r in replies)
    # and an operation that reads a JSON body says exactly what is wrong with it
    too_large = {name for name, (big, _m, _w) in refusals.items() if big.status_code == 400}
    for name in too_large:
        big, malformed, wrong_type = refusals[name]
        assert big.json() == {"detail": TOO_LARGE}, name
        assert malformed.json()["detail"].startswith("Nội dung yêu cầu không phải JSON"), name
        assert wrong_type.status_code == 415, name
        assert wrong_type.json() == {
            "detail": 'Kiểu dữ liệu "text/plain" của yêu cầu không được hỗ trợ.'
        }, name
    assert len(too_large) >= 20


def test_an_unknown_api_path_is_a_json_404(db):
    reply = Client().get("/api/v1/no-such-thing/")
    assert reply.status_code == 404
    assert reply.json() == {"detail": "Không tìm thấy.", "code": "not_found"}


def test_a_page_refusing_a_large_body_says_so_in_vietnamese(db, settings):
    # Django's own 400 outside the API (here: too many form fields for the login page)
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    fields = {f"f{i}": "x" for i in range(10)}
    reply = Client().post("/login/", fields)
    assert reply.status_code == 400
    assert "Yêu cầu không hợp lệ" in reply.content.decode()


# --- credentials ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/questionnaires/",
        "/api/v1/audit/",
        "/api/v1/estimates/",  # open to anonymous visitors: wrong credentials still 401
        "/api/v1/responses/",  # the API key is its first scheme
        "/api/v1/index/frameworks/",
    ],
)
def test_wrong_basic_credentials_are_a_401_with_the_basic_challenge(staff, url):
    reply = Client().get(url, HTTP_AUTHORIZATION=_basic("stat", "wrong-password"))
    assert reply.status_code == 401
    assert reply["WWW-Authenticate"] == 'Basic realm="api"'
    assert reply.json() == {"detail": "Sai tên đăng nhập hoặc mật khẩu."}


def test_a_malformed_basic_header_is_a_401_too(staff):
    reply = Client().get("/api/v1/questionnaires/", HTTP_AUTHORIZATION="Basic !!!")
    assert reply.status_code == 401
    assert reply["WWW-Authenticate"] == 'Basic realm="api"'


def test_wrong_basic_credentials_still_count_towards_the_lockout(staff, settings):
    settings.AXES_FAILURE_LIMIT = 3
    client = Client()
    url = "/api/v1/questionnaires/"
    wrong = [
        client.get(url, HTTP_AUTHORIZATION=_basic("stat", "wrong"), REMOTE_ADDR="10.0.0.9")
        for _ in range(3)
    ]
    assert [r.status_code for r in wrong] == [401, 401, 429]
    assert wrong[2].json()["code"] == "locked_out"
    assert wrong[2]["Retry-After"] == "900"
    right = client.get(url, HTTP_AUTHORIZATION=_basic("stat", PASSWORD), REMOTE_ADDR="10.0.0.9")
    assert right.status_code == 429


def test_right_basic_credentials_still_work(staff):
    reply = Client().get("/api/v1/questionnaires/", HTTP_AUTHORIZATION=_basic("stat", PASSWORD))
    assert reply.status_code == 200


@pytest.mark.parametrize(
    "header",
    [{"HTTP_AUTHORIZATION": "Api-Key hl_abc.def"}, {"HTTP_X_API_KEY": "hl_abc.def"}],
)
@pytest.mark.parametrize("url", ["/api/v1/responses/", "/api/v1/transactions/"])
def test_a_wrong_api_key_is_a_401_with_the_api_key_challenge(db, url, header):
    reply = Client().get(url, **header)
    assert reply.status_code == 401
    assert reply["WWW-Authenticate"] == 'Api-Key realm="api"'
    assert reply.json() == {"detail": "Khóa API không hợp lệ hoặc đã bị thu hồi."}


@pytest.mark.parametrize(
    "header",
    [{"HTTP_AUTHORIZATION": "Api-Key hl_abc.def"}, {"HTTP_X_API_KEY": "hl_abc.def"}],
)
def test_an_api_key_on_a_staff_endpoint_is_told_keys_are_not_accepted_there(db, header):
    reply = Client().get("/api/v1/questionnaires/", **header)
    assert reply.status_code == 403
    assert reply.json() == {
        "detail": "Địa chỉ này không nhận khóa API (chỉ các địa chỉ thu thập phiếu nhận): "
        "hãy đăng nhập bằng tài khoản cán bộ."
    }


def test_no_credentials_on_a_staff_endpoint_stay_a_403(db):
    # Unchanged: the session is the first scheme; a browser gets no Basic prompt.
    reply = Client().get("/api/v1/questionnaires/")
    assert reply.status_code == 403
    assert "WWW-Authenticate" not in reply


# --- pagination ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ("limit=abc", {"limit": ["Cần một số nguyên hợp lệ."]}),
        ("limit=0", {"limit": ["Giá trị phải lớn hơn hoặc bằng 1."]}),
        ("limit=-5", {"limit": ["Giá trị phải lớn hơn hoặc bằng 1."]}),
        ("limit=1000000000", {"limit": [f"Giá trị phải nhỏ hơn hoặc bằng {PAGE_MAX_LIMIT}."]}),
        ("offset=-1", {"offset": ["Giá trị phải lớn hơn hoặc bằng 0."]}),
        (
            "offset=x&limit=y",
            {"offset": ["Cần một số nguyên hợp lệ."], "limit": ["Cần một số nguyên hợp lệ."]},
        ),
        ("offset=99999999999999999999", {"offset": ["Giá trị phải nhỏ hơn hoặc bằng 2147483647."]}),
    ],
)
@pytest.mark.parametrize("url", ["/api/v1/questionnaires/", "/api/v1/audit/", "/api/v1/estimates/"])
def test_bad_pagination_values_are_a_400_with_field_errors(staff, url, query, errors):
    client = Client()
    client.force_login(staff)
    reply = client.get(f"{url}?{query}")
    assert reply.status_code == 400
    assert reply.json() == errors


def test_good_and_empty_pagination_values_are_accepted(staff):
    client = Client()
    client.force_login(staff)
    for query in ("limit=1&offset=0", f"limit={PAGE_MAX_LIMIT}", "limit=&offset=", "offset=5"):
        reply = client.get(f"/api/v1/audit/?{query}")
        assert reply.status_code == 200, query
        assert set(reply.json()) == {"count", "next", "previous", "results"}


def test_the_schema_documents_the_page_bounds_and_the_400(db):
    schema = Client().get("/api/schema/", HTTP_ACCEPT="application/json").json()
    for path in ("/api/v1/questionnaires/", "/api/v1/estimates/", "/api/v1/responses/"):
        operation = schema["paths"][path]["get"]
        parameters = {p["name"]: p for p in operation["parameters"]}
        assert parameters["limit"]["schema"] == {
            "type": "integer",
            "minimum": 1,
            "maximum": PAGE_MAX_LIMIT,
            "default": 500,
        }
        assert parameters["offset"]["schema"]["minimum"] == 0
        assert re.search(r"at most 1000", parameters["limit"]["description"])
        assert "400" in operation["responses"], path


def test_a_refused_form_is_explained_in_vietnamese_not_djangos_english_page(version, x1):  # noqa: F811
    # given a citizen whose browser blocks cookies (no CSRF cookie)
    from tests.survey.conftest import register

    token = register(x1).invitation.token
    reply = Client(enforce_csrf_checks=True).post(f"/s/{token}/", {"a1": "4"})
    html = reply.content.decode()
    # then a page in Vietnamese, under the site's layout and CSP (no inline style)
    assert reply.status_code == 403
    assert "Không gửi được biểu mẫu" in html
    assert "trình duyệt đang chặn cookie" in html
    assert "CSRF verification failed" not in html
    assert "<style>" not in html
    assert Response.objects.count() == 0


def test_a_body_without_a_content_type_is_a_documented_415(db):
    # QA (schemathesis on a fresh clone): a body with no Content-Type was an
    # undocumented 415.
    reply = Client().generic("POST", "/api/v1/responses/", b"token=x", content_type="")
    schema = Client().get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert reply.status_code == 415
    assert reply.json() == {"detail": 'Kiểu dữ liệu "" của yêu cầu không được hỗ trợ.'}
    undocumented = [
        f"{method} {path}"
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
        if "requestBody" in operation and "415" not in operation["responses"]
    ]
    assert undocumented == []
