"""The submit step of a unit's self-assessment: draft → submitted → appraised → locked.

Reads and writes of ``Submission`` rows (kept out of services.py so the workflow reads
in one place). A unit without a row is a draft; ``locked`` is the round's lock, shared
by every unit. Who may do what:

| step      | who                                    | when                                      |
|-----------|----------------------------------------|-------------------------------------------|
| submit    | an officer of the unit (SELF_SCORE)    | a draft, before the self-score deadline   |
| return    | an appraiser over the unit (APPRAISE)  | submitted or appraised, before the lock   |
| appraised | an appraiser over the unit             | submitted (or a draft past the deadline), |
|           |                                        | every self-score appraised, before lock   |

Submitting ends the officer's changes (``self_assessment_open``), as the deadline does;
appraisers keep changing scores until the lock. Every step is audited.
"""

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from org.models import AdministrativeUnit
from org.permissions import Capability, may
from org.services import audit_record
from reform.models import Criterion, Score, ScoringRound, Submission

LOCKED = "locked"
STATUS_LABELS = {
    Submission.Status.DRAFT: gettext_lazy("draft"),
    Submission.Status.SUBMITTED: gettext_lazy("submitted"),
    Submission.Status.APPRAISED: gettext_lazy("appraised"),
    LOCKED: gettext_lazy("locked"),
}


def _unit_id(unit: AdministrativeUnit | int) -> int:
    return unit if isinstance(unit, int) else unit.pk


def submission_get(*, scoring_round: ScoringRound, unit: AdministrativeUnit | int) -> Submission:
    """The unit's row, or an unsaved draft when it has none."""
    found = Submission.objects.filter(round=scoring_round, unit_id=_unit_id(unit)).first()
    return found or Submission(round=scoring_round, unit_id=_unit_id(unit))


def submission_status(*, scoring_round: ScoringRound, submission: Submission) -> str:
    return LOCKED if scoring_round.locked_at is not None else submission.status


def self_assessment_open(*, scoring_round: ScoringRound, unit: AdministrativeUnit | int) -> bool:
    """Not submitted yet (the officer's changes end on submitting)."""
    return (
        not Submission.objects.filter(round=scoring_round, unit_id=_unit_id(unit))
        .exclude(status=Submission.Status.DRAFT)
        .exists()
    )


def submission_missing(*, scoring_round: ScoringRound, unit: AdministrativeUnit | int) -> list[str]:
    """Codes of the assessed leaves (bonus and penalty items aside) not self-scored yet."""
    leaves = (
        Criterion.objects.filter(framework_id=scoring_round.framework_id, children__isnull=True)
        .exclude(leaf=Criterion.Leaf.SURVEY)
        .exclude(kind__in=[Criterion.Kind.BONUS, Criterion.Kind.PENALTY])
    )
    scored = Score.objects.filter(
        round=scoring_round, unit_id=_unit_id(unit), self_points__isnull=False
    ).values("criterion_id")
    return list(leaves.exclude(pk__in=scored).values_list("code", flat=True))


@dataclass
class SubmissionLine:
    unit: AdministrativeUnit
    submission: Submission
    status: str
    label: str


def submissions_table(
    *, scoring_round: ScoringRound, units: list[AdministrativeUnit]
) -> list[SubmissionLine]:
    """Every unit with its step (two queries)."""
    rows = {
        s.unit_id: s
        for s in Submission.objects.filter(round=scoring_round).select_related(
            "submitted_by", "appraised_by"
        )
    }
    out = []
    for unit in units:
        row = rows.get(unit.pk) or Submission(round=scoring_round, unit=unit)
        status = submission_status(scoring_round=scoring_round, submission=row)
        out.append(SubmissionLine(unit, row, status, str(STATUS_LABELS[status])))
    return out


def _state(row: Submission) -> dict[str, Any]:
    return {"status": row.status, "note": row.note}


def _locked_row(scoring_round: ScoringRound, unit: AdministrativeUnit) -> Submission:
    row, _created = Submission.objects.select_for_update().get_or_create(
        round=scoring_round, unit=unit
    )
    return row


