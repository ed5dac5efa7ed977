"""Drafts, frozen versions, builder edits, copies and the delete guard."""

import pytest
from django.core.exceptions import ValidationError

from questionnaires import services
from questionnaires.calculations import calculations_evaluate, constraint_errors
from questionnaires.definition import content_hash
from questionnaires.models import Questionnaire, QuestionnaireVersion
from questionnaires.selectors import questionnaire_status, version_current
from questionnaires.services import DefinitionInvalid
from tests.questionnaires.helpers import question, small

pytestmark = pytest.mark.django_db


def test_publish_freezes_a_version_and_editing_starts_a_new_draft() -> None:
    questionnaire = services.questionnaire_save_draft(definition=small())
    assert questionnaire_status(questionnaire=questionnaire) == "unpublished"
    first = services.questionnaire_publish(questionnaire=questionnaire)
    assert (first.number, first.content_hash) == (1, content_hash(small()))
    assert services.questionnaire_publish(questionnaire=questionnaire) == first
    assert questionnaire_status(questionnaire=questionnaire) == "published"
    # when the published questionnaire is edited, the version stays as it was
    services.question_delete(questionnaire=questionnaire, code="note")
    questionnaire.refresh_from_db()
    assert questionnaire_status(questionnaire=questionnaire) == "changed"
    first.refresh_from_db()
    assert first.definition == small()
    second = services.questionnaire_publish(questionnaire=questionnaire)
    assert second.number == 2
    assert version_current(questionnaire_code="small") == second


def test_invalid_draft_is_refused_and_nothing_changes() -> None:
    questionnaire = services.questionnaire_save_draft(definition=small())
    bad = small()
    question(bad, "channel")["choices"] = []
    with pytest.raises(DefinitionInvalid) as caught:
        services.questionnaire_save_draft(definition=bad)
    assert caught.value.messages == ["channel: the choice list is empty"]
    questionnaire.refresh_from_db()
    assert questionnaire.draft == small()


def test_invalid_new_questionnaire_creates_nothing() -> None:
    bad = small(code="other")
    question(bad, "q2")["relevant"] = "later == 1"
    with pytest.raises(DefinitionInvalid):
        services.questionnaire_create(definition=bad)
    assert not Questionnaire.objects.exists()


def test_builder_edits_question_section_and_moves() -> None:
    questionnaire = services.questionnaire_save_draft(definition=small())
    services.question_save(
        questionnaire=questionnaire,
        section_code="s1",
        position=0,
        question={"code": "q0", "type": "text", "label": {"vi": "Tên", "en": "Name"}},
    )
    services.section_save(
        questionnaire=questionnaire, section={"code": "s3", "title": {"vi": "Ba", "en": "Three"}}
    )
    services.question_move(questionnaire=questionnaire, code="note", section_code="s3", position=0)
    questionnaire.refresh_from_db()
    codes = [[q["code"] for q in s["questions"]] for s in questionnaire.draft["sections"]]
    assert codes == [
        ["q0", "q1", "q2", "channel"],
        ["m", "age", "nps", "when", "email", "tags"],
        ["note"],
    ]


def test_moving_a_question_before_what_its_rule_reads_is_refused() -> None:
    questionnaire = services.questionnaire_save_draft(definition=small())
    with pytest.raises(DefinitionInvalid) as caught:
        services.question_move(
            questionnaire=questionnaire, code="q2", section_code="s1", position=0
        )
    assert caught.value.messages == [
        "q2: the condition refers to q1, which comes later in the questionnaire"
    ]
    questionnaire.refresh_from_db()
    assert questionnaire.draft == small()


def test_deleting_a_question_that_rules_read_is_refused() -> None:
    questionnaire = services.questionnaire_save_draft(definition=small())
    with pytest.raises(DefinitionInvalid) as caught:
        services.question_delete(questionnaire=questionnaire, code="q1")
    assert caught.value.messages == ["q2: the condition refers to an unknown question q1"]


def test_duplicate_copies_the_draft_without_versions() -> None:
    questionnaire = services.questionnaire_save_draft(definition=small())
    services.questionnaire_publish(questionnaire=questionnaire)
    copy = services.questionnaire_duplicate(questionnaire=questionnaire, code="small-2")
    assert copy.draft == {**small(), "code": "small-2"}
    assert copy.versions.count() == 0
    with pytest.raises(DefinitionInvalid):
        services.questionnaire_duplicate(questionnaire=questionnaire, code="small-2")


def test_code_cannot_change_through_a_draft_save() -> None:
    questionnaire = services.questionnaire_save_draft(definition=small())
    with pytest.raises(DefinitionInvalid):
        services.questionnaire_save_draft(
            definition=small(code="renamed"), questionnaire=questionnaire
        )


