"""Writes for questionnaires: drafts, frozen versions, builder edits, copies, deletion.

Every write validates the whole resulting definition first and saves nothing when it
has an error: a draft is always a valid questionnaire, ready to preview and publish.
Published versions are never changed; editing a published questionnaire edits its
draft, which becomes the next version when published.
"""

import copy
import json
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from org.services import Action, audit_record
from questionnaires.definition import (
    SCHEMA_VERSION,
    Definition,
    Question,
    content_hash,
    value_normalise,
)
from questionnaires.models import Questionnaire, QuestionnaireVersion
from questionnaires.validation import ERROR, Problem, definition_errors, definition_problems

LIBRARY = Path(__file__).resolve().parent / "library"

__all__ = ["definition_errors"]  # the validator's, re-exported for callers of services


class DefinitionInvalid(ValidationError):
    """A definition with errors; ``problems`` keeps where and what for each one."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = [p for p in problems if p.severity == ERROR]
        super().__init__([str(p) for p in self.problems])


def definition_check(definition: Definition) -> list[Problem]:
    """Raise DefinitionInvalid on errors; return the warnings."""
    problems = definition_problems(definition)
    if any(p.severity == ERROR for p in problems):
        raise DefinitionInvalid(problems)
    return problems


def library_names() -> list[str]:
    return sorted(p.stem for p in LIBRARY.glob("*.json"))


def library_definition(name: str) -> Definition:
    path = LIBRARY / f"{name}.json"
    if name not in library_names():
        raise ValidationError(
            _("No template %(name)r (available: %(available)s)")
            % {"name": name, "available": ", ".join(library_names())}
        )
    return json.loads(path.read_text(encoding="utf-8"))


def _apply_meta(questionnaire: Questionnaire, definition: Definition) -> None:
    title = definition.get("title") or {}
    languages = definition.get("languages") or ["vi"]
    questionnaire.title = (title.get("vi") or title.get(languages[0]) or definition["code"])[:300]
    questionnaire.title_en = (title.get("en") or "")[:300]
    questionnaire.kind = definition.get("kind", Questionnaire.Kind.OTHER)
    questionnaire.draft = definition


@transaction.atomic
def questionnaire_save_draft(
    *, definition: Definition, questionnaire: Questionnaire | None = None
) -> Questionnaire:
    """Create the questionnaire named by ``definition['code']`` or replace its draft.

    With ``questionnaire`` the draft of that questionnaire is replaced and the code in
    the definition must be its code (a copy under another code is a duplicate).
    """
    # A copy with NUL and lone surrogates dropped (PostgreSQL cannot store them) and NFC text.
    definition = value_normalise(copy.deepcopy(definition))
    definition_check(definition)
    if questionnaire is not None:
        if definition["code"] != questionnaire.code:
            raise DefinitionInvalid(
                [
                    Problem(
                        "definition",
                        _(
                            "the code cannot change from %(old)s to %(new)s; duplicate the "
                            "questionnaire instead"
                        )
                        % {"old": questionnaire.code, "new": definition["code"]},
                    )
                ]
            )
        questionnaire = Questionnaire.objects.select_for_update().get(pk=questionnaire.pk)
    else:
        questionnaire = Questionnaire.objects.select_for_update().filter(
            code=definition["code"]
        ).first() or Questionnaire(code=definition["code"])
    _apply_meta(questionnaire, definition)
    questionnaire.full_clean()
    questionnaire.save()
    return questionnaire


@transaction.atomic
def questionnaire_create(*, definition: Definition) -> Questionnaire:
    """A new questionnaire; refused when the code is taken."""
    code = definition.get("code") if isinstance(definition, dict) else None
    if code and Questionnaire.objects.filter(code=code).exists():
        raise DefinitionInvalid(
            [Problem(str(code), _("a questionnaire with this code already exists"))]
        )
    return questionnaire_save_draft(definition=definition)


def questionnaire_blank_definition(
    *, code: str, title_vi: str, title_en: str = "", kind: str = "other"
) -> Definition:
    return {
        "code": code,
        "kind": kind,
        "schema_version": SCHEMA_VERSION,
        "languages": ["vi", "en"],
        "title": {"vi": title_vi, "en": title_en},
        "components": [],
        "sections": [
            {
                "code": "s1",
                "title": {"vi": "Phần 1", "en": "Part 1"},
                "questions": [
                    {
                        "code": "q1",
                        "type": "yes_no",
                        "required": True,
                        "label": {"vi": "Câu hỏi đầu tiên", "en": "First question"},
                    }
                ],
            }
        ],
    }


@transaction.atomic
def questionnaire_publish(
    *, questionnaire: Questionnaire, actor: Any = None
) -> QuestionnaireVersion:
    """Freeze the draft as a new version; publishing an unchanged draft returns the latest
    (and records nothing). ``actor``: who publishes, for the audit log."""
    questionnaire = Questionnaire.objects.select_for_update().get(pk=questionnaire.pk)
    definition_check(questionnaire.draft)
    digest = content_hash(questionnaire.draft)
    latest = questionnaire.versions.order_by("-number").first()
    if latest is not None and latest.content_hash == digest:
        return latest
    version = QuestionnaireVersion(
        questionnaire=questionnaire,
        number=(latest.number + 1) if latest else 1,
        definition=copy.deepcopy(questionnaire.draft),
        content_hash=digest,
        published_at=timezone.now(),
    )
    version.full_clean()
    version.save()
    audit_record(
        actor=actor,
        action=Action.QUESTIONNAIRE_PUBLISH,
        obj=version,
        before={"version": latest.number, "content_hash": latest.content_hash} if latest else None,
        after={"version": version.number, "content_hash": digest},
    )
    return version


@transaction.atomic
def questionnaire_duplicate(
    *, questionnaire: Questionnaire, code: str, title_vi: str = "", title_en: str = ""
) -> Questionnaire:
    """A new questionnaire whose draft is a copy of this one's draft (no versions)."""
    definition = copy.deepcopy(questionnaire.draft)
    definition["code"] = code
    title = definition.setdefault("title", {})
    if title_vi:
        title["vi"] = title_vi
    if title_en:
        title["en"] = title_en
    return questionnaire_create(definition=definition)


