"""The results page and its CSV export: element indices per unit for a round."""

import csv
import io

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from analysis.selectors import estimates_current, rounds_visible
from org.services import Action, audit_record
from questionnaires.definition import label


def results(request: HttpRequest) -> HttpResponse:
    rounds = list(rounds_visible(user=request.user))
    asked = request.GET.get("round")
    if not rounds and not asked:
        return render(request, "analysis/results.html", {"rounds": [], "rows": []})
    # A round the visitor may not see is as absent as one that does not exist.
    code = asked or rounds[0].code
    selected = next((r for r in rounds if r.code == code), None)
    if selected is None:
        raise Http404
    language = get_language() or "vi"
    estimates = estimates_current(user=request.user).filter(
        run__round=selected,
        statistic__in=["element_index", "overall"],
        domain_variable="unit",
    )
    component_labels = {
        c["code"]: label(c.get("label"), language)
        for version in selected.questionnaire.versions.all()[:1]
        for c in version.definition.get("components", [])
    }
    component_labels["overall"] = _("Overall index")
    present = {e.component for e in estimates}
    components = [c for c in component_labels if c in present] + sorted(
        present - set(component_labels)
    )
    by_unit: dict[int, dict] = {}
    for e in estimates:
        row = by_unit.setdefault(e.unit_id, {"unit": e.unit, "cells": {}})
        row["cells"][e.component] = e
    rows = [
        {"unit": row["unit"], "cells": [row["cells"].get(c) for c in components]}
        for row in by_unit.values()
    ]
    context = {
        "rounds": rounds,
        "selected": selected,
        "columns": [component_labels.get(c, c) for c in components],
        "rows": rows,
    }
    return render(request, "analysis/results.html", context)


def results_export(request: HttpRequest) -> HttpResponse:
    """The round's estimates as CSV: UTF-8 with a BOM so spreadsheet programs show
    Vietnamese names correctly; one row per unit and component."""
    code = request.GET.get("round", "")
    selected = rounds_visible(user=request.user).filter(code=code).first()
    if selected is None:
        raise Http404
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(
        [
            _("Unit code"),
            _("Unit"),
            _("Level"),
            _("Statistic"),
            _("Component"),
            _("Domain variable"),
            _("Domain value"),
            _("Estimate"),
            _("Standard error"),
            _("95% CI low"),
            _("95% CI high"),
            _("CI method"),
            _("Degrees of freedom"),
            _("Respondents"),
            _("Effective n"),
            _("Design effect"),
            _("Unweighted estimate"),
            _("Suppressed"),
        ]
    )
    for e in estimates_current(user=request.user).filter(run__round=selected):
        writer.writerow(
            [
                e.unit.code,
                e.unit.name,
                e.unit.level.code,
                e.statistic,
                e.component,
                e.domain_variable,
                e.domain_value,
                repr(e.estimate),
                repr(e.se),
                repr(e.ci_low),
                repr(e.ci_high),
                e.ci_method,
                "" if e.df is None else repr(e.df),
                e.n,
                "" if e.n_effective is None else repr(e.n_effective),
                "" if e.deff is None else repr(e.deff),
                "" if e.unweighted is None else repr(e.unweighted),
                e.suppressed_reason if e.suppressed else "",
            ]
        )
    if not selected.published:
        # Published results are public; an export of unpublished ones is on the record.
        audit_record(
            actor=request.user,
            action=Action.RESULTS_EXPORT,
            obj=selected,
            object_label=f"{selected.code} export.csv",
            unit=selected.scope,
        )
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{selected.code}-estimates.csv"'
    return response
