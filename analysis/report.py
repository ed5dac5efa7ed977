"""The PDF report of a round (report kind "round-report"): cover, method (sample plan,
frame, weighting scheme in words, variance and CI, publication rule), the weights and
their diagnostics, tables of estimates per element and unit with suppressed cells
marked, and forest plots. Built by reports.tasks.report_build; registered in
analysis.apps."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import slugify
from django.utils.translation import gettext as _

from analysis.dashboard import (
    component_labels,
    dashboard_estimates,
    dashboard_focus,
    dashboard_monitoring,
    dashboard_weights,
    variable_labels,
)
from analysis.dashboard_charts import forest_of, weight_charts
from analysis.models import SurveyRound
from analysis.round_config import plan_of, publication_of, scheme_of, spec_of
from analysis.selectors import run_latest
from org.permissions import Capability, may
from reports.registry import Progress, ReportFile, ReportKind


def _round(code: Any) -> SurveyRound | None:
    return SurveyRound.objects.select_related("scope").filter(code=str(code or "")).first()


def report_clean(params: Mapping[str, Any]) -> dict[str, Any]:
    survey_round = _round(params.get("round"))
    if survey_round is None:
        raise ValidationError(_("Choose a survey round."))
    unit = dashboard_focus(survey_round=survey_round, unit_code=params.get("unit") or None)
    if unit is None:
        raise ValidationError(_("The unit is not part of this round."))
    return {"round": survey_round.code, "unit": unit.code}


def report_allowed(user: Any, params: Mapping[str, Any]) -> bool:
    survey_round = _round(params.get("round"))
    return survey_round is not None and may(user, Capability.RUNS, survey_round.scope_id)


def report_title(params: Mapping[str, Any]) -> str:
    survey_round = _round(params.get("round"))
    name = survey_round.name if survey_round else params.get("round", "")
    return _("Report of the round %(round)s") % {"round": name}


def plan_in_words(plan: Mapping[str, Any]) -> str:
    per = _("per unit and sector") if plan.get("by") == "unit_sector" else _("per unit")
    if plan.get("method") == "fixed":
        return _("A fixed target of %(n)s responses %(per)s (at most the transactions).") % {
            "n": plan.get("fixed"),
            "per": per,
        }
    return _(
        "Yamane's formula n = N / (1 + N·e²) with a margin of error e = %(e)s, %(per)s, "
        "N being the transactions of the period."
    ) % {"e": plan.get("margin_of_error", 0.05), "per": per}


def step_in_words(step: Mapping[str, Any]) -> str:
    kind = step.get("step")
    if kind == "cell_weights":
        return _(
            "Cell weights: each respondent weighs the transactions of its cell (%(by)s) "
            "divided by the cell's respondents; the cells are the design's strata, with "
            "the frame counts as finite population correction."
        ) % {"by": " × ".join(step.get("by", ["unit"]))}
    if kind == "nonresponse":
        counts = (
            _("the invitations issued")
            if step.get("counts", "invitations") == "invitations"
            else _("the frame counts")
        )
        return _(
            "Nonresponse adjustment in classes (%(by)s): the weights of each class are "
            "multiplied by its eligible count (%(counts)s) over its respondents' weight."
        ) % {"by": " × ".join(step.get("by", ["unit"])), "counts": counts}
    if kind == "poststratify":
        return _("Post-stratification to the population totals of %(margin)s.") % {
            "margin": step.get("margin")
        }
    if kind == "rake":
        return _("Raking (iterative proportional fitting) to the margins %(margins)s.") % {
            "margins": ", ".join(step.get("margins", []))
        }
    if kind == "calibrate":
        bounds = step.get("bounds")
        text = _("Calibration (%(method)s) to the totals of %(margins)s") % {
            "method": step.get("method", "linear"),
            "margins": ", ".join(step.get("margins", [])),
        }
        if bounds:
            text += _(", g-weights bounded to [%(low)s, %(high)s]") % {
                "low": bounds[0],
                "high": bounds[1],
            }
        return text + "."
    if kind == "trim":
        relative = _(" × the mean weight") if step.get("relative", True) else ""
        return _(
            "Trimming of the weights to [%(low)s, %(high)s]%(relative)s, the excess "
            "redistributed over the other respondents."
        ) % {"low": step.get("lower", 0), "high": step.get("upper", "∞"), "relative": relative}
    return str(kind)


def variance_in_words(spec: Mapping[str, Any]) -> str:
    variance = {
        "taylor": _("Taylor linearisation"),
        "jackknife": _("the stratified jackknife (one replicate per respondent)"),
        "bootstrap": _("the Rao–Wu bootstrap (%(n)s replicates)")
        % {"n": spec.get("replicates", 200)},
    }.get(spec.get("variance", "taylor"), spec.get("variance", ""))
    interval = {
        "logit": _("logit intervals"),
        "korn_graubard": _("Korn–Graubard (Clopper–Pearson with the effective n) intervals"),
        "wald": _("Wald intervals"),
    }.get(spec.get("ci_method", "logit"), spec.get("ci_method", ""))
    return _(
        "Standard errors by %(variance)s; %(level)s%% confidence intervals for shares as "
        "%(interval)s, with the design's degrees of freedom."
    ) % {
        "variance": variance,
        "level": round(float(spec.get("confidence", 0.95)) * 100),
        "interval": interval,
    }


def publication_in_words(rule: Mapping[str, Any]) -> str:
    parts = [_("at least %(n)s respondents") % {"n": rule.get("min_n", 0)}]
    if rule.get("max_rse") is not None:
        parts.append(_("a relative standard error of at most %(rse)s") % {"rse": rule["max_rse"]})
    if rule.get("max_ci_width") is not None:
        parts.append(_("a confidence interval at most %(w)s wide") % {"w": rule["max_ci_width"]})
    return _(
        "A figure is published when it has %(rules)s; others are suppressed with the reason."
    ) % {"rules": ", ".join(parts)}


def report_context(params: Mapping[str, Any], progress: Progress) -> dict[str, Any]:
    survey_round = _round(params["round"])
    if survey_round is None:
        raise ValueError(_("The round no longer exists."))
    focus = dashboard_focus(survey_round=survey_round, unit_code=params.get("unit"))
    if focus is None:
        raise ValueError(_("The unit is not part of this round."))
    run = run_latest(survey_round=survey_round)
    if run is None:
        raise ValueError(_("This round has no successful run yet."))
    progress(10, _("Reading the estimates"))
    labels = component_labels(survey_round)
    blocks, _children = dashboard_estimates(run=run, focus=focus, view="elements", labels=labels)
    progress(30, _("Drawing the charts"))
    for block in blocks:
        block.chart = forest_of(block)
    progress(45, _("Recomputing the weights"))
    weights = dashboard_weights(run=run)
    names = variable_labels(survey_round)
    frame_cells = survey_round.frame_cells.count()
    return {
        "title": _("Report of the round %(round)s") % {"round": survey_round.name},
        "subtitle": _("%(unit)s · run %(run)s of %(date)s, %(n)s respondents")
        % {
            "unit": focus.name,
            "run": run.pk,
            "date": date_format(timezone.localtime(run.finished_at), "d/m/Y")
            if run.finished_at
            else "—",
            "n": run.n_responses,
        },
        "organisation": survey_round.scope.name,
        "generated_at": timezone.now(),
        "round": survey_round,
        "focus": focus,
        "run": run,
        "plan": plan_in_words(plan_of(survey_round)),
        "frame": (
            _("%(n)s stored frame cells (unit × sector × channel).") % {"n": frame_cells}
            if frame_cells
            else _("The registered transactions of the period, by unit × sector × channel.")
        ),
        "margins": [
            {
                "variable": names.get(m.variable, (m.variable, {}))[0],
                "category": names.get(m.variable, (m.variable, {}))[1].get(m.category, m.category),
                "target": m.target,
            }
            for m in survey_round.margins.order_by("variable", "category")
        ],
        "steps": [step_in_words(s) for s in scheme_of(survey_round)],
        "variance": variance_in_words(spec_of(survey_round)),
        "publication": publication_in_words(publication_of(survey_round)),
        "diagnostics": run.diagnostics or {},
        "weights": weights,
        "weight_charts": weight_charts(run, weights, names),
        "blocks": blocks,
        "monitoring": dashboard_monitoring(survey_round=survey_round, focus=focus),
    }


def report_build(params: Mapping[str, Any], progress: Progress) -> ReportFile:
    from reports.pdf import render_pdf

    context = report_context(params, progress)
    progress(70, _("Laying out the PDF"))
    pdf = render_pdf("analysis/round_report.html", context)
    progress(95, _("Saving"))
    name = slugify(f"{params['round']}-{params.get('unit', '')}") or "round"
    return ReportFile(f"bao-cao-{name}.pdf", pdf, "application/pdf")


ROUND_REPORT = ReportKind(
    name="round-report",
    build=report_build,
    allowed=report_allowed,
    title=report_title,
    clean=report_clean,
)
