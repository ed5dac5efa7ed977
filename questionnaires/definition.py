"""The questionnaire definition: a JSON document (see library/*.json).

Shape (abridged)::

    {"code": "sipas", "kind": "sipas", "languages": ["vi", "en"],
     "title": {"vi": "...", "en": "..."},
     "sections": [{"code": "access", "title": {...}, "relevant": "<expr>",
                   "questions": [{"code": "a1", "type": "rating", "label": {...},
                                  "required": true, "relevant": "<expr>",
                                  "scale": {"min": 1, "max": 5, "labels": {...},
                                            "not_applicable": true},
                                  "choices": [{"value": "x", "label": {...}}],
                                  "scoring": {"component": "sipas.access",
                                              "satisfied": [4, 5], "reverse": false}}]}]}

Special answers to a rating question ("na" not applicable, "dk" don't know) are kept but
excluded from scores.
"""

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterator
from typing import Any

Definition = dict[str, Any]
Question = dict[str, Any]

NOT_APPLICABLE = "na"
DONT_KNOW = "dk"
SPECIAL_ANSWERS = frozenset({NOT_APPLICABLE, DONT_KNOW})
SCHEMA_VERSION = 1

QUESTION_TYPES = (
    "single_choice",
    "multiple_choice",
    "rating",
    "matrix",
    "yes_no",
    "number",
    "date",
    "text",
    "long_text",
    "nps",
)
CHOICE_TYPES = frozenset({"single_choice", "multiple_choice"})
SCALE_TYPES = frozenset({"rating", "matrix", "nps"})
TEXT_TYPES = frozenset({"text", "long_text"})
# Types whose answers can count as "satisfied" for an index component.
SCORABLE_TYPES = frozenset(
    {"rating", "matrix", "nps", "single_choice", "yes_no", "multiple_choice"}
)
YES_NO_VALUES = ("yes", "no")


def canonical_json(definition: Definition) -> str:
    """Key-sorted compact JSON: the same definition always gives the same text."""
    return json.dumps(definition, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def content_hash(definition: Definition) -> str:
    return hashlib.sha256(canonical_json(definition).encode("utf-8")).hexdigest()


def iter_questions(definition: Definition) -> Iterator[Question]:
    for section in definition.get("sections", []):
        yield from section.get("questions", [])


def default_language(definition: Definition) -> str:
    languages = definition.get("languages") or ["vi"]
    return str(languages[0])


def scale_points(question: Question) -> list[int]:
    """The points of a rating, matrix or 0–10 recommendation scale."""
    if question.get("type") == "nps":
        return list(range(0, 11))
    scale = question.get("scale") or {}
    return list(range(int(scale.get("min", 1)), int(scale.get("max", 5)) + 1))


def answer_values(question: Question) -> list[Any]:
    """The answers a closed question accepts (without "na" / "dk")."""
    kind = question.get("type")
    if kind in SCALE_TYPES:
        return list(scale_points(question))
    if kind == "yes_no":
        return list(YES_NO_VALUES)
    if kind in CHOICE_TYPES:
        return [choice.get("value") for choice in question.get("choices", [])]
    return []


SATISFACTION_LABELS = {
    "1": {"vi": "Rất không hài lòng", "en": "Very dissatisfied"},
    "2": {"vi": "Không hài lòng", "en": "Dissatisfied"},
    "3": {"vi": "Bình thường", "en": "Neutral"},
    "4": {"vi": "Hài lòng", "en": "Satisfied"},
    "5": {"vi": "Rất hài lòng", "en": "Very satisfied"},
}


def default_scale() -> dict[str, Any]:
    """The SIPAS 5-point satisfaction scale with "not applicable"."""
    return {
        "min": 1,
        "max": 5,
        "labels": {k: dict(v) for k, v in SATISFACTION_LABELS.items()},
        "not_applicable": True,
        "dont_know": False,
    }


def scored_items(definition: Definition) -> list[Question]:
    """Questions (and matrix rows) that feed an index component."""
    items: list[Question] = []
    for question in iter_questions(definition):
        if question.get("type") == "matrix":
            for row in question.get("items", []):
                if row.get("scoring", question.get("scoring")):
                    items.append(
                        {
                            **question,
                            **row,
                            "type": "rating",
                            "answer_path": f"{question['code']}.{row['code']}",
                        }
                    )
        elif question.get("scoring"):
            items.append(question)
    return items


def label(text: dict[str, str] | str | None, language: str = "vi") -> str:
    """The label in ``language``, falling back to Vietnamese, then to any language."""
    if text is None:
        return ""
    if isinstance(text, str):
        return text
    return text.get(language) or text.get("vi") or next(iter(text.values()), "")


# NUL (PostgreSQL refuses it in text and jsonb) and lone surrogates (not encodable as
# UTF-8) can arrive from any client (answers, definitions, imported files); they carry
# no meaning, so they are dropped rather than letting them fail a save (above all the
# save of a citizen's answer).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def text_normalise(text: str) -> str:
    """Storable text: NUL and lone surrogates removed, Unicode in NFC (one form for
    Vietnamese whether the keyboard sent precomposed or combining diacritics)."""
    return unicodedata.normalize("NFC", _UNSTORABLE.sub("", text))


def value_normalise(value: Any) -> Any:
    """``text_normalise`` applied to every string (and dict key) inside ``value``."""
    if isinstance(value, str):
        return text_normalise(value)
    if isinstance(value, list):
        return [value_normalise(v) for v in value]
    if isinstance(value, dict):
        return {text_normalise(str(k)): value_normalise(v) for k, v in value.items()}
    return value