@transaction.atomic
def questionnaire_draft_from_version(*, version: QuestionnaireVersion) -> Questionnaire:
    """Start the draft again from a published version (e.g. to undo unpublished edits)."""
    questionnaire = Questionnaire.objects.select_for_update().get(pk=version.questionnaire_id)
    _apply_meta(questionnaire, copy.deepcopy(version.definition))
    questionnaire.save()
    return questionnaire


def _protected(error: ProtectedError) -> ValidationError:
    return ValidationError(
        _("It is still used by %(n)s record(s) (answers, invitations, rounds).")
        % {"n": len(error.protected_objects)}
    )


@transaction.atomic
def version_delete(*, version: QuestionnaireVersion, actor: Any = None) -> None:
    """Delete a version that nobody answered; a version with answers is kept forever."""
    if version.responses.exists():  # type: ignore[attr-defined]
        raise ValidationError(
            _("Version %(n)s has answers and can never be deleted.") % {"n": version.number}
        )
    state = {"version": version.number, "content_hash": version.content_hash}
    label = str(version)
    pk = version.pk
    try:
        with transaction.atomic():
            version.delete()
    except ProtectedError as error:
        raise _protected(error) from None
    # Withdrawing a published version is the builder's "unpublish".
    version.pk = pk
    audit_record(
        actor=actor,
        action=Action.QUESTIONNAIRE_UNPUBLISH,
        obj=version,
        before=state,
        after=None,
        object_label=label,
    )


@transaction.atomic
def questionnaire_delete(*, questionnaire: Questionnaire) -> None:
    """Delete a questionnaire and its versions, unless any version has answers."""
    answered = [v.number for v in questionnaire.versions.all() if v.responses.exists()]  # type: ignore[attr-defined]
    if answered:
        raise ValidationError(
            _("Versions %(numbers)s have answers: the questionnaire can never be deleted.")
            % {"numbers": ", ".join(str(n) for n in sorted(answered))}
        )
    try:
        with transaction.atomic():
            questionnaire.versions.all().delete()
            questionnaire.delete()
    except ProtectedError as error:
        raise _protected(error) from None


# --- builder edits: each one changes a copy of the draft and saves it only when valid ---


def _edit(questionnaire: Questionnaire, change: Any) -> Questionnaire:
    questionnaire = Questionnaire.objects.select_for_update().get(pk=questionnaire.pk)
    definition = copy.deepcopy(questionnaire.draft)
    change(definition)
    return questionnaire_save_draft(definition=definition, questionnaire=questionnaire)


