"""The assessment workflow: frameworks, self-scores, evidence, appraisal, lock, audit."""

import datetime as dt
import hashlib
import io
import zipfile

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from org.models import AuditEntry, Role
from reform.models import Evidence, Framework, Score
from reform.selectors import framework_dict
from reform.services import (
    FrameworkFrozen,
    evidence_add,
    framework_copy,
    framework_import,
    round_lock,
    score_appraise,
    score_self_set,
)
from tests.factories import member
from tests.reform.conftest import SMALL, past_deadline

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


@pytest.mark.django_db
def test_a_framework_round_trips_through_its_rows():
    framework = framework_import(data=SMALL, actor="test")

    exported = framework_dict(framework=framework)

    assert [n["code"] for n in exported["nodes"]] == ["1", "2"]
    assert exported["nodes"][1]["children"][0]["rule"] == {"type": "linear", "scale": 1}
    assert framework.criteria.count() == 5


@pytest.mark.django_db
def test_an_invalid_framework_is_refused_naming_the_node_and_nothing_is_stored():
    bad = {**SMALL, "nodes": [{**SMALL["nodes"][0], "max": 70}, SMALL["nodes"][1]]}

    with pytest.raises(ValidationError) as caught:
        framework_import(data=bad, actor="test")

    assert caught.value.messages[0].startswith("1 (Chỉ đạo, điều hành):")
    assert Framework.objects.count() == 0


def test_opening_a_round_freezes_its_framework(scoring_round):
    assert scoring_round.framework.frozen is True
    with pytest.raises(FrameworkFrozen):
        framework_import(data=SMALL, actor="test")


def test_copy_from_last_year_gives_an_unfrozen_draft(scoring_round):
    copy = framework_copy(
        framework=scoring_round.framework, code="commune-2027", year=2027, actor="test"
    )

    assert (copy.year, copy.frozen, copy.criteria.count()) == (2027, False, 5)


def test_an_officer_self_scores_their_unit_and_it_is_audited(scoring_round, plan, x1, officer):
    score = score_self_set(
        scoring_round=scoring_round,
        unit=x1,
        criterion=plan,
        points=35,
        comment="Kế hoạch ban hành đúng hạn",
        actor=officer,
    )

    entry = AuditEntry.objects.get(action="reform.self_score")
    assert (score.self_points, score.points) == (35, 35)
    assert entry.actor == officer
    assert entry.before["self_points"] is None
    assert entry.after["self_points"] == 35
    assert entry.reason == "Kế hoạch ban hành đúng hạn"


def test_an_officer_cannot_score_another_unit(scoring_round, plan, x2, officer):
    with pytest.raises(PermissionDenied):
        score_self_set(
            scoring_round=scoring_round,
            unit=x2,
            criterion=plan,
            points=35,
            comment="",
            actor=officer,
        )

    assert Score.objects.count() == 0
    assert not AuditEntry.objects.filter(action="reform.self_score").exists()


def test_an_officer_cannot_score_after_the_deadline(scoring_round, plan, x1, officer):
    score_self_set(
        scoring_round=scoring_round, unit=x1, criterion=plan, points=30, comment="", actor=officer
    )
    past_deadline(scoring_round)

    with pytest.raises(PermissionDenied):
        score_self_set(
            scoring_round=scoring_round,
            unit=x1,
            criterion=plan,
            points=40,
            comment="",
            actor=officer,
        )

    assert Score.objects.get().self_points == 30


def test_points_above_the_maximum_and_survey_leaves_are_refused(scoring_round, plan, x1, officer):
    survey_leaf = scoring_round.framework.criteria.get(code="2.1")
    with pytest.raises(ValidationError):
        score_self_set(
            scoring_round=scoring_round,
            unit=x1,
            criterion=plan,
            points=41,
            comment="",
            actor=officer,
        )
    with pytest.raises(ValidationError):
        score_self_set(
            scoring_round=scoring_round,
            unit=x1,
            criterion=survey_leaf,
            points=1,
            comment="",
            actor=officer,
        )
    assert Score.objects.count() == 0


def test_after_the_deadline_only_an_appraiser_changes_a_score_with_a_reason(
    scoring_round, plan, x1, officer, appraiser
):
    score = score_self_set(
        scoring_round=scoring_round, unit=x1, criterion=plan, points=38, comment="", actor=officer
    )
    past_deadline(scoring_round)

    with pytest.raises(ValidationError):
        score_appraise(score=score, points=30, reason=" ", actor=appraiser)
    adjusted = score_appraise(
        score=score, points=30, reason="Thiếu báo cáo quý IV", actor=appraiser
    )

    entry = AuditEntry.objects.get(action="reform.appraise")
    assert (adjusted.self_points, adjusted.appraised_points, adjusted.points) == (38, 30, 30)
    assert adjusted.status == Score.Status.ADJUSTED
    assert (entry.before["appraised_points"], entry.after["appraised_points"]) == (None, 30)
    assert entry.reason == "Thiếu báo cáo quý IV"


