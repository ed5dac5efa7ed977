"""The flat layout of a questionnaire version: one column per question (one per row of a
matrix), after the columns that place a response. Shared by import templates, imports
and exports, so a file exported with codes can be imported back."""

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from questionnaires.definition import Definition, Question, iter_questions, label

META_COLUMNS = ["form_id", "unit", "sector", "channel", "submitted_at"]
LIST_SEPARATOR = ";"


@dataclass(frozen=True)
class Column:
    name: str  # "a1", or "m1.row2" for a matrix row
    question: Question
    row: str | None = None  # matrix row code

    def header_label(self, language: str) -> str:
        text = label(self.question.get("label"), language)
        if self.row:
            item = next(i for i in self.question.get("items", []) if i["code"] == self.row)
            text = f"{text} — {label(item.get('label'), language)}"
        return text


def answer_columns(definition: Definition) -> list[Column]:
    columns = []
    for question in iter_questions(definition):
        if question.get("type") == "matrix":
            columns += [
                Column(f"{question['code']}.{row['code']}", question, row["code"])
                for row in question.get("items", [])
            ]
        else:
            columns.append(Column(question["code"], question))
    return columns


def value_labels(question: Question, language: str) -> dict[str, str]:
    """Code → label of every value a question takes (choices, scale points, specials)."""
    kind = question.get("type")
    if kind == "yes_no":
        return {"yes": _("Yes"), "no": _("No")}
    if kind in {"single_choice", "multiple_choice"}:
        return {str(c["value"]): label(c.get("label"), language) for c in question["choices"]}
    if kind in {"rating", "nps", "matrix"}:
        scale = question.get("scale", {})
        low, high = (
            (0, 10) if kind == "nps" else (int(scale.get("min", 1)), int(scale.get("max", 5)))
        )
        labels = {
            str(v): label(scale.get("labels", {}).get(str(v)), language) or str(v)
            for v in range(low, high + 1)
        }
        if scale.get("not_applicable"):
            labels["na"] = _("Not applicable")
        if scale.get("dont_know"):
            labels["dk"] = _("Don't know")
        return labels
    return {}


def cell_value(column: Column, answers: dict[str, Any], labels: dict[str, str] | None) -> Any:
    """The exported cell of one answer: codes, or labels when ``labels`` is given."""
    value = answers.get(column.question["code"])
    if column.row is not None:
        value = value.get(column.row) if isinstance(value, dict) else None
    if value is None:
        return ""
    if isinstance(value, list):
        return LIST_SEPARATOR.join(str(labels.get(str(v), v)) if labels else str(v) for v in value)
    if labels:
        return labels.get(str(value), value)
    return value
