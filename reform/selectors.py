"""Reads of the reform index: frameworks as pure trees, visible rounds, results."""

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet

from org.models import AdministrativeUnit
from org.permissions import Capability, subtree_ids, unit_children, units_in_scope
from reform.models import Criterion, Framework, ScoringRound
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


def round_units(*, scoring_round: ScoringRound) -> QuerySet[AdministrativeUnit]:
    """The units scored: the framework's level, below the round's scope, valid at some
    time in the round's year (merged units drop out, their successors come in)."""
    ids = subtree_ids([scoring_round.scope_id], unit_children())
    first, last = dt.date(scoring_round.year, 1, 1), dt.date(scoring_round.year, 12, 31)
    valid = (Q(valid_from__isnull=True) | Q(valid_from__lte=last)) & (
        Q(valid_to__isnull=True) | Q(valid_to__gte=first)
    )
    return AdministrativeUnit.objects.filter(
        valid, pk__in=ids, level__code=scoring_round.framework.level
    ).select_related("level")
