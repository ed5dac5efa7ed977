"""The builder: server-rendered pages for questionnaire designers.

Each page reads through selectors and writes through services; a refused edit shows
the validator's problems next to the form and changes nothing.
"""

from typing import Any

from csp.constants import SELF
from csp.decorators import csp_replace
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from org.access import capability_required
from org.permissions import Capability
from questionnaires import selectors, services, transfer
from questionnaires.definition import label
from questionnaires.forms import (
    DuplicateForm,
    ImportForm,
    NewQuestionnaireForm,
    QuestionForm,
    SectionForm,
    SettingsForm,
)
from questionnaires.models import Questionnaire, QuestionnaireVersion
from questionnaires.services import DefinitionInvalid
from questionnaires.validation import ERROR, definition_problems, type_label

# The builder shows the preview in an iframe of its own page; nobody else may frame it.
FRAMED_BY_BUILDER = {"frame-ancestors": [SELF]}

designer = capability_required(Capability.DESIGN)


def _problems(error: ValidationError) -> list[str]:
    if isinstance(error, DefinitionInvalid):
        return [str(p) for p in error.problems]
    return list(error.messages)


def _questionnaire(code: str) -> Questionnaire:
    return get_object_or_404(Questionnaire, code=code)


def _edit_url(questionnaire: Questionnaire, anchor: str = "") -> str:
    url = reverse("questionnaires:edit", args=[questionnaire.code])
    return f"{url}#{anchor}" if anchor else url


@designer
def questionnaire_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "questionnaires/list.html",
        {
            "questionnaires": selectors.questionnaire_list(),
            "new_form": NewQuestionnaireForm(),
            "import_form": ImportForm(),
            "templates": services.library_names(),
        },
    )


@designer
@require_POST
def questionnaire_new(request: HttpRequest) -> HttpResponse:
    form = NewQuestionnaireForm(request.POST)
    problems: list[str] = []
    if form.is_valid():
        definition = services.questionnaire_blank_definition(
            code=form.cleaned_data["code"],
            title_vi=form.cleaned_data["title_vi"],
            title_en=form.cleaned_data["title_en"],
            kind=form.cleaned_data["kind"],
        )
        try:
            questionnaire = services.questionnaire_create(definition=definition)
        except ValidationError as error:
            problems = _problems(error)
        else:
            messages.success(request, _("Questionnaire created."))
            return redirect(_edit_url(questionnaire))
    return render(
        request,
        "questionnaires/list.html",
        {
            "questionnaires": selectors.questionnaire_list(),
            "new_form": form,
            "import_form": ImportForm(),
            "templates": services.library_names(),
            "problems": problems,
        },
        status=400,
    )


@designer
@require_POST
def questionnaire_from_template(request: HttpRequest) -> HttpResponse:
    try:
        definition = services.library_definition(request.POST.get("name", ""))
        questionnaire = services.questionnaire_save_draft(definition=definition)
    except ValidationError as error:
        for problem in _problems(error):
            messages.error(request, problem)
        return redirect("questionnaires:list")
    messages.success(request, _("Template loaded as a draft."))
    return redirect(_edit_url(questionnaire))


