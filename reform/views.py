"""Pages of the reform index: rounds, the ranking, a unit's scorecard, the
self-assessment form (with evidence upload), the appraisal page, evidence files."""

import json
from typing import Any

from csp.decorators import csp_exempt
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from org.permissions import Capability, has_capability, may_use_admin, roles_of
from reform.evidence import PREVIEWABLE
from reform.forms import FrameworkCopyForm, FrameworkImportForm, RoundOpenForm
from reform.messages import problem_text
from reform.models import Criterion, Framework, Score, ScoringRound
from reform.results import round_results
from reform.scoring.problems import FrameworkInvalid
from reform.selectors import (
    evidence_visible,
    framework_dict,
    may_read_results,
    may_read_unit,
    round_unit_visible,
    round_units,
    rounds_visible,
    scorecard,
)
from reform.services import (
    evidence_add,
    framework_copy,
    framework_import,
    may_appraise,
    may_self_score,
    round_lock,
    round_open,
    round_publish,
    score_appraise,
    score_self_set,
)
from reform.xlsx import framework_from_xlsx, framework_to_xlsx, results_to_xlsx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _round(request: HttpRequest, code: str) -> ScoringRound:
    found = rounds_visible(user=request.user).filter(code=code).first()
    if found is None:
        raise Http404
    return found


def _unit(request: HttpRequest, scoring_round: ScoringRound, unit_code: str) -> Any:
    unit = round_unit_visible(user=request.user, scoring_round=scoring_round, unit_code=unit_code)
    if unit is None:
        raise Http404
    return unit


def _number(raw: str) -> float | None:
    raw = raw.strip().replace(",", ".")
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        return None


@login_required
def round_list(request: HttpRequest) -> HttpResponse:
    rounds = list(rounds_visible(user=request.user))
    for scoring_round in rounds:
        # The ranking for those who may read it, else the user's own units' scorecards.
        scoring_round.readable = may_read_results(user=request.user, scoring_round=scoring_round)
        scoring_round.own_units = (
            []
            if scoring_round.readable
            else [
                u
                for u in round_units(scoring_round=scoring_round)
                if may_read_unit(user=request.user, scoring_round=scoring_round, unit_id=u.pk)
            ]
        )
    context = {
        "rounds": rounds,
        "perms_admin": may_use_admin(request.user),
        "may_open": has_capability(request.user, Capability.APPRAISE),
    }
    return render(request, "reform/rounds.html", context)


@login_required
def ranking(request: HttpRequest, code: str) -> HttpResponse:
    scoring_round = _round(request, code)
    if not may_read_results(user=request.user, scoring_round=scoring_round):
        raise Http404
    results = round_results(scoring_round=scoring_round, draws=1000)
    context = {
        "round": scoring_round,
        "results": results,
        "domains": results.framework.domains,
        "may_lock": may_appraise(
            user=request.user, scoring_round=scoring_round, unit=scoring_round.scope_id
        ),
    }
    return render(request, "reform/ranking.html", context)


def _admin(request: HttpRequest) -> None:
    if not may_use_admin(request.user):
        raise Http404


@login_required
def framework_list(request: HttpRequest) -> HttpResponse:
    """Administrators: the frameworks, their exports, import and copy from last year."""
    _admin(request)
    context = {
        "frameworks": Framework.objects.all(),
        "import_form": FrameworkImportForm(),
        "copy_form": FrameworkCopyForm(),
    }
    return render(request, "reform/frameworks.html", context)


@login_required
@require_POST
def framework_upload(request: HttpRequest) -> HttpResponse:
    _admin(request)
    form = FrameworkImportForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        content = upload.read()
        try:
            if upload.name.lower().endswith(".xlsx"):
                data = framework_from_xlsx(content)
            else:
                data = json.loads(content.decode("utf-8"))
            framework = framework_import(data=data, actor=request.user)
        except FrameworkInvalid as invalid:
            for problem in invalid.problems:
                messages.error(request, problem_text(problem))
        except ValidationError as invalid:
            for message in invalid.messages:
                messages.error(request, message)
        except Exception:  # not JSON, not a workbook: say so, do not crash
            messages.error(request, _("The file is neither framework JSON nor XLSX."))
        else:
            messages.success(request, _("Framework %(code)s imported.") % {"code": framework.code})
    return redirect("reform:frameworks")


@login_required
@require_POST
def framework_copy_view(request: HttpRequest, code: str) -> HttpResponse:
    _admin(request)
    framework = Framework.objects.filter(code=code).first()
    form = FrameworkCopyForm(request.POST)
    if framework is None:
        raise Http404
    if form.is_valid():
        try:
            copy = framework_copy(framework=framework, actor=request.user, **form.cleaned_data)
        except ValidationError as invalid:
            for message in invalid.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Framework %(code)s created.") % {"code": copy.code})
    else:
        messages.error(request, _("Give a new code and a year."))
    return redirect("reform:frameworks")


