"""Bulk import of paper and kiosk answers, in the layout of a published version.

Every row is checked with the same validation as the form (answers_clean, skip logic
included). The report names each bad row, its column and the reason. Rows are
identified by ``form_id`` when the file has one (the serial number printed on a paper
form), otherwise by their content and their position among identical rows of the file;
a row whose identity was imported before is skipped, so re-uploading a file imports
nothing twice.
"""

import csv
import datetime as dt
import hashlib
import io
import json
from collections import Counter
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook

from org.models import AdministrativeUnit
from org.spreadsheets import spreadsheet_safe
from questionnaires.definition import Definition, label
from questionnaires.models import QuestionnaireVersion
from survey.answers import answers_clean, text_normalise
from survey.layout import LIST_SEPARATOR, META_COLUMNS, Column, answer_columns, value_labels
from survey.models import Channel, ImportBatch, Response, Source
from survey.privacy import answers_hash
from survey.services import answers_scrub, calculated_values

MAX_ROWS = 50_000
MAX_BYTES = 20 * 1024 * 1024


class ImportFileInvalid(Exception):
    """The file cannot be read at all (format, encoding, missing columns)."""


@dataclass
class RowCheck:
    number: int  # the row number in the spreadsheet (header = 1)
    key: str
    unit_id: int | None = None
    sector: str = ""
    channel: str = ""
    submitted_at: dt.datetime | None = None
    answers: dict[str, Any] = field(default_factory=dict)
    errors: list[tuple[str, str]] = field(default_factory=list)


# --- reading files ----------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _rows_bounded(rows: Iterator[list[str]]) -> list[list[str]]:
    """The header and at most MAX_ROWS rows, read lazily: a file with a million short
    rows is refused at row MAX_ROWS + 2 instead of being held in memory whole. Blank
    rows past the limit (a sheet's formatted but empty tail) are skipped, not counted."""
    kept: list[list[str]] = []
    for row in rows:
        if len(kept) <= MAX_ROWS:
            kept.append(row)
        elif any(row):
            raise ImportFileInvalid(_("At most %(n)s rows per file.") % {"n": MAX_ROWS})
    return kept


