"""The results page: element indices per unit for a round."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language

from analysis.selectors import estimates_current, rounds_visible
from questionnaires.definition import label


def results(request: HttpRequest) -> HttpResponse:
    staff = request.user.is_staff
    rounds = list(rounds_visible(staff=staff))
    if not rounds:
        return render(request, "analysis/results.html", {"rounds": [], "rows": []})
    code = request.GET.get("round") or rounds[0].code
    selected = next((r for r in rounds if r.code == code), None)
    if selected is None:
        raise Http404
    language = get_language() or "vi"
    estimates = estimates_current(staff=staff).filter(run__round=selected)
    component_labels = {
        c["code"]: label(c.get("label"), language)
        for version in selected.questionnaire.versions.all()[:1]
        for c in version.definition.get("components", [])
    }
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
