"""Import and export: our JSON, real XLSForm files, the import_questionnaire command."""

import json
from io import BytesIO, StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from questionnaires.models import Questionnaire
from questionnaires.services import library_definition
from questionnaires.transfer import export_json, import_bytes, import_path
from questionnaires.xlsform import expression_to_xpath, xlsform_write, xpath_to_expression
from tests.questionnaires.helpers import question, small

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
REPO = HERE.parents[1]
SHARED = REPO.parent / "shared" / "reference" / "xlsform"


def _shared_or_copy(name: str) -> Path:
    """The shared reference file when the clone has it, else our copy."""
    return SHARED / name if (SHARED / name).is_file() else DATA / name


@pytest.mark.parametrize("name", ["sipas", "ddci"])
def test_json_round_trips_exactly(name: str) -> None:
    definition = library_definition(name)
    content = export_json(definition)
    result = import_bytes(content, f"{name}.json")
    assert result.ok
    assert result.definition == definition
    assert export_json(result.definition) == content


def test_real_xlsform_round_trip() -> None:
    # given a real field form (Swahili and English, groups, skip rules, unsupported types)
    first = import_path(DATA / "UCL_Biomass_Plot_Form.xlsx")
    assert first.ok
    definition = first.definition
    assert definition["languages"] == ["sw", "en"]
    assert [s["code"] for s in definition["sections"]] == ["info", "location", "main"]
    assert question(definition, "leader_name_other")["relevant"] == "leader_name == 'other'"
    assert question(definition, "monumented")["type"] == "yes_no"
    assert question(definition, "canopy_cover")["validation"] == {"integer": True}
    assert question(definition, "disturbance")["type"] == "multiple_choice"
    assert question(definition, "leader_number")["validation"]["pattern"].startswith("^((")
    # and what could not be imported is reported row by row
    skipped = {(p.row, p.where) for p in first.problems if p.severity == "skipped"}
    assert (22, "center_point") in skipped  # geopoint
    assert (23, "center_image") in skipped  # image
    assert (32, "trees") in skipped  # repeat
    assert (26, "slope_radius") in skipped  # calculation with atan()
    # when it is exported back to XLSForm and imported again
    content, notes = xlsform_write(definition)
    second = import_bytes(content, "again.xlsx")
    # then nothing changed
    assert notes == []
    assert second.ok
    assert second.definition == definition


@pytest.mark.parametrize("name", ["sipas", "ddci"])
def test_templates_round_trip_through_xlsform(name: str) -> None:
    definition = library_definition(name)
    content, _notes = xlsform_write(definition)
    result = import_bytes(content, f"{name}.xlsx")
    assert result.ok
    assert result.definition == definition


def test_old_select_one_from_spelling() -> None:
    result = import_path(_shared_or_copy("yes_or_no_question.xlsx"))
    assert result.ok
    assert result.definition["languages"] == ["en"]
    assert question(result.definition, "good_day")["type"] == "yes_no"


def test_spec_kitchen_sink_does_not_crash_and_says_what_it_skipped() -> None:
    result = import_path(_shared_or_copy("xlsform_spec_test.xlsx"))
    assert result.definition is not None
    skipped = [p for p in result.problems if p.severity == "skipped"]
    assert skipped
    assert all(p.row for p in skipped if p.sheet == "survey")


@pytest.mark.parametrize(
    ("xpath", "ours"),
    [
        (
            "${q5} >= 4 and (${channel} = 'online' or ${channel} = 'counter')",
            "q5 >= 4 and (channel == 'online' or channel == 'counter')",
        ),
        ("not(selected(${tags}, 'a'))", "not selected(tags, 'a')"),
        ("${name} != ''", "answered(name)"),
        ("${name} = ''", "not answered(name)"),
        ("count-selected(${tags}) >= 2", "count_selected(tags) >= 2"),
        ("${q5} div 2 > 1.5", "q5 / 2 > 1.5"),
        ("if(${q5} > 3, 'hi', 'lo') = 'hi'", "if(q5 > 3, 'hi', 'lo') == 'hi'"),
        ("string-length(${name}) < 10", "length(name) < 10"),
        ("${q5} = true()", "q5 == true"),
    ],
)
def test_xpath_translation_both_ways(xpath: str, ours: str) -> None:
    names = {n: n for n in ("q5", "channel", "tags", "name")}
    assert xpath_to_expression(xpath, names) == ours
    back = expression_to_xpath(ours, multiple={"tags"})
    assert xpath_to_expression(back, names) == ours


@pytest.mark.parametrize(
    "xpath",
    [
        "${a} mod 2",
        "today() > ${a}",
        "pulldata('x')",
        "${nope}",
        "${a} = ",
        "jr:choice-name(${a}, '${a}')",
    ],
)
def test_untranslatable_xpath_is_refused(xpath: str) -> None:
    from questionnaires.xlsform import _Unsupported

    with pytest.raises(_Unsupported):
        xpath_to_expression(xpath, {"a": "a"})


def test_unknown_file_type_and_broken_workbook() -> None:
    assert import_bytes(b"x", "form.csv").problems[0].message.startswith("unknown file type")
    broken = import_bytes(b"not a zip", "form.xlsx")
    assert broken.definition is None
    assert broken.problems[0].message.startswith("not an .xlsx workbook")


@pytest.mark.django_db
def test_command_imports_and_publishes() -> None:
    out = StringIO()
    call_command(
        "import_questionnaire", str(DATA / "UCL_Biomass_Plot_Form.xlsx"), "--publish", stdout=out
    )
    text = out.getvalue()
    assert "Created questionnaire ucl_biomass_plot_form" in text
    assert "13 questions in 3 sections (info, location, main); languages: sw, en" in text
    assert "Published version 1" in text
    assert "skipped: survey row 22, center_point" in text
    assert Questionnaire.objects.get().versions.count() == 1


@pytest.mark.django_db
def test_command_refuses_an_invalid_file_with_every_problem(tmp_path: Path) -> None:
    bad = small()
    question(bad, "channel")["choices"] = []
    question(bad, "q2")["relevant"] = "later_one == 2"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad), encoding="utf-8")
    err = StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("import_questionnaire", str(path), stderr=err)
    assert caught.value.returncode == 2
    assert err.getvalue().splitlines() == [
        "error: q2: the condition refers to an unknown question later_one",
        "error: channel: the choice list is empty",
    ]
    assert not Questionnaire.objects.exists()


def test_command_exit_code_is_2_from_the_shell(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    path = tmp_path / "bad.json"
    path.write_text("[]", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "manage.py", "import_questionnaire", str(path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        env={
            **os.environ,
            "HAILONG_ALLOW_DEV_KEY": "1",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        },
    )
    assert done.returncode == 2
    # commands speak the default language, Vietnamese
    assert "definition: định nghĩa phải là một đối tượng JSON" in done.stderr


def test_forms_without_form_id_are_named_after_their_files(db):
    # QA: two XLSForms without form_id were both "imported": the second overwrote the first
    from openpyxl import Workbook

    from questionnaires.transfer import import_bytes

    def workbook() -> bytes:
        book = Workbook()
        survey = book.active
        survey.title = "survey"
        survey.append(["type", "name", "label"])
        survey.append(["text", "q1", "Câu 1"])
        out = BytesIO()
        book.save(out)
        return out.getvalue()

    first = import_bytes(workbook(), "Biomass Plot.xlsx")
    second = import_bytes(workbook(), "yes_or_no.xlsx")

    assert first.definition["code"] == "biomass_plot"
    assert second.definition["code"] == "yes_or_no"
