"""In Chromium: a leader opens the index dashboard, asks for the ranking PDF, watches the
progress bar reach the download link, downloads the PDF and renders its pages to PNG."""

from pathlib import Path

import pypdfium2
import pytest

from org.models import Role
from tests.factories import member
from tests.reform.ranked import ranked_world
from tests.reform.test_browser import _sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shared_media(settings, monkeypatch):
    """The worker process (started after this) stores the PDF where the server reads it."""
    monkeypatch.setenv("MEDIA_ROOT", settings.MEDIA_ROOT)
    return settings.MEDIA_ROOT


def test_a_leader_reads_the_dashboard_and_downloads_the_ranking_pdf(
    browser, live_server, shared_media, celery_worker, artifacts, scoring_round, province, x1, x2
):
    base = live_server.url
    ranked_world(scoring_round, province, x1, x2)
    member("leader", Role.LEADER, province)

    # given the leader on the dashboard
    context, page = _sign_in(browser, base, "leader", "/index/cchc-2026/dashboard/")
    assert page.locator("h1").inner_text().startswith("Bảng điều khiển lãnh đạo")

    # then a number on the page is the API's
    api = context.request.get(f"{base}/api/v1/index/rounds/cchc-2026/results/").json()
    first = next(u for u in api["units"] if u["rank"] == 1)
    row = page.locator(f"tr[data-unit={first['unit']}]")
    assert first["unit"] == "X2" and row.locator("td").nth(1).inner_text() == "87,00"
    assert row.locator("td.interval").inner_text() == "{}–{}".format(*first["rank_interval"])
    assert page.locator("tr[data-gain=X2]").count() == 1
    assert page.locator("tr[data-loss=X1]").count() == 1
    page.screenshot(path=str(artifacts / "reform-dashboard.png"), full_page=True)

    # when they ask for the ranking report
    page.click("button[data-report=index-ranking]")
    page.wait_for_url(f"{base}/reports/*/")

    # then the progress bar reaches the end and the download link appears
    link = page.locator("[data-field=download-link]")
    link.wait_for(state="visible", timeout=90_000)
    assert page.locator("progress[data-field=progress]").get_attribute("value") == "100"
    assert page.locator("[data-field=status]").inner_text() == "hoàn tất"
    page.screenshot(path=str(artifacts / "reform-ranking-report-job.png"), full_page=True)
    with page.expect_download() as downloading:
        link.click()
    download = downloading.value
    assert download.suggested_filename == "xep-hang-cchc-2026.pdf"
    content = Path(download.path()).read_bytes()
    context.close()

    # and the PDF's pages carry the ranking table and the method, rendered to PNG
    pdf = pypdfium2.PdfDocument(content)
    texts = [" ".join(p.get_textpage().get_text_range().split()) for p in pdf]
    for number, pdf_page in enumerate(pdf, start=1):
        image = pdf_page.render(scale=2).to_pil()
        assert image.getbbox() is not None
        image.save(artifacts / f"reform-ranking-report-page-{number}.png")
    pdf.close()
    assert len(texts) == 3
    assert "1 Xã X2 87,00 1–2 1,00 +12,00 +1 Khá" in texts[1]
    assert "2 Xã X1 86,30 1–2 1,00 -13,70 -1 Khá" in texts[1]
    assert "Phương pháp" in texts[2]
