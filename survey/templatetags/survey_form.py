from typing import Any

from django import template

register = template.Library()


@register.simple_tag
def answer_of(answers: dict[str, Any], code: str) -> Any:
    """The answer already given to a question (when the form comes back with errors)."""
    value = answers.get(code, "")
    return value if isinstance(value, list) else ("" if value is None else str(value))


@register.filter
def get_errors(errors: dict[str, list[str]], code: str) -> str:
    return " ".join(errors.get(code, []))
