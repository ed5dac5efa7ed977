"""Checking a questionnaire definition before anything is saved.

Two passes: the JSON Schema (schema/definition.schema.json, the documented import and
export format) checks the shape; then the rules a schema cannot express: unique codes,
conditions that read only earlier questions, no cycles between calculated values,
choice lists and scale labels, scoring that names a known component and valid answers.
Every problem names the question (or section, calculation, choice list) and says what is
wrong, in the designer's language.
"""

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from questionnaires.definition import (
    CHOICE_TYPES,
    QUESTION_TYPES,
    SCALE_TYPES,
    SCORABLE_TYPES,
    TEXT_TYPES,
    Definition,
    Question,
    answer_values,
    default_language,
    scale_points,
)
from questionnaires.logic import ARITY, LogicError, parse

# What designers see for a question type (the builder, problems): never the raw code.
TYPE_LABELS: dict[str, Promise] = {
    "single_choice": gettext_lazy("Single choice"),
    "multiple_choice": gettext_lazy("Multiple choice"),
    "rating": gettext_lazy("Rating scale"),
    "matrix": gettext_lazy("Matrix (several items on one scale)"),
    "yes_no": gettext_lazy("Yes / no"),
    "number": gettext_lazy("Number"),
    "date": gettext_lazy("Date"),
    "text": gettext_lazy("Short text"),
    "long_text": gettext_lazy("Long text"),
    "nps": gettext_lazy("Recommendation score 0–10"),
}
assert set(TYPE_LABELS) == set(QUESTION_TYPES)


def type_label(kind: Any) -> str:
    """The question type in the active language; an unknown type as it was written."""
    return str(TYPE_LABELS.get(kind, kind))


def _quoted_type(kind: Any) -> str:
    return f"“{type_label(kind)}”"


SCHEMA_PATH = Path(__file__).resolve().parent / "schema" / "definition.schema.json"
RESERVED = frozenset({"and", "or", "not", "in", "true", "false", "null"})
ERROR = "error"
WARNING = "warning"
# An XLSForm row left out of the import (questionnaires.xlsform.SKIPPED).
SKIPPED = "skipped"
SEVERITY_LABELS: dict[str, Promise] = {
    ERROR: gettext_lazy("error"),
    WARNING: gettext_lazy("warning"),
    SKIPPED: gettext_lazy("skipped"),
}


@dataclass(frozen=True)
class Problem:
    """One problem of a definition: where it is, what is wrong, how bad."""

    where: str
    message: str
    severity: str = ERROR
    row: int | None = None
    sheet: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def __str__(self) -> str:
        if self.row is not None:
            return _("%(sheet)s row %(row)s, %(where)s: %(message)s") % {
                "sheet": self.sheet,
                "row": self.row,
                "where": self.where,
                "message": self.message,
            }
        return f"{self.where}: {self.message}"

    @property
    def severity_label(self) -> str:
        return str(SEVERITY_LABELS.get(self.severity, self.severity))

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "where": self.where,
            "message": self.message,
            "severity": self.severity,
        }
        if self.row is not None:
            data["row"] = self.row
            data["sheet"] = self.sheet
        return data


@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _schema_validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(schema())


def _where_in(definition: Any, path: list[Any]) -> str:
    """The code of the innermost section / question / calculation on a JSON path."""
    where = "definition"
    node = definition
    for key in path:
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(node, dict) and isinstance(node.get("code"), str) and node["code"]:
            where = node["code"]
    return where


_JSON_TYPES = {
    "string": gettext_lazy("text"),
    "integer": gettext_lazy("a whole number"),
    "number": gettext_lazy("a number"),
    "object": gettext_lazy("an object"),
    "array": gettext_lazy("a list"),
    "boolean": gettext_lazy("true or false"),
    "null": gettext_lazy("null"),
}


