"""The public survey form: one-time link → form → stored answers → thank-you page."""

from typing import Any

from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.views.decorators.http import require_http_methods

from questionnaires.definition import Definition, label
from survey.models import Invitation
from survey.services import AnswersInvalid, SurveyClosed, invitation_check_open, response_submit

_CLOSED_STATUS = {"used": 409, "expired": 410}


def _closed(request: HttpRequest, reason: str) -> HttpResponse:
    return render(
        request, "survey/closed.html", {"reason": reason}, status=_CLOSED_STATUS.get(reason, 404)
    )


def answers_from_post(definition: Definition, post: QueryDict) -> dict[str, Any]:
    """Form fields are named by question code; multiple choice sends a list."""
    answers: dict[str, Any] = {}
    for section in definition.get("sections", []):
        for question in section.get("questions", []):
            code = question["code"]
            if question["type"] == "multiple_choice":
                values = post.getlist(code)
                if values:
                    answers[code] = values
            elif question["type"] == "matrix":
                rows = {
                    row["code"]: post.get(f"{code}.{row['code']}", "")
                    for row in question.get("items", [])
                }
                if any(rows.values()):
                    answers[code] = rows
            elif post.get(code, "") != "":
                answers[code] = post.get(code)
    return answers


def form_sections(definition: Definition, language: str) -> list[dict[str, Any]]:
    """The definition with labels resolved to one language, ready for the template."""
    sections = []
    for section in definition.get("sections", []):
        questions = []
        for question in section.get("questions", []):
            scale = question.get("scale", {})
            low, high = (
                (0, 10) if question["type"] == "nps" else (scale.get("min", 1), scale.get("max", 5))
            )
            points = (
                [
                    {"value": v, "label": label(scale.get("labels", {}).get(str(v)), language)}
                    for v in range(int(low), int(high) + 1)
                ]
                if question["type"] in {"rating", "nps"}
                else []
            )
            questions.append(
                {
                    **question,
                    "text": label(question.get("label"), language),
                    "help_text": label(question.get("help"), language),
                    "options": [
                        {"value": c["value"], "label": label(c.get("label"), language)}
                        for c in question.get("choices", [])
                    ],
                    "points": points,
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


@require_http_methods(["GET", "POST"])
def survey_form(request: HttpRequest, token: str) -> HttpResponse:
    invitation = (
        Invitation.objects.select_related("version", "transaction__unit")
        .filter(token=token)
        .first()
    )
    if invitation is None:
        return _closed(request, "unknown")
    try:
        invitation_check_open(invitation)
    except SurveyClosed as closed:
        return _closed(request, closed.reason)
    definition = invitation.version.definition
    answers: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        answers = answers_from_post(definition, request.POST)
        try:
            response_submit(token=token, answers=answers)
        except SurveyClosed as closed:
            return _closed(request, closed.reason)
        except AnswersInvalid as invalid:
            errors = invalid.errors
            status = 400
        else:
            return redirect("survey:thanks", token=token)
    language = get_language() or "vi"
    context = {
        "invitation": invitation,
        "unit": invitation.transaction.unit,
        "title": label(definition.get("title"), language),
        "description": label(definition.get("description"), language),
        "sections": form_sections(definition, language),
        "answers": answers,
        "errors": errors,
    }
    return render(request, "survey/form.html", context, status=status)


def survey_thanks(request: HttpRequest, token: str) -> HttpResponse:
    return render(request, "survey/thanks.html")
