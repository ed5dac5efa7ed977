"""Checking a respondent's answers against a questionnaire definition.

The server is authoritative: skip logic is evaluated again here, answers to questions
that are not shown are dropped, and every problem is reported per question code.
"""

import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import regex
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from questionnaires.calculations import calculation_order, constraint_errors
from questionnaires.definition import (
    SPECIAL_ANSWERS,
    Definition,
    Question,
    iter_questions,
    text_normalise,
    value_normalise,
)
from questionnaires.logic import evaluate_node, is_shown

logger = logging.getLogger(__name__)

__all__ = [
    "CompiledDefinition",
    "answers_clean",
    "definition_compile",
    "definition_compiled",
    "text_normalise",
    "value_normalise",
]

Answers = dict[str, Any]
FieldErrors = dict[str, list[str]]

# How many unknown question codes an error message names.
UNKNOWN_CODES_SHOWN = 20


def _blank(value: Any) -> bool:
    return value is None or value == "" or value == []


def _choice_values(question: Question) -> frozenset[str]:
    if question["type"] == "yes_no":
        return frozenset({"yes", "no"})
    return frozenset(str(choice["value"]) for choice in question.get("choices", []))


def _scale_bounds(question: Question) -> tuple[int, int]:
    if question["type"] == "nps":
        return 0, 10
    scale = question.get("scale", {})
    return int(scale.get("min", 1)), int(scale.get("max", 5))


def _allowed_special(question: Question) -> set[str]:
    scale = question.get("scale", {})
    allowed = set()
    if scale.get("not_applicable"):
        allowed.add("na")
    if scale.get("dont_know"):
        allowed.add("dk")
    return allowed & SPECIAL_ANSWERS


# A designer's pattern runs on citizens' text: the `regex` engine with a time limit, so a
# pattern that backtracks catastrophically cannot stall a worker.
PATTERN_TIMEOUT_SECONDS = 0.1


def _pattern_matches(pattern: str, text: str) -> bool:
    try:
        return regex.fullmatch(pattern, text, timeout=PATTERN_TIMEOUT_SECONDS) is not None
    except TimeoutError:
        return False


def _clean_one(question: Question, value: Any, choices: frozenset[str] | None = None) -> Any:
    """Return the normalised answer or raise ValueError with a message for the respondent.

    ``choices``: the question's option values when compiled beforehand."""
    kind = question["type"]
    if choices is None and kind in {"single_choice", "yes_no", "multiple_choice"}:
        choices = _choice_values(question)
    validation = question.get("validation", {})
    if kind in {"rating", "nps"}:
        if isinstance(value, str) and value in _allowed_special(question):
            return value
        low, high = _scale_bounds(question)
        try:
            number = int(str(value))
        except ValueError:
            raise ValueError(_("Choose a point on the scale.")) from None
        if not low <= number <= high:
            raise ValueError(
                _("Choose a value from %(low)s to %(high)s.") % {"low": low, "high": high}
            )
        return number
    if kind in {"single_choice", "yes_no"}:
        if str(value) not in choices:  # type: ignore[operator]
            raise ValueError(_("Choose one of the options."))
        return str(value)
    if kind == "multiple_choice":
        values = value if isinstance(value, list) else [value]
        values = [str(v) for v in values]
        if not set(values) <= choices:  # type: ignore[operator]
            raise ValueError(_("Choose among the options."))
        if len(set(values)) != len(values):
            raise ValueError(_("An option was chosen twice."))
        low, high = validation.get("min_selections"), validation.get("max_selections")
        if low is not None and len(values) < low:
            raise ValueError(_("Choose at least %(n)s options.") % {"n": low})
        if high is not None and len(values) > high:
            raise ValueError(_("Choose at most %(n)s options.") % {"n": high})
        return values
    if kind == "number":
        try:
            number = float(str(value).replace(",", "."))
        except ValueError:
            raise ValueError(_("Enter a number.")) from None
        if validation.get("integer") and not number.is_integer():
            raise ValueError(_("Enter a whole number."))
        if "min" in validation and number < validation["min"]:
            raise ValueError(_("Enter a number of at least %(n)s.") % {"n": validation["min"]})
        if "max" in validation and number > validation["max"]:
            raise ValueError(_("Enter a number of at most %(n)s.") % {"n": validation["max"]})
        return int(number) if number.is_integer() else number
    if kind == "date":
        try:
            return dt.date.fromisoformat(str(value)).isoformat()
        except ValueError:
            raise ValueError(_("Enter a date as YYYY-MM-DD.")) from None
    if kind in {"text", "long_text"}:
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise ValueError(_("Enter text."))
        text = text_normalise(str(value)).strip()
        limit = validation.get("max_length", 500 if kind == "text" else 5000)
        if len(text) > limit:
            raise ValueError(_("Keep it under %(n)s characters.") % {"n": limit})
        pattern = validation.get("pattern")
        if pattern and not _pattern_matches(pattern, text):
            raise ValueError(_("The answer does not have the expected format."))
        return text
    if kind == "matrix":
        if not isinstance(value, dict):
            raise ValueError(_("Answer every row."))
        row_question = {**question, "type": "rating"}
        return {
            row["code"]: _clean_one(row_question, value[row["code"]])
            for row in question.get("items", [])
            if not _blank(value.get(row["code"]))
        }
    raise ValueError(_("This question type is not supported."))


