"""The statistician's round dashboard and its downloads (statisticians of the round's
scope; a round or unit outside it is 404, bad parameters are 400)."""

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from analysis.dashboard import (
    INPUT_LABELS,
    VIEWS,
    component_labels,
    dashboard_comparison,
    dashboard_estimates,
    dashboard_focus,
    dashboard_monitoring,
    dashboard_profiles,
    dashboard_round,
    dashboard_weights,
    unit_path,
    variable_labels,
)
from analysis.dashboard_charts import category_label, forest_of, weight_charts
from analysis.dashboard_export import dashboard_csv, dashboard_xlsx
from analysis.extract_export import round_extract_zip
from analysis.round_config import plan_of, publication_of, scheme_of, spec_of
from analysis.selectors import run_latest
from analysis.weighting import WeightingError
from org.access import capability_required
from org.permissions import Capability, may_export_raw_answers
from org.services import Action, audit_record
from reports.charts import grouped_bar_chart, line_chart

statistician = capability_required(Capability.RUNS)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
VIEW_LABELS = {
    "elements": gettext_lazy("Element indices"),
    "item_share": gettext_lazy("Share satisfied per question"),
    "item_mean": gettext_lazy("Mean score per question"),
}


def _params(request: HttpRequest, code: str) -> tuple[Any, Any, str] | HttpResponse:
    survey_round = dashboard_round(user=request.user, code=code)
    if survey_round is None:
        raise Http404
    focus = dashboard_focus(survey_round=survey_round, unit_code=request.GET.get("unit"))
    if focus is None:
        raise Http404
    view = request.GET.get("view", "elements")
    if view not in VIEWS:
        return render(
            request,
            "reports/invalid.html",
            {"errors": [_("view: one of %(views)s.") % {"views": ", ".join(VIEWS)}]},
            status=400,
        )
    return survey_round, focus, view


def dashboard_context(request: HttpRequest, survey_round: Any, focus: Any, view: str) -> dict:
    labels = component_labels(survey_round)
    run = run_latest(survey_round=survey_round)
    context: dict[str, Any] = {
        "round": survey_round,
        "focus": focus,
        "path": unit_path(focus, survey_round.scope_id),
        "view": view,
        "views": [(v, VIEW_LABELS[v]) for v in VIEWS],
        "run": run,
        "plan": plan_of(survey_round),
        "scheme": scheme_of(survey_round),
        "spec": spec_of(survey_round),
        "publication": publication_of(survey_round),
        "may_extract": may_export_raw_answers(request.user, survey_round.scope),
    }
    monitoring = dashboard_monitoring(survey_round=survey_round, focus=focus)
    context["monitoring"] = monitoring
    if monitoring.days:
        context["monitoring_chart"] = line_chart(
            title=_("Responses per day"), x_labels=monitoring.days, series=monitoring.series
        )
    rows = [r for r in monitoring.rows if not r["is_focus"]] or monitoring.rows
    if rows:
        context["rate_chart"] = grouped_bar_chart(
            title=_("Response rate and progress to the sample plan"),
            labels=[r["unit"] for r in rows],
            series=[
                (
                    _("Response rate"),
                    [
                        None if r["response_rate"] is None else r["response_rate"] * 100
                        for r in rows
                    ],
                ),
                (
                    _("Progress"),
                    [None if r["progress"] is None else r["progress"] * 100 for r in rows],
                ),
            ],
            unit="%",
        )
    if run is None:
        return context
    blocks, children = dashboard_estimates(run=run, focus=focus, view=view, labels=labels)
    for block in blocks:
        block.chart = forest_of(block)
    names = variable_labels(survey_round)
    weights = dashboard_weights(run=run)
    context.update(
        blocks=blocks,
        children=children,
        profiles=dashboard_profiles(run=run, labels=labels),
        weights=weights,
        balance_rows=[
            {"row": r, "label": category_label(names, r.variable, r.category)}
            for r in (weights.balance if weights else [])
        ],
        balance_variables=[
            {"variable": names.get(v, (v, {}))[0], **summary}
            for v, summary in (weights.balance_by_variable.items() if weights else [])
        ],
        weight_charts=weight_charts(run, weights, names),
        changed_inputs=[str(INPUT_LABELS.get(k, k)) for k in (weights.changed if weights else [])],
        diagnostics=run.diagnostics or {},
        comparison=dashboard_comparison(
            user=request.user, survey_round=survey_round, run=run, focus=focus, units=children
        ),
    )
    comparison = context["comparison"]
    if len(comparison.rounds) > 1:
        ordered = list(reversed(comparison.rounds))
        context["comparison_chart"] = line_chart(
            title=_("Overall index across rounds"),
            x_labels=[r.name for r in ordered],
            series=[
                (
                    row["unit"].name,
                    [
                        None if c.estimate is None else c.estimate * 100
                        for c in reversed(row["cells"])
                    ],
                )
                for row in comparison.rows[:7]
            ],
            unit="%",
            decimals=1,
        )
    return context


