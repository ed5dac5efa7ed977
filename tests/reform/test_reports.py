"""The reform index's PDF reports: asked for from the pages, built by the reports task's
code, downloaded and read back page by page (pypdfium2); who may ask for which."""

from typing import Any

import pypdfium2
import pytest
from django.test import Client

from org.models import Role
from outbox.models import OutboxMessage
from reform.models import ScoringRound
from reform.services import round_lock, round_publish
from reports.models import ReportJob
from reports.services import report_build
from tests.factories import member
from tests.reform.ranked import ranked_world

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _pages(client: Client, job: ReportJob) -> list[str]:
    """The downloaded PDF's text, one string per page, whitespace collapsed."""
    status = client.get(f"/reports/{job.pk}/status").json()
    assert status["status"] == "succeeded", status
    download = client.get(status["download_url"])
    assert download["Content-Type"] == "application/pdf"
    pdf = pypdfium2.PdfDocument(b"".join(download.streaming_content))
    pages = [" ".join(page.get_textpage().get_text_range().split()) for page in pdf]
    pdf.close()
    return pages


@pytest.fixture
def world(scoring_round, province, x1, x2) -> dict[str, Any]:
    return ranked_world(scoring_round, province, x1, x2)


def test_an_officer_gets_their_units_scorecard_as_a_pdf(world, officer):
    client = _client(officer)

    # when the officer of X1 asks for X1's scorecard from its page's button
    page = client.get("/index/cchc-2026/units/X1/").content.decode()
    assert 'action="/reports/new/index-scorecard/"' in page
    reply = client.post("/reports/new/index-scorecard/", {"round": "cchc-2026", "unit": "X1"})
    job = ReportJob.objects.get()
    assert reply["Location"] == f"/reports/{job.pk}/"
    assert job.title == "Phiếu điểm của Xã X1: Chỉ số CCHC cấp xã 2026"
    report_build(job_id=str(job.pk))  # what the Celery task runs

    # then the PDF has a cover and the scorecard's chapters, Vietnamese intact
    cover, summary, losses, evidence = _pages(client, job)
    assert "Phiếu điểm của Xã X1" in cover and "Tỉnh Thử Nghiệm" in cover
    assert "Tổng điểm 86,30" in summary
    assert "Xếp hạng 2 trên 2 (Xã)" in summary
    assert "Khoảng thứ hạng (90%) 1–2" in summary
    assert "Xếp loại Khá" in summary
    assert "Thay đổi (điểm) -13,70 Thay đổi (bậc) -1" in summary
    assert "Đợt năm trước Chỉ số CCHC cấp xã 2025" in summary
    # per domain: points, maximum, share, lost; no per-domain change (no survey in 2025)
    assert "1. Chỉ đạo, điều hành 53,50 60,00 89,2% 6,50 —" in summary
    assert "2. Tác động 32,80 40,00 82,0% 7,20 —" in summary
    # where points were lost, most first, with the appraiser's reason
    rows = [
        "2.1 Hài lòng chung 40 32,80 7,20",
        "1.1 Kế hoạch 40 35 5 Chưa có báo cáo quý IV",
        "1.2 Báo cáo 20 18,50 1,50",
    ]
    assert [losses.index(row) for row in rows] == sorted(losses.index(row) for row in rows)
    # the survey component: estimate, SE, CI, n, points, and the run it came from
    assert "0,820 0,030 0,761– 0,879 300" in losses
    assert f"lượt phân tích #{world['run'].pk}" in losses
    assert "kế-hoạch-cchc-2026.pdf" in evidence and "Tài liệu kiểm chứng" in evidence


