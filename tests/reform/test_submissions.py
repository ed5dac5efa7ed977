"""The submit step: draft → submitted → appraised → locked, per unit, with deadlines,
permissions and audit; the pages and the API of the same steps."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from org.models import AuditEntry, Role
from reform.models import Score, Submission
from reform.services import evidence_add, round_lock, score_appraise, score_self_set
from reform.submissions import (
    submission_appraised,
    submission_return,
    submission_submit,
    submissions_table,
)
from tests.factories import member
from tests.reform.conftest import past_deadline
from tests.reform.test_services import PDF


def _score_all(scoring_round, unit, officer, points=(35, 15)):
    framework = scoring_round.framework
    for code, value in zip(("1.1", "1.2"), points, strict=True):
        score_self_set(
            scoring_round=scoring_round, unit=unit, criterion=framework.criteria.get(code=code),
            points=value, comment="", actor=officer,
        )  # fmt: skip


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_submitting_ends_the_officers_changes_and_is_audited(scoring_round, plan, x1, officer):
    _score_all(scoring_round, x1, officer)

    row = submission_submit(scoring_round=scoring_round, unit=x1, actor=officer)

    assert (row.status, row.submitted_by) == (Submission.Status.SUBMITTED, officer)
    with pytest.raises(PermissionDenied):
        score_self_set(
            scoring_round=scoring_round, unit=x1, criterion=plan, points=40, comment="",
            actor=officer,
        )  # fmt: skip
    with pytest.raises(PermissionDenied):
        evidence_add(
            score=Score.objects.get(criterion=plan),
            upload=SimpleUploadedFile("a.pdf", PDF),
            actor=officer,
        )
    assert Score.objects.get(criterion=plan).self_points == 35
    entry = AuditEntry.objects.get(action="reform.submit")
    assert (entry.before["status"], entry.after["status"]) == ("draft", "submitted")


def test_an_incomplete_self_assessment_cannot_be_submitted(scoring_round, plan, x1, officer):
    score_self_set(
        scoring_round=scoring_round, unit=x1, criterion=plan, points=35, comment="", actor=officer
    )

    with pytest.raises(ValidationError) as caught:
        submission_submit(scoring_round=scoring_round, unit=x1, actor=officer)

    assert "1.2" in caught.value.messages[0]
    assert Submission.objects.count() == 0


def test_an_officer_submits_only_their_unit_and_only_before_the_deadline(
    scoring_round, x1, x2, officer
):
    _score_all(scoring_round, x1, officer)
    other = member("officer2", Role.OFFICER, x2)
    _score_all(scoring_round, x2, other)

    with pytest.raises(PermissionDenied):
        submission_submit(scoring_round=scoring_round, unit=x2, actor=officer)
    past_deadline(scoring_round)
    with pytest.raises(ValidationError):
        submission_submit(scoring_round=scoring_round, unit=x1, actor=officer)

    assert Submission.objects.filter(status=Submission.Status.SUBMITTED).count() == 0


def test_submitting_twice_is_refused(scoring_round, x1, officer):
    _score_all(scoring_round, x1, officer)
    submission_submit(scoring_round=scoring_round, unit=x1, actor=officer)

    with pytest.raises(ValidationError):
        submission_submit(scoring_round=scoring_round, unit=x1, actor=officer)


def test_an_appraiser_returns_a_submission_with_a_reason_and_the_officer_edits_again(
    scoring_round, plan, x1, officer, appraiser
):
    _score_all(scoring_round, x1, officer)
    submission_submit(scoring_round=scoring_round, unit=x1, actor=officer)

    with pytest.raises(ValidationError):
        submission_return(scoring_round=scoring_round, unit=x1, reason=" ", actor=appraiser)
    with pytest.raises(PermissionDenied):
        submission_return(scoring_round=scoring_round, unit=x1, reason="x", actor=officer)
    row = submission_return(
        scoring_round=scoring_round, unit=x1, reason="Thiếu tài liệu", actor=appraiser
    )
    score_self_set(
        scoring_round=scoring_round, unit=x1, criterion=plan, points=38, comment="", actor=officer
    )

    assert (row.status, row.note) == (Submission.Status.DRAFT, "Thiếu tài liệu")
    assert Score.objects.get(criterion=plan).self_points == 38
    assert AuditEntry.objects.get(action="reform.submission_return").reason == "Thiếu tài liệu"


def test_the_appraisal_closes_once_every_score_is_appraised_and_the_lock_ends_all(
    scoring_round, plan, x1, officer, appraiser
):
    _score_all(scoring_round, x1, officer)
    with pytest.raises(ValidationError):  # a draft before the deadline
        submission_appraised(scoring_round=scoring_round, unit=x1, actor=appraiser)
    submission_submit(scoring_round=scoring_round, unit=x1, actor=officer)
    first, second = Score.objects.order_by("criterion__position")
    score_appraise(score=first, points=None, reason="", actor=appraiser)

    with pytest.raises(ValidationError) as caught:
        submission_appraised(scoring_round=scoring_round, unit=x1, actor=appraiser)
    assert "1.2" in caught.value.messages[0]
    score_appraise(score=second, points=10, reason="Báo cáo muộn", actor=appraiser)
    row = submission_appraised(scoring_round=scoring_round, unit=x1, actor=appraiser)
    assert row.status == Submission.Status.APPRAISED
    round_lock(scoring_round=scoring_round, reason="QĐ 1/HĐ", actor=appraiser)

    table = submissions_table(scoring_round=scoring_round, units=[x1])
    assert [(line.unit.code, line.status, line.label) for line in table] == [
        ("X1", "locked", "đã khóa")
    ]
    with pytest.raises(PermissionDenied):
        score_appraise(score=Score.objects.get(pk=first.pk), points=30, reason="x", actor=appraiser)


def test_after_the_deadline_only_an_appraiser_changes_a_score(
    scoring_round, plan, x1, officer, appraiser
):
    _score_all(scoring_round, x1, officer)
    past_deadline(scoring_round)

    with pytest.raises(PermissionDenied):
        score_self_set(
            scoring_round=scoring_round, unit=x1, criterion=plan, points=20, comment="",
            actor=officer,
        )  # fmt: skip
    score_appraise(
        score=Score.objects.get(criterion=plan), points=30, reason="Đối chiếu", actor=appraiser
    )
    # A unit that never submitted is appraised once its deadline has passed.
    score_appraise(score=Score.objects.get(criterion__code="1.2"), points=None, reason="",
                   actor=appraiser)  # fmt: skip
    row = submission_appraised(scoring_round=scoring_round, unit=x1, actor=appraiser)

    assert Score.objects.get(criterion=plan).points == 30
    assert row.status == Submission.Status.APPRAISED


def test_the_pages_submit_show_the_status_and_404_out_of_scope(
    scoring_round, x1, officer, appraiser
):
    _score_all(scoring_round, x1, officer)
    officer_client, appraiser_client = _client(officer), _client(appraiser)

    assert officer_client.post("/index/cchc-2026/units/X2/submit/").status_code == 404
    form = officer_client.get("/index/cchc-2026/units/X1/self-assessment/").content.decode()
    response = officer_client.post("/index/cchc-2026/units/X1/submit/")
    card = officer_client.get("/index/cchc-2026/units/X1/").content.decode()
    appraisal = appraiser_client.get("/index/cchc-2026/units/X1/appraisal/").content.decode()
    table = appraiser_client.get("/index/cchc-2026/submissions/").content.decode()

    assert "Gửi tổ thẩm định" in form
    assert response.status_code == 302
    assert 'data-status="submitted"' in card
    assert "đã gửi" in appraisal and "Trả lại đơn vị" in appraisal
    assert 'data-unit="X1" data-status="submitted"' in table
    assert 'data-unit="X2" data-status="draft"' in table
    assert officer_client.get("/index/cchc-2026/units/X1/self-assessment/").status_code == 404
    assert officer_client.get("/index/cchc-2026/submissions/").status_code == 404


def test_the_api_reads_and_moves_a_units_step(scoring_round, x1, officer, appraiser):
    _score_all(scoring_round, x1, officer)
    url = "/api/v1/index/rounds/cchc-2026/submissions/X1/"
    officer_client, appraiser_client = _client(officer), _client(appraiser)

    before = officer_client.get(url)
    submitted = officer_client.post(url, {"action": "submit"}, content_type="application/json")
    again = officer_client.post(url, {"action": "submit"}, content_type="application/json")
    no_reason = appraiser_client.post(url, {"action": "return"}, content_type="application/json")
    other = officer_client.get("/api/v1/index/rounds/cchc-2026/submissions/X2/")

    assert (before.status_code, before.json()["status"]) == (200, "draft")
    assert (submitted.status_code, submitted.json()["status"]) == (200, "submitted")
    assert again.status_code == 400
    assert no_reason.status_code == 400
    assert other.status_code == 404
