"""Columnar extracts: each questionnaire version's answers as typed columns (Arrow),
stored as immutable Parquet chunks and extended to a high-water mark.

Why Arrow/Parquet: typed columns with real nulls, dictionary-encoded categories, zstd
compression (a million SIPAS answers fit in a few MB), zero-copy to numpy, and files R
(`arrow`), Stata and SPSS users can read. Chunks live in the database (one row each), so
every worker sees the same extract with no shared volume, and a chunk commits together
with its high-water mark.

A run refreshes the extract (reads only the answers after the mark) and then reads the
columns it needs. On PostgreSQL the new answers leave the database through one ``COPY``
of the JSON fields already split into columns; other databases take a slower Python
path (the embedded default holds small data).

Responses are only ever added, so ``rows == count(responses ≤ mark)`` holds unless a
transaction committed late below the mark or a response was deleted; ``extract_refresh``
checks that invariant and rebuilds the version's extract when it fails.
"""

import hashlib
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from django.db import connection, transaction
from django.db.models import F, Max, Sum
from django.db.models.functions import Coalesce

from analysis.models import ResponseExtract
from questionnaires.definition import Definition, iter_questions
from questionnaires.models import QuestionnaireVersion
from survey.models import Response

# Bump when the column layout changes: chunks of another layout are rebuilt.
LAYOUT = "1"
# Past this many small chunks a refresh merges them.
COMPACT_AFTER = 24
# Rows per chunk at most: each chunk is one task when a large round runs in parallel.
CHUNK_ROWS = 250_000

NUMBER, TEXT, FLAG = "number", "text", "flag"
NUMBER_TYPES = {"rating", "nps", "number"}
TEXT_TYPES = {"single_choice", "yes_no"}
# Respondent profile kept by firm invitations (DDCI strata).
PROFILE_KEYS = ("firm_size", "firm_sector", "ownership")


@dataclass(frozen=True)
class Column:
    """One answer column: ``path`` into the answers JSON; ``option`` for a FLAG."""

    name: str
    kind: str
    path: tuple[str, ...]
    option: Any = None


# The response's own fields, named with "@" (never part of a question code).
FIXED: list[tuple[str, pa.DataType]] = [
    ("@response_id", pa.int64()),
    ("@unit_id", pa.int64()),
    ("@sector", pa.string()),
    ("@channel", pa.string()),
    ("@source", pa.string()),
    # The transaction's completion time for linked answers, else the submission time.
    ("@at_us", pa.int64()),
    *[(f"@{key}", pa.string()) for key in PROFILE_KEYS],
]
ARROW_TYPE = {NUMBER: pa.float64(), TEXT: pa.string(), FLAG: pa.int8()}


def extract_columns(definition: Definition) -> list[Column]:
    """The answer columns of a definition; free text and dates stay in the JSON."""
    columns: list[Column] = []
    for question in iter_questions(definition):
        code, kind = question["code"], question.get("type")
        if kind in NUMBER_TYPES:
            columns.append(Column(code, NUMBER, (code,)))
        elif kind in TEXT_TYPES:
            columns.append(Column(code, TEXT, (code,)))
        elif kind == "matrix":
            for row in question.get("items", []):
                path = (code, row["code"])
                columns.append(Column(f"{code}.{row['code']}", NUMBER, path))
        elif kind == "multiple_choice":
            for option in question.get("choices", []):
                value = option.get("value")
                columns.append(Column(f"{code}[{value}]", FLAG, (code,), value))
    return columns


def layout_hash(version: QuestionnaireVersion) -> str:
    return hashlib.sha256(f"{LAYOUT}:{version.content_hash}".encode()).hexdigest()


def schema(columns: list[Column]) -> pa.Schema:
    return pa.schema(FIXED + [(c.name, ARROW_TYPE[c.kind]) for c in columns])


# --- writes ---------------------------------------------------------------------------