def test_a_leader_gets_the_ranking_report_with_its_method(world, province):
    client = _client(member("leader", Role.LEADER, province))

    assert (
        'action="/reports/new/index-ranking/"' in client.get("/index/cchc-2026/").content.decode()
    )
    client.post("/reports/new/index-ranking/", {"round": "cchc-2026"})
    job = ReportJob.objects.get()
    report_build(job_id=str(job.pk))

    cover, ranking, method = _pages(client, job)
    assert "Báo cáo xếp hạng: Chỉ số CCHC cấp xã 2026" in cover
    assert "Xếp hạng: Xã (2 đơn vị)" in ranking
    first = ranking.index("1 Xã X2 87,00 1–2 1,00 +12,00 +1 Khá")
    second = ranking.index("2 Xã X1 86,30 1–2 1,00 -13,70 -1 Khá")
    assert first < second
    assert "Tổng điểm: Xã" in ranking and "Thứ hạng và khoảng thứ hạng 90%: Xã" in ranking
    assert "Phương pháp" in method and "Chỉ số CCHC cấp xã 2026 (commune-2026, 2026" in method
    assert "1. Chỉ đạo, điều hành 60,00" in method and "90,00 Xuất sắc" in method
    assert "sipas.overall" in method and "tỷ lệ của điểm tối đa" in method
    assert "rút ngẫu nhiên 1000 lần" in method
    assert "Đợt năm trước: Chỉ số CCHC cấp xã 2025." in method


def _refused(client: Client, kind: str, params: dict[str, str], status: int = 404) -> None:
    jobs, messages = ReportJob.objects.count(), OutboxMessage.objects.count()
    assert client.post(f"/reports/new/{kind}/", params).status_code == status
    assert (ReportJob.objects.count(), OutboxMessage.objects.count()) == (jobs, messages)


def test_an_officer_cannot_ask_for_another_units_scorecard_even_once_published(world, officer, x2):
    client = _client(officer)
    _refused(client, "index-scorecard", {"round": "cchc-2026", "unit": "X2"})
    _refused(client, "index-scorecard", {"round": "cchc-2026", "unit": "X9"})
    _refused(client, "index-scorecard", {"round": "no-such-round", "unit": "X1"})
    _refused(client, "index-ranking", {"round": "cchc-2026"})  # unpublished: not theirs

    scoring_round = ScoringRound.objects.get(code="cchc-2026")
    round_lock(scoring_round=scoring_round, reason="Quyết định số 1", actor=world["admin"])
    round_publish(scoring_round=scoring_round, actor=world["admin"])

    # published: the ranking is everybody's; X2's scorecard (its scores, appraisal notes
    # and evidence) still is not theirs, as a page, a PDF or through the API
    _refused(client, "index-scorecard", {"round": "cchc-2026", "unit": "X2"})
    assert client.get("/index/cchc-2026/units/X2/").status_code == 404
    assert client.get("/index/cchc-2026/units/X1/").status_code == 200
    assert client.get("/index/cchc-2026/").status_code == 200
    scores = client.get("/api/v1/index/rounds/cchc-2026/scores/").json()
    rows = scores["results"] if isinstance(scores, dict) else scores
    assert rows and {row["unit"] for row in rows} == {"X1"}
    assert client.post("/reports/new/index-ranking/", {"round": "cchc-2026"}).status_code == 302
    assert ReportJob.objects.get().kind == "index-ranking"


def test_leaders_and_appraisers_ask_within_their_scope(world, province, x2):
    _refused(
        _client(member("leader2", Role.LEADER, x2)),
        "index-scorecard",
        {"round": "cchc-2026", "unit": "X1"},
    )
    _refused(_client(member("designer", Role.DESIGNER, province)), "index-ranking",
             {"round": "cchc-2026"})  # fmt: skip
    appraiser = _client(member("appraiser", Role.APPRAISER, province))
    reply = appraiser.post("/reports/new/index-scorecard/", {"round": "cchc-2026", "unit": "X2"})
    assert reply.status_code == 302
    assert Client().post("/reports/new/index-ranking/", {"round": "cchc-2026"}).status_code == 302
    assert ReportJob.objects.count() == 1  # the anonymous one went to the login page


