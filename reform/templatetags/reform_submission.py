"""The submit-step panel shown on the scorecard, self-assessment and appraisal pages."""

from typing import Any

from django import template
from django.utils import timezone

from org.permissions import Capability, may
from reform.submissions import (
    STATUS_LABELS,
    Submission,
    submission_get,
    submission_missing,
    submission_status,
)

register = template.Library()


@register.inclusion_tag("reform/_submission.html", takes_context=True)
def submission_panel(context: dict[str, Any], scoring_round: Any, unit: Any) -> dict[str, Any]:
    user = context["request"].user
    row = submission_get(scoring_round=scoring_round, unit=unit)
    status = submission_status(scoring_round=scoring_round, submission=row)
    open_round = scoring_round.locked_at is None
    before_deadline = timezone.now() <= scoring_round.self_score_deadline
    officer = may(user, Capability.SELF_SCORE, unit)
    appraiser = may(user, Capability.APPRAISE, unit)
    draft = row.status == Submission.Status.DRAFT
    may_submit = open_round and before_deadline and officer and draft
    return {
        "round": scoring_round,
        "unit": unit,
        "row": row,
        "status": status,
        "label": STATUS_LABELS[status],
        "before_deadline": before_deadline,
        "may_submit": may_submit,
        "missing": submission_missing(scoring_round=scoring_round, unit=unit) if may_submit else [],
        "may_return": open_round and appraiser and not draft,
        "may_close": open_round
        and appraiser
        and (row.status == Submission.Status.SUBMITTED or (draft and not before_deadline)),
        "csrf_token": context.get("csrf_token"),
    }
