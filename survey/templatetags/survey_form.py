from typing import Any

from django import template

register = template.Library()


def _text(value: Any) -> Any:
    return value if isinstance(value, list) else ("" if value is None else str(value))


@register.simple_tag
def answer_of(answers: dict[str, Any], code: str) -> Any:
    """The answer already given to a question (draft, or the form back with errors)."""
    return _text(answers.get(code, ""))


@register.simple_tag
def row_answer_of(answers: dict[str, Any], code: str, row: str) -> str:
    """The answer already given to one row of a matrix question."""
    value = answers.get(code)
    return _text(value.get(row, "")) if isinstance(value, dict) else ""


@register.filter
def get_errors(errors: dict[str, list[str]], code: str) -> str:
    return " ".join(errors.get(code, []))


@register.filter
def as_str(value: Any) -> str:
    return "" if value is None else str(value)
