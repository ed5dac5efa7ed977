"""Issue 11, done when: a statistician scoped to one province opens a round's dashboard
in Chromium, a number on the page equals the API's, the XLSX and the PDF report (built
by the Celery task) download, the PDF's pages render to PNG and hold their tables, and
another province's round is not reachable (404). Screenshots and pages go to
tests/artifacts/."""

import datetime as dt
import io
import time

import pypdfium2
import pytest
from openpyxl import load_workbook

from analysis.demo import DEMO_PASSWORD, EARLIER_ROUND_CODE, ROUND_CODE, demo_load
from analysis.models import AnalysisRun, Estimate, SurveyRound
from analysis.services import analysis_run_start
from org.models import AdministrativeUnit
from reports.models import ReportJob

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _analyse(code: str) -> AnalysisRun:
    run = analysis_run_start(survey_round=SurveyRound.objects.get(code=code), actor="test")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if run.status in {AnalysisRun.Status.SUCCEEDED, AnalysisRun.Status.FAILED}:
            break
        time.sleep(0.2)
    assert run.status == AnalysisRun.Status.SUCCEEDED, run.error
    return run


def _pct(value: float) -> str:
    return f"{value * 100:.1f}".replace(".", ",") + "%"


@pytest.fixture
def media(tmp_path, settings, monkeypatch):
    """Reports are written here, by this process and by the worker process alike (the
    worker reads MEDIA_ROOT from its environment: request this before celery_worker)."""
    settings.MEDIA_ROOT = str(tmp_path)
    monkeypatch.setenv("MEDIA_ROOT", str(tmp_path))
    return tmp_path


def test_a_province_statistician_reviews_a_round_and_takes_its_files(
    media, page, live_server, artifacts, celery_worker
):
    # given the demo province with two analysed rounds, and a second province's round
    demo_load(transactions=900)
    _analyse(EARLIER_ROUND_CODE)
    run = _analyse(ROUND_CODE)
    province = AdministrativeUnit.objects.get(code="P01")
    other = AdministrativeUnit.objects.create(code="Q9", name="Tỉnh Khác", level=province.level)
    SurveyRound.objects.create(
        code="q9-2026",
        name="Tỉnh Khác 2026",
        questionnaire=run.round.questionnaire,
        scope=other,
        period_start=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        period_end=dt.datetime(2026, 6, 30, tzinfo=dt.UTC),
    )
    overall = Estimate.objects.get(
        run=run, unit__code="P01", statistic="overall", domain_variable="unit"
    )
    page.set_viewport_size({"width": 1280, "height": 900})

    # when the demo statistician (scoped to P01) signs in and opens the dashboard
    page.goto(f"{live_server.url}/login/?next=/rounds/{ROUND_CODE}/dashboard/")
    page.fill("input[name=username]", "thongke")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("h1:has-text('Bảng điều khiển đợt khảo sát')")
    page.screenshot(
        path=str(artifacts / "round-dashboard.png"), full_page=True, scale="css", timeout=60_000
    )

    # then the province's overall index on the page is the API's
    shown = page.locator(f"td[data-estimate='{overall.pk}']").inner_text()
    api = page.request.get(
        f"{live_server.url}/api/v1/estimates/?round={ROUND_CODE}&unit=P01&statistic=overall"
        "&domain_variable=unit"
    ).json()
    assert api["count"] == 1
    assert shown == _pct(api["results"][0]["estimate"]) == _pct(overall.estimate)

    # and the XLSX downloads with the same figure
    with page.expect_download() as xlsx_download:
        page.click("[data-download=xlsx]")
    xlsx_path = artifacts / "round-dashboard.xlsx"
    xlsx_download.value.save_as(str(xlsx_path))
    sheet = load_workbook(io.BytesIO(xlsx_path.read_bytes())).worksheets[0]
    values = {(r[1], r[2]): r[5] for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert values[("overall", "P01")] == api["results"][0]["estimate"]

    # and the PDF report is built by the task, with a progress bar and a download link
    page.click("[data-report]")
    page.wait_for_url("**/reports/*/")
    assert ReportJob.objects.get().kind == "round-report"
    try:
        page.wait_for_selector("[data-field=download-link]:visible", timeout=120_000)
    finally:
        page.screenshot(path=str(artifacts / "round-report-job.png"), timeout=60_000)
    job = ReportJob.objects.get()
    assert job.status == ReportJob.Status.SUCCEEDED, job.error
    with page.expect_download() as pdf_download:
        page.click("[data-field=download-link]")
    pdf_path = artifacts / "round-report.pdf"
    pdf_download.value.save_as(str(pdf_path))
    pdf = pypdfium2.PdfDocument(str(pdf_path))
    texts = []
    for number in range(len(pdf)):
        pdf[number].render(scale=1.5).to_pil().save(artifacts / f"round-report-{number + 1}.png")
        # one space for every run of blanks and line breaks (table headers wrap)
        texts.append(" ".join(pdf[number].get_textpage().get_text_range().split()))
    pdf.close()
    text = "\n".join(texts)
    assert "Báo cáo đợt khảo sát SIPAS 2026" in texts[0]
    table = next(t for t in texts if "Ước lượng theo thành phần và đơn vị" in t)
    for words in ["Tiếp cận dịch vụ", "Đơn vị", "Có gia quyền", "Không gia quyền", "KTC 95%"]:
        assert words in table, words
    assert "Tỉnh Minh Hòa" in text and _pct(overall.estimate) in text
    assert "Hệ số thiết kế Kish" in text and "Công thức Yamane" in text

    # and on a phone nothing scrolls sideways (wide tables scroll in their own box)
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{live_server.url}/rounds/{ROUND_CODE}/dashboard/?unit=X04")
    page.screenshot(path=str(artifacts / "round-dashboard-phone.png"), timeout=60_000)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    # and another province's round answers 404
    reply = page.goto(f"{live_server.url}/rounds/q9-2026/dashboard/")
    assert reply is not None and reply.status == 404
