"""Builder pages, server side: permissions, refused edits change nothing, every page renders."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from org.models import Role
from questionnaires import services
from questionnaires.models import Questionnaire
from tests.factories import member
from tests.questionnaires.helpers import small

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_designer(client: Client) -> Client:
    client.force_login(member("d", Role.DESIGNER))
    return client


def test_pages_need_a_designer(client: Client) -> None:
    response = client.get("/questionnaires/")
    assert response.status_code == 302
    client.force_login(get_user_model().objects.create_user("plain", password="x"))
    assert client.get("/questionnaires/").status_code == 403


def test_every_page_renders_in_vietnamese_by_default(client_designer: Client, settings) -> None:
    settings.LANGUAGE_CODE = "vi"  # undo the package's English default for messages
    services.questionnaire_save_draft(definition=small())
    services.questionnaire_publish(questionnaire=Questionnaire.objects.get())
    for url in [
        "/questionnaires/",
        "/questionnaires/small/",
        "/questionnaires/small/?validate=1",
        "/questionnaires/small/settings/",
        "/questionnaires/small/sections/new/",
        "/questionnaires/small/sections/s2/",
        "/questionnaires/small/questions/m/",
        "/questionnaires/small/sections/s1/questions/new/",
        "/questionnaires/small/preview/",
        "/questionnaires/small/v1/preview/",
    ]:
        response = client_designer.get(url)
        assert response.status_code == 200, url
        assert response["Content-Language"] == "vi"
        assert '<html lang="vi">' in response.content.decode()
    assert "Bảng hỏi" in client_designer.get("/questionnaires/").content.decode()
    assert client_designer.get("/questionnaires/small/export.xlsx").content[:2] == b"PK"
    assert client_designer.get("/questionnaires/small/v1/export.json").json() == small()
    assert client_designer.get("/questionnaires/small/export.exe").status_code == 404


def test_question_form_round_trips_a_question_unchanged(client_designer: Client) -> None:
    from questionnaires.forms import QuestionForm

    definition = small()
    for section in definition["sections"]:
        for item in section["questions"]:
            initial = QuestionForm.initial_from(item)
            data = {k: ("" if v is None else v) for k, v in initial.items() if v not in (False,)}
            form = QuestionForm(data, components=definition["components"])
            assert form.is_valid(), (item["code"], form.errors)
            rebuilt = form.question(item)
            expected = {**item, "required": item.get("required", False)}
            if "scoring" in expected:
                expected["scoring"] = {"reverse": False, **expected["scoring"]}
            assert rebuilt == expected, item["code"]


def test_refused_edit_shows_the_problem_and_changes_nothing(client_designer: Client) -> None:
    services.questionnaire_save_draft(definition=small())
    response = client_designer.post(
        "/questionnaires/small/sections/s1/questions/new/",
        {"code": "q1", "type": "single_choice", "label_vi": "Trùng", "choices": ""},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "q1: duplicate question code" in body
    assert "the choice list is empty" in body
    assert Questionnaire.objects.get().draft == small()


def test_move_buttons_and_publish_and_duplicate(client_designer: Client) -> None:
    services.questionnaire_save_draft(definition=small())
    client_designer.post("/questionnaires/small/questions/channel/move/", {"direction": "up"})
    first = [q["code"] for q in Questionnaire.objects.get().draft["sections"][0]["questions"]]
    assert first == ["q1", "channel", "q2"]
    client_designer.post("/questionnaires/small/sections/s2/move/", {"direction": "up"})
    # s2's rule reads q2 from s1: moving it first is refused and nothing moves
    assert [s["code"] for s in Questionnaire.objects.get().draft["sections"]] == ["s1", "s2"]
    client_designer.post("/questionnaires/small/publish/")
    assert Questionnaire.objects.get().versions.count() == 1
    client_designer.post("/questionnaires/small/duplicate/", {"code": "small-copy"})
    assert Questionnaire.objects.filter(code="small-copy").exists()


def test_template_and_import_pages(client_designer: Client) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client_designer.post("/questionnaires/from-template/", {"name": "ddci"})
    assert Questionnaire.objects.filter(code="ddci").exists()
    with open("tests/questionnaires/data/UCL_Biomass_Plot_Form.xlsx", "rb") as handle:
        upload = SimpleUploadedFile("ucl.xlsx", handle.read())
    response = client_designer.post("/questionnaires/import/", {"file": upload})
    assert response.status_code == 200
    assert "center_point" in response.content.decode()
    assert Questionnaire.objects.filter(code="ucl").exists()
