"""An XLSForm import reports every problem of a file in one pass: an unknown choice list
does not hide a duplicate question name (or anything the definition check finds)."""

import io

from openpyxl import Workbook

from questionnaires.transfer import import_bytes


def _xlsx(survey: list[tuple[str, str, str]], choices: list[tuple[str, str, str]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "survey"
    sheet.append(["type", "name", "label"])
    for row in survey:
        sheet.append(list(row))
    sheet = workbook.create_sheet("choices")
    sheet.append(["list_name", "name", "label"])
    for row in choices:
        sheet.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


CHOICES = [("yn", "yes", "Có"), ("yn", "no", "Không")]


def _errors(content: bytes) -> list[tuple[int | None, str, str]]:
    result = import_bytes(content, "form.xlsx")
    assert not result.ok
    return [(p.row, p.where, p.message) for p in result.problems if p.severity == "error"]


def test_an_unknown_list_and_a_duplicate_name_are_reported_together() -> None:
    content = _xlsx(
        [
            ("select_one colours", "q1", "Màu?"),  # row 2: no list 'colours'
            ("text", "q2", "Góp ý"),  # row 3
            ("select_one yn", "q2", "Lần nữa?"),  # row 4: q2 again
        ],
        CHOICES,
    )

    errors = _errors(content)

    assert errors == [
        (2, "q1", "the choice list colours does not exist"),
        (4, "q2", "the name q2 is already used on row 3"),
    ]


def test_a_duplicate_of_the_question_with_the_unknown_list_is_reported_too() -> None:
    content = _xlsx(
        [("select_one colours", "q1", "Màu?"), ("integer", "q1", "Tuổi")],
        CHOICES,
    )

    assert _errors(content) == [
        (2, "q1", "the choice list colours does not exist"),
        (3, "q1", "the name q1 is already used on row 2"),
    ]


def test_the_definition_check_runs_beside_the_readers_errors() -> None:
    # A choice value listed twice is found by the definition check, which used to wait
    # until the reader had no error left.
    content = _xlsx(
        [("select_one colours", "q1", "Màu?"), ("select_one yn", "q2", "Hài lòng?")],
        [*CHOICES, ("yn", "yes", "Có (lần nữa)")],
    )

    errors = _errors(content)

    assert errors[0] == (2, "q1", "the choice list colours does not exist")
    assert [where for _row, where, message in errors[1:] if "yes" in message] == ["q2"]
    assert len(errors) == 2


def test_once_both_are_fixed_the_file_imports() -> None:
    content = _xlsx(
        [("select_one yn", "q1", "Hài lòng?"), ("text", "q2", "Góp ý")],
        CHOICES,
    )

    result = import_bytes(content, "form.xlsx")

    assert result.ok, result.problems
    codes = [q["code"] for s in result.definition["sections"] for q in s["questions"]]
    assert codes == ["q1", "q2"]


def test_a_real_form_with_both_problems_gets_both_in_one_report() -> None:
    # Given the real UCL field form (two languages, groups, skip rules), with a question
    # on a list that does not exist and another that reuses an earlier name
    from openpyxl import load_workbook

    from tests.questionnaires.test_transfer import _shared_or_copy

    workbook = load_workbook(_shared_or_copy("UCL_Biomass_Plot_Form.xlsx"))
    sheet = workbook["survey"]
    header = [cell.value for cell in sheet[1]]
    names = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True) if row[1]]
    labels = [i for i, h in enumerate(header) if h and str(h).startswith("label")]
    for kind, name in (("select_one no_such_list", "broken_choice"), ("text", names[2])):
        row = [None] * len(header)
        row[0], row[1] = kind, name
        for i in labels:
            row[i] = "x"
        sheet.append(row)
    last = sheet.max_row
    out = io.BytesIO()
    workbook.save(out)

    errors = _errors(out.getvalue())

    # Then one import names both rows (and the form's own problems are only warnings)
    assert errors == [
        (last - 1, "broken_choice", "the choice list no_such_list does not exist"),
        (last, names[2], f"the name {names[2]} is already used on row 4"),
    ]
