"""The reform index's PDF reports, built by the reports Celery task (issue 10):

- ``index-scorecard`` (round, unit): a unit's scorecard — total, rank with its 90% rank
  interval and band, per-domain points against the maximum, where points were lost, the
  evidence, the survey-based components with their estimates, CIs and runs, the change
  against last year.
- ``index-ranking`` (round): per block the ranking table (total, rank, rank interval,
  P(top k), change in points and ranks, band) and a chart of the totals; a method page
  (framework, conversion rules, simulation draws).

Who may ask: the ranking report, whoever may read the round's ranking (as the ranking
page); a scorecard, readers of the whole round within their own scope (leaders,
appraisers over the round's scope) and the unit's own officers — not the officers of
another unit, even once the round is published.
"""

import re
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from org.models import AdministrativeUnit
from org.permissions import Capability, may
from reform.dashboard import DRAWS, blocks_of, chart_pieces, rank_chart, totals_chart
from reform.models import Evidence, ScoringRound, SurveyPoints
from reform.results import RoundResults, UnitResult, round_results
from reform.scoring.framework import Node
from reform.selectors import Line, may_read_results, round_units, rounds_visible, scorecard
from reports.charts import Chart, fmt, grouped_bar_chart
from reports.pdf import render_pdf
from reports.registry import Progress, ReportFile, ReportKind, register

PDF = "application/pdf"
_CODE = re.compile(r"^[-\w.]{1,64}$")


# --- parameters and access ---------------------------------------------------------------


def _code(params: Mapping[str, Any], name: str, label: str) -> str:
    value = str(params.get(name, "")).strip()
    if not _CODE.match(value):
        raise ValidationError({name: [_("Give the code of the %(what)s.") % {"what": label}]})
    return value


def ranking_params_clean(params: Mapping[str, Any]) -> dict[str, Any]:
    return {"round": _code(params, "round", _("scoring round"))}


