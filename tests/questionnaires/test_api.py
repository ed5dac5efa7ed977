"""REST API: questionnaires by code, sections and questions, publish, copies, import/export."""

import io
import json

import pytest
from rest_framework.test import APIClient

from org.models import Role
from questionnaires.models import Questionnaire, QuestionnaireVersion
from tests.factories import member
from tests.questionnaires.helpers import question, small

pytestmark = pytest.mark.django_db
API = "/api/v1/questionnaires/"


@pytest.fixture
def designer() -> APIClient:
    client = APIClient()
    client.force_authenticate(member("designer", Role.DESIGNER))
    return client


@pytest.fixture
def reader() -> APIClient:
    client = APIClient()
    # Any role reads questionnaires (a statistician picks versions); only designers write.
    client.force_authenticate(member("reader", Role.STATISTICIAN))
    return client


def test_create_read_update_delete(designer: APIClient) -> None:
    created = designer.post(API, {"definition": small()}, format="json")
    assert created.status_code == 201
    assert created.json()["status"] == "unpublished"
    assert designer.get(f"{API}small/").json()["definition"] == small()
    changed = small()
    question(changed, "q1")["label"]["vi"] = "Đổi"
    assert designer.put(f"{API}small/", {"definition": changed}, format="json").status_code == 200
    assert Questionnaire.objects.get().draft == changed
    assert [q["code"] for q in designer.get(API).json()["results"]] == ["small"]
    assert designer.delete(f"{API}small/").status_code == 204
    assert not Questionnaire.objects.exists()


def test_invalid_definition_is_refused_with_every_problem(designer: APIClient) -> None:
    bad = small()
    question(bad, "channel")["choices"] = []
    question(bad, "q2")["relevant"] = "zz > 1"
    response = designer.post(API, {"definition": bad}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "where": "q2",
            "message": "the condition refers to an unknown question zz",
            "severity": "error",
        },
        {"where": "channel", "message": "the choice list is empty", "severity": "error"},
    ]
    assert not Questionnaire.objects.exists()


def test_publish_and_versions(designer: APIClient) -> None:
    designer.post(API, {"definition": small()}, format="json")
    published = designer.post(f"{API}small/publish/")
    assert published.status_code == 201
    assert published.json()["number"] == 1
    versions = designer.get("/api/v1/questionnaire-versions/?questionnaire=small").json()
    assert [v["number"] for v in versions["results"]] == [1]
    version_id = versions["results"][0]["id"]
    exported = designer.get(f"/api/v1/questionnaire-versions/{version_id}/export/")
    assert json.loads(exported.content) == small()
    assert designer.delete(f"/api/v1/questionnaire-versions/{version_id}/").status_code == 204
    assert not QuestionnaireVersion.objects.exists()


def test_sections_and_questions_crud(designer: APIClient) -> None:
    designer.post(API, {"definition": small()}, format="json")
    new_section = {"code": "s3", "title": {"vi": "Ba", "en": "Three"}}
    assert designer.post(f"{API}small/sections/", new_section, format="json").status_code == 201
    new_question = {
        "code": "q9",
        "type": "yes_no",
        "label": {"vi": "Chín", "en": "Nine"},
        "relevant": "q1 == 'yes'",
    }
    response = designer.post(f"{API}small/sections/s3/questions/", new_question, format="json")
    assert response.status_code == 201
    assert designer.get(f"{API}small/questions/q9/").json() == new_question
    changed = {**new_question, "required": True}
    assert designer.put(f"{API}small/questions/q9/", changed, format="json").status_code == 200
    moved = designer.post(
        f"{API}small/questions/q9/move/", {"section": "s1", "position": 0}, format="json"
    )
    assert moved.status_code == 400  # q9 would come before q1, which its rule reads
    moved = designer.post(
        f"{API}small/questions/q9/move/", {"section": "s1", "position": 3}, format="json"
    )
    assert moved.status_code == 200
    sections = moved.json()["definition"]["sections"]
    assert [q["code"] for q in sections[0]["questions"]] == ["q1", "q2", "channel", "q9"]
    assert (
        designer.post(f"{API}small/sections/s3/move/", {"position": 0}, format="json").status_code
        == 200
    )
    assert designer.delete(f"{API}small/sections/s3/").status_code == 200
    assert designer.delete(f"{API}small/questions/q9/").status_code == 200
    assert Questionnaire.objects.get().draft == small()