@login_required
def round_new(request: HttpRequest) -> HttpResponse:
    """Appraisal councils (and administrators) open a scoring round over their units."""
    if not has_capability(request.user, Capability.APPRAISE):
        raise Http404
    form = RoundOpenForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            created = round_open(actor=request.user, **form.cleaned_data)
        except ValidationError as invalid:
            form.add_error(None, invalid)
        else:
            return redirect("reform:ranking", code=created.code)
    return render(request, "reform/round_new.html", {"form": form})


@login_required
def ranking_xlsx(request: HttpRequest, code: str) -> HttpResponse:
    scoring_round = _round(request, code)
    if not may_read_results(user=request.user, scoring_round=scoring_round):
        raise Http404
    content = results_to_xlsx(round_results(scoring_round=scoring_round, draws=1000))
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{scoring_round.code}.xlsx"'
    return response


@login_required
def framework_xlsx(request: HttpRequest, code: str) -> HttpResponse:
    framework = Framework.objects.filter(code=code).first()
    if framework is None or not roles_of(request.user):
        raise Http404
    response = HttpResponse(
        framework_to_xlsx(framework_dict(framework=framework)), content_type=XLSX
    )
    response["Content-Disposition"] = f'attachment; filename="{framework.code}.xlsx"'
    return response


@login_required
def unit_card(request: HttpRequest, code: str, unit_code: str) -> HttpResponse:
    scoring_round = _round(request, code)
    unit = _unit(request, scoring_round, unit_code)
    lines = scorecard(scoring_round=scoring_round, unit=unit)
    parents = {line.criterion.parent_id for line in lines}
    losses = sorted(
        (line for line in lines if line.criterion.pk not in parents and line.lost),
        key=lambda line: -line.lost,
    )[:5]
    context = {
        "round": scoring_round,
        "unit": unit,
        "lines": lines,
        "losses": losses,
        "may_self_score": may_self_score(user=request.user, scoring_round=scoring_round, unit=unit),
        "may_appraise": may_appraise(user=request.user, scoring_round=scoring_round, unit=unit),
    }
    return render(request, "reform/scorecard.html", context)


def _leaves(lines: list) -> list:
    """The assessed leaves (and bonus/penalty items) of a scorecard."""
    parents = {line.criterion.parent_id for line in lines}
    return [
        line
        for line in lines
        if line.criterion.pk not in parents and line.criterion.leaf != Criterion.Leaf.SURVEY
    ]


@login_required
def self_assessment(request: HttpRequest, code: str, unit_code: str) -> HttpResponse:
    scoring_round = _round(request, code)
    unit = _unit(request, scoring_round, unit_code)
    if not may_self_score(user=request.user, scoring_round=scoring_round, unit=unit):
        raise Http404
    lines = _leaves(scorecard(scoring_round=scoring_round, unit=unit))
    errors: list[str] = []
    if request.method == "POST":
        for line in lines:
            c = line.criterion
            raw = request.POST.get(f"points-{c.pk}", "")
            points = _number(raw)
            comment = request.POST.get(f"comment-{c.pk}", "").strip()
            if raw.strip() and points is None:
                errors.append(_("%(code)s: not a number") % {"code": c.code})
                continue
            current = line.score
            changed = points is not None and (
                current is None or current.self_points != points or current.comment != comment
            )
            try:
                if changed:
                    current = score_self_set(
                        scoring_round=scoring_round,
                        unit=unit,
                        criterion=c,
                        points=points,
                        comment=comment,
                        actor=request.user,
                    )
                for upload in request.FILES.getlist(f"evidence-{c.pk}"):
                    if current is None:
                        errors.append(
                            _("%(code)s: score it before adding evidence") % {"code": c.code}
                        )
                        break
                    evidence_add(score=current, upload=upload, actor=request.user)
            except ValidationError as invalid:
                errors.extend(f"{c.code}: {m}" for m in invalid.messages)
            except PermissionDenied as denied:
                errors.append(str(denied))
        if not errors:
            messages.success(request, _("Self-assessment saved."))
            return redirect("reform:self-assessment", code=code, unit_code=unit_code)
        lines = _leaves(scorecard(scoring_round=scoring_round, unit=unit))
    context = {"round": scoring_round, "unit": unit, "lines": lines, "errors": errors}
    return render(request, "reform/self_assessment.html", context, status=400 if errors else 200)


