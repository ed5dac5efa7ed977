"""Bulk import of paper and kiosk answers: row-by-row report, modes, no double import."""

import csv
import io
import unicodedata

import pytest
from django.utils import translation
from openpyxl import load_workbook

from survey.imports import import_batch_run, import_template
from survey.models import ImportBatch, Response
from tests.survey.conftest import answers

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def _csv(rows: list[dict]) -> bytes:
    columns: list[str] = []
    for row in rows:
        columns += [c for c in row if c not in columns]
    output = io.StringIO()
    writer = csv.DictWriter(output, fieldnames=columns)
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ";".join(v) if isinstance(v, list) else v for k, v in row.items()})
    return output.getvalue().encode("utf-8")


def _row(form_id: str, unit: str = "X1", **changes) -> dict:
    return {
        "form_id": form_id,
        "unit": unit,
        "sector": "land",
        "channel": "counter",
        "submitted_at": "2026-03-05",
        **answers(4),
        **changes,
    }


def _mixed() -> bytes:
    return _csv(
        [
            _row("P-1"),
            _row("P-2", unit="ZZ"),  # unknown unit
            _row("P-3", a1="9"),  # off the scale
            _row("P-4", sex="Nữ", o1="Rất hài lòng"),  # labels instead of codes: fine
            _row("P-5", channel="fax", a2=""),  # two problems on one row
            _row("P-6"),
        ]
    )


def test_report_names_every_bad_row_column_and_reason(version, province):
    batch = import_batch_run(
        version=version, file_name="paper.csv", content=_mixed(), mode="good", commit=False
    )

    assert (batch.rows_total, batch.rows_valid, batch.rows_invalid) == (6, 3, 3)
    assert [(e["row"], e["column"]) for e in batch.report] == [
        (3, "unit"),
        (4, "a1"),
        (6, "channel"),
        (6, "a2"),
    ]
    messages = {(e["row"], e["column"]): e["message"] for e in batch.report}
    assert messages[(3, "unit")] == "No administrative unit with code ZZ."
    assert messages[(4, "a1")] == "Choose a value from 1 to 5."
    assert messages[(6, "a2")] == "This question needs an answer."
    assert batch.status == ImportBatch.Status.VALIDATED
    assert Response.objects.count() == 0  # checking imports nothing


def test_all_or_nothing_imports_nothing_when_a_row_is_bad(version, province):
    batch = import_batch_run(
        version=version, file_name="paper.csv", content=_mixed(), mode="all", commit=True
    )

    assert batch.status == ImportBatch.Status.REJECTED
    assert batch.rows_imported == 0 and Response.objects.count() == 0


def test_good_rows_only_imports_the_good_rows(version, province):
    batch = import_batch_run(
        version=version, file_name="paper.csv", content=_mixed(), mode="good", commit=True
    )

    assert batch.status == ImportBatch.Status.IMPORTED and batch.rows_imported == 3
    stored = Response.objects.order_by("id")
    assert [r.source for r in stored] == ["import"] * 3
    assert [r.import_batch_id for r in stored] == [batch.pk] * 3
    assert stored[1].answers["sex"] == "female" and stored[1].answers["o1"] == 5
    assert (
        stored[0].invitation is None and stored[0].submitted_at.date().isoformat() == "2026-03-05"
    )


def test_reuploading_the_same_file_imports_nothing_twice(version, province):
    content = _mixed()
    import_batch_run(version=version, file_name="a.csv", content=content, mode="good", commit=True)

    again = import_batch_run(
        version=version, file_name="a.csv", content=content, mode="good", commit=True
    )

    assert again.rows_imported == 0 and again.rows_duplicate == 3
    assert "imported before" in again.report[0]["message"]
    assert Response.objects.count() == 3


def test_rows_without_form_id_are_identified_by_content_and_position(version, province):
    row = {k: v for k, v in _row("").items() if k != "form_id"}
    first = _csv([row, row])  # two identical paper forms: both count
    import_batch_run(version=version, file_name="a.csv", content=first, mode="all", commit=True)

    more = import_batch_run(
        version=version, file_name="b.csv", content=_csv([row, row, row]), mode="all", commit=True
    )

    assert more.rows_imported == 1 and more.rows_duplicate == 2
    assert Response.objects.count() == 3