def table_read(name: str, content: bytes) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a CSV (UTF-8, comma or semicolon) or XLSX file, as text."""
    if len(content) > MAX_BYTES:
        raise ImportFileInvalid(_("The file is larger than 20 MB."))
    if name.lower().endswith(".xlsx"):
        try:
            workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as error:
            raise ImportFileInvalid(_("This is not a readable XLSX file.")) from error
        sheet = workbook.worksheets[0]
        try:
            rows = _rows_bounded(
                [_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)
            )
        finally:
            workbook.close()
    elif name.lower().endswith(".csv"):
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise ImportFileInvalid(_("Save the CSV file as UTF-8.")) from error
        try:
            dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        try:
            rows = _rows_bounded(
                [c.strip() for c in row] for row in csv.reader(io.StringIO(text), dialect)
            )
        except csv.Error as error:  # a cell over csv's 128 KiB limit: was a 500
            raise ImportFileInvalid(
                _("This is not a readable CSV file: a cell is too long or its quotes are broken.")
            ) from error
    else:
        raise ImportFileInvalid(_("Upload a .csv or .xlsx file."))
    # NFC so labels typed with combining diacritics (macOS, some keyboards) still match;
    # NUL would otherwise fail the save of the report on PostgreSQL.
    rows = [[text_normalise(cell) for cell in row] for row in rows]
    while rows and not any(rows[-1]):
        rows.pop()
    if not rows:
        raise ImportFileInvalid(_("The file is empty."))
    if len(rows) - 1 > MAX_ROWS:
        raise ImportFileInvalid(_("At most %(n)s rows per file.") % {"n": MAX_ROWS})
    header = [h.strip() for h in rows[0]]
    return header, rows[1:]


# --- templates --------------------------------------------------------------------------


def import_template(version: QuestionnaireVersion, language: str) -> bytes:
    """An XLSX template: the 'answers' sheet to fill in, and a 'codebook' with labels."""
    definition = version.definition
    # A question coded like a meta column (sector, channel) is filled in that column.
    columns = [c for c in answer_columns(definition) if c.name not in META_COLUMNS]
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "answers"
    sheet.append(META_COLUMNS + [c.name for c in columns])
    book = workbook.create_sheet("codebook")
    book.append([_("column"), _("question"), _("type"), _("values (code = label)")])
    book.append(
        ["form_id", _("Serial number of the paper form (optional, recommended)"), "text", ""]
    )
    book.append(["unit", _("Code of the administrative unit"), "text", ""])
    book.append(["sector", _("Sector of the procedure"), "text", ""])
    book.append(
        ["channel", _("Channel"), "code", "; ".join(f"{c.value} = {c.label}" for c in Channel)]
    )
    book.append(["submitted_at", _("Date the form was filled in (YYYY-MM-DD)"), "date", ""])
    for column in columns:
        labels = value_labels(column.question, language)
        kind = column.question.get("type")
        hint = "; ".join(f"{code} = {text}" for code, text in labels.items())
        if kind == "multiple_choice":
            hint = _("several codes separated by ;") + " — " + hint
        book.append([column.name, column.header_label(language), kind, hint])
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def template_filename(version: QuestionnaireVersion) -> str:
    return f"import-{version.questionnaire.code}-v{version.number}.xlsx"


# --- checking rows ----------------------------------------------------------------------


def _decode(column: Column, text: str, language_labels: dict[str, str]) -> Any:
    """A cell to an answer value: codes as they are, labels (vi or en) mapped to codes."""
    reverse = {v.casefold(): k for k, v in language_labels.items()}
    kind = column.question.get("type")

    def one(value: str) -> str:
        return reverse.get(value.casefold(), value)

    if kind == "multiple_choice":
        return [one(v.strip()) for v in text.split(LIST_SEPARATOR) if v.strip()]
    if kind in {"single_choice", "yes_no", "rating", "nps", "matrix"}:
        return one(text)
    return text


def _row_key(version_id: int, form_id: str, content: str, occurrence: int) -> str:
    identity = f"form:{form_id}" if form_id else f"row:{content}#{occurrence}"
    return hashlib.sha256(f"{version_id}|{identity}".encode()).hexdigest()


def rows_check(
    version: QuestionnaireVersion,
    header: list[str],
    rows: list[list[str]],
    unit_ids: Collection[int] | None = None,
) -> tuple[list[RowCheck], list[dict[str, Any]]]:
    """Check every row; return the checks and the file-level problems. With ``unit_ids``
    (the importer's scope), a unit outside it reads as unknown: nothing leaks."""
    definition: Definition = version.definition
    columns = answer_columns(definition)
    by_name = {c.name: c for c in columns}
    by_name.update({f"answer.{name}": c for name, c in list(by_name.items())})  # as exported
    problems: list[dict[str, Any]] = []
    unknown = [h for h in header if h and h not in by_name and h not in META_COLUMNS]
    repeated = sorted({h for h in header if h and header.count(h) > 1})
    if repeated:
        problems.append(
            {
                "row": 1,
                "column": ", ".join(repeated),
                "message": _("Columns appear more than once."),
            }
        )
    if unknown:
        problems.append(
            {
                "row": 1,
                "column": ", ".join(unknown),
                "message": _("Unknown columns (not in this version)."),
            }
        )
    if "unit" not in header:
        problems.append({"row": 1, "column": "unit", "message": _("The unit column is missing.")})
    labels = {
        name: {**value_labels(c.question, "en"), **value_labels(c.question, "vi")}
        for name, c in by_name.items()
    }
    units = dict(AdministrativeUnit.objects.values_list("code", "id"))
    if unit_ids is not None:
        units = {code: pk for code, pk in units.items() if pk in unit_ids}
    channels = {c.value for c in Channel}
    position = {name: i for i, name in enumerate(header)}
    occurrences: Counter[str] = Counter()
    checks = []
    for offset, raw in enumerate(rows):
        cells = {name: (raw[i] if i < len(raw) else "") for name, i in position.items()}
        if not any(cells.values()):
            continue
        content = json.dumps(sorted((k, v) for k, v in cells.items() if k != "form_id" and v))
        occurrence = occurrences[content]
        occurrences[content] += 1
        check = RowCheck(
            number=offset + 2,
            key=_row_key(version.pk, cells.get("form_id", ""), content, occurrence),
        )
        unit_code = cells.get("unit", "")
        check.unit_id = units.get(unit_code)
        if not unit_code:
            check.errors.append(("unit", _("The unit is missing.")))
        elif check.unit_id is None:
            check.errors.append(
                ("unit", _("No administrative unit with code %(code)s.") % {"code": unit_code})
            )
        check.sector = cells.get("sector", "")[:64]
        check.channel = cells.get("channel", "") or Channel.COUNTER
        if check.channel not in channels:
            check.errors.append(
                ("channel", _("Use one of: %(values)s.") % {"values": ", ".join(sorted(channels))})
            )
        when = cells.get("submitted_at", "")
        if when:
            # A bare date (the usual case on paper) means noon local time that day.
            moment = None if len(when) <= 10 else parse_datetime(when)
            day = None if moment else parse_date(when[:10])
            if moment is None and day is None:
                check.errors.append(("submitted_at", _("Enter a date as YYYY-MM-DD.")))
            elif moment is None:
                moment = dt.datetime.combine(
                    day, dt.time(12), tzinfo=timezone.get_current_timezone()
                )
            elif timezone.is_naive(moment):
                moment = timezone.make_aware(moment)
            if moment and moment > timezone.now() + dt.timedelta(days=1):
                check.errors.append(("submitted_at", _("The date is in the future.")))
            check.submitted_at = moment
        raw_answers: dict[str, Any] = {}
        for name, text in cells.items():
            column = by_name.get(name)
            if column is None or text == "":
                continue
            value = _decode(column, text, labels[name])
            if column.row is not None:
                raw_answers.setdefault(column.question["code"], {})[column.row] = value
            else:
                raw_answers[column.question["code"]] = value
        cleaned, errors = answers_clean(definition, raw_answers)
        for code, messages in errors.items():
            if code == "non_field_errors":
                continue
            check.errors.append((code, " ".join(messages)))
        # A meta column that is also a question (SIPAS asks "channel") is checked twice:
        # report each column of a row once.
        seen: set[str] = set()
        check.errors = [e for e in check.errors if not (e[0] in seen or seen.add(e[0]))]
        check.answers = answers_scrub(definition, cleaned)
        checks.append(check)
    return checks, problems


# --- running an import ------------------------------------------------------------------


@transaction.atomic
def import_batch_run(
    *,
    version: QuestionnaireVersion,
    file_name: str,
    content: bytes,
    mode: str,
    commit: bool,
    user: AbstractBaseUser | AnonymousUser | None = None,
    unit_ids: Collection[int] | None = None,
) -> ImportBatch:
    """Check a file and, when ``commit``, import it. Always returns the batch with its report.

    ``mode`` 'all': any bad row imports nothing. 'good': good rows are imported, bad ones
    reported. ``unit_ids``: the units the importer may write to (None: all). Rows
    imported before (same identity) are counted as duplicates, never
    imported twice. A file that cannot be read raises ImportFileInvalid.
    """
    header, rows = table_read(file_name, content)
    checks, problems = rows_check(version, header, rows, unit_ids)
    keys = [c.key for c in checks]
    known = set(Response.objects.filter(import_key__in=keys).values_list("import_key", flat=True))
    bad = [c for c in checks if c.errors]
    duplicate = [c for c in checks if not c.errors and c.key in known]
    good = [c for c in checks if not c.errors and c.key not in known]
    report = problems + [
        {"row": c.number, "column": column, "message": message}
        for c in bad
        for column, message in c.errors
    ]
    digest = hashlib.sha256(content).hexdigest()
    earlier = ImportBatch.objects.filter(
        version=version, file_sha256=digest, status=ImportBatch.Status.IMPORTED
    ).first()
    if earlier:
        report.insert(
            0,
            {
                "row": None,
                "column": "",
                "message": _(
                    "This file was imported before (%(date)s): rows already imported are skipped."
                )
                % {"date": timezone.localtime(earlier.created_at).strftime("%Y-%m-%d %H:%M")},
            },
        )
    refused = bool(problems) or (mode == ImportBatch.Mode.ALL_OR_NOTHING and bool(bad))
    batch = ImportBatch(
        version=version,
        file_name=file_name[:255],
        file_sha256=digest,
        mode=mode,
        status=ImportBatch.Status.VALIDATED,
        rows_total=len(checks),
        rows_valid=len(good) + len(duplicate),
        rows_invalid=len(bad),
        rows_duplicate=len(duplicate),
        report=report,
        created_by=user if user is not None and user.is_authenticated else None,
    )
    if commit:
        batch.status = ImportBatch.Status.REJECTED if refused else ImportBatch.Status.IMPORTED
    batch.full_clean()
    batch.save()
    if commit and not refused and good:
        now = timezone.now()
        Response.objects.bulk_create(
            [
                Response(
                    version=version,
                    unit_id=c.unit_id,
                    sector=c.sector,
                    channel=c.channel,
                    answers=c.answers,
                    calculated=calculated_values(version.definition, c.answers),
                    submitted_at=c.submitted_at or now,
                    source=Source.IMPORT,
                    import_batch=batch,
                    import_key=c.key,
                    answers_hash=answers_hash(c.answers),
                )
                for c in good
            ],
            batch_size=1000,
            ignore_conflicts=True,  # a concurrent upload of the same rows: first one wins
        )
        batch.rows_imported = Response.objects.filter(import_batch=batch).count()
        batch.rows_duplicate += len(good) - batch.rows_imported
        batch.save(update_fields=["rows_imported", "rows_duplicate"])
    return batch


def report_csv(batch: ImportBatch) -> str:
    output = io.StringIO()
    writer = csv.writer(output)
    writer.writerow(["row", "column", "message"])
    for entry in batch.report:
        writer.writerow(
            [
                entry.get("row") or "",
                spreadsheet_safe(entry.get("column", "")),
                spreadsheet_safe(entry["message"]),
            ]
        )
    return "\ufeff" + output.getvalue()


def question_text(version: QuestionnaireVersion, code: str, language: str) -> str:
    for column in answer_columns(version.definition):
        if column.name == code or column.question["code"] == code:
            return label(column.question.get("label"), language)
    return ""