@statistician
def round_dashboard(request: HttpRequest, code: str) -> HttpResponse:
    params = _params(request, code)
    if isinstance(params, HttpResponse):
        return params
    survey_round, focus, view = params
    return render(
        request,
        "analysis/dashboard.html",
        dashboard_context(request, survey_round, focus, view),
    )


@statistician
def round_dashboard_export(request: HttpRequest, code: str, extension: str) -> HttpResponse:
    """The dashboard's estimates (focus unit and the units below it) as CSV or XLSX."""
    if extension not in {"csv", "xlsx"}:
        raise Http404
    params = _params(request, code)
    if isinstance(params, HttpResponse):
        return params
    survey_round, focus, view = params
    run = run_latest(survey_round=survey_round)
    if run is None:
        raise Http404
    labels = component_labels(survey_round)
    blocks, _children = dashboard_estimates(run=run, focus=focus, view=view, labels=labels)
    name = f"{survey_round.code}-{focus.code}-{view}.{extension}"
    if extension == "csv":
        reply = HttpResponse(dashboard_csv(blocks), content_type="text/csv; charset=utf-8")
    else:
        weights = dashboard_weights(run=run)
        reply = HttpResponse(
            dashboard_xlsx(
                blocks,
                run=run,
                weights=weights,
                names=variable_labels(survey_round),
                title=f"{survey_round.name} — {focus.name}",
            ),
            content_type=XLSX,
        )
    if not survey_round.published:
        audit_record(
            actor=request.user,
            action=Action.RESULTS_EXPORT,
            obj=survey_round,
            object_label=f"{survey_round.code} dashboard {focus.code}.{extension}",
            unit=survey_round.scope,
        )
    reply["Content-Disposition"] = f'attachment; filename="{name}"'
    return reply


@statistician
def round_extract(request: HttpRequest, code: str) -> HttpResponse:
    """The round's answers, final weights, design variables, codebook and R/Stata
    snippets as a ZIP — raw answers: RAW_ANSWERS over the round's scope only."""
    survey_round = dashboard_round(user=request.user, code=code)
    if survey_round is None or not may_export_raw_answers(request.user, survey_round.scope):
        raise Http404
    run = run_latest(survey_round=survey_round)
    if run is None:
        raise Http404
    try:
        content, rows = round_extract_zip(run=run)
    except WeightingError as error:  # today's scheme no longer fits today's answers
        return render(request, "reports/invalid.html", {"errors": [str(error)]}, status=409)
    audit_record(
        actor=request.user,
        action=Action.RAW_EXPORT,
        obj=survey_round,
        object_label=f"{survey_round.code} extract.zip",
        after={"rows": rows, "run": run.pk},
        unit=survey_round.scope,
    )
    reply = HttpResponse(content, content_type="application/zip")
    reply["Content-Disposition"] = f'attachment; filename="{survey_round.code}-extract.zip"'
    return reply
