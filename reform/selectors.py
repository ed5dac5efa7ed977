"""Reads of the reform index: frameworks as pure trees, visible rounds, results."""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet

from org.models import AdministrativeUnit
from org.permissions import (
    Capability,
    has_capability,
    is_system_admin,
    may,
    subtree_ids,
    unit_children,
    units_in_scope,
)
from reform.blocks import round_blocks
from reform.models import (
    Criterion,
    Evidence,
    Framework,
    RankingBlock,
    Score,
    ScoringRound,
    SurveyPoints,
)
from reform.scoring import framework as pure


def framework_dict(*, framework: Framework) -> dict[str, Any]:
    """The nested JSON shape of reform.scoring.framework, built from the rows."""
    criteria = list(framework.criteria.all())
    children: dict[int | None, list[Criterion]] = {}
    for criterion in criteria:
        children.setdefault(criterion.parent_id, []).append(criterion)

    def node(c: Criterion) -> dict[str, Any]:
        out: dict[str, Any] = {"code": c.code, "name": c.name, "example": c.example}
        if c.name_en:
            out["name_en"] = c.name_en
        if c.kind in (Criterion.Kind.BONUS, Criterion.Kind.PENALTY):
            out["kind"] = c.kind
        if c.maximum is not None:
            out["max"] = c.maximum
        if c.weight is not None:
            out["weight"] = c.weight
        below = children.get(c.pk, [])
        if below:
            out["children"] = [node(b) for b in below]
        else:
            out["leaf"] = c.leaf or Criterion.Leaf.ASSESSED
            if c.rule:
                out["rule"] = c.rule
            if c.component:
                out["component"] = c.component
        return out

    return {
        "code": framework.code,
        "name": framework.name,
        "year": framework.year,
        "level": framework.level,
        "kind": framework.kind,
        "total": framework.total,
        "example": framework.example,
        "note": framework.note,
        "bands": framework.bands,
        "nodes": [node(c) for c in children.get(None, [])],
    }


def framework_pure(*, framework: Framework) -> pure.Framework:
    return pure.from_dict(framework_dict(framework=framework))


def _ancestors_and_self(unit_ids: frozenset[int]) -> set[int]:
    parent = dict(AdministrativeUnit.objects.values_list("id", "parent_id"))
    out: set[int] = set()
    for unit_id in unit_ids:
        while unit_id is not None and unit_id not in out:
            out.add(unit_id)
            unit_id = parent.get(unit_id)
    return out


def rounds_visible(*, user: Any) -> QuerySet[ScoringRound]:
    """Rounds whose scope lies in the user's dashboards or appraisal scope, published
    rounds for anyone holding dashboards somewhere, and rounds scoring a unit the user
    self-scores (an officer of a commune sees the province's round)."""
    rounds = ScoringRound.objects.select_related("framework", "scope")
    dashboards = units_in_scope(user, Capability.DASHBOARDS)
    appraise = units_in_scope(user, Capability.APPRAISE)
    self_score = units_in_scope(user, Capability.SELF_SCORE)
    if dashboards.everything:
        return rounds
    condition = dashboards.q("scope") | appraise.q("scope")
    if dashboards:
        condition |= Q(published=True)
    below = dashboards.unit_ids | appraise.unit_ids | self_score.unit_ids
    if below:
        condition |= Q(scope_id__in=_ancestors_and_self(below))
    return rounds.filter(condition)


def round_units(
    *, scoring_round: ScoringRound, blocks: list[RankingBlock] | None = None
) -> QuerySet[AdministrativeUnit]:
    """The units scored: the framework's level (and the levels and units of the round's
    ranking blocks, reform.blocks), below the round's scope, valid at some time in the
    round's year (merged units drop out, their successors come in)."""
    ids = subtree_ids([scoring_round.scope_id], unit_children())
    first, last = dt.date(scoring_round.year, 1, 1), dt.date(scoring_round.year, 12, 31)
    valid = (Q(valid_from__isnull=True) | Q(valid_from__lte=last)) & (
        Q(valid_to__isnull=True) | Q(valid_to__gte=first)
    )
    if blocks is None:
        blocks = round_blocks(scoring_round=scoring_round)
    levels = {scoring_round.framework.level}
    listed: set[int] = set()
    for block in blocks:
        levels.update(block.levels or [])
        listed.update(u.pk for u in block.units.all())
    return AdministrativeUnit.objects.filter(
        valid, Q(level__code__in=levels) | Q(pk__in=listed), pk__in=ids
    ).select_related("level")


def may_read_results(*, user: Any, scoring_round: ScoringRound) -> bool:
    """The whole ranking: published rounds for dashboard readers, unpublished ones for
    dashboard readers and appraisers over the round's scope."""
    if scoring_round.published and has_capability(user, Capability.DASHBOARDS):
        return True
    return may(user, Capability.DASHBOARDS, scoring_round.scope_id) or may(
        user, Capability.APPRAISE, scoring_round.scope_id
    )


