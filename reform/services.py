"""Writes of the reform index. Every score change and appraisal is audited."""

import hashlib
from typing import Any

import numpy as np
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from analysis.models import Estimate
from analysis.selectors import run_latest
from org.models import AdministrativeUnit
from org.permissions import Capability, may
from org.services import audit_record
from reform import evidence as sniffing
from reform.messages import problem_text
from reform.models import Criterion, Evidence, Framework, Score, ScoringRound, SurveyPoints
from reform.scoring import framework as pure
from reform.scoring.problems import FrameworkInvalid
from reform.scoring.rules import leaf_points
from reform.scoring.table import upper_bound
from reform.selectors import framework_dict, framework_pure, round_units, survey_history
from reform.submissions import self_assessment_open


class FrameworkFrozen(ValidationError):
    pass


@transaction.atomic
def framework_import(*, data: dict[str, Any], actor: Any) -> Framework:
    """Create (or replace the tree of an unfrozen) framework from the nested JSON shape.

    Raises ValidationError listing every problem of the tree (translated)."""
    try:
        tree = pure.from_dict(data)
    except FrameworkInvalid as invalid:
        raise ValidationError([problem_text(p) for p in invalid.problems]) from None
    framework = Framework.objects.filter(code=tree.code).first()
    before = framework_dict(framework=framework) if framework else None
    if framework is not None and framework.frozen:
        raise FrameworkFrozen(_("The framework %(code)s is frozen.") % {"code": tree.code})
    if framework is None:
        framework = Framework(code=tree.code)
    else:
        framework.criteria.all().delete()
    framework.name = tree.name
    framework.year = tree.year
    framework.level = tree.level
    framework.kind = tree.kind
    framework.total = tree.total
    framework.example = tree.example
    framework.note = tree.note
    framework.bands = [{"min": lo, "label": label} for lo, label in tree.bands]
    framework.full_clean()
    framework.save()
    rows: dict[str, Criterion] = {}
    for position, node in enumerate(tree.nodes):
        criterion = Criterion(
            framework=framework,
            parent=rows.get(node.parent) if node.parent else None,
            code=node.code,
            name=node.name,
            name_en=node.name_en,
            kind=node.kind,
            position=position,
            maximum=node.maximum,
            weight=node.weight,
            leaf=node.leaf or "",
            rule=node.rule,
            component=node.component,
            example=node.example,
        )
        criterion.full_clean(exclude=["framework", "parent"])
        criterion.save()
        rows[node.code] = criterion
    audit_record(
        actor=actor,
        action="reform.framework_import",
        obj=framework,
        before=before,
        after=framework_dict(framework=framework),
    )
    return framework


def framework_copy(*, framework: Framework, code: str, year: int, actor: Any) -> Framework:
    """Last year's framework as this year's draft (unfrozen, same tree)."""
    data = framework_dict(framework=framework)
    data.update(code=code, year=year)
    return framework_import(data=data, actor=actor)


@transaction.atomic
def round_open(
    *,
    framework: Framework,
    code: str,
    name: str,
    year: int,
    scope: AdministrativeUnit,
    self_score_deadline: Any,
    appraisal_deadline: Any,
    publication_date: Any,
    actor: Any,
    survey_round: Any = None,
    previous: ScoringRound | None = None,
) -> ScoringRound:
    """Open a scoring round; its framework is frozen from now on."""
    scoring_round = ScoringRound(
        framework=framework,
        code=code,
        name=name,
        year=year,
        scope=scope,
        self_score_deadline=self_score_deadline,
        appraisal_deadline=appraisal_deadline,
        publication_date=publication_date,
        survey_round=survey_round,
        previous=previous,
    )
    if not self_score_deadline <= appraisal_deadline <= publication_date:
        raise ValidationError(
            _("Deadlines must follow one another: self-assessment, appraisal, publication.")
        )
    try:  # a tree left unbalanced in the editor (reform.editor) cannot be scored
        framework_pure(framework=framework)
    except FrameworkInvalid as invalid:
        raise ValidationError([problem_text(p) for p in invalid.problems]) from None
    scoring_round.full_clean()
    scoring_round.save()
    if not framework.frozen:
        framework.frozen = True
        framework.save(update_fields=["frozen"])
    audit_record(
        actor=actor,
        action="reform.round_open",
        obj=scoring_round,
        unit=scope,
        after={"framework": framework.code, "year": year},
    )
    return scoring_round