def _find_section(definition: Definition, code: str) -> dict[str, Any]:
    for section in definition.get("sections", []):
        if section.get("code") == code:
            return section
    raise DefinitionInvalid([Problem(code, _("there is no section %(code)s") % {"code": code})])


def _find_question(definition: Definition, code: str) -> tuple[dict[str, Any], int]:
    for section in definition.get("sections", []):
        for index, question in enumerate(section.get("questions", [])):
            if question.get("code") == code:
                return section, index
    raise DefinitionInvalid([Problem(code, _("there is no question %(code)s") % {"code": code})])


def _clamp(position: int | None, length: int) -> int:
    return length if position is None else max(0, min(position, length))


@transaction.atomic
def questionnaire_update_settings(
    *, questionnaire: Questionnaire, changes: dict[str, Any]
) -> Questionnaire:
    """Change top-level keys (title, description, languages, components, calculations)."""
    allowed = {"title", "description", "languages", "components", "calculations", "kind"}

    def change(definition: Definition) -> None:
        for key, value in changes.items():
            if key not in allowed:
                raise DefinitionInvalid(
                    [Problem("definition", _("%(key)s cannot be changed here") % {"key": key})]
                )
            if value in (None, "", [], {}) and key in {"description", "calculations"}:
                definition.pop(key, None)
            else:
                definition[key] = value

    return _edit(questionnaire, change)


@transaction.atomic
def section_save(
    *,
    questionnaire: Questionnaire,
    section: dict[str, Any],
    original_code: str | None = None,
    position: int | None = None,
) -> Questionnaire:
    """Add a section (``original_code`` None) or replace one, keeping its questions."""

    def change(definition: Definition) -> None:
        sections = definition.setdefault("sections", [])
        data = {k: v for k, v in section.items() if v not in (None, "", {})}
        if original_code is None:
            data.setdefault("questions", [])
            sections.insert(_clamp(position, len(sections)), data)
            return
        current = _find_section(definition, original_code)
        data["questions"] = current.get("questions", [])
        sections[sections.index(current)] = data

    return _edit(questionnaire, change)


@transaction.atomic
def section_delete(*, questionnaire: Questionnaire, code: str) -> Questionnaire:
    def change(definition: Definition) -> None:
        definition["sections"].remove(_find_section(definition, code))

    return _edit(questionnaire, change)


@transaction.atomic
def section_move(*, questionnaire: Questionnaire, code: str, position: int) -> Questionnaire:
    def change(definition: Definition) -> None:
        sections = definition["sections"]
        section = _find_section(definition, code)
        sections.remove(section)
        sections.insert(_clamp(position, len(sections)), section)

    return _edit(questionnaire, change)


@transaction.atomic
def question_save(
    *,
    questionnaire: Questionnaire,
    question: Question,
    section_code: str | None = None,
    original_code: str | None = None,
    position: int | None = None,
) -> Questionnaire:
    """Add a question to a section, or replace the question ``original_code`` in place."""

    def change(definition: Definition) -> None:
        data = {k: v for k, v in question.items() if v not in (None, "", {}, [])}
        if original_code is None:
            if section_code is None:
                raise DefinitionInvalid(
                    [Problem(data.get("code", "?"), _("choose a section for the question"))]
                )
            questions = _find_section(definition, section_code).setdefault("questions", [])
            questions.insert(_clamp(position, len(questions)), data)
            return
        section, index = _find_question(definition, original_code)
        section["questions"][index] = data

    return _edit(questionnaire, change)


@transaction.atomic
def question_delete(*, questionnaire: Questionnaire, code: str) -> Questionnaire:
    def change(definition: Definition) -> None:
        section, index = _find_question(definition, code)
        del section["questions"][index]

    return _edit(questionnaire, change)


@transaction.atomic
def question_move(
    *, questionnaire: Questionnaire, code: str, section_code: str, position: int
) -> Questionnaire:
    """Move a question to ``position`` in a section (refused if it breaks the logic)."""

    def change(definition: Definition) -> None:
        section, index = _find_question(definition, code)
        question = section["questions"].pop(index)
        target = _find_section(definition, section_code).setdefault("questions", [])
        target.insert(_clamp(position, len(target)), question)

    return _edit(questionnaire, change)
