"""The leader dashboard: the API's numbers, movers, weakest criteria, scoped by role."""

import re
from typing import Any

import pytest
from django.test import Client

from org.models import Role
from reform.dashboard import round_dashboard
from reform.models import ScoringRound
from reform.results import round_results
from tests.factories import member
from tests.reform.ranked import ranked_world

pytestmark = pytest.mark.django_db
URL = "/index/cchc-2026/dashboard/"


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def world(scoring_round, province, x1, x2) -> dict[str, Any]:
    return ranked_world(scoring_round, province, x1, x2)


def test_the_dashboard_shows_the_apis_totals_ranks_and_rank_intervals(world, province):
    client = _client(member("leader", Role.LEADER, province))

    page = client.get(URL)
    api = client.get("/api/v1/index/rounds/cchc-2026/results/").json()

    assert page.status_code == 200
    html = page.content.decode()
    shown = {
        unit: (float(total), int(rank), interval)
        for unit, total, rank, interval in re.findall(
            r'data-unit="(\w+)" data-total="([\d.]+)" data-rank="(\d+)" data-interval="([\d-]*)"',
            html,
        )
    }
    expected = {
        u["unit"]: (u["total"], u["rank"], "-".join(map(str, u["rank_interval"])))
        for u in api["units"]
    }
    assert shown == expected == {"X2": (87.0, 1, "1-2"), "X1": (86.3, 2, "1-2")}
    # each unit's scorecard one click away, the ranking PDF one button away
    assert 'href="/index/cchc-2026/units/X1/"' in html
    assert 'action="/reports/new/index-ranking/"' in html
    # the rank-interval chart, with its data table
    assert "Thứ hạng và khoảng thứ hạng 90%: Xã" in html and "Thứ hạng tốt nhất" in html


def test_movers_and_the_weakest_criteria(world, province):
    client = _client(member("leader", Role.LEADER, province))

    html = client.get(URL).content.decode()
    board = round_dashboard(
        results=round_results(scoring_round=ScoringRound.objects.get(code="cchc-2026"))
    )

    # X2 climbed from 75 (2nd) to 87 (1st); X1 fell from 100 to 86.3
    assert [(r.unit.code, r.change.points, r.change.ranks) for r in board.gains] == [
        ("X2", 12.0, 1)
    ]
    assert [(r.unit.code, r.change.points, r.change.ranks) for r in board.losses] == [
        ("X1", -13.7, -1)
    ]
    assert 'data-gain="X2"' in html and 'data-loss="X1"' in html
    assert "+12,00" in html and "-13,70" in html
    # 2.1 loses (7.2 + 8) / 40 / 2 = 19 %, 1.1 (5 + 4) / 40 / 2 = 11.25 %, 1.2 6.25 %
    assert [(w.code, round(w.share_lost, 4)) for w in board.weakest] == [
        ("2.1", 0.19),
        ("1.1", 0.1125),
        ("1.2", 0.0625),
    ]
    assert "Tiêu chí yếu nhất" in html and "2.1 Hài lòng chung" in html and "19,0%" in html


def test_without_last_year_there_are_no_movers(scoring_round, province):
    client = _client(member("leader", Role.LEADER, province))

    html = client.get(URL).content.decode()

    assert "Không có đợt năm trước để so sánh." in html
    assert "Đợt chấm điểm này chưa có đơn vị nào được chấm." not in html  # X1, X2 at 0


@pytest.mark.parametrize(
    ("role", "unit", "status"),
    [
        (Role.LEADER, "P", 200),
        (Role.APPRAISER, "P", 200),
        (Role.STATISTICIAN, "P", 200),
        (Role.LEADER, "X2", 404),  # unpublished round over P: not their scope
        (Role.OFFICER, "X1", 404),  # their unit only, not the whole ranking
        (Role.DESIGNER, "P", 404),  # no dashboards
    ],
)
def test_who_opens_the_dashboard(world, role, unit, status):
    from org.models import AdministrativeUnit

    client = _client(member("someone", role, AdministrativeUnit.objects.get(code=unit)))
    assert client.get(URL).status_code == status


def test_anonymous_visitors_go_to_the_login_page(world):
    reply = Client().get(URL)
    assert reply.status_code == 302 and reply["Location"].startswith("/login/")


def test_the_workspace_links_to_the_newest_readable_round(world, province, x2):
    client = _client(member("leader", Role.LEADER, province))

    home = client.get("/").content.decode()
    latest = client.get("/index/dashboard/")

    assert 'href="/index/dashboard/"' in home and "Bảng điều khiển Chỉ số CCHC" in home
    assert latest.status_code == 302 and latest["Location"] == URL
    nothing = _client(member("leader2", Role.LEADER, x2))  # no round they may read
    none = nothing.get("/index/dashboard/")
    assert none.status_code == 200
    assert "Chưa có đợt chấm điểm nào mà bạn được xem bảng xếp hạng." in none.content.decode()
    designer = _client(member("designer", Role.DESIGNER, province))
    assert designer.get("/index/dashboard/").status_code == 404
    assert "/index/dashboard/" not in designer.get("/").content.decode()


def test_a_long_block_is_charted_in_pieces_that_fit_a_page():
    from types import SimpleNamespace

    from reform.dashboard import Block, chart_pieces, rank_chart

    rows = [
        SimpleNamespace(
            rank=i, rank_low=max(1, i - 2), rank_high=min(90, i + 1),
            unit=SimpleNamespace(name=f"Xã {i}"),
        )
        for i in range(1, 91)
    ]  # fmt: skip

    pieces = chart_pieces(Block(name="Xã", rows=rows))  # type: ignore[arg-type]

    assert [(p.name, len(p.rows)) for p in pieces] == [
        ("Xã (1–40)", 40),
        ("Xã (41–80)", 40),
        ("Xã (81–90)", 10),
    ]
    chart = rank_chart(pieces[1], SimpleNamespace(draws=1000))  # type: ignore[arg-type]
    ticks = re.findall(r'class="tick" fill="#767676" font-size="10">(\d+)<', str(chart.svg))
    assert ticks == ["39", "44", "49", "54", "59", "64", "69", "74", "79"]  # 39–81 shown
    assert chart.rows[0] == ["Xã 41", "41", "39", "42"]


def test_the_dashboard_reads_in_a_fixed_number_of_queries(world, province):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import province_with_communes

    client = _client(member("leader", Role.LEADER, province))
    client.get(URL)  # the session and the user's scope, read once
    with CaptureQueriesContext(connection) as two:
        assert client.get(URL).status_code == 200

    province_with_communes(("X1", "X2", "X3", "X4"))  # two more communes, unscored
    with CaptureQueriesContext(connection) as four:
        html = client.get(URL).content.decode()

    assert html.count('data-unit="X') == 4
    assert len(four.captured_queries) == len(two.captured_queries)
