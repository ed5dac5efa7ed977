"""Calculated values and answer constraints, evaluated on a respondent's answers.

The definition's ``calculations`` are expressions of the logic language (for example
``mean(a1, a2, a3, a4)``, a respondent's mean over an element). A formula may read
questions and other calculated values; the validator refuses cycles, and here they are
evaluated in dependency order. Skipped or unanswered questions read as null, and "na"
/ "dk" answers too, so they never enter a mean.
"""

from collections.abc import Mapping
from typing import Any

from questionnaires.definition import Definition, iter_questions, label
from questionnaires.logic import LogicError, evaluate_node, parse, references, truthy


def calculation_order(calculations: list[dict[str, Any]]) -> list[tuple[str, Any]]:
    """(code, parsed tree) in an order where each formula comes after what it reads."""
    trees = {c["code"]: parse(c["expression"]) for c in calculations}
    ordered: list[tuple[str, Any]] = []
    done: set[str] = set()
    visiting: set[str] = set()

    def visit(code: str) -> None:
        if code in done:
            return
        if code in visiting:
            raise LogicError(f"calculated values depend on each other in a cycle at {code}")
        visiting.add(code)
        for name in sorted(references(trees[code]) & trees.keys()):
            if name != code:
                visit(name)
        visiting.discard(code)
        done.add(code)
        ordered.append((code, trees[code]))

    for calculation in calculations:
        visit(calculation["code"])
    return ordered


def calculations_evaluate(definition: Definition, answers: Mapping[str, Any]) -> dict[str, Any]:
    """Every calculated value of ``definition`` for these answers, by code."""
    calculations = definition.get("calculations") or []
    values: dict[str, Any] = {}
    scope: dict[str, Any] = dict(answers)
    for code, tree in calculation_order(calculations):
        scope.pop(code, None)
        value = evaluate_node(tree, scope)
        values[code] = value
        scope[code] = value
    return values


def constraint_errors(
    definition: Definition, answers: Mapping[str, Any], language: str = "vi"
) -> dict[str, str]:
    """Questions whose ``constraint`` is false for the given (cleaned) answers.

    Only answered questions are checked; the message is the question's
    ``constraint_message`` in ``language`` (empty when it has none).
    """
    failed: dict[str, str] = {}
    for question in iter_questions(definition):
        code = question.get("code")
        condition = question.get("constraint")
        if not condition or answers.get(code) in (None, "", []):
            continue
        if not truthy(evaluate_node(parse(condition), answers)):
            failed[code] = label(question.get("constraint_message"), language)
    return failed
