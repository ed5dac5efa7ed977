"""Problems of the scoring core (reform.scoring.problems), in the user's language."""

from django.utils.translation import gettext_lazy as _

from reform.scoring.problems import Problem

TEMPLATES = {
    "duplicate_code": _("{code}: the code appears more than once"),
    "children_sum": _("{code} ({name}): children add up to {actual:g}, not {expected:g}"),
    "domains_sum": _("domains add up to {actual:g}, not the framework's total {expected:g}"),
    "weights_sum": _("weights add up to {actual:g}, not {expected:g}"),
    "missing_maximum": _("{code} ({name}): no maximum points"),
    "missing_weight": _("{code} ({name}): no weight"),
    "missing_rule": _("{code} ({name}): a survey-based leaf needs a conversion rule"),
    "unknown_rule": _("{code} ({name}): unknown conversion rule {rule!r}"),
    "bad_leaf": _("{code} ({name}): a leaf is 'assessed' or 'survey', not {leaf!r}"),
    "bad_kind": _("unknown framework kind {kind!r}"),
    "bad_field": _("{field}: {detail}"),
    "unknown_criterion": _("line {line}: unknown criterion {code!r}"),
    "not_a_leaf": _("line {line}: {code} is not a leaf (score its sub-criteria)"),
    "bad_value": _("line {line}: {value!r} is not a number"),
    "above_maximum": _("line {line}: {unit} {code} = {value:g} is above its maximum {maximum:g}"),
    "below_zero": _("line {line}: {unit} {code} = {value:g} is below zero"),
    "duplicate_score": _("line {line}: {unit} {code} is scored twice"),
    "missing_leaf": _("{unit}: no value for {code}"),
    "bad_header": _("the header must be unit,criterion,value (found {found})"),
    "empty": _("no scores"),
}


def problem_text(problem: Problem) -> str:
    return str(TEMPLATES[problem.key]).format(**problem.params)
