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
from collections.abc import Iterator
from typing import Any

Definition = dict[str, Any]
Question = dict[str, Any]

NOT_APPLICABLE = "na"
DONT_KNOW = "dk"
SPECIAL_ANSWERS = frozenset({NOT_APPLICABLE, DONT_KNOW})


def canonical_json(definition: Definition) -> str:
    """Key-sorted compact JSON: the same definition always gives the same text."""
    return json.dumps(definition, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def content_hash(definition: Definition) -> str:
    return hashlib.sha256(canonical_json(definition).encode("utf-8")).hexdigest()


def iter_questions(definition: Definition) -> Iterator[Question]:
    for section in definition.get("sections", []):
        yield from section.get("questions", [])


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