@transaction.atomic
def submission_submit(
    *, scoring_round: ScoringRound, unit: AdministrativeUnit, actor: Any
) -> Submission:
    """The officer hands the self-assessment over to the appraisers: every assessed
    leaf scored, before the deadline; no officer change after this."""
    if not may(actor, Capability.SELF_SCORE, unit):
        raise PermissionDenied(_("You may not submit this unit's self-assessment."))
    if scoring_round.locked_at is not None:
        raise ValidationError(_("The scores are locked."))
    if timezone.now() > scoring_round.self_score_deadline:
        raise ValidationError(_("The self-assessment deadline has passed."))
    row = _locked_row(scoring_round, unit)
    if row.status != Submission.Status.DRAFT:
        raise ValidationError(_("The self-assessment has already been submitted."))
    missing = submission_missing(scoring_round=scoring_round, unit=unit)
    if missing:
        raise ValidationError(
            _("Score every criterion before submitting; missing: %(codes)s")
            % {"codes": ", ".join(missing)}
        )
    before = _state(row)
    row.status = Submission.Status.SUBMITTED
    row.submitted_at, row.submitted_by = timezone.now(), actor
    row.full_clean()
    row.save()
    audit_record(
        actor=actor, action="reform.submit", obj=row, unit=unit, before=before, after=_state(row)
    )
    return row


def _appraiser(actor: Any, scoring_round: ScoringRound, unit: AdministrativeUnit) -> None:
    if not may(actor, Capability.APPRAISE, unit):
        raise PermissionDenied(_("You may not appraise this unit."))
    if scoring_round.locked_at is not None:
        raise ValidationError(_("The scores are locked."))


@transaction.atomic
def submission_return(
    *, scoring_round: ScoringRound, unit: AdministrativeUnit, reason: str, actor: Any
) -> Submission:
    """An appraiser sends the self-assessment back to the officer (a draft again)."""
    _appraiser(actor, scoring_round, unit)
    if not reason.strip():
        raise ValidationError(_("Returning a self-assessment needs a reason."))
    row = _locked_row(scoring_round, unit)
    if row.status == Submission.Status.DRAFT:
        raise ValidationError(_("The self-assessment has not been submitted."))
    before = _state(row)
    row.status, row.note = Submission.Status.DRAFT, reason
    row.appraised_at, row.appraised_by = None, None
    row.full_clean()
    row.save()
    audit_record(
        actor=actor, action="reform.submission_return", obj=row, unit=unit,
        before=before, after=_state(row), reason=reason,
    )  # fmt: skip
    return row


@transaction.atomic
def submission_appraised(
    *, scoring_round: ScoringRound, unit: AdministrativeUnit, actor: Any, note: str = ""
) -> Submission:
    """An appraiser closes the unit's appraisal: every self-score accepted or adjusted."""
    _appraiser(actor, scoring_round, unit)
    row = _locked_row(scoring_round, unit)
    past_deadline = timezone.now() > scoring_round.self_score_deadline
    if row.status == Submission.Status.APPRAISED:
        raise ValidationError(_("The appraisal of this unit is already complete."))
    if row.status == Submission.Status.DRAFT and not past_deadline:
        raise ValidationError(_("The unit has not submitted its self-assessment yet."))
    pending = list(
        Score.objects.filter(
            round=scoring_round, unit=unit, self_points__isnull=False, appraised_points__isnull=True
        ).values_list("criterion__code", flat=True)
    )
    if pending:
        raise ValidationError(
            _("Accept or adjust every score first; pending: %(codes)s")
            % {"codes": ", ".join(pending)}
        )
    before = _state(row)
    row.status, row.note = Submission.Status.APPRAISED, note
    row.appraised_at, row.appraised_by = timezone.now(), actor
    row.full_clean()
    row.save()
    audit_record(
        actor=actor, action="reform.submission_appraised", obj=row, unit=unit,
        before=before, after=_state(row), reason=note,
    )  # fmt: skip
    return row