def test_template_has_codes_and_a_codebook_and_round_trips(version, province):
    book = load_workbook(io.BytesIO(import_template(version, "vi")))
    header = [c.value for c in book["answers"][1]]
    codebook = {r[0]: r for r in book["codebook"].iter_rows(min_row=2, values_only=True)}
    output = io.BytesIO()
    book["answers"].append([_row("T-1").get(c, "") for c in header])
    book.save(output)

    batch = import_batch_run(
        version=version, file_name="t.xlsx", content=output.getvalue(), mode="all", commit=True
    )

    assert header[:5] == ["form_id", "unit", "sector", "channel", "submitted_at"]
    assert "a1" in header and "1 = Rất không hài lòng" in codebook["a1"][3]
    assert batch.rows_imported == 1 and batch.report == []


def test_unknown_columns_refuse_the_file(version, province):
    content = _csv([{**_row("P-1"), "mystery": "x"}])

    batch = import_batch_run(
        version=version, file_name="a.csv", content=content, mode="good", commit=True
    )

    assert batch.status == ImportBatch.Status.REJECTED
    assert batch.report[0]["column"] == "mystery"
    assert Response.objects.count() == 0


def test_report_csv_quotes_formulas_in_unknown_column_names(version, province):
    from survey.imports import report_csv

    content = _csv([_row("P-1", **{"=cmd|' /C calc'!A0": "1"})])

    batch = import_batch_run(
        version=version, file_name="f.csv", content=content, mode="all", commit=True
    )

    assert Response.objects.count() == 0
    assert batch.report[0]["column"] == "=cmd|' /C calc'!A0"
    assert "\n1,'=cmd" in report_csv(batch).replace('"', "")


def test_csv_with_nul_and_decomposed_labels_imports_clean(version, province):
    # a CSV saved on macOS may carry labels in NFD; NUL must not break the save
    nfd_label = unicodedata.normalize("NFD", "Nữ")
    content = _csv([_row("P-1", sex=nfd_label, comment="Tốt\x00")])

    batch = import_batch_run(
        version=version, file_name="f.csv", content=content, mode="all", commit=True
    )

    assert batch.report == []
    assert Response.objects.get().answers["comment"] == "Tốt"
    assert Response.objects.get().answers["sex"] == "female"


def test_a_csv_cell_over_the_csv_limit_is_a_400_not_a_500(version, province):
    # QA: a 200,000-character cell raised csv.Error ("field larger than field limit"),
    # a server error on the imports page and API.
    from django.core.files.uploadedfile import SimpleUploadedFile

    from org.models import Role
    from tests.factories import signed_in

    staff = signed_in("stat", Role.STATISTICIAN, province)
    content = _csv([_row("P-1", o1="x" * 200_000)])
    upload = SimpleUploadedFile("a.csv", content, "text/csv")

    reply = staff.post(
        "/survey/imports/",
        {"version": version.pk, "file": upload, "mode": "good", "_action": "import"},
    )

    assert reply.status_code == 400
    assert "This is not a readable CSV file: a cell is too long" in reply.content.decode()
    assert Response.objects.count() == 0
    assert not ImportBatch.objects.exists()


def test_a_file_over_the_row_limit_is_refused_while_reading(monkeypatch):
    # QA: a 20 MB workbook of a million short rows was read whole before the limit.
    import openpyxl

    from survey import imports

    monkeypatch.setattr(imports, "MAX_ROWS", 3)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in [["form_id", "unit"], *[[f"P-{i}", "X1"] for i in range(3)], [None, None]]:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    header, rows = imports.table_read("ok.xlsx", buffer.getvalue())  # 3 rows, blank tail
    assert header == ["form_id", "unit"] and len(rows) == 3

    sheet.append(["P-9", "X1"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    # Read lazily: the refusal comes at the first row past the limit, before the rest of
    # the file is parsed (here a cell longer than csv's limit, which would fail reading).
    csv_text = "form_id,unit\n" + "".join(f"P-{i},X1\n" for i in range(4)) + "x" * 200_000
    with translation.override("vi"):
        with pytest.raises(imports.ImportFileInvalid, match="tối đa 3 dòng"):
            imports.table_read("big.xlsx", buffer.getvalue())
        with pytest.raises(imports.ImportFileInvalid, match="tối đa 3 dòng"):
            imports.table_read("big.csv", csv_text.encode())