def test_a_version_without_answers_can_be_deleted() -> None:
    questionnaire = services.questionnaire_save_draft(definition=small())
    version = services.questionnaire_publish(questionnaire=questionnaire)
    services.version_delete(version=version)
    assert not QuestionnaireVersion.objects.exists()
    services.questionnaire_delete(questionnaire=questionnaire)
    assert not Questionnaire.objects.exists()


def test_a_version_with_answers_can_never_be_deleted() -> None:
    from django.utils import timezone

    from survey.models import Response
    from tests.factories import province_with_communes

    questionnaire = services.questionnaire_save_draft(definition=small())
    version = services.questionnaire_publish(questionnaire=questionnaire)
    Response.objects.create(
        version=version,
        unit=province_with_communes(),
        sector="land",
        channel="counter",
        answers={"q1": "no"},
        submitted_at=timezone.now(),
    )
    with pytest.raises(ValidationError, match="has answers and can never be deleted"):
        services.version_delete(version=version)
    with pytest.raises(ValidationError, match="have answers"):
        services.questionnaire_delete(questionnaire=questionnaire)
    assert QuestionnaireVersion.objects.filter(pk=version.pk).exists()


def test_draft_from_an_old_version() -> None:
    questionnaire = services.questionnaire_save_draft(definition=small())
    version = services.questionnaire_publish(questionnaire=questionnaire)
    services.question_delete(questionnaire=questionnaire, code="note")
    services.questionnaire_draft_from_version(version=version)
    questionnaire.refresh_from_db()
    assert questionnaire.draft == small()


def test_calculated_values_in_dependency_order_skip_na() -> None:
    definition = small(
        calculations=[
            {"code": "double", "expression": "service_mean * 2"},
            {"code": "service_mean", "expression": "mean(q2, m.r1, m.r2)"},
        ]
    )
    values = calculations_evaluate(definition, {"q2": 5, "m": {"r1": 4, "r2": "na"}})
    assert values == {"service_mean": 4.5, "double": 9.0}
    assert calculations_evaluate(definition, {}) == {"service_mean": None, "double": None}


def test_constraint_errors_name_the_question_with_its_message() -> None:
    definition = small()
    assert constraint_errors(definition, {"age": 17}, "en") == {"age": "18+"}
    assert constraint_errors(definition, {"age": 30}, "vi") == {}
    assert constraint_errors(definition, {}, "vi") == {}


@pytest.mark.parametrize("name", ["sipas", "ddci"])
def test_templates_load_validate_and_publish(name: str) -> None:
    definition = services.library_definition(name)
    assert services.definition_errors(definition) == []
    questionnaire = services.questionnaire_save_draft(definition=definition)
    version = services.questionnaire_publish(questionnaire=questionnaire)
    assert version.number == 1
    assert questionnaire.kind == name


def test_ddci_template_has_its_sub_indices_reverse_items_and_firm_profile() -> None:
    from questionnaires.definition import iter_questions, scored_items

    definition = services.library_definition("ddci")
    components = {c["code"] for c in definition["components"]}
    assert {
        "ddci.transparency",
        "ddci.time_costs",
        "ddci.informal_charges",
        "ddci.land_access",
        "ddci.it_use",
    } <= components
    items = scored_items(definition)
    assert {i["scoring"]["component"] for i in items} == components
    assert any(i["scoring"]["reverse"] and i["scoring"]["satisfied"] == [1, 2] for i in items)
    profile = [q["code"] for q in iter_questions(definition) if q.get("profile")]
    assert profile == ["firm_size", "firm_sector", "ownership", "firm_age", "location"]


def test_sipas_template_has_elements_overall_priorities_and_profile() -> None:
    from questionnaires.definition import iter_questions

    definition = services.library_definition("sipas")
    components = [c["code"] for c in definition["components"]]
    assert components[:5] == [
        "sipas.access",
        "sipas.procedures",
        "sipas.civil_servants",
        "sipas.results",
        "sipas.feedback",
    ]
    codes = {q["code"] for q in iter_questions(definition)}
    assert {
        "o1",
        "priorities",
        "age_group",
        "sex",
        "education",
        "occupation",
        "sector",
        "channel",
    } <= codes
    assert definition["calculations"][0]["code"] == "access_mean"


def test_unknown_template() -> None:
    with pytest.raises(ValidationError, match="ddci, sipas"):
        services.library_definition("nope")


def test_draft_with_nul_and_decomposed_text_is_saved_storable() -> None:
    # PostgreSQL refuses NUL in jsonb: the draft is stored without it, in NFC
    definition = small()
    definition["title"]["vi"] = "Kha\u0309o sa\u0301t\x00 nho\u0309"

    questionnaire = services.questionnaire_save_draft(definition=definition)

    stored = Questionnaire.objects.get(pk=questionnaire.pk).draft
    assert stored["title"]["vi"] == "Khảo sát nhỏ"
    assert definition["title"]["vi"] == "Kha\u0309o sa\u0301t\x00 nho\u0309"  # input untouched
