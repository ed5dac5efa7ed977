"""Estimates through the API: filters (run, statistic, domain), CSV and a formatted
XLSX; suppressed cells only for those who may see the round unpublished."""

import csv
import io

import pytest
from django.test import Client
from openpyxl import load_workbook

from analysis.models import AnalysisRun
from analysis.tasks import analysis_run_execute
from org.models import AdministrativeUnit, Role
from survey.models import Response
from tests.factories import (
    province_with_communes,
    signed_in,
    sipas_answers,
    sipas_version,
    survey_round,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def runs():
    version = sipas_version()
    round_ = survey_round(province_with_communes(("X1", "X2")), version)
    round_.publication = {"min_n": 3}
    round_.save()
    x1, x2 = (AdministrativeUnit.objects.get(code=c) for c in ("X1", "X2"))
    for unit, ratings in ((x1, [5, 4, 2]), (x2, [3])):
        for rating in ratings:
            Response.objects.create(
                version=version,
                unit=unit,
                sector="land",
                channel="counter",
                answers=sipas_answers(rating),
                submitted_at=round_.period_start,
            )
    made = []
    for _ in range(2):
        run = AnalysisRun.objects.create(round=round_)
        analysis_run_execute(run.pk)
        made.append(run)
    return round_, made


def _csv(reply) -> list[dict]:
    return list(csv.DictReader(io.StringIO(reply.content.decode("utf-8-sig"))))


def test_the_public_export_leaves_out_suppressed_cells(runs):
    reply = Client().get("/api/v1/estimates/export.csv", {"statistic": "element_index"})

    rows = _csv(reply)
    assert reply.status_code == 200
    assert {r["Mã đơn vị"] for r in rows} == {"P", "X1"}  # X2 has n = 1 < 3
    assert all(r["Không công bố"] == "" for r in rows)


def test_statisticians_export_everything_with_the_reason(runs):
    round_, (first, second) = runs
    stat = signed_in("stat", Role.STATISTICIAN, round_.scope)

    rows = _csv(stat.get("/api/v1/estimates/export.csv", {"statistic": "element_index"}))
    older = stat.get("/api/v1/estimates/", {"run": first.pk, "statistic": "overall"}).json()

    x2 = [r for r in rows if r["Mã đơn vị"] == "X2"]
    assert x2 and all(r["Không công bố"] == "n = 1 < 3" for r in x2)
    assert {r["Lượt"] for r in rows} == {str(second.pk)}  # the latest run by default
    assert {r["run"] for r in older["results"]} == {first.pk}


def test_the_workbook_is_formatted(runs):
    round_, _runs = runs
    stat = signed_in("stat", Role.STATISTICIAN, round_.scope)

    reply = stat.get("/api/v1/estimates/export.xlsx", {"unit": "P"})

    assert reply.status_code == 200
    sheet = load_workbook(io.BytesIO(reply.content)).active
    header = [c.value for c in sheet[1]]
    assert header[:4] == ["Đợt khảo sát", "Lượt", "Mã đơn vị", "Đơn vị"]
    assert sheet.freeze_panes == "A2" and sheet["A1"].font.bold
    estimate = header.index("Ước lượng") + 1
    assert sheet.cell(row=2, column=estimate).number_format == "0.0%"
    assert sheet.max_row - 1 == len(_csv(stat.get("/api/v1/estimates/export.csv", {"unit": "P"})))


def test_an_unknown_format_is_404(runs):
    assert Client().get("/api/v1/estimates/export.pdf").status_code == 404
