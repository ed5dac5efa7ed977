"""Designers see question types and problems in their language, never raw codes (QA: the
builder showed ``single_choice``, a JSON with ``select_one`` got jsonschema's English
"'select_one' is not one of [...]", the import report said "error")."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation

from org.models import Role
from questionnaires import services
from questionnaires.services import definition_errors
from tests.factories import member
from tests.questionnaires.helpers import question, small


@pytest.fixture(autouse=True)
def _english_messages() -> None:  # overrides the package's English default
    return None


@pytest.fixture
def designer(db) -> Client:
    client = Client()
    client.force_login(member("d", Role.DESIGNER))
    return client


def _type_badges(html: str) -> dict[str, str]:
    """data-type → the text shown in the builder's outline."""
    import re

    return dict(re.findall(r'<span class="qtype" data-type="([^"]*)"[^>]*>([^<]*)</span>', html))


def test_the_outline_shows_question_types_in_vietnamese(designer):
    services.questionnaire_save_draft(definition=small())
    html = designer.get("/questionnaires/small/").content.decode()
    badges = _type_badges(html)
    assert badges == {
        "yes_no": "Có / không",
        "rating": "Thang điểm",
        "single_choice": "Chọn một",
        "matrix": "Ma trận (nhiều nội dung trên cùng một thang điểm)",
        "number": "Số",
        "long_text": "Văn bản dài",
        "nps": "Điểm giới thiệu 0–10",
        "date": "Ngày",
        "text": "Văn bản ngắn",
        "multiple_choice": "Chọn nhiều",
    }
    # the code stays at hand for designers who edit JSON or XLSForm files
    assert 'title="single_choice">Chọn một</span>' in html


def test_the_outline_shows_english_labels_with_the_language_switch(designer):
    services.questionnaire_save_draft(definition=small())
    html = designer.get("/questionnaires/small/?lang=en").content.decode()
    assert _type_badges(html)["single_choice"] == "Single choice"
    assert _type_badges(html)["nps"] == "Recommendation score 0–10"


def test_an_unknown_type_is_explained_with_the_types_to_use():
    definition = small()
    question(definition, "q1")["type"] = "select_one"
    del question(definition, "channel")["label"]
    with translation.override("vi"):
        found = definition_errors(definition)
    assert found[0] == (
        'q1: sections/0/questions/0/type: không có loại câu hỏi "select_one": hãy dùng một '
        "trong các loại Chọn một (single_choice), Chọn nhiều (multiple_choice), Thang điểm "
        "(rating), Ma trận (nhiều nội dung trên cùng một thang điểm) (matrix), Có / không "
        "(yes_no), Số (number), Ngày (date), Văn bản ngắn (text), Văn bản dài (long_text), "
        "Điểm giới thiệu 0–10 (nps)"
    )
    assert found[1] == "channel: sections/0/questions/2: thiếu label"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"code": 5}, "definition: code: 5 không phải văn bản"),
        ({"surprise": 1}, "definition: /: thuộc tính không xác định: surprise"),
        ({"sections": []}, "definition: sections: cần ít nhất 1 mục"),
    ],
)
def test_schema_problems_are_in_vietnamese(change, message):
    with translation.override("vi"):
        found = definition_errors(small(**change))
    assert found == [message]


def test_a_problem_names_the_type_by_its_label():
    definition = small()
    question(definition, "note")["scoring"] = {"component": "c.service"}
    with translation.override("vi"):
        assert definition_errors(definition) == [
            "note: câu hỏi loại “Văn bản dài” không thể tính vào chỉ số"
        ]
    with translation.override("en"):
        assert definition_errors(definition) == [
            "note: a “Long text” question cannot feed an index"
        ]


def test_the_import_report_names_severities_and_json_errors_in_vietnamese(designer):
    upload = SimpleUploadedFile("bad.json", b'{"code": "x",\n  oops}', "application/json")
    reply = designer.post("/questionnaires/import/", {"file": upload})
    html = reply.content.decode()
    assert reply.status_code == 400
    assert "không phải JSON hợp lệ (dòng 2, cột 3)" in html
    assert "<td>lỗi</td>" in html
    assert "<td>error</td>" not in html


def test_an_imported_select_one_is_reported_in_vietnamese(designer):
    definition = small()
    question(definition, "q1")["type"] = "select_one"
    upload = SimpleUploadedFile("x.json", json.dumps(definition).encode(), "application/json")
    html = designer.post("/questionnaires/import/", {"file": upload}).content.decode()
    assert "không có loại câu hỏi &quot;select_one&quot;: hãy dùng một trong các loại" in html
    assert "is not one of" not in html


def test_a_bad_questionnaire_code_is_explained_in_vietnamese(designer):
    # QA: Django's "Enter a valid “slug” …" has no Vietnamese translation
    reply = designer.post("/questionnaires/new/", {"code": "bảng hỏi", "title_vi": "X"})
    html = reply.content.decode()
    assert reply.status_code == 400
    assert "Chỉ dùng chữ cái không dấu, chữ số, _ và -." in html
    assert "slug" not in html


def test_a_refused_question_form_is_a_400_and_changes_nothing(designer):
    services.questionnaire_save_draft(definition=small())
    before = services.Questionnaire.objects.get().draft
    reply = designer.post(
        "/questionnaires/small/questions/q1/",
        {"code": "1bad", "type": "select_one", "label_vi": "Câu 1", "scale_min": "x"},
    )
    html = reply.content.decode()
    assert reply.status_code == 400
    assert "Bắt đầu bằng chữ cái hoặc _" in html
    assert services.Questionnaire.objects.get().draft == before