def _assessed_leaf(scoring_round: ScoringRound, criterion: Criterion) -> None:
    if criterion.framework_id != scoring_round.framework_id or criterion.children.exists():
        raise ValidationError(
            _("%(code)s is not a leaf of this framework.") % {"code": criterion.code}
        )
    if criterion.leaf == Criterion.Leaf.SURVEY:
        raise ValidationError(
            _("%(code)s is survey-based: its points come from the survey.")
            % {"code": criterion.code}
        )


def _check_points(criterion: Criterion, points: float) -> None:
    if criterion.maximum is None:
        if points < 0:
            raise ValidationError(_("Points cannot be negative."))
        return
    if points < 0 or points > criterion.maximum + 1e-9:
        raise ValidationError(
            _("%(code)s: %(points)s is outside 0–%(maximum)s.")
            % {"code": criterion.code, "points": f"{points:g}", "maximum": f"{criterion.maximum:g}"}
        )


def _state(score: Score) -> dict[str, Any]:
    return {
        "self_points": score.self_points,
        "comment": score.comment,
        "appraised_points": score.appraised_points,
        "appraisal_reason": score.appraisal_reason,
        "status": score.status,
    }


def may_self_score(
    *, user: Any, scoring_round: ScoringRound, unit: AdministrativeUnit | int
) -> bool:
    """An officer of the unit, before the self-assessment deadline, before submitting
    (reform.submissions), before the lock."""
    return (
        scoring_round.locked_at is None
        and timezone.now() <= scoring_round.self_score_deadline
        and may(user, Capability.SELF_SCORE, unit)
        and self_assessment_open(scoring_round=scoring_round, unit=unit)
    )


def may_appraise(*, user: Any, scoring_round: ScoringRound, unit: AdministrativeUnit | int) -> bool:
    """An appraiser over the unit, until the council's final decision locks the round.

    After the deadlines only appraisers may change a score (DESIGN.md, PAR Index)."""
    return scoring_round.locked_at is None and may(user, Capability.APPRAISE, unit)


@transaction.atomic
def score_self_set(
    *,
    scoring_round: ScoringRound,
    unit: AdministrativeUnit,
    criterion: Criterion,
    points: float,
    comment: str,
    actor: Any,
) -> Score:
    if not may_self_score(user=actor, scoring_round=scoring_round, unit=unit):
        raise PermissionDenied(_("Self-assessment is closed for this unit."))
    _assessed_leaf(scoring_round, criterion)
    _check_points(criterion, points)
    score, _created = Score.objects.select_for_update().get_or_create(
        round=scoring_round, unit=unit, criterion=criterion
    )
    before = _state(score)
    score.self_points = points
    score.comment = comment
    score.full_clean()
    score.save()
    audit_record(
        actor=actor,
        action="reform.self_score",
        obj=score,
        unit=unit,
        before=before,
        after=_state(score),
        reason=comment,
    )
    return score


@transaction.atomic
def score_appraise(*, score: Score, points: float | None, reason: str, actor: Any) -> Score:
    """Accept the self-score (``points`` None) or adjust it (a reason is required)."""
    scoring_round = score.round
    if not may_appraise(user=actor, scoring_round=scoring_round, unit=score.unit_id):
        raise PermissionDenied(_("You may not appraise this score."))
    score = Score.objects.select_for_update().get(pk=score.pk)
    before = _state(score)
    if points is None:
        if score.self_points is None:
            raise ValidationError(_("There is no self-score to accept."))
        score.appraised_points = score.self_points
        score.status = Score.Status.ACCEPTED
    else:
        _check_points(score.criterion, points)
        if not reason.strip():
            raise ValidationError(_("An adjustment needs a reason."))
        score.appraised_points = points
        score.status = Score.Status.ADJUSTED
    score.appraisal_reason = reason
    score.full_clean()
    score.save()
    audit_record(
        actor=actor,
        action="reform.appraise",
        obj=score,
        unit=score.unit,
        before=before,
        after=_state(score),
        reason=reason,
    )
    return score


