"""Pages of the submit step: submit (officers), return and close the appraisal
(appraisers), and the round's table of where each unit stands."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from reform.selectors import may_read_results, round_unit_visible, round_units, rounds_visible
from reform.submissions import (
    submission_appraised,
    submission_return,
    submission_submit,
    submissions_table,
)


def _round_unit(request: HttpRequest, code: str, unit_code: str | None = None):
    scoring_round = rounds_visible(user=request.user).filter(code=code).first()
    if scoring_round is None:
        raise Http404
    if unit_code is None:
        return scoring_round, None
    unit = round_unit_visible(user=request.user, scoring_round=scoring_round, unit_code=unit_code)
    if unit is None:
        raise Http404
    return scoring_round, unit


def _step(request: HttpRequest, done: str, call) -> bool:
    try:
        call()
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as invalid:
        for message in invalid.messages:
            messages.error(request, message)
        return False
    messages.success(request, done)
    return True


@login_required
@require_POST
def submit(request: HttpRequest, code: str, unit_code: str) -> HttpResponse:
    scoring_round, unit = _round_unit(request, code, unit_code)
    done = _step(
        request,
        _("Self-assessment submitted to the appraisers."),
        lambda: submission_submit(scoring_round=scoring_round, unit=unit, actor=request.user),
    )
    if done:
        return redirect("reform:scorecard", code=code, unit_code=unit_code)
    return redirect("reform:self-assessment", code=code, unit_code=unit_code)


@login_required
@require_POST
def send_back(request: HttpRequest, code: str, unit_code: str) -> HttpResponse:
    scoring_round, unit = _round_unit(request, code, unit_code)
    reason = request.POST.get("reason", "").strip()
    _step(
        request,
        _("Self-assessment returned to the unit."),
        lambda: submission_return(
            scoring_round=scoring_round, unit=unit, reason=reason, actor=request.user
        ),
    )
    return redirect("reform:appraisal", code=code, unit_code=unit_code)


@login_required
@require_POST
def appraised(request: HttpRequest, code: str, unit_code: str) -> HttpResponse:
    scoring_round, unit = _round_unit(request, code, unit_code)
    note = request.POST.get("note", "").strip()
    _step(
        request,
        _("Appraisal of the unit completed."),
        lambda: submission_appraised(
            scoring_round=scoring_round, unit=unit, note=note, actor=request.user
        ),
    )
    return redirect("reform:appraisal", code=code, unit_code=unit_code)


@login_required
def submissions(request: HttpRequest, code: str) -> HttpResponse:
    """Where each unit's self-assessment stands (result readers and appraisers)."""
    scoring_round, _unit = _round_unit(request, code)
    if not may_read_results(user=request.user, scoring_round=scoring_round):
        raise Http404
    lines = submissions_table(
        scoring_round=scoring_round, units=list(round_units(scoring_round=scoring_round))
    )
    return render(request, "reform/submissions.html", {"round": scoring_round, "lines": lines})
