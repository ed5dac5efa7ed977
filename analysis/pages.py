"""The statistician's pages: rounds in scope, and a round's instrument, uploads,
monitoring and runs (with live progress). Writes go through the same services as the
API; out-of-scope rounds are 404."""

import json
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from analysis.models import AnalysisRun
from analysis.round_config import EstimationSpec, plan_of, publication_of, scheme_of, spec_of
from analysis.round_inputs import (
    frame_from_transactions,
    frame_upload,
    instrument_check,
    margins_upload,
    round_monitoring,
)
from analysis.selectors import rounds_for_runs
from analysis.services import RunInProgress, analysis_run_start, round_instrument_update
from org.access import capability_required
from org.permissions import Capability
from survey.imports import ImportFileInvalid

statistician = capability_required(Capability.RUNS)
PARTS = ("sample_plan", "weighting", "estimation", "publication")
# A run's stages (analysis.tasks.STAGES) as the page shows them.
STAGE_LABELS = {
    "extract": gettext_lazy("extract"),
    "load": gettext_lazy("load"),
    "compute": gettext_lazy("compute"),
    "store": gettext_lazy("store"),
}


@statistician
def rounds_page(request: HttpRequest) -> HttpResponse:
    rounds = rounds_for_runs(user=request.user).select_related("scope", "questionnaire")
    rows = [{"round": r, "run": r.runs.first()} for r in rounds.order_by("-period_start")]
    return render(request, "analysis/rounds.html", {"rows": rows})


def _instrument(survey_round: Any) -> dict[str, str]:
    values = {
        "sample_plan": plan_of(survey_round),
        "weighting": scheme_of(survey_round),
        "estimation": EstimationSpec(spec_of(survey_round)).data,
        "publication": publication_of(survey_round),
    }
    return {k: json.dumps(v, ensure_ascii=False, indent=2) for k, v in values.items()}


@statistician
def round_page(request: HttpRequest, code: str) -> HttpResponse:
    survey_round = get_object_or_404(rounds_for_runs(user=request.user), code=code)
    texts, errors = _instrument(survey_round), {}
    if request.method == "POST":
        texts = {part: request.POST.get(part, "") for part in PARTS}
        parsed: dict[str, Any] = {}
        for part, text in texts.items():
            try:
                parsed[part] = json.loads(text)
            except json.JSONDecodeError as error:
                errors[part] = [_json_error(error)]
        if not errors:
            changes, problems = instrument_check(survey_round=survey_round, data=parsed)
            if not problems:
                round_instrument_update(
                    survey_round=survey_round,
                    changes=changes,
                    actor=request.user,
                    reason=request.POST.get("reason", "")[:500],
                )
                messages.success(request, _("The round's instrument was saved."))
                return redirect("analysis:round", code=code)
            errors = {k: _flatten(v) for k, v in problems.items()}
    runs = list(survey_round.runs.all()[:20])
    stage_labels = {stage: str(label) for stage, label in STAGE_LABELS.items()}
    for run in runs:
        run.stage_label = stage_labels.get(run.stage, run.stage)
        # In the stages' own order (the database keeps JSON keys in an order of its own).
        timings = run.timings or {}
        ordered = [k for k in stage_labels if k in timings] + sorted(
            set(timings) - set(stage_labels)
        )
        run.timing_labels = [(stage_labels.get(k, k), timings[k]) for k in ordered]
    context = {
        "round": survey_round,
        "texts": texts,
        "errors": errors,
        "monitoring": round_monitoring(survey_round),
        "runs": runs,
        "latest": next((r for r in runs if r.status == "succeeded"), None),
        "status_labels": json.dumps(
            {value: str(label) for value, label in AnalysisRun.Status.choices}, ensure_ascii=False
        ),
        "stage_labels": json.dumps(stage_labels, ensure_ascii=False),
        "frame_cells": survey_round.frame_cells.count(),
        "margins": survey_round.margins.count(),
    }
    return render(request, "analysis/round.html", context, status=400 if errors else 200)