@login_required
def appraisal(request: HttpRequest, code: str, unit_code: str) -> HttpResponse:
    scoring_round = _round(request, code)
    unit = _unit(request, scoring_round, unit_code)
    if not may_appraise(user=request.user, scoring_round=scoring_round, unit=unit):
        raise Http404
    lines = [
        line for line in _leaves(scorecard(scoring_round=scoring_round, unit=unit)) if line.score
    ]
    errors: list[str] = []
    if request.method == "POST":
        for line in lines:
            score: Score = line.score
            decision = request.POST.get(f"decision-{score.pk}", "")
            reason = request.POST.get(f"reason-{score.pk}", "").strip()
            try:
                if decision == "accept" and score.status != Score.Status.ACCEPTED:
                    score_appraise(score=score, points=None, reason=reason, actor=request.user)
                elif decision == "adjust":
                    points = _number(request.POST.get(f"points-{score.pk}", ""))
                    if points is None:
                        errors.append(
                            _("%(code)s: give the adjusted points") % {"code": line.criterion.code}
                        )
                    elif points != score.appraised_points or reason != score.appraisal_reason:
                        score_appraise(
                            score=score, points=points, reason=reason, actor=request.user
                        )
            except ValidationError as invalid:
                errors.extend(f"{line.criterion.code}: {m}" for m in invalid.messages)
        if not errors:
            messages.success(request, _("Appraisal saved."))
            return redirect("reform:appraisal", code=code, unit_code=unit_code)
        lines = [
            line
            for line in _leaves(scorecard(scoring_round=scoring_round, unit=unit))
            if line.score
        ]
    context = {"round": scoring_round, "unit": unit, "lines": lines, "errors": errors}
    return render(request, "reform/appraisal.html", context, status=400 if errors else 200)


@login_required
@require_POST
def lock(request: HttpRequest, code: str) -> HttpResponse:
    scoring_round = _round(request, code)
    reason = request.POST.get("reason", "").strip()
    if not reason:
        messages.error(request, _("The council's decision needs a reference or reason."))
        return redirect("reform:ranking", code=code)
    try:
        round_lock(scoring_round=scoring_round, reason=reason, actor=request.user)
    except PermissionDenied:
        raise Http404 from None
    messages.success(request, _("Scores locked by the council's final decision."))
    return redirect("reform:ranking", code=code)


@login_required
@require_POST
def publish(request: HttpRequest, code: str) -> HttpResponse:
    scoring_round = _round(request, code)
    try:
        round_publish(scoring_round=scoring_round, actor=request.user)
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as invalid:
        for message in invalid.messages:
            messages.error(request, message)
        return redirect("reform:ranking", code=code)
    messages.success(request, _("Results published."))
    return redirect("reform:ranking", code=code)


@login_required
def compare(request: HttpRequest, code: str) -> HttpResponse:
    """Two units side by side: domains and criteria, points and the difference."""
    scoring_round = _round(request, code)
    first = _unit(request, scoring_round, request.GET.get("a", ""))
    second = _unit(request, scoring_round, request.GET.get("b", ""))
    left = scorecard(scoring_round=scoring_round, unit=first)
    right = scorecard(scoring_round=scoring_round, unit=second)
    rows = []
    for a, b in zip(left, right, strict=True):
        pa, pb = _sum_points(a, left), _sum_points(b, right)
        diff = None if pa is None or pb is None else round(pa - pb, 2)
        rows.append({"line": a, "a": pa, "b": pb, "diff": diff})
    context = {"round": scoring_round, "first": first, "second": second, "rows": rows}
    return render(request, "reform/compare.html", context)


def _sum_points(line: Any, lines: list) -> float | None:
    """A leaf's points, or the sum of the leaves below an inner node (None if none)."""
    if line.points is not None:
        return line.points
    below = [
        other.points
        for other in lines
        if other.points is not None and _descends(other.criterion, line.criterion, lines)
    ]
    return round(sum(below), 4) if below else None


def _descends(node: Any, ancestor: Any, lines: list) -> bool:
    parent = {line.criterion.pk: line.criterion.parent_id for line in lines}
    current = parent.get(node.pk)
    while current is not None:
        if current == ancestor.pk:
            return True
        current = parent.get(current)
    return False


@login_required
@xframe_options_sameorigin
@csp_exempt()  # the headers below are this response's own (the page policy would block the
# in-page preview: frame-ancestors 'none', and browsers refuse sandboxed PDFs)
def evidence_file(request: HttpRequest, pk: int) -> FileResponse:
    item = evidence_visible(user=request.user).filter(pk=pk).first()
    if item is None:
        raise Http404
    response = FileResponse(
        item.file.open("rb"),
        content_type=item.content_type,
        as_attachment=item.content_type not in PREVIEWABLE,
        filename=item.name,
    )
    response["X-Content-Type-Options"] = "nosniff"
    # An uploaded document is shown, never run: no scripts, no same-origin access. Not
    # for PDFs: browsers refuse to render a PDF in a sandboxed document, and their PDF
    # viewers run in an origin of their own anyway.
    if item.content_type != "application/pdf":
        response["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src 'self'"
    return response
