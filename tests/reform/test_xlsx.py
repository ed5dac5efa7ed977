"""Frameworks and rankings as XLSX in the administrative layout."""

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from openpyxl import load_workbook

from org.models import Role
from reform.catalog import framework_load, shipped_codes
from reform.scoring.framework import from_dict, to_dict
from reform.xlsx import framework_from_xlsx, framework_to_xlsx
from tests.factories import member


def test_every_shipped_framework_reads_back_from_its_xlsx():
    for code in shipped_codes():
        framework = framework_load(source=code)

        again = from_dict(framework_from_xlsx(framework_to_xlsx(to_dict(framework))))

        assert again == framework, code


def test_the_xlsx_reads_like_the_published_decision():
    content = framework_to_xlsx(to_dict(framework_load(source="par-province-2017")))

    sheet = load_workbook(io.BytesIO(content)).worksheets[0]

    assert sheet["A1"].value == "Chỉ số CCHC cấp tỉnh (bộ tiêu chí dạng 2017)"
    assert [c.value for c in sheet[3]][:3] == [
        "STT",
        "Lĩnh vực / tiêu chí / tiêu chí thành phần",
        "Điểm tối đa",
    ]
    assert [c.value for c in sheet[4]][:3] == [
        "1",
        "Công tác chỉ đạo, điều hành cải cách hành chính",
        10,
    ]
    assert sheet["A4"].font.bold is True


@pytest.mark.django_db
def test_index_framework_reads_an_xlsx(tmp_path):
    path = tmp_path / "pci.xlsx"
    path.write_bytes(framework_to_xlsx(to_dict(framework_load(source="pci-2013-2021"))))
    out = io.StringIO()

    call_command("index_framework", str(path), stdout=out)

    assert out.getvalue().splitlines()[3] == "S3,,Tính minh bạch,domain:survey,20"


def test_an_administrator_imports_an_xlsx_through_the_api(province):
    data = to_dict(framework_load(source="ddci-2025"))
    client = Client()
    client.force_login(member("admin", Role.SYSADMIN, province))

    response = client.post(
        "/api/v1/index/frameworks/",
        {"file": SimpleUploadedFile("ddci.xlsx", framework_to_xlsx(data))},
    )
    broken = client.post(
        "/api/v1/index/frameworks/", {"file": SimpleUploadedFile("x.xlsx", b"not a workbook")}
    )

    assert response.status_code == 201
    assert response.json()["code"] == "ddci-2025"
    assert broken.status_code == 400


def test_the_ranking_downloads_as_xlsx(scoring_round, province, plan, officer):
    from reform.services import score_self_set

    score_self_set(
        scoring_round=scoring_round,
        unit=plan.framework.rounds.get().scope.children.get(code="X1"),
        criterion=plan,
        points=36,
        comment="",
        actor=officer,
    )
    client = Client()
    client.force_login(member("leader", Role.LEADER, province))

    response = client.get("/index/cchc-2026/ranking.xlsx")

    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert response.status_code == 200
    assert [c.value for c in sheet[4]][:4] == [1, "Xã X1", 60.0, "Khá"]
    assert json.dumps(sheet["A1"].value, ensure_ascii=False) == '"Chỉ số CCHC cấp xã 2026 — Xã"'