def extract_refresh(*, version: QuestionnaireVersion) -> int:
    """Bring the version's extract up to its newest response; returns rows added.

    Safe to run concurrently: the version row is locked while a chunk is written.
    """
    with transaction.atomic():
        QuestionnaireVersion.objects.select_for_update().filter(pk=version.pk).first()
        layout = layout_hash(version)
        chunks = ResponseExtract.objects.filter(version=version)
        if chunks.exclude(layout=layout).exists() or not _consistent(version, chunks):
            chunks.delete()
        mark = chunks.aggregate(m=Coalesce(Max("last_response_id"), 0))["m"]
        table = _read_new(version, after_id=mark)
        if table.num_rows:
            _store(version, table, layout)
        if chunks.filter(rows__lt=CHUNK_ROWS).count() > COMPACT_AFTER:
            _compact(version, layout)
        return table.num_rows


def _consistent(version: QuestionnaireVersion, chunks: Any) -> bool:
    summary = chunks.aggregate(rows=Coalesce(Sum("rows"), 0), mark=Max("last_response_id"))
    if summary["mark"] is None:
        return True
    stored = Response.objects.filter(version=version, id__lte=summary["mark"]).count()
    return bool(stored == summary["rows"])


def _store(version: QuestionnaireVersion, table: pa.Table, layout: str) -> None:
    """Store ``table`` as chunks of at most CHUNK_ROWS rows: the unit of parallel work."""
    for start in range(0, table.num_rows, CHUNK_ROWS):
        _store_one(version, table.slice(start, CHUNK_ROWS), layout)


def _store_one(version: QuestionnaireVersion, table: pa.Table, layout: str) -> ResponseExtract:
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd")
    data = buffer.getvalue()
    ids = table.column("@response_id")
    return ResponseExtract.objects.create(
        version=version,
        layout=layout,
        first_response_id=pc.min(ids).as_py(),
        last_response_id=pc.max(ids).as_py(),
        rows=table.num_rows,
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
    )


def _compact(version: QuestionnaireVersion, layout: str) -> None:
    """Merge the small chunks (full ones stay as they are)."""
    chunks = list(
        ResponseExtract.objects.filter(version=version, rows__lt=CHUNK_ROWS).order_by(
            "first_response_id"
        )
    )
    if len(chunks) < 2:
        return
    table = pa.concat_tables(_decode(chunk) for chunk in chunks)
    ResponseExtract.objects.filter(pk__in=[c.pk for c in chunks]).delete()
    _store(version, table, layout)


# --- reads ----------------------------------------------------------------------------


def extract_read(
    *,
    version: QuestionnaireVersion,
    columns: Iterable[str] | None = None,
    dictionary: Iterable[str] = (),
    chunk_ids: Iterable[int] | None = None,
) -> pa.Table:
    """The version's extract as one Arrow table (only ``columns`` when given, only the
    chunks ``chunk_ids`` when given); the text columns named in ``dictionary`` come
    dictionary-encoded (codes + distinct values)."""
    names = None if columns is None else list(columns)
    chunks = ResponseExtract.objects.filter(version=version).order_by("first_response_id")
    if chunk_ids is not None:
        chunks = chunks.filter(pk__in=list(chunk_ids))
    tables = [_decode(chunk, names, list(dictionary)) for chunk in chunks.iterator()]
    if not tables:
        full = schema(extract_columns(version.definition))
        return full.empty_table() if names is None else full.empty_table().select(names)
    return pa.concat_tables(tables)


def extract_fingerprint(*, version: QuestionnaireVersion) -> str:
    """Changes whenever the extract's content does (chunk checksums, in order)."""
    digest = hashlib.sha256()
    for sha in (
        ResponseExtract.objects.filter(version=version)
        .order_by("first_response_id")
        .values_list("sha256", flat=True)
    ):
        digest.update(sha.encode())
    return digest.hexdigest()


def number_column(table: pa.Table, name: str) -> np.ndarray:
    """A numeric column as float64 with NaN for missing (a fresh array)."""
    return table.column(name).to_numpy(zero_copy_only=False).astype(np.float64)


def _decode(
    chunk: ResponseExtract, columns: list[str] | None = None, dictionary: list[str] | None = None
) -> pa.Table:
    return pq.read_table(
        pa.BufferReader(bytes(chunk.data)), columns=columns, read_dictionary=dictionary or None
    )


# --- extraction -----------------------------------------------------------------------


