"""Problems found in a framework or in scores, as data: the Django layer translates them.

A Problem carries a message key and its parameters; ``str()`` gives the English text
(the command line and the tests), ``reform.messages`` the translated one.
"""

from dataclasses import dataclass, field
from typing import Any

TEMPLATES: dict[str, str] = {
    "duplicate_code": "{code}: the code appears more than once",
    "children_sum": "{code} ({name}): children add up to {actual:g}, not {expected:g}",
    "domains_sum": "domains add up to {actual:g}, not the framework's total {expected:g}",
    "weights_sum": "weights add up to {actual:g}, not {expected:g}",
    "missing_maximum": "{code} ({name}): no maximum points",
    "missing_weight": "{code} ({name}): no weight",
    "missing_rule": "{code} ({name}): a survey-based leaf needs a conversion rule",
    "unknown_rule": "{code} ({name}): unknown conversion rule {rule!r}",
    "bad_leaf": "{code} ({name}): a leaf is 'assessed' or 'survey', not {leaf!r}",
    "bad_kind": "unknown framework kind {kind!r}",
    "bad_field": "{field}: {detail}",
    "unknown_criterion": "line {line}: unknown criterion {code!r}",
    "not_a_leaf": "line {line}: {code} is not a leaf (score its sub-criteria)",
    "bad_value": "line {line}: {value!r} is not a number",
    "above_maximum": "line {line}: {unit} {code} = {value:g} is above its maximum {maximum:g}",
    "below_zero": "line {line}: {unit} {code} = {value:g} is below zero",
    "duplicate_score": "line {line}: {unit} {code} is scored twice",
    "missing_leaf": "{unit}: no value for {code}",
    "bad_header": "the header must be unit,criterion,value (found {found})",
    "empty": "no scores",
}


@dataclass(frozen=True)
class Problem:
    key: str
    params: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return TEMPLATES[self.key].format(**self.params)


class FrameworkInvalid(ValueError):
    """Raised with every problem found, not only the first."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems
