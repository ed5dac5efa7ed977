"""Exports of responses: CSV and JSON streamed row by row, XLSX in constant memory.

Rows are read with ``values_list(...).iterator()`` so a large export never holds ORM
objects or the whole result in memory.
"""

import csv
import datetime as dt
import json
import tempfile
from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from openpyxl import Workbook

from org.spreadsheets import spreadsheet_safe
from questionnaires.definition import Definition
from survey.layout import Column, answer_columns, cell_value, value_labels
from survey.models import Response

HEAD = [
    "response_id",
    "questionnaire",
    "version",
    "unit",
    "sector",
    "channel",
    "source",
    "submitted_at",
]
_FIELDS = (
    "id",
    "version__questionnaire__code",
    "version__number",
    "unit__code",
    "sector",
    "channel",
    "source",
    "submitted_at",
    "answers",
    "version_id",
)
CHUNK = 2000


def export_columns(definitions: list[Definition]) -> list[Column]:
    """Columns of every version in the export, in order, each name once."""
    columns: dict[str, Column] = {}
    for definition in definitions:
        for column in answer_columns(definition):
            columns.setdefault(column.name, column)
    # An answer coded like a response column (SIPAS asks "sector", "channel") is
    # exported as "answer.<code>" so every header is unique.
    return [
        Column(f"answer.{c.name}", c.question, c.row) if c.name in HEAD else c
        for c in columns.values()
    ]


def _definitions(rows: QuerySet[Response]) -> list[Definition]:
    from questionnaires.models import QuestionnaireVersion

    ids = rows.order_by().values_list("version_id", flat=True).distinct()
    return [
        v.definition
        for v in QuestionnaireVersion.objects.filter(id__in=list(ids)).order_by("-number")
    ]


def _records(
    rows: QuerySet[Response], columns: list[Column], language: str | None
) -> Iterator[list[Any]]:
    labels = {c.name: value_labels(c.question, language) for c in columns} if language else None
    for row in rows.values_list(*_FIELDS).iterator(chunk_size=CHUNK):
        answers = row[8] or {}
        yield [
            *row[:7],
            row[7].isoformat(),
            *(
                spreadsheet_safe(cell_value(c, answers, labels[c.name] if labels else None))
                for c in columns
            ),
        ]


class _Echo:
    def write(self, value: str) -> str:
        return value


def export_csv(rows: QuerySet[Response], *, language: str | None = None) -> Iterator[str]:
    """CSV lines (UTF-8 with BOM so Excel shows Vietnamese); labels when ``language``."""
    columns = export_columns(_definitions(rows))
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(
        HEAD + [spreadsheet_safe(c.header_label(language) if language else c.name) for c in columns]
    )
    for record in _records(rows, columns, language):
        yield writer.writerow(record)


def export_json(rows: QuerySet[Response]) -> Iterator[str]:
    """A JSON array, one response object per chunk: answers keyed by question code."""
    yield "["
    first = True
    for row in rows.values_list(*_FIELDS).iterator(chunk_size=CHUNK):
        record = dict(zip(HEAD, [*row[:7], row[7].isoformat()], strict=True))
        record["answers"] = row[8]
        yield ("" if first else ",\n") + json.dumps(record, ensure_ascii=False)
        first = False
    yield "]\n"


def export_xlsx(rows: QuerySet[Response], *, language: str | None = None) -> Any:
    """An XLSX file (a temporary file object, rewound) with codes or labels.

    openpyxl's write-only mode streams rows to disk; the file is then streamed out.
    """
    columns = export_columns(_definitions(rows))
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("responses")
    sheet.append(HEAD + [c.name for c in columns])
    if language:
        sheet.append(
            [""] * len(HEAD) + [spreadsheet_safe(c.header_label(language)) for c in columns]
        )
    for record in _records(rows, columns, language):
        sheet.append(record)
    # Handed to FileResponse, which closes (and so deletes) it once sent.
    output = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115
    workbook.save(output)
    output.seek(0)
    return output


def export_filename(extension: str) -> str:
    return f"responses-{dt.date.today().isoformat()}.{extension}"
