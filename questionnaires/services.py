"""Writes for questionnaires: create from a definition, publish a frozen version."""

import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from questionnaires.definition import Definition, content_hash, iter_questions
from questionnaires.models import Questionnaire, QuestionnaireVersion

LIBRARY = Path(__file__).resolve().parent / "library"

QUESTION_TYPES = frozenset(
    {
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
    }
)


def definition_errors(definition: Definition) -> list[str]:
    """Structural problems of a definition, each naming the question at fault."""
    errors: list[str] = []
    if not definition.get("code"):
        errors.append("definition: missing 'code'")
    if not definition.get("sections"):
        errors.append("definition: no sections")
    seen: set[str] = set()
    for question in iter_questions(definition):
        code = question.get("code")
        if not code:
            errors.append("question without a code")
            continue
        if code in seen:
            errors.append(f"{code}: duplicate question code")
        seen.add(code)
        if question.get("type") not in QUESTION_TYPES:
            errors.append(f"{code}: unknown question type {question.get('type')!r}")
        if question.get("type") in {"single_choice", "multiple_choice"} and not question.get(
            "choices"
        ):
            errors.append(f"{code}: empty choice list")
    return errors


def library_definition(name: str) -> Definition:
    path = LIBRARY / f"{name}.json"
    if not path.is_file():
        available = ", ".join(sorted(p.stem for p in LIBRARY.glob("*.json")))
        raise ValidationError(f"No template {name!r} (available: {available})")
    return json.loads(path.read_text(encoding="utf-8"))


@transaction.atomic
def questionnaire_save_draft(*, definition: Definition) -> Questionnaire:
    """Create the questionnaire named by ``definition['code']`` or replace its draft."""
    errors = definition_errors(definition)
    if errors:
        raise ValidationError(errors)
    title = definition.get("title", {})
    questionnaire, _created = Questionnaire.objects.get_or_create(
        code=definition["code"],
        defaults={"title": title.get("vi", definition["code"])},
    )
    questionnaire.title = title.get("vi", questionnaire.title)
    questionnaire.title_en = title.get("en", "")
    questionnaire.kind = definition.get("kind", Questionnaire.Kind.OTHER)
    questionnaire.draft = definition
    questionnaire.full_clean()
    questionnaire.save()
    return questionnaire


@transaction.atomic
def questionnaire_publish(*, questionnaire: Questionnaire) -> QuestionnaireVersion:
    """Freeze the draft as a new version; publishing an unchanged draft returns the latest."""
    questionnaire = Questionnaire.objects.select_for_update().get(pk=questionnaire.pk)
    errors = definition_errors(questionnaire.draft)
    if errors:
        raise ValidationError(errors)
    digest = content_hash(questionnaire.draft)
    latest = questionnaire.versions.order_by("-number").first()
    if latest is not None and latest.content_hash == digest:
        return latest
    version = QuestionnaireVersion(
        questionnaire=questionnaire,
        number=(latest.number + 1) if latest else 1,
        definition=questionnaire.draft,
        content_hash=digest,
        published_at=timezone.now(),
    )
    version.full_clean()
    version.save()
    return version