@designer
@require_POST
def questionnaire_import(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return redirect("questionnaires:list")
    upload = form.cleaned_data["file"]
    result = transfer.import_bytes(upload.read(), upload.name)
    if result.ok:
        try:
            questionnaire, version = transfer.import_save(
                result, publish=form.cleaned_data["publish"]
            )
        except ValidationError as error:
            result.problems.extend([])
            messages.error(request, "; ".join(_problems(error)))
        else:
            messages.success(request, _("Imported %(code)s.") % {"code": questionnaire.code})
            if version:
                messages.success(request, _("Published version %(n)s.") % {"n": version.number})
            return render(
                request,
                "questionnaires/import_report.html",
                {"result": result, "questionnaire": questionnaire, "filename": upload.name},
            )
    return render(
        request,
        "questionnaires/import_report.html",
        {"result": result, "filename": upload.name},
        status=400,
    )


@designer
def questionnaire_edit(request: HttpRequest, code: str) -> HttpResponse:
    questionnaire = _questionnaire(code)
    definition = questionnaire.draft
    problems = definition_problems(definition)
    language = get_language() or "vi"
    sections = [
        {
            "code": s.get("code"),
            "title": label(s.get("title"), language),
            "relevant": s.get("relevant", ""),
            "questions": [
                {
                    "code": q.get("code"),
                    "type": q.get("type"),
                    "type_label": type_label(q.get("type")),
                    "label": label(q.get("label"), language),
                    "relevant": q.get("relevant", ""),
                    "required": q.get("required", False),
                    "component": (q.get("scoring") or {}).get("component", ""),
                }
                for q in s.get("questions", [])
            ],
        }
        for s in definition.get("sections", [])
    ]
    return render(
        request,
        "questionnaires/edit.html",
        {
            "questionnaire": questionnaire,
            "definition": definition,
            "sections": sections,
            "problems": problems,
            "errors": [p for p in problems if p.severity == ERROR],
            "validated": "validate" in request.GET,
            "status": selectors.questionnaire_status(questionnaire=questionnaire),
            "versions": selectors.questionnaire_versions(questionnaire=questionnaire),
            "duplicate_form": DuplicateForm(),
        },
    )


@designer
def questionnaire_settings(request: HttpRequest, code: str) -> HttpResponse:
    questionnaire = _questionnaire(code)
    problems: list[str] = []
    if request.method == "POST":
        form = SettingsForm(request.POST)
        if form.is_valid():
            try:
                services.questionnaire_update_settings(
                    questionnaire=questionnaire, changes=form.changes(questionnaire.draft)
                )
            except ValidationError as error:
                problems = _problems(error)
            else:
                messages.success(request, _("Saved."))
                return redirect(_edit_url(questionnaire))
    else:
        form = SettingsForm(initial=SettingsForm.initial_from(questionnaire.draft))
    return render(
        request,
        "questionnaires/settings.html",
        {
            "questionnaire": questionnaire,
            "form": form,
            "problems": problems,
        },
        status=400 if problems or form.errors else 200,
    )


def _section_of(definition: dict[str, Any], code: str) -> dict[str, Any]:
    for section in definition.get("sections", []):
        if section.get("code") == code:
            return section
    raise Http404


@designer
def section_edit(request: HttpRequest, code: str, section: str | None = None) -> HttpResponse:
    questionnaire = _questionnaire(code)
    original = _section_of(questionnaire.draft, section) if section else None
    problems: list[str] = []
    if request.method == "POST":
        form = SectionForm(request.POST)
        if form.is_valid():
            try:
                services.section_save(
                    questionnaire=questionnaire,
                    section=form.section(original),
                    original_code=section,
                )
            except ValidationError as error:
                problems = _problems(error)
            else:
                messages.success(request, _("Section saved."))
                return redirect(_edit_url(questionnaire, f"s-{form.cleaned_data['code']}"))
    else:
        initial = (
            SectionForm.initial_from(original)
            if original
            else {"code": f"s{len(questionnaire.draft.get('sections', [])) + 1}"}
        )
        form = SectionForm(initial=initial)
    return render(
        request,
        "questionnaires/section_form.html",
        {
            "questionnaire": questionnaire,
            "form": form,
            "section": section,
            "problems": problems,
        },
        status=400 if problems or form.errors else 200,
    )


def _question_of(definition: dict[str, Any], code: str) -> tuple[dict[str, Any], dict[str, Any]]:
    for section in definition.get("sections", []):
        for question in section.get("questions", []):
            if question.get("code") == code:
                return section, question
    raise Http404


def _next_code(definition: dict[str, Any]) -> str:
    codes = {q.get("code") for s in definition.get("sections", []) for q in s.get("questions", [])}
    number = len(codes) + 1
    while f"q{number}" in codes:
        number += 1
    return f"q{number}"


@designer
def question_edit(
    request: HttpRequest, code: str, question: str | None = None, section: str | None = None
) -> HttpResponse:
    questionnaire = _questionnaire(code)
    definition = questionnaire.draft
    components = definition.get("components", [])
    original = None
    if question:
        parent, original = _question_of(definition, question)
        section = parent.get("code")
    else:
        _section_of(definition, section or "")
    problems: list[str] = []
    if request.method == "POST":
        form = QuestionForm(request.POST, components=components)
        if form.is_valid():
            try:
                services.question_save(
                    questionnaire=questionnaire,
                    question=form.question(original),
                    section_code=section,
                    original_code=question,
                )
            except ValidationError as error:
                problems = _problems(error)
            else:
                messages.success(request, _("Question saved."))
                return redirect(_edit_url(questionnaire, f"q-{form.cleaned_data['code']}"))
    else:
        initial = (
            QuestionForm.initial_from(original)
            if original
            else {
                **QuestionForm.initial_for_new(request.GET.get("type", "rating")),
                "code": _next_code(definition),
            }
        )
        form = QuestionForm(initial=initial, components=components)
    return render(
        request,
        "questionnaires/question_form.html",
        {
            "questionnaire": questionnaire,
            "form": form,
            "question": question,
            "section": section,
            "problems": problems,
            "earlier": _earlier_codes(definition, question, section),
        },
        status=400 if problems or form.errors else 200,
    )


def _earlier_codes(
    definition: dict[str, Any], question: str | None, section: str | None
) -> list[str]:
    """Codes a condition of this question may read (for the designer's reference)."""
    codes: list[str] = []
    for item in definition.get("sections", []):
        for other in item.get("questions", []):
            if other.get("code") == question:
                return codes
            codes.append(other.get("code"))
        if question is None and item.get("code") == section:
            return codes
    return codes


def _run(
    request: HttpRequest,
    questionnaire: Questionnaire,
    action: Any,
    done: str,
    anchor: str = "",
    **kwargs: Any,
) -> HttpResponse:
    try:
        action(questionnaire=questionnaire, **kwargs)
    except ValidationError as error:
        for problem in _problems(error):
            messages.error(request, problem)
    else:
        messages.success(request, done)
    if request.headers.get("X-Requested-With") == "fetch":
        return HttpResponse(status=204)
    return redirect(_edit_url(questionnaire, anchor))


@designer
@require_POST
def section_delete(request: HttpRequest, code: str, section: str) -> HttpResponse:
    return _run(
        request, _questionnaire(code), services.section_delete, _("Section deleted."), code=section
    )


@designer
@require_POST
def section_move(request: HttpRequest, code: str, section: str) -> HttpResponse:
    questionnaire = _questionnaire(code)
    codes = [s.get("code") for s in questionnaire.draft.get("sections", [])]
    if section not in codes:
        raise Http404
    position = _position(request, codes.index(section))
    return _run(
        request,
        questionnaire,
        services.section_move,
        _("Section moved."),
        f"s-{section}",
        code=section,
        position=position,
    )


def _position(request: HttpRequest, current: int) -> int:
    if request.POST.get("direction") == "up":
        return max(0, current - 1)
    if request.POST.get("direction") == "down":
        return current + 1
    try:
        return max(0, int(request.POST.get("position", current)))
    except ValueError:
        return current


@designer
@require_POST
def question_delete(request: HttpRequest, code: str, question: str) -> HttpResponse:
    return _run(
        request,
        _questionnaire(code),
        services.question_delete,
        _("Question deleted."),
        code=question,
    )


@designer
@require_POST
def question_move(request: HttpRequest, code: str, question: str) -> HttpResponse:
    questionnaire = _questionnaire(code)
    parent, _found = _question_of(questionnaire.draft, question)
    codes = [q.get("code") for q in parent.get("questions", [])]
    target = request.POST.get("section") or parent.get("code")
    position = _position(request, codes.index(question))
    return _run(
        request,
        questionnaire,
        services.question_move,
        _("Question moved."),
        f"q-{question}",
        code=question,
        section_code=target,
        position=position,
    )


@designer
@require_POST
def questionnaire_publish(request: HttpRequest, code: str) -> HttpResponse:
    questionnaire = _questionnaire(code)
    try:
        version = services.questionnaire_publish(questionnaire=questionnaire, actor=request.user)
    except ValidationError as error:
        for problem in _problems(error):
            messages.error(request, problem)
    else:
        messages.success(request, _("Published version %(n)s.") % {"n": version.number})
    return redirect(_edit_url(questionnaire))


@designer
@require_POST
def questionnaire_duplicate(request: HttpRequest, code: str) -> HttpResponse:
    questionnaire = _questionnaire(code)
    form = DuplicateForm(request.POST)
    if form.is_valid():
        try:
            copy = services.questionnaire_duplicate(
                questionnaire=questionnaire, code=form.cleaned_data["code"]
            )
        except ValidationError as error:
            for problem in _problems(error):
                messages.error(request, problem)
        else:
            messages.success(request, _("Copy created."))
            return redirect(_edit_url(copy))
    else:
        messages.error(request, _("Enter a code for the copy (letters, digits, - and _)."))
    return redirect(_edit_url(questionnaire))


@designer
@require_POST
def questionnaire_delete(request: HttpRequest, code: str) -> HttpResponse:
    questionnaire = _questionnaire(code)
    try:
        services.questionnaire_delete(questionnaire=questionnaire)
    except ValidationError as error:
        for problem in _problems(error):
            messages.error(request, problem)
        return redirect(_edit_url(questionnaire))
    messages.success(request, _("Questionnaire deleted."))
    return redirect("questionnaires:list")


@designer
@require_POST
def version_restore(request: HttpRequest, code: str, number: int) -> HttpResponse:
    version = get_object_or_404(QuestionnaireVersion, questionnaire__code=code, number=number)
    services.questionnaire_draft_from_version(version=version)
    messages.success(request, _("The draft now starts from version %(n)s.") % {"n": number})
    return redirect(_edit_url(version.questionnaire))


@designer
@require_POST
def version_delete(request: HttpRequest, code: str, number: int) -> HttpResponse:
    version = get_object_or_404(QuestionnaireVersion, questionnaire__code=code, number=number)
    return _run(
        request,
        version.questionnaire,
        lambda questionnaire: services.version_delete(version=version, actor=request.user),
        _("Version deleted."),
    )


def _download(definition: dict[str, Any], kind: str, name: str) -> HttpResponse:
    if kind not in {"json", "xlsx"}:
        raise Http404
    if kind == "xlsx":
        content, _notes = transfer.export_xlsform(definition)
        response = HttpResponse(
            content,
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        response = HttpResponse(
            transfer.export_json(definition), content_type="application/json; charset=utf-8"
        )
    response["Content-Disposition"] = f'attachment; filename="{name}.{kind}"'
    return response


@designer
def questionnaire_export(request: HttpRequest, code: str, kind: str) -> HttpResponse:
    questionnaire = _questionnaire(code)
    return _download(questionnaire.draft, kind, f"{questionnaire.code}-draft")


@designer
def version_export(request: HttpRequest, code: str, number: int, kind: str) -> HttpResponse:
    version = get_object_or_404(QuestionnaireVersion, questionnaire__code=code, number=number)
    return _download(version.definition, kind, f"{code}-v{number}")


def _preview_sections(definition: dict[str, Any], language: str) -> list[dict[str, Any]]:
    from questionnaires.definition import scale_points

    sections = []
    for section in definition.get("sections", []):
        questions = []
        for question in section.get("questions", []):
            labels = (question.get("scale") or {}).get("labels") or {}
            questions.append(
                {
                    **question,
                    "text": label(question.get("label"), language),
                    "help_text": label(question.get("help"), language),
                    "points": [
                        {"value": p, "label": label(labels.get(str(p)), language)}
                        for p in scale_points(question)
                    ]
                    if question.get("type") in {"rating", "nps", "matrix"}
                    else [],
                    "options": [
                        {"value": c["value"], "label": label(c.get("label"), language)}
                        for c in question.get("choices", [])
                    ],
                    "rows": [
                        {"code": i["code"], "label": label(i.get("label"), language)}
                        for i in question.get("items", [])
                    ],
                }
            )
        sections.append(
            {
                **section,
                "text": label(section.get("title"), language),
                "description_text": label(section.get("description"), language),
                "questions": questions,
            }
        )
    return sections


def _preview(request: HttpRequest, definition: dict[str, Any], caption: str) -> HttpResponse:
    language = get_language() or "vi"
    return render(
        request,
        "questionnaires/preview.html",
        {
            "title": label(definition.get("title"), language),
            "description": label(definition.get("description"), language),
            "sections": _preview_sections(definition, language),
            "caption": caption,
        },
    )


@xframe_options_sameorigin
@csp_replace(FRAMED_BY_BUILDER)
@designer
def questionnaire_preview(request: HttpRequest, code: str) -> HttpResponse:
    questionnaire = _questionnaire(code)
    return _preview(request, questionnaire.draft, _("Draft preview"))


@xframe_options_sameorigin
@csp_replace(FRAMED_BY_BUILDER)
@designer
def version_preview(request: HttpRequest, code: str, number: int) -> HttpResponse:
    version = get_object_or_404(QuestionnaireVersion, questionnaire__code=code, number=number)
    return _preview(request, version.definition, _("Version %(n)s") % {"n": number})