def _flatten(errors: Any, prefix: str = "") -> list[str]:
    """DRF's nested errors as readable lines ("weighting 2 → margins: …")."""
    if isinstance(errors, dict):
        return [
            line for key, value in errors.items() for line in _flatten(value, _label(key, prefix))
        ]
    if isinstance(errors, list):
        out: list[str] = []
        for position, value in enumerate(errors):
            label = f"{prefix}{position + 1} → " if isinstance(value, dict | list) else prefix
            out += _flatten(value, label)
        return out
    return [f"{prefix}{errors}"]


# Python's json messages, which the page showed in English on a Vietnamese page.
JSON_MESSAGES = {
    "Expecting value": gettext_lazy("a value is expected"),
    "Expecting property name enclosed in double quotes": gettext_lazy(
        "a name in double quotes is expected"
    ),
    "Expecting ',' delimiter": gettext_lazy("a comma is expected"),
    "Expecting ':' delimiter": gettext_lazy("a colon is expected"),
    "Unterminated string starting at": gettext_lazy("a text is not closed"),
    "Extra data": gettext_lazy("there is text after the end"),
    "Invalid control character at": gettext_lazy("a control character is not allowed"),
}


def _json_error(error: json.JSONDecodeError) -> str:
    return _("Not valid JSON (line %(line)d, column %(column)d): %(error)s") % {
        "line": error.lineno,
        "column": error.colno,
        "error": JSON_MESSAGES.get(error.msg, error.msg),
    }


def _label(key: Any, prefix: str) -> str:
    """A ListField's errors are keyed by the 0-based position: show steps from 1."""
    if key == "non_field_errors":
        return prefix
    if isinstance(key, int) or (isinstance(key, str) and key.isdigit()):
        return f"{prefix}{int(key) + 1} → "
    return f"{prefix}{key} → "


@statistician
@require_POST
def round_upload(request: HttpRequest, code: str, kind: str) -> HttpResponse:
    if kind not in {"frame", "margins"}:
        raise Http404
    survey_round = get_object_or_404(rounds_for_runs(user=request.user), code=code)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("Upload a .csv or .xlsx file."))
        return redirect("analysis:round", code=code)
    service = frame_upload if kind == "frame" else margins_upload
    try:
        result = service(
            survey_round=survey_round,
            file_name=upload.name or "",
            content=upload.read(),
            actor=request.user,
        )
    except ImportFileInvalid as error:
        messages.error(request, str(error))
        return redirect("analysis:round", code=code)
    if result.errors:
        for error in result.errors[:50]:
            messages.error(
                request,
                _("Row %(row)s, %(column)s: %(message)s")
                % {"row": error["row"], "column": error["column"], "message": error["message"]},
            )
        messages.warning(request, _("Nothing was stored: correct the file and upload it again."))
    else:
        messages.success(request, _("%(n)d rows stored.") % {"n": result.stored})
    return redirect("analysis:round", code=code)


@statistician
@require_POST
def round_frame_from_transactions(request: HttpRequest, code: str) -> HttpResponse:
    survey_round = get_object_or_404(rounds_for_runs(user=request.user), code=code)
    cells = frame_from_transactions(survey_round=survey_round, actor=request.user)
    messages.success(request, _("%(n)d rows stored.") % {"n": cells})
    return redirect("analysis:round", code=code)


@statistician
@require_POST
def round_run(request: HttpRequest, code: str) -> HttpResponse:
    survey_round = get_object_or_404(rounds_for_runs(user=request.user), code=code)
    try:
        analysis_run_start(survey_round=survey_round, actor=request.user)
        messages.success(request, _("The run was queued."))
    except RunInProgress:
        messages.warning(request, _("This round already has a run in progress."))
    return redirect("analysis:round", code=code)