def test_duplicate_validate_export(designer: APIClient) -> None:
    designer.post(API, {"definition": small()}, format="json")
    copy = designer.post(f"{API}small/duplicate/", {"code": "copy"}, format="json")
    assert copy.status_code == 201
    assert copy.json()["definition"]["code"] == "copy"
    assert designer.get(f"{API}small/validate/").json() == {"valid": True, "problems": []}
    bad = small()
    question(bad, "q2")["scale"]["labels"] = {}
    checked = designer.post(f"{API}validate/", {"definition": bad}, format="json").json()
    assert checked["valid"] is False
    assert checked["problems"][0]["message"] == "the scale has no labels"
    xlsx = designer.get(f"{API}small/export/?as=xlsform")
    assert xlsx.status_code == 200
    assert xlsx.content[:2] == b"PK"


def test_import_file(designer: APIClient) -> None:
    upload = io.BytesIO(json.dumps(small()).encode())
    upload.name = "small.json"
    response = designer.post(f"{API}import/", {"file": upload, "publish": True}, format="multipart")
    assert response.status_code == 201
    assert response.json()["published_version"] == 1
    bad = io.BytesIO(b"{not json")
    bad.name = "bad.json"
    refused = designer.post(f"{API}import/", {"file": bad}, format="multipart")
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["message"].startswith("not valid JSON")


def test_reader_can_read_but_not_write(reader: APIClient, designer: APIClient) -> None:
    designer.post(API, {"definition": small()}, format="json")
    assert reader.get(f"{API}small/").status_code == 200
    assert reader.post(f"{API}small/publish/").status_code == 403
    assert reader.delete(f"{API}small/").status_code == 403
    assert APIClient().get(API).status_code in {401, 403}


def test_list_query_count(designer: APIClient, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    for index in range(5):
        designer.post(API, {"definition": small(code=f"s{index}")}, format="json")
    with django_assert_max_num_queries(15):
        listed = designer.get(API).json()
    assert listed["count"] == 5
    assert len(listed["results"]) == 5


def test_put_with_nul_in_a_label_is_stored_without_it(designer: APIClient) -> None:
    # PostgreSQL refuses NUL in jsonb: without the clean-up this was a 500
    designer.post(API, {"definition": small()}, format="json")
    changed = small()
    question(changed, "q1")["label"]["vi"] = "Có\u0000?"

    reply = designer.put(f"{API}small/", {"definition": changed}, format="json")

    assert reply.status_code == 200
    assert question(Questionnaire.objects.get().draft, "q1")["label"]["vi"] == "Có?"


def test_a_section_or_question_that_is_not_an_object_is_a_400(designer: APIClient) -> None:
    # found by the schemathesis run: a bare number as the body was a 500
    designer.post(API, {"definition": small()}, format="json")
    for url in [f"{API}small/sections/", f"{API}small/sections/s1/questions/"]:
        reply = designer.post(url, -20868978, format="json")
        assert reply.status_code == 400
        assert reply.json() == {"non_field_errors": ["Send a JSON object."]}
    assert designer.get(f"{API}small/").json()["definition"] == small()


def test_unknown_sections_questions_and_export_formats_answer_json(designer: APIClient) -> None:
    designer.post(API, {"definition": small()}, format="json")
    assert set(designer.get(f"{API}small/sections/nope/").json()) == {"detail"}
    assert designer.get(f"{API}small/questions/nope/").status_code == 404
    refused = designer.get(f"{API}small/export/", {"as": "pdf"})
    assert refused.status_code == 400
    assert set(refused.json()) == {"detail"}


def test_questionnaire_list_paginates_and_filters_by_kind(designer: APIClient) -> None:
    designer.post(API, {"definition": small()}, format="json")
    listed = designer.get(API, {"limit": 1}).json()
    assert listed["count"] == 1
    assert [q["code"] for q in listed["results"]] == ["small"]
    assert designer.get(API, {"kind": "ddci"}).json()["count"] == 0