@dataclass(frozen=True)
class CompiledDefinition:
    """What checking and storing an answer needs from a definition, worked out once.

    A published version never changes (its content hash says so), so a process compiles
    each definition once and every submission reuses it: the sections in order with
    their questions, each question's option values, the free-text codes to scrub, the
    calculated values in dependency order (formulas parsed).
    """

    content_hash: str
    definition: Definition
    sections: tuple[tuple[str | None, tuple[tuple[Question, frozenset[str] | None], ...]], ...]
    known: frozenset[str]
    text_codes: frozenset[str]
    has_constraints: bool
    calculations: tuple[tuple[str, Any], ...]

    def calculated(self, answers: Answers) -> dict[str, Any]:
        """The calculated values for cleaned ``answers`` (questionnaires.calculations)."""
        values: dict[str, Any] = {}
        scope: dict[str, Any] = dict(answers)
        for code, tree in self.calculations:
            scope.pop(code, None)
            value = evaluate_node(tree, scope)
            values[code] = value
            scope[code] = value
        return values


def definition_compile(definition: Definition, content_hash: str = "") -> CompiledDefinition:
    sections = []
    for section in definition.get("sections", []):
        questions = []
        for question in section.get("questions", []):
            kind = question.get("type")
            choices = (
                _choice_values(question)
                if kind in {"single_choice", "yes_no", "multiple_choice"}
                else None
            )
            questions.append((question, choices))
        sections.append((section.get("relevant"), tuple(questions)))
    questions_all = list(iter_questions(definition))
    try:
        calculations = tuple(calculation_order(definition.get("calculations") or []))
    except Exception:  # a broken formula must not lose the citizen's answer
        logger.exception("calculated values cannot be ordered")
        calculations = ()
    return CompiledDefinition(
        content_hash=content_hash,
        definition=definition,
        sections=tuple(sections),
        known=frozenset(q["code"] for q in questions_all),
        text_codes=frozenset(
            q["code"] for q in questions_all if q.get("type") in {"text", "long_text"}
        ),
        has_constraints=any(q.get("constraint") for q in questions_all),
        calculations=calculations,
    )


# content hash → compiled definition, per process. Published versions are immutable and
# few (a handful per questionnaire and year), so the map stays small; the bound is a
# guard against a process that sees many drafts (previews).
_COMPILED: dict[str, CompiledDefinition] = {}
_COMPILED_MAX = 256
_COMPILED_LOCK = threading.Lock()


def definition_compiled(content_hash: str, load: Callable[[], Definition]) -> CompiledDefinition:
    """The compiled definition with this content hash; ``load`` reads it on a miss only."""
    found = _COMPILED.get(content_hash)
    if found is not None:
        return found
    compiled = definition_compile(load(), content_hash)
    with _COMPILED_LOCK:
        if len(_COMPILED) >= _COMPILED_MAX:
            _COMPILED.clear()
        _COMPILED[content_hash] = compiled
    return compiled


def answers_clean(
    definition: Definition | CompiledDefinition, raw: Answers
) -> tuple[Answers, FieldErrors]:
    """Validate ``raw`` answers; return the cleaned answers and errors by question code.

    Conditions are evaluated in questionnaire order on the answers cleaned so far, so a
    condition only ever reads earlier questions (the definition validator enforces it).
    """
    plan = (
        definition if isinstance(definition, CompiledDefinition) else definition_compile(definition)
    )
    cleaned: Answers = {}
    errors: FieldErrors = {}
    raw = value_normalise(raw)
    for relevant, questions in plan.sections:
        section_shown = is_shown(relevant, cleaned)
        for question, choices in questions:
            code = question["code"]
            if not section_shown or not is_shown(question.get("relevant"), cleaned):
                continue
            value = raw.get(code)
            if _blank(value):
                if question.get("required"):
                    errors[code] = [_("This question needs an answer.")]
                continue
            try:
                cleaned[code] = _clean_one(question, value, choices)
            except ValueError as error:
                errors[code] = [str(error)]
    if plan.has_constraints:
        failed = constraint_errors(plan.definition, cleaned, get_language() or "vi")
        for code, message in failed.items():
            if code not in errors:
                errors[code] = [message or _("This answer does not fit your other answers.")]
    unknown = sorted(set(raw) - plan.known)
    if unknown:
        # A bounded message: a body with 20,000 made-up keys must not get them all back.
        shown = ", ".join(code[:64] for code in unknown[:UNKNOWN_CODES_SHOWN])
        if len(unknown) > UNKNOWN_CODES_SHOWN:
            shown += " " + _("(and %(count)s more)") % {"count": len(unknown) - UNKNOWN_CODES_SHOWN}
        errors["non_field_errors"] = [_("Unknown question codes: %(codes)s") % {"codes": shown}]
    return cleaned, errors