@transaction.atomic
def evidence_add(*, score: Score, upload: File, actor: Any) -> Evidence:
    """Store an evidence file: its type sniffed from its bytes, its size limited by
    REFORM_EVIDENCE_MAX_BYTES, its SHA-256 kept."""
    if not (
        may_self_score(user=actor, scoring_round=score.round, unit=score.unit_id)
        or may_appraise(user=actor, scoring_round=score.round, unit=score.unit_id)
    ):
        raise PermissionDenied(_("You may not add evidence to this score."))
    limit = settings.REFORM_EVIDENCE_MAX_BYTES
    if upload.size > limit:
        raise ValidationError(
            _("The file is larger than %(mb)s MB.") % {"mb": f"{limit / 1024 / 1024:g}"}
        )
    content_type = sniffing.sniff(upload)
    if content_type is None:
        raise ValidationError(_("Only PDF, PNG, JPEG and Office documents are accepted."))
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    name = (getattr(upload, "name", "") or "evidence").rsplit("/", 1)[-1][:200]
    item = Evidence(
        score=score,
        name=name,
        content_type=content_type,
        size=upload.size,
        sha256=digest.hexdigest(),
        uploaded_by=actor,
    )
    item.file.save(name, upload, save=False)
    item.full_clean()
    item.save()
    audit_record(
        actor=actor,
        action="reform.evidence_add",
        obj=item,
        unit=score.unit,
        after={"score": score.pk, "name": name, "sha256": item.sha256, "size": item.size},
    )
    return item


@transaction.atomic
def round_lock(*, scoring_round: ScoringRound, reason: str, actor: Any) -> ScoringRound:
    """The appraisal council's final decision: no score changes from now on."""
    if not may(actor, Capability.APPRAISE, scoring_round.scope_id):
        raise PermissionDenied(_("Only the appraisal council may lock the round."))
    if scoring_round.locked_at is None:
        scoring_round.locked_at = timezone.now()
        scoring_round.save(update_fields=["locked_at"])
        audit_record(
            actor=actor,
            action="reform.round_lock",
            obj=scoring_round,
            unit=scoring_round.scope,
            after={"locked_at": scoring_round.locked_at},
            reason=reason,
        )
    return scoring_round


@transaction.atomic
def round_deadlines_set(
    *,
    scoring_round: ScoringRound,
    actor: Any,
    reason: str,
    self_score_deadline: Any = None,
    appraisal_deadline: Any = None,
    publication_date: Any = None,
) -> ScoringRound:
    """Move a round's deadlines (e.g. extend the self-assessment), with a reason."""
    if not may(actor, Capability.APPRAISE, scoring_round.scope_id):
        raise PermissionDenied(_("Only the appraisal council may change the deadlines."))
    if scoring_round.locked_at is not None:
        raise ValidationError(_("The scores are locked."))
    if not reason.strip():
        raise ValidationError(_("Changing a deadline needs a reason."))
    fields = ("self_score_deadline", "appraisal_deadline", "publication_date")
    before = {f: getattr(scoring_round, f) for f in fields}
    given = zip(fields, (self_score_deadline, appraisal_deadline, publication_date), strict=True)
    for name, value in given:
        if value is not None:
            setattr(scoring_round, name, value)
    after = {f: getattr(scoring_round, f) for f in fields}
    if not after["self_score_deadline"] <= after["appraisal_deadline"] <= after["publication_date"]:
        raise ValidationError(
            _("Deadlines must follow one another: self-assessment, appraisal, publication.")
        )
    scoring_round.full_clean()
    scoring_round.save(update_fields=list(fields))
    audit_record(
        actor=actor,
        action="reform.round_deadlines",
        obj=scoring_round,
        unit=scoring_round.scope,
        before=before,
        after=after,
        reason=reason,
    )
    return scoring_round


@transaction.atomic
def round_publish(*, scoring_round: ScoringRound, actor: Any) -> ScoringRound:
    """Publish the results of a locked round: dashboard readers everywhere see them."""
    if not may(actor, Capability.APPRAISE, scoring_round.scope_id):
        raise PermissionDenied(_("Only the appraisal council may publish the round."))
    if scoring_round.locked_at is None:
        raise ValidationError(_("Lock the scores before publishing them."))
    if not scoring_round.published:
        scoring_round.published = True
        scoring_round.save(update_fields=["published"])
        audit_record(
            actor=actor,
            action="reform.round_publish",
            obj=scoring_round,
            unit=scoring_round.scope,
            before={"published": False},
            after={"published": True},
        )
    return scoring_round


