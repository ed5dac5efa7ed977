"""Columnar extracts: every stored answer as typed columns, extended to a high-water mark,
rebuilt when the stored rows and the extract disagree."""

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from analysis import extracts
from analysis.extracts import (
    extract_columns,
    extract_fingerprint,
    extract_read,
    extract_refresh,
)
from analysis.models import ResponseExtract
from questionnaires.services import questionnaire_publish, questionnaire_save_draft
from survey.models import Response
from tests.factories import province_with_communes
from tests.questionnaires.helpers import small

pytestmark = pytest.mark.django_db


@pytest.fixture
def version():
    return questionnaire_publish(questionnaire=questionnaire_save_draft(definition=small()))


@pytest.fixture
def unit():
    province = province_with_communes(("X1",))
    return province.children.get(code="X1")


def _store(version, unit, answers, **fields) -> Response:
    return Response.objects.create(
        version=version,
        unit=unit,
        sector=fields.pop("sector", "land"),
        channel="counter",
        answers=answers,
        submitted_at=fields.pop("submitted_at", timezone.now()),
        profile=fields.pop("profile", {}),
        **fields,
    )


ANSWERS = [
    {
        "q1": "yes",
        "q2": 5,
        "channel": "online",
        "m": {"r1": 4, "r2": 2},
        "age": 41,
        "tags": ["a"],
        "nps": 9,
        "note": "Tốt",
    },
    {"q1": "no", "channel": "counter", "m": {"r1": "na"}, "tags": ["a", "b"], "nps": 0},
    {"q1": "yes", "q2": "na", "age": 18.5, "tags": []},
    {},
]


def test_columns_follow_the_definition():
    columns = {c.name: c.kind for c in extract_columns(small())}

    assert columns == {
        "q1": "text",
        "q2": "number",
        "channel": "text",
        "m.r1": "number",
        "m.r2": "number",
        "age": "number",
        "nps": "number",
        "tags[a]": "flag",
        "tags[b]": "flag",
    }


def test_every_answer_lands_in_its_typed_column(version, unit):
    stored = [
        _store(version, unit, a, profile={"firm_size": "small"} if i == 0 else {})
        for i, a in enumerate(ANSWERS)
    ]

    added = extract_refresh(version=version)
    table = extract_read(version=version)

    assert added == 4
    rows = table.to_pylist()
    assert [r["@response_id"] for r in rows] == [r.pk for r in stored]
    assert [r["q2"] for r in rows] == [5.0, None, None, None]  # "na" is not a number
    assert [r["m.r1"] for r in rows] == [4.0, None, None, None]
    assert [r["m.r2"] for r in rows] == [2.0, None, None, None]
    assert [r["age"] for r in rows] == [41.0, None, 18.5, None]
    assert [r["nps"] for r in rows] == [9.0, 0.0, None, None]
    assert [r["q1"] for r in rows] == ["yes", "no", "yes", None]
    assert [r["channel"] for r in rows] == ["online", "counter", None, None]
    assert [(r["tags[a]"], r["tags[b]"]) for r in rows] == [(1, 0), (1, 1), (0, 0), (None, None)]
    assert [r["@unit_id"] for r in rows] == [unit.pk] * 4
    assert [r["@sector"] for r in rows] == ["land"] * 4
    assert [r["@firm_size"] for r in rows] == ["small", None, None, None]
    assert "note" not in table.column_names  # free text stays in the JSON


def test_copy_and_python_extraction_agree(version, unit):
    if connection.vendor != "postgresql":
        pytest.skip("the COPY path is PostgreSQL's")
    for answers in ANSWERS * 3:
        _store(version, unit, answers, sector="")
    columns = extract_columns(version.definition)

    by_copy = extracts._read_new_copy(version.pk, 0, columns)
    by_python = extracts._read_new_python(version.pk, 0, columns)

    assert by_copy.equals(by_python)


def test_a_refresh_reads_only_the_new_answers(version, unit):
    for answers in ANSWERS:
        _store(version, unit, answers)
    extract_refresh(version=version)
    before = extract_fingerprint(version=version)

    newer = _store(version, unit, {"q1": "yes", "q2": 4})
    added = extract_refresh(version=version)
    again = extract_refresh(version=version)

    assert (added, again) == (1, 0)
    chunks = list(ResponseExtract.objects.filter(version=version).order_by("first_response_id"))
    assert [c.rows for c in chunks] == [4, 1]
    assert chunks[-1].first_response_id == chunks[-1].last_response_id == newer.pk
    assert extract_read(version=version, columns=["q2"]).column("q2").to_pylist()[-1] == 4.0
    assert extract_fingerprint(version=version) != before


def test_a_row_missing_below_the_mark_rebuilds_the_extract(version, unit):
    stored = [_store(version, unit, answers) for answers in ANSWERS]
    extract_refresh(version=version)

    stored[1].delete()  # or a transaction that committed late below the mark
    extract_refresh(version=version)

    ids = extract_read(version=version, columns=["@response_id"]).column("@response_id")
    assert ids.to_pylist() == [stored[0].pk, stored[2].pk, stored[3].pk]
    assert ResponseExtract.objects.filter(version=version).count() == 1


def test_a_new_layout_rebuilds_the_extract(version, unit, monkeypatch):
    _store(version, unit, ANSWERS[0])
    extract_refresh(version=version)
    old = ResponseExtract.objects.get()

    monkeypatch.setattr(extracts, "LAYOUT", "next")
    extract_refresh(version=version)

    new = ResponseExtract.objects.get()
    assert new.pk != old.pk and new.rows == 1


def test_many_small_chunks_are_compacted(version, unit, monkeypatch):
    monkeypatch.setattr(extracts, "COMPACT_AFTER", 2)
    for answers in ANSWERS:
        _store(version, unit, answers)
        extract_refresh(version=version)

    chunks = ResponseExtract.objects.filter(version=version)
    assert sum(c.rows for c in chunks) == 4
    assert chunks.count() <= 2
    assert extract_read(version=version).num_rows == 4


def test_linked_answers_are_dated_by_their_transaction(version, unit):
    from survey.services import transaction_register

    done = dt.datetime(2025, 12, 31, 16, 0, tzinfo=dt.UTC)
    registration = transaction_register(
        external_id="T-1",
        unit=unit,
        procedure_code="1",
        sector="land",
        channel="counter",
        completed_at=done,
        questionnaire_code="small",
    )
    _store(version, unit, ANSWERS[0], invitation=registration.invitation)

    extract_refresh(version=version)

    at = extract_read(version=version, columns=["@at_us"]).column("@at_us").to_pylist()
    assert at == [round(done.timestamp() * 1_000_000)]