def scorecard_params_clean(params: Mapping[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    for name, label in (("round", _("scoring round")), ("unit", _("unit"))):
        try:
            cleaned[name] = _code(params, name, label)
        except ValidationError as error:
            errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    return cleaned


def _visible_round(user: Any, code: str) -> ScoringRound | None:
    return rounds_visible(user=user).filter(code=code).first()


def ranking_allowed(user: Any, params: Mapping[str, Any]) -> bool:
    scoring_round = _visible_round(user, params["round"])
    return scoring_round is not None and may_read_results(user=user, scoring_round=scoring_round)


def scorecard_allowed(user: Any, params: Mapping[str, Any]) -> bool:
    scoring_round = _visible_round(user, params["round"])
    if scoring_round is None:
        return False
    unit = round_units(scoring_round=scoring_round).filter(code=params["unit"]).first()
    if unit is None:
        return False
    whole_round = any(
        may(user, c, scoring_round.scope_id) for c in (Capability.DASHBOARDS, Capability.APPRAISE)
    )
    return whole_round or any(
        may(user, c, unit.pk)
        for c in (Capability.DASHBOARDS, Capability.SELF_SCORE, Capability.APPRAISE)
    )


def _round_name(code: str) -> str:
    return ScoringRound.objects.filter(code=code).values_list("name", flat=True).first() or code


def ranking_title(params: Mapping[str, Any]) -> str:
    return _("Ranking report: %(round)s") % {"round": _round_name(params["round"])}


def scorecard_title(params: Mapping[str, Any]) -> str:
    unit = AdministrativeUnit.objects.filter(code=params["unit"]).first()
    return _("Scorecard of %(unit)s: %(round)s") % {
        "unit": unit.name if unit else params["unit"],
        "round": _round_name(params["round"]),
    }


# --- what the reports say -----------------------------------------------------------------


def rule_text(node: Node) -> str:
    """A survey-based leaf's conversion rule in words (the method page)."""
    rule = node.rule or {}
    kind = rule.get("type", "linear")
    direction = (
        _("negative direction: the lowest value scores best")
        if rule.get("direction") == "negative"
        else _("positive direction")
    )
    years = int(rule.get("years", 1) or 1)
    over = (
        _("min and max over the last %(years)s years") % {"years": years}
        if years > 1
        else _("min and max over this year's units")
    )
    if kind == "linear":
        return _("share of the maximum: points = maximum × min(estimate / %(scale)s, 1)") % {
            "scale": fmt(rule.get("scale", 1), 2)
        }
    if kind == "bands":
        steps = "; ".join(
            _("from %(threshold)s: %(points)s points")
            % {"threshold": fmt(threshold, 3), "points": fmt(points, 2)}
            for threshold, points in rule.get("bands", [])
        )
        return _("threshold bands (%(steps)s; 0 below them)") % {"steps": steps}
    if kind == "minmax":
        return _("min–max rescaling across the compared units, %(direction)s, %(over)s") % {
            "direction": direction,
            "over": over,
        }
    if kind == "rescale_1_10":
        return _("rescaled to 1–10: 1 + 9 × (X − min)/(max − min), %(direction)s, %(over)s") % {
            "direction": direction,
            "over": over,
        }
    if kind == "as_is":
        return _("the published value as it is")
    return kind


def _change_text(row: UnitResult) -> tuple[str, str]:
    if row.change is None or row.change.points is None:
        return "—", "—"
    points = ("+" if row.change.points > 0 else "") + fmt(row.change.points, 2)
    if row.change.ranks is None:
        return points, "—"
    return points, ("+" if row.change.ranks > 0 else "") + str(row.change.ranks)


def _table_rows(rows: list[UnitResult], k: int) -> list[dict[str, Any]]:
    out = []
    for r in rows:
        points, ranks = _change_text(r)
        out.append(
            {
                "rank": r.rank,
                "unit": r.unit.name,
                "code": r.unit.code,
                "total": fmt(r.total, 2),
                "band": r.band or "—",
                "interval": f"{r.rank_low}–{r.rank_high}" if r.rank_low is not None else "—",
                "p_top": fmt(r.p_top, 2) if r.p_top is not None else "—",
                "change_points": points,
                "change_ranks": ranks,
                "complete": r.complete,
            }
        )
    return out


def _method(results: RoundResults) -> dict[str, Any]:
    tree = results.framework
    domains = [
        {
            "code": d.code,
            "name": d.name,
            "kind": d.kind,
            "maximum": fmt(d.maximum, 2) if d.maximum is not None else "—",
            "weight": fmt(d.weight, 2, "%") if d.weight is not None else "—",
        }
        for d in tree.domains
    ]
    rules = [
        {
            "code": n.code,
            "name": n.name,
            "component": n.component or "—",
            "maximum": fmt(n.maximum, 2) if n.maximum is not None else "—",
            "rule": rule_text(n),
        }
        for n in tree.leaves
        if n.leaf == "survey"
    ]
    bands = [
        {"min": fmt(low, 2), "label": label} for low, label in sorted(tree.bands, reverse=True)
    ]
    return {
        "framework": tree,
        "domains": domains,
        "rules": rules,
        "bands": bands,
        "assessed": sum(1 for n in tree.leaves if n.leaf != "survey"),
        "survey_leaves": len(rules),
        "survey_max": fmt(tree.survey_max, 2),
    }


def _context(scoring_round: ScoringRound, title: str, subtitle: str) -> dict[str, Any]:
    return {
        "title": title,
        "subtitle": subtitle,
        "organisation": scoring_round.scope.name,
        "generated_at": timezone.localtime(),
        "round": scoring_round,
    }


def ranking_build(params: Mapping[str, Any], progress: Progress) -> ReportFile:
    scoring_round = ScoringRound.objects.select_related("framework", "scope").get(
        code=params["round"]
    )
    progress(10, _("Computing totals, ranks and rank intervals"))
    results = round_results(scoring_round=scoring_round, draws=DRAWS)
    progress(60, _("Drawing the charts"))
    blocks = []
    for block in blocks_of(results):
        pieces = chart_pieces(block)
        blocks.append(
            {
                "name": block.name,
                "rows": _table_rows(block.rows, results.k),
                "totals": [totals_chart(piece, results) for piece in pieces],
                "ranks": [c for c in (rank_chart(piece, results) for piece in pieces) if c],
            }
        )
    progress(75, _("Laying out the PDF"))
    context = _context(
        scoring_round,
        ranking_title({"round": scoring_round.code}),
        _("Framework: %(fw)s") % {"fw": results.framework.name},
    )
    context.update(
        results=results, blocks=blocks, method=_method(results), seed=0, level=90, k=results.k
    )
    content = render_pdf("reform/pdf/ranking.html", context)
    progress(95, _("Saving"))
    return ReportFile(f"xep-hang-{scoring_round.code}.pdf", content, PDF)


# --- the scorecard ---------------------------------------------------------------------------


def _previous_domains(
    scoring_round: ScoringRound, unit: AdministrativeUnit, results: RoundResults
) -> list[float] | None:
    """Last year's domain points of the unit (or the mean of its predecessors), when last
    year's framework has the same domains and the same survey status; None otherwise."""
    previous = scoring_round.previous
    if previous is None:
        return None
    past = round_results(scoring_round=previous, draws=0)
    codes = [d.code for d in results.framework.domains]
    if past.survey != results.survey or [d.code for d in past.framework.domains] != codes:
        return None  # domains measured differently last year: no per-domain change
    by_unit = {r.unit.pk: r for r in past.rows}
    own = [by_unit[unit.pk]] if unit.pk in by_unit else []
    if not own:
        before = AdministrativeUnit.objects.filter(successors=unit).values_list("pk", flat=True)
        own = [by_unit[pk] for pk in before if pk in by_unit]
    if not own:
        return None
    return [round(sum(r.domains[i] for r in own) / len(own), 2) for i in range(len(own[0].domains))]


def _domain_rows(
    results: RoundResults, row: UnitResult, before: list[float] | None
) -> tuple[list[dict[str, Any]], Chart]:
    tree = results.framework
    rows = []
    for i, domain in enumerate(tree.domains):
        top = domain.maximum if not tree.weighted else None
        points = row.domains[i]
        change = None if before is None else round(points - before[i], 2)
        rows.append(
            {
                "code": domain.code,
                "name": domain.name,
                "kind": domain.kind,
                "points": fmt(points, 2),
                "maximum": fmt(top, 2) if top is not None else fmt(domain.weight, 2, "%"),
                "share": fmt(100 * points / top, 1, "%") if top and not domain.is_extra else "—",
                "lost": fmt(top - points, 2) if top and not domain.is_extra else "—",
                "change": "—" if change is None else ("+" if change > 0 else "") + fmt(change, 2),
            }
        )
    counted = [d for d in tree.domains if not d.is_extra]
    chart = grouped_bar_chart(
        title=_("Points per domain against the maximum"),
        labels=[f"{d.code}. {d.name}" for d in counted],
        series=[
            (_("Points"), [row.domains[tree.domains.index(d)] for d in counted]),
            (_("Maximum points"), [d.maximum if not tree.weighted else 10.0 for d in counted]),
        ],
        decimals=2,
    )
    return rows, chart


def _losses(lines: list[Line]) -> list[Line]:
    parents = {line.criterion.parent_id for line in lines}
    leaves = [line for line in lines if line.criterion.pk not in parents]
    lost = [line for line in leaves if line.lost]
    return sorted(lost, key=lambda line: (-(line.lost or 0), line.criterion.position))


def scorecard_build(params: Mapping[str, Any], progress: Progress) -> ReportFile:
    scoring_round = ScoringRound.objects.select_related("framework", "scope").get(
        code=params["round"]
    )
    unit = round_units(scoring_round=scoring_round).get(code=params["unit"])
    progress(10, _("Computing totals, ranks and rank intervals"))
    results = round_results(scoring_round=scoring_round, draws=DRAWS)
    row = next(r for r in results.rows if r.unit.pk == unit.pk)
    block = next(b for b in blocks_of(results) if row in b.rows)
    progress(50, _("Reading the scores, evidence and survey components"))
    lines = scorecard(scoring_round=scoring_round, unit=unit)
    before = _previous_domains(scoring_round, unit, results)
    domains, chart = _domain_rows(results, row, before)
    evidence = list(
        Evidence.objects.filter(score__round=scoring_round, score__unit=unit)
        .select_related("score__criterion", "uploaded_by")
        .order_by("score__criterion__position", "uploaded_at", "pk")
    )
    survey = list(
        SurveyPoints.objects.filter(round=scoring_round, unit=unit)
        .select_related("criterion", "estimate", "run", "run__round")
        .order_by("criterion__position")
    )
    progress(75, _("Laying out the PDF"))
    points, ranks = _change_text(row)
    context = _context(
        scoring_round,
        _("Scorecard of %(unit)s") % {"unit": unit.name},
        scoring_round.name,
    )
    context.update(
        unit=unit,
        results=results,
        row=row,
        unit_block=block,
        block_size=len(block.rows),
        total=fmt(row.total, 2),
        p_top=fmt(row.p_top, 2) if row.p_top is not None else "—",
        p_bottom=fmt(row.p_bottom, 2) if row.p_bottom is not None else "—",
        change_points=points,
        change_ranks=ranks,
        domains=domains,
        chart=chart,
        losses=_losses(lines),
        lines=lines,
        evidence=evidence,
        survey=survey,
        previous=scoring_round.previous,
    )
    content = render_pdf("reform/pdf/scorecard.html", context)
    progress(95, _("Saving"))
    return ReportFile(f"phieu-diem-{scoring_round.code}-{unit.code}.pdf", content, PDF)


def report_kinds_register() -> None:
    """Called by ReformConfig.ready(): the reports task can then build these kinds."""
    register(
        ReportKind(
            name="index-ranking",
            build=ranking_build,
            allowed=ranking_allowed,
            title=ranking_title,
            clean=ranking_params_clean,
        )
    )
    register(
        ReportKind(
            name="index-scorecard",
            build=scorecard_build,
            allowed=scorecard_allowed,
            title=scorecard_title,
            clean=scorecard_params_clean,
        )
    )
