"""The definition validator: every problem names the question and says what is wrong."""

import json
from pathlib import Path

import jsonschema
import pytest

from questionnaires.definition import scored_items
from questionnaires.services import definition_errors, library_definition
from questionnaires.validation import SCHEMA_PATH, definition_problems
from tests.questionnaires.helpers import question, small


def errors(definition: dict) -> list[str]:
    return definition_errors(definition)


def test_a_valid_definition_has_no_errors() -> None:
    assert errors(small()) == []


def test_the_schema_file_is_a_valid_json_schema_and_accepts_the_templates() -> None:
    schema = json.loads(Path(SCHEMA_PATH).read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    for name in ("sipas", "ddci"):
        jsonschema.validate(library_definition(name), schema)


def test_duplicate_question_codes() -> None:
    definition = small()
    question(definition, "channel")["code"] = "q1"
    assert "q1: duplicate question code" in errors(definition)


def test_condition_naming_an_unknown_question() -> None:
    definition = small()
    question(definition, "q2")["relevant"] = "zz == 1"
    assert errors(definition) == ["q2: the condition refers to an unknown question zz"]


def test_condition_naming_a_later_question() -> None:
    definition = small()
    question(definition, "q2")["relevant"] = "channel == 'online'"
    assert errors(definition) == [
        "q2: the condition refers to channel, which comes later in the questionnaire"
    ]


def test_condition_naming_the_question_itself() -> None:
    definition = small()
    question(definition, "q2")["relevant"] = "q2 > 3"
    assert errors(definition) == ["q2: the condition refers to the question itself"]


def test_section_condition_may_not_read_its_own_questions() -> None:
    definition = small()
    definition["sections"][1]["relevant"] = "age > 3"
    assert errors(definition) == [
        "s2: the condition refers to age, which comes later in the questionnaire"
    ]


def test_matrix_rows_in_conditions_are_checked() -> None:
    definition = small()
    question(definition, "age")["relevant"] = "m.r1 >= 4 and m.r9 > 1"
    assert errors(definition) == ["age: the condition refers to m.r9, but m has no row r9"]


def test_unreadable_condition_names_the_position() -> None:
    definition = small()
    question(definition, "q2")["relevant"] = "q1 == 'yes' and"
    [message] = errors(definition)
    assert message == (
        "q2: the condition \"q1 == 'yes' and\" cannot be read: "
        "unexpected 'end of expression' at position 15"
    )


def test_cycle_between_calculated_values() -> None:
    definition = small(
        calculations=[
            {"code": "a", "expression": "b + 1"},
            {"code": "b", "expression": "c + q2"},
            {"code": "c", "expression": "a"},
        ]
    )
    assert errors(definition) == [
        "a: calculated values depend on each other in a cycle: a → b → c → a"
    ]


def test_calculated_value_naming_unknown_question() -> None:
    definition = small(calculations=[{"code": "x", "expression": "mean(q2, nope)"}])
    assert errors(definition) == ["x: the formula refers to an unknown question nope"]


def test_empty_choice_list() -> None:
    definition = small()
    question(definition, "channel")["choices"] = []
    assert errors(definition) == ["channel: the choice list is empty"]


def test_scale_without_labels() -> None:
    definition = small()
    question(definition, "q2")["scale"] = {"min": 1, "max": 5}
    assert errors(definition) == ["q2: the scale has no labels"]


def test_scale_missing_one_label_and_label_outside() -> None:
    definition = small()
    scale = question(definition, "q2")["scale"]
    scale["labels"] = {k: v for k, v in scale["labels"].items() if k != "3"}
    scale["labels"]["7"] = {"vi": "Bảy"}
    assert errors(definition) == [
        "q2: the scale has no label for 3",
        "q2: the scale label 7 is outside the scale",
    ]


def test_scoring_checks_component_and_satisfied_answers() -> None:
    definition = small()
    question(definition, "q2")["scoring"] = {"component": "c.nope", "satisfied": [6]}
    assert errors(definition) == [
        "q2: the scoring names an unknown component c.nope",
        "q2: 6 counts as satisfied but is not an answer to the question",
    ]


def test_text_cannot_feed_an_index() -> None:
    definition = small()
    question(definition, "note")["scoring"] = {"component": "c.service"}
    assert errors(definition) == ["note: a “Long text” question cannot feed an index"]


def test_missing_vietnamese_label_and_bad_pattern() -> None:
    definition = small()
    question(definition, "email")["label"] = {"en": "Email"}
    question(definition, "email")["validation"]["pattern"] = "([a-z"
    found = errors(definition)
    assert found[0] == "email: The label is missing in the default language (vi)"
    assert found[1].startswith("email: the pattern '([a-z' is not a valid regular expression")


def test_number_and_selection_bounds() -> None:
    definition = small()
    question(definition, "age")["validation"] = {"min": 10, "max": 1}
    question(definition, "tags")["validation"] = {"min_selections": 3}
    assert errors(definition) == [
        "age: the minimum 10 is above the maximum 1",
        "tags: at least 3 selections but only 2 choices",
    ]


def test_structure_errors_come_from_the_schema_with_the_place() -> None:
    definition = small()
    question(definition, "q1")["type"] = "slider"
    del question(definition, "channel")["label"]
    found = errors(definition)
    assert len(found) == 2
    assert found[0].startswith(
        'q1: sections/0/questions/0/type: unknown question type "slider": use one of '
        "Single choice (single_choice), Multiple choice (multiple_choice), "
    )
    assert found[1] == "channel: sections/0/questions/2: label is required"


def test_reserved_words_and_bad_codes() -> None:
    definition = small()
    question(definition, "note")["code"] = "and"
    question(definition, "age")["code"] = "2nd"
    found = errors(definition)
    assert any(m.startswith("2nd: sections/1/questions/1/code") for m in found)


@pytest.mark.parametrize("value", [None, [], "text", 3])
def test_not_an_object(value: object) -> None:
    assert errors(value) == ["definition: a definition must be a JSON object"]  # type: ignore[arg-type]


def test_warnings_do_not_block() -> None:
    definition = small()
    question(definition, "q1")["label"] = {"vi": "Có?"}
    problems = definition_problems(definition)
    assert errors(definition) == []
    assert [str(p) for p in problems] == ["q1: The label has no translation in en"]


def test_scored_items_keeps_its_shape_for_analysis() -> None:
    items = scored_items(small())
    assert [(i.get("answer_path", i["code"]), i["scoring"]["component"]) for i in items] == [
        ("q2", "c.service"),
        ("m.r1", "c.service"),
    ]
