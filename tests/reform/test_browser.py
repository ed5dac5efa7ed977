"""In Chromium: a self-assessment with an evidence upload, its appraisal, the ranking."""

import pytest

from org.models import Role
from reform.models import Evidence, Score
from reform.services import survey_points_refresh
from tests.factories import member
from tests.reform.test_results import _estimates, _score
from tests.reform.test_services import PDF

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(browser, base: str, username: str, path: str):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{base}/login/?next={path}")
    page.fill("#id_username", username)
    page.fill("#id_password", "x")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}{path}")
    return context, page


def test_self_assessment_with_evidence_then_appraisal_then_ranking(
    browser, live_server, artifacts, tmp_path, scoring_round, province, x2, officer, appraiser
):
    base = live_server.url
    plan = scoring_round.framework.criteria.get(code="1.1")
    report = scoring_round.framework.criteria.get(code="1.2")
    evidence = tmp_path / "ke-hoach-cchc-2026.pdf"
    evidence.write_bytes(PDF)
    member("leader", Role.LEADER, province)
    # X2 self-scored 55 points; the survey gives X1 0.82 and X2 0.80 (SE 0.03 each)
    survey, _ = _estimates(province, {"X1": (0.82, 0.03), "X2": (0.80, 0.03)})
    scoring_round.survey_round = survey
    scoring_round.save()
    survey_points_refresh(scoring_round=scoring_round, actor="test")
    _score(scoring_round, x2, {"1.1": 36, "1.2": 19}, member("officer2", Role.OFFICER, x2))

    # given an officer of X1 on the self-assessment form
    context, page = _sign_in(
        browser, base, "officer1", "/index/cchc-2026/units/X1/self-assessment/"
    )
    assert page.locator("h1").inner_text().startswith("Tự đánh giá")

    # when they score two criteria, explain one and attach the plan as evidence
    page.fill(f"#points-{plan.pk}", "38")
    page.fill(f"textarea[name=comment-{plan.pk}]", "Kế hoạch số 12/KH-UBND ban hành đúng hạn")
    page.set_input_files(f"input[name=evidence-{plan.pk}]", str(evidence))
    page.fill(f"#points-{report.pk}", "18,5")
    page.click("button[type=submit]")

    # then the form says it was saved and lists the evidence
    page.wait_for_selector(".messages")
    assert "Đã lưu kết quả tự đánh giá." in page.inner_text(".messages")
    assert page.locator("a", has_text="ke-hoach-cchc-2026.pdf").count() == 1
    page.screenshot(path=str(artifacts / "reform-self-assessment.png"), full_page=True)

    # when they submit it to the appraisers, the scorecard shows it submitted
    page.click("button[name=submit-assessment]")
    page.wait_for_selector("section.submission[data-status=submitted]")
    assert "đã gửi" in page.inner_text("section.submission")
    page.screenshot(path=str(artifacts / "reform-submitted.png"), full_page=True)
    context.close()
    assert Evidence.objects.get().sha256 is not None

    # when the appraiser lowers 1.1 with a reason and accepts 1.2
    context, page = _sign_in(browser, base, "appraiser", "/index/cchc-2026/units/X1/appraisal/")
    plan_score = Score.objects.get(criterion=plan, unit__code="X1")
    report_score = Score.objects.get(criterion=report, unit__code="X1")
    page.select_option(f"select[name=decision-{plan_score.pk}]", "adjust")
    page.fill(f"input[name=points-{plan_score.pk}]", "35")
    page.fill(f"input[name=reason-{plan_score.pk}]", "Chưa có báo cáo quý IV")
    page.select_option(f"select[name=decision-{report_score.pk}]", "accept")
    page.click("button[type=submit]")
    page.wait_for_selector(".messages")
    assert "Đã lưu kết quả thẩm định." in page.inner_text(".messages")
    page.click("button[name=close-appraisal]")
    page.wait_for_selector("section.submission[data-status=appraised]")
    page.screenshot(path=str(artifacts / "reform-appraisal.png"), full_page=True)
    context.close()

    # then the ranking shows X1 second with 53.5 + 0.82 × 40 = 86.3 points (X2: 87), and
    # both ranks uncertain within the survey's sampling error
    context, page = _sign_in(browser, base, "leader", "/index/cchc-2026/")
    row = page.locator("tr[data-unit=X1]")
    assert row.locator("td").nth(0).inner_text() == "2"
    assert row.locator("td").nth(1).inner_text() == "86,30"
    assert row.locator("td.interval").inner_text() == "1–2"
    page.screenshot(path=str(artifacts / "reform-ranking.png"), full_page=True)
    context.close()
    assert (
        plan_score.__class__.objects.get(pk=plan_score.pk).points,
        Score.objects.get(pk=report_score.pk).points,
    ) == (35, 18.5)