def _json(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "…"


def _schema_message(error: jsonschema.ValidationError) -> str:
    """jsonschema's English message, said in the designer's language (the common cases;
    a rarer one keeps jsonschema's wording)."""
    kind, value, instance = error.validator, error.validator_value, error.instance
    if kind == "enum" and list(error.absolute_path)[-1:] == ["type"]:
        return _("unknown question type %(value)s: use one of %(types)s") % {
            "value": _json(instance),
            "types": ", ".join(f"{type_label(t)} ({t})" for t in QUESTION_TYPES),
        }
    if kind == "enum":
        return _("%(value)s is not one of %(allowed)s") % {
            "value": _json(instance),
            "allowed": ", ".join(_json(v) for v in value),
        }
    if kind == "required":
        missing = [name for name in value if isinstance(instance, dict) and name not in instance]
        return _("%(name)s is required") % {"name": ", ".join(missing) or "?"}
    if kind == "type":
        expected = value if isinstance(value, list) else [value]
        return _("%(value)s is not %(expected)s") % {
            "value": _json(instance),
            "expected": " / ".join(str(_JSON_TYPES.get(t, t)) for t in expected),
        }
    if kind == "additionalProperties":
        known, patterns = (
            error.schema.get("properties", {}),
            error.schema.get("patternProperties", {}),
        )
        names = [
            str(name)
            for name in (instance if isinstance(instance, dict) else {})
            if name not in known and not any(re.search(p, str(name)) for p in patterns)
        ]
        return _("unknown properties: %(names)s") % {"names": ", ".join(names)}
    if kind == "pattern":
        return _("%(value)s does not match the pattern %(pattern)s") % {
            "value": _json(instance),
            "pattern": value,
        }
    if kind in {"minimum", "exclusiveMinimum"}:
        return _("%(value)s is below the minimum %(limit)s") % {"value": instance, "limit": value}
    if kind in {"maximum", "exclusiveMaximum"}:
        return _("%(value)s is above the maximum %(limit)s") % {"value": instance, "limit": value}
    if kind == "minItems":
        return _("needs at least %(n)s item(s)") % {"n": value}
    if kind == "minLength":
        return (
            _("must not be empty")
            if value == 1
            else _("needs at least %(n)s characters") % {"n": value}
        )
    if kind == "maxLength":
        return _("at most %(n)s characters") % {"n": value}
    if kind == "uniqueItems":
        return _("has items repeated")
    if kind == "const":
        return _("must be %(value)s") % {"value": _json(value)}
    return str(error.message)


def _schema_problems(definition: Any) -> list[Problem]:
    problems = []
    errors = sorted(_schema_validator().iter_errors(definition), key=lambda e: list(e.path))
    for error in errors:
        path = list(error.absolute_path)
        pointer = "/".join(str(p) for p in path)
        problems.append(
            Problem(
                _where_in(definition, path),
                _("%(path)s: %(message)s")
                % {"path": pointer or "/", "message": _schema_message(error)},
            )
        )
    return problems


class _Checker:
    def __init__(self, definition: Definition) -> None:
        self.definition = definition
        self.problems: list[Problem] = []
        self.language = default_language(definition)
        self.languages = list(definition.get("languages") or ["vi"])

    def error(self, where: str, message: str) -> None:
        self.problems.append(Problem(where, message))

    def warn(self, where: str, message: str) -> None:
        self.problems.append(Problem(where, message, WARNING))

    # --- texts ----------------------------------------------------------------------

    def text(self, where: str, text: dict[str, str] | None, what: str, required: bool) -> None:
        text = text or {}
        if required and not str(text.get(self.language, "")).strip():
            self.error(
                where,
                _("%(what)s is missing in the default language (%(language)s)")
                % {"what": what, "language": self.language},
            )
            return
        if not text:
            return
        for language in self.languages[1:]:
            if not str(text.get(language, "")).strip():
                self.warn(
                    where,
                    _("%(what)s has no translation in %(language)s")
                    % {"what": what, "language": language},
                )
        for language in text:
            if language not in self.languages:
                self.warn(
                    where,
                    _("%(what)s has text in %(language)s, which is not a questionnaire language")
                    % {"what": what, "language": language},
                )

    # --- logic ----------------------------------------------------------------------

    def expression(
        self,
        where: str,
        text: str,
        what: str,
        allowed: dict[str, Question],
        later: set[str],
        known: dict[str, Question],
        itself: str | None = None,
    ) -> None:
        """Parse ``text`` and check that every name it reads is in ``allowed``."""
        try:
            node = parse(text)
        except LogicError as error:
            self.error(
                where,
                _("the %(what)s %(text)r cannot be read: %(error)s")
                % {"what": what, "text": text, "error": error},
            )
            return
        for name in sorted(_names(node)):
            code, _dot, row = name.partition(".")
            if code == itself and code not in allowed:
                self.error(
                    where,
                    _("the %(what)s refers to the question itself") % {"what": what},
                )
            elif code in later:
                self.error(
                    where,
                    _("the %(what)s refers to %(code)s, which comes later in the questionnaire")
                    % {"what": what, "code": code},
                )
            elif code not in allowed:
                self.error(
                    where,
                    _("the %(what)s refers to an unknown question %(code)s")
                    % {"what": what, "code": code},
                )
            elif row:
                target = allowed[code]
                rows = {item.get("code") for item in target.get("items", [])}
                if target.get("type") != "matrix" or row not in rows:
                    self.error(
                        where,
                        _("the %(what)s refers to %(name)s, but %(code)s has no row %(row)s")
                        % {"what": what, "name": name, "code": code, "row": row},
                    )
        del known

    # --- the whole definition -------------------------------------------------------

    def run(self) -> list[Problem]:
        definition = self.definition
        self.text("definition", definition.get("title"), _("The title"), required=True)
        components = [c.get("code") for c in definition.get("components", [])]
        for code in _duplicates(components):
            self.error(code, _("duplicate component code"))
        self.components = set(components)

        questions: list[tuple[dict[str, Any], Question]] = [
            (section, question)
            for section in definition.get("sections", [])
            for question in section.get("questions", [])
        ]
        if not questions:
            self.error("definition", _("the questionnaire has no questions"))
        section_codes = [s.get("code") for s in definition.get("sections", [])]
        for code in _duplicates(section_codes):
            self.error(code, _("duplicate section code"))
        question_codes = [q.get("code") for _s, q in questions]
        for code in _duplicates(question_codes):
            self.error(code, _("duplicate question code"))
        calculations = definition.get("calculations", [])
        calculation_codes = [c.get("code") for c in calculations]
        for code in _duplicates(calculation_codes):
            self.error(code, _("duplicate calculated value code"))
        for code in sorted(set(calculation_codes) & set(question_codes)):
            self.error(code, _("a calculated value has the same code as a question"))
        for code in [*question_codes, *calculation_codes, *section_codes]:
            if code in RESERVED:
                self.error(
                    code, _("%(code)r is a reserved word of the logic language") % {"code": code}
                )

        all_questions = {q.get("code"): q for _s, q in questions}
        earlier: dict[str, Question] = {}
        remaining = set(question_codes)
        for section in definition.get("sections", []):
            code = section.get("code", "")
            self.text(code, section.get("title"), _("The section title"), required=False)
            if not section.get("questions"):
                self.warn(code, _("the section has no questions"))
            if section.get("relevant"):
                self.expression(
                    code,
                    section["relevant"],
                    _("condition"),
                    earlier,
                    remaining,
                    all_questions,
                )
            for question in section.get("questions", []):
                qcode = question.get("code", "")
                remaining.discard(qcode)
                if question.get("relevant"):
                    self.expression(
                        qcode,
                        question["relevant"],
                        _("condition"),
                        earlier,
                        remaining | {qcode},
                        all_questions,
                        itself=qcode,
                    )
                if question.get("constraint"):
                    self.expression(
                        qcode,
                        question["constraint"],
                        _("constraint"),
                        {**earlier, qcode: question},
                        remaining,
                        all_questions,
                    )
                self.question(question)
                earlier[qcode] = question
        self.calculations(calculations, all_questions)
        return self.problems

    def calculations(self, calculations: list[dict[str, Any]], questions: dict[str, Any]) -> None:
        by_code = {c.get("code"): c for c in calculations}
        graph: dict[str, set[str]] = {}
        for calculation in calculations:
            code = calculation.get("code", "")
            allowed = {**questions, **{k: {"type": "calculation"} for k in by_code if k != code}}
            self.expression(
                code,
                calculation.get("expression", ""),
                _("formula"),
                allowed,
                set(),
                questions,
                itself=code,
            )
            try:
                graph[code] = {n.split(".")[0] for n in _names(parse(calculation["expression"]))}
                graph[code] &= set(by_code) - {code}
            except LogicError:
                graph[code] = set()
            if calculation.get("label"):
                self.text(code, calculation.get("label"), _("The label"), required=False)
        for cycle in _cycles(graph):
            self.error(
                cycle[0],
                _("calculated values depend on each other in a cycle: %(cycle)s")
                % {"cycle": " → ".join([*cycle, cycle[0]])},
            )

    def question(self, question: Question) -> None:
        code = question.get("code", "")
        kind = question.get("type")
        self.text(code, question.get("label"), _("The label"), required=True)
        if question.get("help"):
            self.text(code, question.get("help"), _("The help text"), required=False)
        if kind in CHOICE_TYPES:
            self.choices(code, question)
        elif kind == "yes_no" and question.get("choices"):
            # Labels of the two answers may be given; the values stay yes / no.
            values = {str(c.get("value")) for c in question["choices"]}
            if not values <= {"yes", "no"}:
                self.error(code, _("a yes/no question accepts only the values yes and no"))
        elif question.get("choices"):
            self.warn(
                code, _("choices are ignored by a %(type)s question") % {"type": _quoted_type(kind)}
            )
        if kind in {"rating", "matrix"}:
            self.scale(code, question, labels_required=True)
        elif kind == "nps":
            scale = question.get("scale") or {}
            if ("min" in scale and scale["min"] != 0) or ("max" in scale and scale["max"] != 10):
                self.error(code, _("a recommendation score is always 0 to 10"))
            self.scale(code, {**question, "scale": {**scale, "min": 0, "max": 10}}, False)
        elif question.get("scale"):
            self.warn(
                code,
                _("the scale is ignored by a %(type)s question") % {"type": _quoted_type(kind)},
            )
        if kind == "matrix":
            items = question.get("items") or []
            if not items:
                self.error(code, _("a matrix needs at least one row"))
            for item_code in _duplicates([i.get("code") for i in items]):
                self.error(code, _("duplicate matrix row %(row)s") % {"row": item_code})
            for item in items:
                where = f"{code}.{item.get('code')}"
                self.text(where, item.get("label"), _("The row label"), required=True)
                if item.get("scoring"):
                    self.scoring(where, question, item["scoring"])
        elif question.get("items"):
            self.warn(
                code, _("rows are ignored by a %(type)s question") % {"type": _quoted_type(kind)}
            )
        self.validation(code, question)
        if question.get("scoring"):
            self.scoring(code, question, question["scoring"])

    def choices(self, code: str, question: Question) -> None:
        choices = question.get("choices") or []
        if not choices:
            self.error(code, _("the choice list is empty"))
            return
        for value in _duplicates([str(c.get("value")) for c in choices]):
            self.error(code, _("the choice %(value)r appears twice") % {"value": value})
        for choice in choices:
            if str(choice.get("value")) in {"na", "dk"}:
                self.error(
                    code,
                    _("the choice value %(value)r is reserved for not applicable / don't know")
                    % {"value": choice.get("value")},
                )
            self.text(
                code,
                choice.get("label"),
                _("The label of choice %(value)s") % {"value": choice.get("value")},
                required=True,
            )

    def scale(self, code: str, question: Question, labels_required: bool) -> None:
        scale = question.get("scale")
        if scale is None:
            if labels_required:
                self.error(code, _("the scale is missing"))
            return
        low, high = scale.get("min", 1), scale.get("max", 5)
        if low >= high:
            self.error(
                code, _("the scale goes from %(low)s to %(high)s") % {"low": low, "high": high}
            )
            return
        labels = scale.get("labels") or {}
        points = [str(p) for p in range(low, high + 1)]
        if labels_required and not labels:
            self.error(code, _("the scale has no labels"))
        elif labels_required:
            missing = [p for p in points if p not in labels]
            if missing:
                self.error(
                    code,
                    _("the scale has no label for %(points)s") % {"points": ", ".join(missing)},
                )
        for key in labels:
            if key not in points:
                self.error(code, _("the scale label %(key)s is outside the scale") % {"key": key})
            else:
                self.text(
                    code,
                    labels[key],
                    _("The label of point %(key)s") % {"key": key},
                    required=labels_required,
                )

    def validation(self, code: str, question: Question) -> None:
        kind = question.get("type")
        rules = question.get("validation") or {}
        for_type = {
            "number": {"min", "max", "integer"},
            "text": {"pattern", "max_length"},
            "long_text": {"pattern", "max_length"},
            "multiple_choice": {"min_selections", "max_selections"},
            "date": {"min", "max"},
        }.get(str(kind), set())
        for key in sorted(set(rules) - for_type):
            if not key.startswith("x-"):
                self.warn(
                    code,
                    _("the rule %(rule)s does not apply to a %(type)s question")
                    % {"rule": key, "type": _quoted_type(kind)},
                )
        if kind == "number":
            low, high = rules.get("min"), rules.get("max")
            if low is not None and high is not None and low > high:
                self.error(
                    code,
                    _("the minimum %(low)s is above the maximum %(high)s")
                    % {"low": low, "high": high},
                )
        if kind in TEXT_TYPES and rules.get("pattern"):
            pattern = rules["pattern"]
            try:
                re.compile(pattern)
            except re.error as error:
                self.error(
                    code,
                    _("the pattern %(pattern)r is not a valid regular expression: %(error)s")
                    % {"pattern": pattern, "error": error},
                )
            else:
                if _nested_quantifier(pattern):
                    self.warn(
                        code,
                        _(
                            "the pattern %(pattern)r repeats a repetition, which can "
                            "take forever to check"
                        )
                        % {"pattern": pattern},
                    )
        if kind == "multiple_choice":
            low, high = rules.get("min_selections"), rules.get("max_selections")
            count = len(question.get("choices") or [])
            if low is not None and high is not None and low > high:
                self.error(
                    code,
                    _("at least %(low)s but at most %(high)s selections")
                    % {"low": low, "high": high},
                )
            if low is not None and count and low > count:
                self.error(
                    code,
                    _("at least %(low)s selections but only %(count)s choices")
                    % {"low": low, "count": count},
                )

    def scoring(self, where: str, question: Question, scoring: dict[str, Any]) -> None:
        kind = question.get("type")
        if kind not in SCORABLE_TYPES:
            self.error(
                where, _("a %(type)s question cannot feed an index") % {"type": _quoted_type(kind)}
            )
            return
        component = scoring.get("component")
        if self.components and component not in self.components:
            self.error(
                where,
                _("the scoring names an unknown component %(component)s")
                % {"component": component},
            )
        values = answer_values(question)
        if kind in SCALE_TYPES:
            values = scale_points(question)
        satisfied = scoring.get("satisfied")
        if satisfied is None:
            if kind not in SCALE_TYPES:
                self.error(where, _("the scoring does not say which answers count as satisfied"))
            return
        for value in satisfied:
            if not any(str(value) == str(v) for v in values):
                self.error(
                    where,
                    _("%(value)r counts as satisfied but is not an answer to the question")
                    % {"value": value},
                )
        if kind in SCALE_TYPES and set(satisfied) >= set(values):
            self.warn(where, _("every answer counts as satisfied"))


def _names(node: tuple[Any, ...]) -> set[str]:
    """Every variable an expression reads, with matrix rows (``m.r1``) kept."""
    found: set[str] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if current[0] == "var":
            found.add(current[1])
        elif current[0] != "lit":
            start = 2 if current[0] in {"cmp", "arith", "call"} else 1
            stack.extend(child for child in current[start:] if isinstance(child, tuple))
    return found


def _duplicates(values: list[Any]) -> list[Any]:
    seen: set[Any] = set()
    repeated: list[Any] = []
    for value in values:
        if value in seen and value not in repeated:
            repeated.append(value)
        seen.add(value)
    return repeated


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One list per cycle found by a depth-first walk (each cycle reported once)."""
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    reported: set[frozenset[str]] = set()

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                cycle = path[path.index(target) :]
                if frozenset(cycle) not in reported:
                    reported.add(frozenset(cycle))
                    cycles.append(cycle)
            elif state.get(target) is None:
                visit(target, path)
        path.pop()
        state[node] = 2

    for node in sorted(graph):
        if state.get(node) is None:
            visit(node, [])
    return cycles


_NESTED_QUANTIFIER = re.compile(r"\((?:[^()\\]|\\.)*[+*}]\)[+*{]")


def _nested_quantifier(pattern: str) -> bool:
    """A crude guard against catastrophic backtracking: ``(a+)+`` and the like."""
    return bool(_NESTED_QUANTIFIER.search(pattern))


def definition_problems(definition: Any) -> list[Problem]:
    """Every problem (errors and warnings) of a definition."""
    if not isinstance(definition, dict):
        return [Problem("definition", _("a definition must be a JSON object"))]
    problems = _schema_problems(definition)
    if problems:
        return problems
    return _Checker(definition).run()


def definition_errors(definition: Any) -> list[str]:
    """The errors of a definition as text, each naming the question at fault."""
    return [str(p) for p in definition_problems(definition) if p.severity == ERROR]


__all__ = ["ARITY", "ERROR", "WARNING", "Problem", "definition_errors", "definition_problems"]