def test_an_officer_cannot_appraise(scoring_round, plan, x1, officer):
    score = score_self_set(
        scoring_round=scoring_round, unit=x1, criterion=plan, points=38, comment="", actor=officer
    )
    with pytest.raises(PermissionDenied):
        score_appraise(score=score, points=None, reason="", actor=officer)
    assert Score.objects.get().appraised_points is None


def test_an_appraiser_of_another_commune_cannot_appraise(scoring_round, plan, x1, x2, officer):
    stranger = member("stranger", Role.APPRAISER, x2)
    score = score_self_set(
        scoring_round=scoring_round, unit=x1, criterion=plan, points=38, comment="", actor=officer
    )

    with pytest.raises(PermissionDenied):
        score_appraise(score=score, points=None, reason="", actor=stranger)


def test_the_council_lock_stops_every_change(scoring_round, plan, x1, officer, appraiser):
    score = score_self_set(
        scoring_round=scoring_round, unit=x1, criterion=plan, points=38, comment="", actor=officer
    )
    score_appraise(score=score, points=None, reason="", actor=appraiser)

    round_lock(scoring_round=scoring_round, reason="Quyết định của hội đồng", actor=appraiser)

    with pytest.raises(PermissionDenied):
        score_appraise(score=score, points=20, reason="sau khi khóa", actor=appraiser)
    with pytest.raises(PermissionDenied):
        score_self_set(
            scoring_round=scoring_round,
            unit=x1,
            criterion=plan,
            points=1,
            comment="",
            actor=officer,
        )
    assert Score.objects.get().points == 38
    assert AuditEntry.objects.get(action="reform.round_lock").reason == "Quyết định của hội đồng"


def test_evidence_is_sniffed_checksummed_and_stored(scoring_round, plan, x1, officer):
    score = score_self_set(
        scoring_round=scoring_round, unit=x1, criterion=plan, points=38, comment="", actor=officer
    )

    pdf = evidence_add(score=score, upload=SimpleUploadedFile("kh.pdf", PDF), actor=officer)
    docx = evidence_add(score=score, upload=SimpleUploadedFile("bc.bin", _docx()), actor=officer)

    assert pdf.content_type == "application/pdf"
    assert pdf.sha256 == hashlib.sha256(PDF).hexdigest()
    assert pdf.file.read() == PDF
    assert docx.content_type.endswith("wordprocessingml.document")
    assert AuditEntry.objects.filter(action="reform.evidence_add").count() == 2


def test_evidence_that_is_not_a_document_or_too_large_is_refused(scoring_round, plan, x1, officer):
    score = score_self_set(
        scoring_round=scoring_round, unit=x1, criterion=plan, points=38, comment="", actor=officer
    )

    with pytest.raises(ValidationError):
        evidence_add(score=score, upload=SimpleUploadedFile("x.pdf", b"MZ\x90\x00"), actor=officer)
    with override_settings(REFORM_EVIDENCE_MAX_BYTES=10), pytest.raises(ValidationError):
        evidence_add(score=score, upload=SimpleUploadedFile("k.pdf", PDF), actor=officer)

    assert Evidence.objects.count() == 0


def test_evidence_after_the_deadline_is_refused_to_the_officer(scoring_round, plan, x1, officer):
    score = score_self_set(
        scoring_round=scoring_round, unit=x1, criterion=plan, points=38, comment="", actor=officer
    )
    past_deadline(scoring_round)

    with pytest.raises(PermissionDenied):
        evidence_add(score=score, upload=SimpleUploadedFile("k.pdf", PDF), actor=officer)


def test_deadlines_must_follow_one_another(scoring_round, province):
    from django.utils import timezone

    from reform.services import round_open

    now = timezone.now()
    with pytest.raises(ValidationError):
        round_open(
            framework=scoring_round.framework,
            code="bad",
            name="bad",
            year=2026,
            scope=province,
            self_score_deadline=now + dt.timedelta(days=5),
            appraisal_deadline=now,
            publication_date=now,
            actor="test",
        )


def test_results_are_published_only_after_the_lock_and_then_seen_by_any_leader(
    scoring_round, province, x2, appraiser
):
    from reform.selectors import may_read_results
    from reform.services import round_publish

    leader_of_x2 = member("leader2", Role.LEADER, x2)
    with pytest.raises(ValidationError):
        round_publish(scoring_round=scoring_round, actor=appraiser)
    assert may_read_results(user=leader_of_x2, scoring_round=scoring_round) is False

    round_lock(scoring_round=scoring_round, reason="QĐ 01", actor=appraiser)
    round_publish(scoring_round=scoring_round, actor=appraiser)

    leader_of_x2 = member("leader2b", Role.LEADER, x2)
    assert may_read_results(user=leader_of_x2, scoring_round=scoring_round) is True
    assert AuditEntry.objects.filter(action="reform.round_publish").count() == 1
