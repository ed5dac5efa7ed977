"""The pages: ranking, scorecard, self-assessment with upload, appraisal, evidence."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from org.models import Role
from reform.models import Evidence, Score
from tests.factories import member
from tests.reform.conftest import past_deadline
from tests.reform.test_services import PDF


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_self_assessment_form_saves_points_comment_and_evidence(scoring_round, plan, officer):
    client = _client(officer)
    url = "/index/cchc-2026/units/X1/self-assessment/"

    page = client.get(url)
    response = client.post(
        url,
        {
            f"points-{plan.pk}": "37,5",
            f"comment-{plan.pk}": "Kế hoạch số 12/KH-UBND",
            f"evidence-{plan.pk}": SimpleUploadedFile("ke-hoach.pdf", PDF),
        },
    )

    assert page.status_code == 200
    assert "Tự đánh giá" in page.content.decode()
    assert response.status_code == 302
    score = Score.objects.get()
    assert (score.self_points, score.comment) == (37.5, "Kế hoạch số 12/KH-UBND")
    assert Evidence.objects.get().name == "ke-hoach.pdf"


def test_a_bad_upload_is_shown_and_nothing_is_stored(scoring_round, plan, officer):
    response = _client(officer).post(
        "/index/cchc-2026/units/X1/self-assessment/",
        {
            f"points-{plan.pk}": "30",
            f"evidence-{plan.pk}": SimpleUploadedFile("virus.pdf", b"MZ\x90\x00"),
        },
    )

    assert response.status_code == 400
    assert Evidence.objects.count() == 0


def test_another_units_form_is_404_and_after_the_deadline_too(scoring_round, officer):
    client = _client(officer)

    assert client.get("/index/cchc-2026/units/X2/self-assessment/").status_code == 404
    past_deadline(scoring_round)
    assert client.get("/index/cchc-2026/units/X1/self-assessment/").status_code == 404
    assert client.get("/index/cchc-2026/units/X1/").status_code == 200


def test_the_appraiser_adjusts_on_the_appraisal_page(scoring_round, plan, officer, appraiser):
    _client(officer).post("/index/cchc-2026/units/X1/self-assessment/", {f"points-{plan.pk}": "38"})
    score = Score.objects.get()
    client = _client(appraiser)

    refused = client.post(
        "/index/cchc-2026/units/X1/appraisal/",
        {f"decision-{score.pk}": "adjust", f"points-{score.pk}": "30"},
    )
    saved = client.post(
        "/index/cchc-2026/units/X1/appraisal/",
        {
            f"decision-{score.pk}": "adjust",
            f"points-{score.pk}": "30",
            f"reason-{score.pk}": "Thiếu báo cáo",
        },
    )

    assert refused.status_code == 400
    assert saved.status_code == 302
    score.refresh_from_db()
    assert (score.appraised_points, score.status) == (30, "adjusted")
    assert _client(officer).get("/index/cchc-2026/units/X1/appraisal/").status_code == 404


def test_the_ranking_page_shows_ranks_and_intervals_in_vietnamese(
    scoring_round, province, plan, officer
):
    _client(officer).post("/index/cchc-2026/units/X1/self-assessment/", {f"points-{plan.pk}": "38"})
    leader = member("leader", Role.LEADER, province)

    page = _client(leader).get("/index/cchc-2026/")

    html = page.content.decode()
    assert page.status_code == 200
    assert "Xếp hạng" in html
    assert 'data-unit="X1"' in html
    assert _client(officer).get("/index/cchc-2026/").status_code == 404


def test_evidence_is_served_inline_to_those_who_may_read_it(scoring_round, plan, officer, x2):
    client = _client(officer)
    client.post(
        "/index/cchc-2026/units/X1/self-assessment/",
        {f"points-{plan.pk}": "38", f"evidence-{plan.pk}": SimpleUploadedFile("a.pdf", PDF)},
    )
    item = Evidence.objects.get()
    stranger = member("officer2", Role.OFFICER, x2)

    shown = client.get(f"/index/evidence/{item.pk}/")
    hidden = _client(stranger).get(f"/index/evidence/{item.pk}/")

    assert shown.status_code == 200
    assert shown["Content-Type"] == "application/pdf"
    assert shown["Content-Disposition"].startswith("inline")
    assert "Content-Security-Policy" not in shown  # browsers do not render sandboxed PDFs
    assert b"".join(shown.streaming_content) == PDF
    assert hidden.status_code == 404


def test_two_units_compare_criterion_by_criterion(scoring_round, province, plan, x1, x2):
    from reform.services import score_self_set

    officer = member("officer-p", Role.OFFICER, province)
    report = scoring_round.framework.criteria.get(code="1.2")
    for unit, points in ((x1, (38, 19)), (x2, (30, 20))):
        for criterion, value in zip((plan, report), points, strict=True):
            score_self_set(
                scoring_round=scoring_round,
                unit=unit,
                criterion=criterion,
                points=value,
                comment="",
                actor=officer,
            )

    page = _client(member("leader", Role.LEADER, province)).get(
        "/index/cchc-2026/compare/?a=X1&b=X2"
    )

    rows = {r["line"].criterion.code: (r["a"], r["b"], r["diff"]) for r in page.context["rows"]}
    assert page.status_code == 200
    assert rows["1"] == (57, 50, 7)
    assert rows["1.2"] == (19, 20, -1)
    assert rows["2"] == (None, None, None)


def test_the_scorecard_previews_pdf_evidence_in_the_page(scoring_round, plan, officer):
    client = _client(officer)
    client.post(
        "/index/cchc-2026/units/X1/self-assessment/",
        {f"points-{plan.pk}": "38", f"evidence-{plan.pk}": SimpleUploadedFile("a.pdf", PDF)},
    )
    item = Evidence.objects.get()

    html = client.get("/index/cchc-2026/units/X1/").content.decode()
    framed = client.get(f"/index/evidence/{item.pk}/")

    assert f'<iframe src="/index/evidence/{item.pk}/"' in html
    assert "Điểm bị mất" in html
    assert "Những tiêu chí bị mất điểm" in html  # 1.1: 40 − 38
    assert framed["X-Frame-Options"] == "SAMEORIGIN"


def test_the_workspace_links_to_the_reform_index(scoring_round, officer):
    page = _client(officer).get("/")

    assert 'href="/index/"' in page.content.decode()
    assert "Đợt chấm điểm" in _client(officer).get("/index/").content.decode()


def test_an_officer_finds_their_units_scorecard_from_the_round_list(scoring_round, officer):
    html = _client(officer).get("/index/").content.decode()

    assert 'href="/index/cchc-2026/units/X1/"' in html
    assert 'href="/index/cchc-2026/"' not in html
    assert 'href="/index/cchc-2026/units/X2/"' not in html


def test_an_image_is_served_sandboxed(scoring_round, plan, officer):
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    client = _client(officer)
    client.post(
        "/index/cchc-2026/units/X1/self-assessment/",
        {f"points-{plan.pk}": "38", f"evidence-{plan.pk}": SimpleUploadedFile("a.png", png)},
    )

    shown = client.get(f"/index/evidence/{Evidence.objects.get().pk}/")

    assert shown["Content-Type"] == "image/png"
    assert shown["Content-Security-Policy"].startswith("sandbox")