def _recompute(scoring_round: ScoringRound, criterion: Criterion) -> None:
    """Points of every unit on one survey-based leaf (comparative rules see them all)."""
    tree = framework_pure(framework=scoring_round.framework)
    history = survey_history(scoring_round=scoring_round, tree=tree)
    rows = list(SurveyPoints.objects.filter(round=scoring_round, criterion=criterion))
    if not rows:
        return
    values = np.array([[row.value] for row in rows])
    points = leaf_points([tree.node(criterion.code)], values, history=history)[:, 0]
    for row, value in zip(rows, points, strict=True):
        row.points = float(value)
    SurveyPoints.objects.bulk_update(rows, ["points"])


@transaction.atomic
def survey_value_enter(
    *,
    scoring_round: ScoringRound,
    unit: AdministrativeUnit,
    criterion: Criterion,
    value: float,
    source: str,
    actor: Any,
    se: float = 0.0,
) -> SurveyPoints:
    """A published figure for a survey-based leaf read from no estimate here (a PCI
    sub-index, a DDCI raw indicator), entered by an appraiser with its source."""
    if not may_appraise(user=actor, scoring_round=scoring_round, unit=unit):
        raise PermissionDenied(_("You may not appraise this score."))
    if (
        criterion.framework_id != scoring_round.framework_id
        or criterion.leaf != Criterion.Leaf.SURVEY
        or criterion.component
    ):
        raise ValidationError(
            _("%(code)s takes its value from the survey estimates.") % {"code": criterion.code}
        )
    if not source.strip():
        raise ValidationError(_("Give the source of the figure."))
    bound = upper_bound(framework_pure(framework=scoring_round.framework).node(criterion.code))
    if se < 0 or (bound is not None and not 0 <= value <= bound + 1e-9):
        raise ValidationError(
            _("%(code)s: %(points)s is outside 0–%(maximum)s.")
            % {"code": criterion.code, "points": f"{value:g}", "maximum": f"{bound:g}"}
        )
    row = SurveyPoints.objects.filter(round=scoring_round, unit=unit, criterion=criterion).first()
    before = None if row is None else {"value": row.value, "se": row.se, "source": row.source}
    if row is None:
        row = SurveyPoints(round=scoring_round, unit=unit, criterion=criterion, points=0)
    row.value, row.se, row.source, row.entered_by = value, se, source, actor
    row.run, row.estimate = None, None
    row.full_clean()
    row.save()
    _recompute(scoring_round, criterion)
    row.refresh_from_db()
    audit_record(
        actor=actor,
        action="reform.survey_value",
        obj=row,
        unit=unit,
        before=before,
        after={"value": value, "se": se, "source": source},
        reason=source,
    )
    return row


@transaction.atomic
def survey_points_refresh(*, scoring_round: ScoringRound, actor: Any) -> int:
    """Convert the published estimates of the round's survey (its latest successful run)
    into points of the survey-based leaves; each row records run, estimate and SE.

    Returns the number of rows written; 0 when the survey round is missing or unpublished.
    """
    survey_round = scoring_round.survey_round
    if survey_round is None or not survey_round.published:
        return 0
    run = run_latest(survey_round=survey_round)
    if run is None:
        return 0
    tree = framework_pure(framework=scoring_round.framework)
    history = survey_history(scoring_round=scoring_round, tree=tree)
    criteria = {
        c.code: c
        for c in scoring_round.framework.criteria.filter(leaf=Criterion.Leaf.SURVEY).exclude(
            component=""
        )
    }
    units = list(round_units(scoring_round=scoring_round))
    estimates = {
        (e.unit_id, e.component): e
        for e in Estimate.objects.filter(
            run=run, unit__in=units, component__in={c.component for c in criteria.values()}
        )
    }
    written = 0
    for code, criterion in criteria.items():
        node = tree.node(code)
        found = [(u, estimates.get((u.pk, criterion.component))) for u in units]
        found = [(u, e) for u, e in found if e is not None]
        if not found:
            continue
        # Rules comparing units (min–max) need every unit's value at once.
        values = np.array([[e.estimate] for _, e in found])
        points = leaf_points([node], values, history=history)[:, 0]
        for (unit, estimate), value in zip(found, points, strict=True):
            SurveyPoints.objects.update_or_create(
                round=scoring_round,
                unit=unit,
                criterion=criterion,
                defaults={
                    "run": run,
                    "estimate": estimate,
                    "value": estimate.estimate,
                    "se": estimate.se,
                    "points": float(value),
                },
            )
            written += 1
    audit_record(
        actor=actor,
        action="reform.survey_points",
        obj=scoring_round,
        unit=scoring_round.scope,
        after={"run": run.pk, "rows": written},
    )
    return written