def _read_new(version: QuestionnaireVersion, *, after_id: int) -> pa.Table:
    columns = extract_columns(version.definition)
    if connection.vendor == "postgresql":
        return _read_new_copy(version.pk, after_id, columns)
    return _read_new_python(version.pk, after_id, columns)


def _json_path(path: tuple[str, ...]) -> str:
    # Codes match ^[A-Za-z_][A-Za-z0-9_]*$ (the definition schema), so quoting is plain.
    return "'{" + ",".join(f'"{part}"' for part in path) + "}'"


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _pg_expression(column: Column) -> str:
    path = _json_path(column.path)
    value = f"r.answers #> {path}"
    if column.kind == NUMBER:
        return f"CASE WHEN jsonb_typeof({value}) = 'number' THEN r.answers #>> {path} END"
    if column.kind == TEXT:
        return (
            f"CASE WHEN jsonb_typeof({value}) IN ('string', 'number', 'boolean') "
            f"THEN r.answers #>> {path} END"
        )
    option = _sql_literal(json.dumps([column.option]))
    return f"CASE WHEN jsonb_typeof({value}) = 'array' THEN ({value} @> {option}::jsonb)::int END"


def _read_new_copy(version_id: int, after_id: int, columns: list[Column]) -> pa.Table:
    profile = [f"r.profile ->> {_sql_literal(key)}" for key in PROFILE_KEYS]
    select = ", ".join(
        [
            "r.id",
            "r.unit_id",
            "r.sector",
            "r.channel",
            "r.source",
            "(extract(epoch FROM COALESCE(t.completed_at, r.submitted_at)) * 1000000)::bigint",
            *profile,
            *(_pg_expression(c) for c in columns),
        ]
    )
    query = (
        f"COPY (SELECT {select} FROM survey_response r "
        "LEFT JOIN survey_invitation i ON i.id = r.invitation_id "
        "LEFT JOIN survey_servicetransaction t ON t.id = i.transaction_id "
        f"WHERE r.version_id = {int(version_id)} AND r.id > {int(after_id)} ORDER BY r.id) "
        "TO STDOUT WITH (FORMAT csv)"
    )
    buffer = io.BytesIO()
    with connection.cursor() as cursor, cursor.cursor.copy(query) as copy:
        for block in copy:
            buffer.write(block)
    full = schema(columns)
    if buffer.tell() == 0:
        return full.empty_table()
    buffer.seek(0)
    return pacsv.read_csv(
        buffer,
        read_options=pacsv.ReadOptions(column_names=full.names, block_size=1 << 24),
        convert_options=pacsv.ConvertOptions(
            column_types=dict(zip(full.names, full.types, strict=True)),
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,  # NULL is unquoted; "" is an empty text
        ),
    ).cast(full)


def _read_new_python(version_id: int, after_id: int, columns: list[Column]) -> pa.Table:
    rows = (
        Response.objects.filter(version_id=version_id, id__gt=after_id)
        .order_by("id")
        .annotate(at=Coalesce(F("invitation__transaction__completed_at"), F("submitted_at")))
        .values_list("id", "unit_id", "sector", "channel", "source", "at", "profile", "answers")
    )
    data: dict[str, list[Any]] = {name: [] for name, _type in FIXED}
    data.update({c.name: [] for c in columns})
    for rid, unit, sector, channel, source, at, profile, answers in rows.iterator(2000):
        data["@response_id"].append(rid)
        data["@unit_id"].append(unit)
        data["@sector"].append(sector)
        data["@channel"].append(channel)
        data["@source"].append(source)
        data["@at_us"].append(round(at.timestamp() * 1_000_000))
        for key in PROFILE_KEYS:
            data[f"@{key}"].append((profile or {}).get(key))
        for column in columns:
            data[column.name].append(_python_value(answers, column))
    return pa.table(data, schema=schema(columns))


def _python_value(answers: dict[str, Any], column: Column) -> Any:
    value: Any = answers
    for part in column.path:
        value = value.get(part) if isinstance(value, dict) else None
    if column.kind == NUMBER:
        numeric = isinstance(value, int | float) and not isinstance(value, bool)
        return float(value) if numeric else None
    if column.kind == TEXT:
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value) if isinstance(value, str | int | float) else None
    return int(column.option in value) if isinstance(value, list) else None