def may_read_unit(*, user: Any, scoring_round: ScoringRound, unit_id: int) -> bool:
    """A unit's scorecard (its scores, appraisal reasons and evidence): readers over the
    round's scope or over the unit. Publishing opens the ranking to every dashboard
    reader, not the other units' evidence and appraisal notes."""
    return _reads_whole_round(user=user, scoring_round=scoring_round) or any(
        may(user, c, unit_id)
        for c in (Capability.DASHBOARDS, Capability.SELF_SCORE, Capability.APPRAISE)
    )


def _reads_whole_round(*, user: Any, scoring_round: ScoringRound) -> bool:
    return may(user, Capability.DASHBOARDS, scoring_round.scope_id) or may(
        user, Capability.APPRAISE, scoring_round.scope_id
    )


def round_unit_visible(
    *, user: Any, scoring_round: ScoringRound, unit_code: str
) -> AdministrativeUnit | None:
    """A unit of the round the user may read, else None (the view answers 404)."""
    unit = round_units(scoring_round=scoring_round).filter(code=unit_code).first()
    if unit is None or not may_read_unit(user=user, scoring_round=scoring_round, unit_id=unit.pk):
        return None
    return unit


def scores_visible(*, user: Any, scoring_round: ScoringRound) -> QuerySet[Score]:
    scores = Score.objects.filter(round=scoring_round).select_related("unit", "criterion")
    if _reads_whole_round(user=user, scoring_round=scoring_round):
        return scores
    condition = Q(pk__in=[])
    for capability in (Capability.DASHBOARDS, Capability.SELF_SCORE, Capability.APPRAISE):
        condition |= units_in_scope(user, capability).q("unit")
    return scores.filter(condition)


def evidence_visible(*, user: Any) -> QuerySet[Evidence]:
    """Evidence of the scores the user may read, in any round they may see."""
    rounds = rounds_visible(user=user)
    items = Evidence.objects.filter(score__round__in=rounds).select_related("score__round")
    if is_system_admin(user):
        return items
    readable = [r.pk for r in rounds if may_read_results(user=user, scoring_round=r)]
    condition = Q(score__round_id__in=readable)
    for capability in (Capability.DASHBOARDS, Capability.SELF_SCORE, Capability.APPRAISE):
        condition |= units_in_scope(user, capability).q("score__unit")
    return items.filter(condition)


@dataclass
class Line:
    """One criterion of a unit's scorecard (inner nodes carry sums)."""

    criterion: Criterion
    depth: int
    score: Score | None = None
    survey: SurveyPoints | None = None
    evidence: list[Evidence] = field(default_factory=list)

    @property
    def points(self) -> float | None:
        if self.survey is not None:
            return self.survey.points
        return self.score.points if self.score is not None else None

    @property
    def lost(self) -> float | None:
        if self.criterion.maximum is None or self.points is None:
            return None
        if self.criterion.kind in (Criterion.Kind.BONUS, Criterion.Kind.PENALTY):
            return None
        return round(self.criterion.maximum - self.points, 4)


def scorecard(*, scoring_round: ScoringRound, unit: AdministrativeUnit) -> list[Line]:
    """The tree with the unit's points, evidence and survey components: 4 queries."""
    criteria = list(scoring_round.framework.criteria.all())
    scores = {s.criterion_id: s for s in Score.objects.filter(round=scoring_round, unit=unit)}
    survey = {
        p.criterion_id: p
        for p in SurveyPoints.objects.filter(round=scoring_round, unit=unit).select_related(
            "estimate"
        )
    }
    evidence: dict[int, list[Evidence]] = {}
    for item in Evidence.objects.filter(score__round=scoring_round, score__unit=unit):
        evidence.setdefault(item.score_id, []).append(item)
    depth: dict[int, int] = {}
    lines = []
    for c in criteria:
        depth[c.pk] = 0 if c.parent_id is None else depth[c.parent_id] + 1
        score = scores.get(c.pk)
        lines.append(
            Line(
                criterion=c,
                depth=depth[c.pk],
                score=score,
                survey=survey.get(c.pk),
                evidence=evidence.get(score.pk, []) if score else [],
            )
        )
    return lines


def survey_history(*, scoring_round: ScoringRound, tree: pure.Framework) -> dict:
    """Leaf code → (min, max) of its values over the previous rounds its rule looks back
    on (``"years": N`` on a min–max or 1–10 rule: this round and the N − 1 before)."""
    wanted = {
        n.code: int((n.rule or {}).get("years", 1))
        for n in tree.leaves
        if n.leaf == "survey" and (n.rule or {}).get("type") in ("minmax", "rescale_1_10")
    }
    wanted = {code: years for code, years in wanted.items() if years > 1}
    if not wanted:
        return {}
    history: dict[str, tuple[float, float]] = {}
    current, back = scoring_round.previous, 1
    while current is not None and back < max(wanted.values()):
        codes = [code for code, years in wanted.items() if back < years]
        for code, value in SurveyPoints.objects.filter(
            round=current, criterion__code__in=codes
        ).values_list("criterion__code", "value"):
            lo, hi = history.get(code, (value, value))
            history[code] = (min(lo, value), max(hi, value))
        current, back = current.previous, back + 1
    return history
