"""Ranking blocks: named groups of units ranked among themselves; pages, API, XLSX."""

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from openpyxl import load_workbook

from org.models import AdministrativeUnit, AuditEntry, Role, UnitLevel
from reform.blocks import ranking_block_remove, ranking_block_set
from reform.models import RankingBlock
from reform.results import round_results
from reform.selectors import round_units
from reform.services import round_lock, score_self_set
from tests.factories import member

POINTS = {"X1": (30, 10), "X2": (40, 20), "D1": (20, 5), "D2": (35, 15)}


@pytest.fixture
def departments(province):
    level, _ = UnitLevel.objects.get_or_create(
        code="department", defaults={"name": "Sở, ngành", "rank": 1}
    )
    for code in ("D1", "D2"):
        AdministrativeUnit.objects.create(
            code=code, name=f"Sở {code}", level=level, parent=province
        )
    return level


@pytest.fixture
def admin(province):
    return member("admin", Role.SYSADMIN, province)


def _scores(scoring_round, admin):
    for unit in round_units(scoring_round=scoring_round):
        for code, points in zip(("1.1", "1.2"), POINTS[unit.code], strict=True):
            score_self_set(
                scoring_round=scoring_round, unit=unit,
                criterion=scoring_round.framework.criteria.get(code=code),
                points=points, comment="", actor=admin,
            )  # fmt: skip


def _two_blocks(scoring_round, admin):
    ranking_block_set(
        scoring_round=scoring_round, code="so-nganh", name="Sở, ban, ngành",
        name_en="Departments", position=0, levels=["department"], actor=admin,
    )  # fmt: skip
    ranking_block_set(
        scoring_round=scoring_round, code="xa", name="UBND cấp xã", position=1,
        levels=["commune"], actor=admin,
    )  # fmt: skip


def _ranks(results):
    return {r.unit.code: (r.block_code, r.rank) for r in results.rows}


def test_without_blocks_the_units_of_the_level_are_ranked_together(
    scoring_round, departments, admin
):
    _scores(scoring_round, admin)

    results = round_results(scoring_round=scoring_round, draws=0)

    assert _ranks(results) == {"X2": ("level:commune", 1), "X1": ("level:commune", 2)}
    assert {r.block for r in results.rows} == {"Xã"}


def test_blocks_bring_in_their_levels_and_rank_within_each_block(scoring_round, departments, admin):
    _two_blocks(scoring_round, admin)
    _scores(scoring_round, admin)

    results = round_results(scoring_round=scoring_round, draws=200)

    assert _ranks(results) == {
        "D2": ("so-nganh", 1),
        "D1": ("so-nganh", 2),
        "X2": ("xa", 1),
        "X1": ("xa", 2),
    }
    assert [r.unit.code for r in results.rows] == ["D2", "D1", "X2", "X1"]
    assert {r.block for r in results.rows} == {"Sở, ban, ngành", "UBND cấp xã"}


def test_a_listed_unit_goes_to_its_block_before_the_level_block(scoring_round, departments, admin):
    _two_blocks(scoring_round, admin)
    ranking_block_set(
        scoring_round=scoring_round, code="thi-diem", name="Thí điểm", position=2,
        unit_codes=["X2"], actor=admin,
    )  # fmt: skip
    _scores(scoring_round, admin)

    ranks = _ranks(round_results(scoring_round=scoring_round, draws=0))

    assert ranks["X2"] == ("thi-diem", 1)
    assert ranks["X1"] == ("xa", 1)


def test_bad_blocks_are_refused_naming_the_field_and_nothing_is_stored(
    scoring_round, departments, admin
):
    with pytest.raises(ValidationError) as caught:
        ranking_block_set(
            scoring_round=scoring_round, code="x", name="X", levels=["nowhere"],
            unit_codes=["ZZ"], actor=admin,
        )  # fmt: skip

    assert set(caught.value.message_dict) == {"levels", "units"}
    assert "ZZ" in caught.value.message_dict["units"][0]
    assert RankingBlock.objects.count() == 0


def test_only_the_council_sets_blocks_audited_and_not_once_locked(
    scoring_round, departments, admin, officer, appraiser
):
    with pytest.raises(PermissionDenied):
        ranking_block_set(
            scoring_round=scoring_round, code="xa", name="Xã", levels=["commune"], actor=officer
        )
    _two_blocks(scoring_round, appraiser)
    round_lock(scoring_round=scoring_round, reason="QĐ", actor=appraiser)

    with pytest.raises(ValidationError):
        ranking_block_remove(scoring_round=scoring_round, code="xa", actor=appraiser)
    assert RankingBlock.objects.count() == 2
    assert AuditEntry.objects.filter(action="reform.ranking_block").count() == 2


def test_the_ranking_page_xlsx_and_api_show_the_block(scoring_round, departments, admin):
    _two_blocks(scoring_round, admin)
    _scores(scoring_round, admin)
    client = Client()
    client.force_login(admin)

    page = client.get("/index/cchc-2026/").content.decode()
    book = load_workbook(io.BytesIO(client.get("/index/cchc-2026/ranking.xlsx").content))
    api = client.get("/api/v1/index/rounds/cchc-2026/results/?draws=0").json()

    assert 'data-block="so-nganh"' in page and "Khối: Sở, ban, ngành" in page
    assert book.sheetnames == ["Sở, ban, ngành", "UBND cấp xã"]
    assert [(u["unit"], u["block"], u["rank"]) for u in api["units"]] == [
        ("D2", "so-nganh", 1), ("D1", "so-nganh", 2), ("X2", "xa", 1), ("X1", "xa", 2),
    ]  # fmt: skip


def test_the_blocks_page_and_api_for_the_council_only(
    scoring_round, departments, appraiser, officer
):
    council, other = Client(), Client()
    council.force_login(appraiser)
    other.force_login(officer)

    saved = council.post(
        "/index/cchc-2026/blocks/",
        {"code": "so-nganh", "name": "Sở, ban, ngành", "position": "0", "levels": ["department"]},
    )
    refused = council.post(
        "/index/cchc-2026/blocks/", {"code": "x", "name": "X", "units": "X1, NOPE"}
    )
    put = council.put(
        "/api/v1/index/rounds/cchc-2026/blocks/xa/",
        {"name": "UBND cấp xã", "position": 1, "units": ["X1", "X2"]},
        content_type="application/json",
    )
    listed = council.get("/api/v1/index/rounds/cchc-2026/blocks/").json()

    assert saved.status_code == 302
    assert refused.status_code == 400 and "NOPE" in refused.content.decode()
    assert put.status_code == 200
    assert [(b["code"], b["levels"], b["units"]) for b in listed] == [
        ("so-nganh", ["department"], []),
        ("xa", [], ["X1", "X2"]),
    ]
    assert other.get("/index/cchc-2026/blocks/").status_code == 404
    forbidden = other.put(
        "/api/v1/index/rounds/cchc-2026/blocks/y/", {"name": "Y", "levels": ["commune"]},
        content_type="application/json",
    )  # fmt: skip
    assert forbidden.status_code == 403
    assert council.delete("/api/v1/index/rounds/cchc-2026/blocks/xa/").status_code == 204
    assert RankingBlock.objects.count() == 1