def test_missing_parameters_are_a_400_with_the_fields_and_write_nothing(world, province):
    client = _client(member("leader", Role.LEADER, province))
    jobs, messages = ReportJob.objects.count(), OutboxMessage.objects.count()

    reply = client.post("/reports/new/index-scorecard/", {"round": "cchc-2026", "unit": ""})

    assert reply.status_code == 400
    assert "Hãy cho biết mã đơn vị." in reply.content.decode()
    reply = client.post("/reports/new/index-ranking/", {"round": "a b/../c"})
    assert reply.status_code == 400 and "Hãy cho biết mã đợt chấm điểm." in reply.content.decode()
    assert (ReportJob.objects.count(), OutboxMessage.objects.count()) == (jobs, messages)


def test_the_report_task_is_known_to_the_web_process_too():
    # With eager Celery (no broker, ``make run``) the outbox runs the task by name in
    # the web process after commit: an unregistered name would leave every job queued.
    from celery import current_app

    assert "reports.tasks.report_build" in current_app.tasks


def test_a_weighted_ddci_round_has_its_reports_and_dashboard_too(province, tmp_path):
    # given the shipped DDCI framework (weights, 1–10 indicators) over two departments
    import datetime as dt
    import json

    from django.utils import timezone

    from org.models import AdministrativeUnit, UnitLevel
    from reform.catalog import SHIPPED_DIR
    from reform.reports import ranking_build, scorecard_build
    from reform.services import framework_import, round_open

    level = UnitLevel.objects.create(code="department", name="Sở, ban, ngành", rank=1)
    for code in ("S1", "S2"):
        AdministrativeUnit.objects.create(
            code=code, name=f"Sở {code}", level=level, parent=province
        )
    data = json.loads((SHIPPED_DIR / "ddci-2025.json").read_text(encoding="utf-8"))
    now = timezone.now()
    round_open(
        framework=framework_import(data=data, actor="test"),
        code="ddci-2025",
        name="DDCI 2025",
        year=2025,
        scope=province,
        self_score_deadline=now,
        appraisal_deadline=now + dt.timedelta(days=1),
        publication_date=now + dt.timedelta(days=2),
        actor="test",
    )
    steps: list[int] = []

    # when both reports are built and the dashboard is opened
    scorecard = scorecard_build({"round": "ddci-2025", "unit": "S1"}, lambda p, s="": None)
    ranking = ranking_build({"round": "ddci-2025"}, lambda p, s="": steps.append(p))
    page = _client(member("leader", Role.LEADER, province)).get("/index/ddci-2025/dashboard/")

    # then each is there: every indicator equal (no values yet), each department at 10 on
    # each sub-index, both first and marked incomplete
    assert steps == [10, 60, 75, 95]
    text = " ".join(
        pypdfium2.PdfDocument(ranking.content)[1].get_textpage().get_text_range().split()
    )
    assert "1 Sở S1 (chưa đủ) 100,00 1–1" in text and "1 Sở S2 (chưa đủ) 100,00 1–1" in text
    assert scorecard.filename == "phieu-diem-ddci-2025-S1.pdf" and len(scorecard.content) > 5000
    assert page.status_code == 200 and page.content.decode().count('data-unit="S') == 2


def test_the_scorecard_compares_each_domain_with_last_year_when_measured_alike(world, officer):
    # given last year's round fed by a survey too (the same estimates: X1 60 + 32.8)
    from reform.reports import scorecard_build
    from reform.services import survey_points_refresh

    previous = world["previous"]
    previous.survey_round = world["survey"]
    previous.save()
    survey_points_refresh(scoring_round=previous, actor=world["admin"])

    built = scorecard_build({"round": "cchc-2026", "unit": "X1"}, lambda p, s="": None)

    summary = " ".join(
        pypdfium2.PdfDocument(built.content)[1].get_textpage().get_text_range().split()
    )
    assert "Thay đổi (điểm) -6,50 Thay đổi (bậc) -1" in summary
    assert "1. Chỉ đạo, điều hành 53,50 60,00 89,2% 6,50 -6,50" in summary
    assert "2. Tác động 32,80 40,00 82,0% 7,20 0,00" in summary
