"""The public form: one-time link → one section per page → stored answers → thank-you.

Works without JavaScript: each page is a plain form posted to the server, which checks
the answers, applies the skip logic (sections whose conditions are false are skipped,
answers to hidden questions dropped) and keeps a draft so the respondent can resume on
the same link. A POST without ``_section`` sends every answer at once (one-page mode,
also used by scripts and tests).
"""

import logging
from typing import Any

from csp.constants import SELF
from csp.decorators import csp_replace
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_http_methods

from org.access import capability_required
from org.models import AdministrativeUnit
from org.permissions import Capability, units_in_scope
from questionnaires.definition import Definition, Question, label
from questionnaires.logic import is_shown
from questionnaires.models import QuestionnaireVersion
from survey.answers import answers_clean
from survey.imports import (
    ImportFileInvalid,
    import_batch_run,
    import_template,
    report_csv,
    template_filename,
)
from survey.models import Campaign, ImportBatch, Invitation, ResponseDraft
from survey.privacy import client_hash, request_retry_after
from survey.qr import qr_png, qr_svg
from survey.selectors import import_batches_visible, invitation_by_token
from survey.services import (
    AnswersInvalid,
    SurveyClosed,
    draft_save,
    invitation_check_open,
    invitation_mark_opened,
    invitation_url,
    open_invitation_create,
    open_units,
    response_submit,
)

logger = logging.getLogger(__name__)

HONEYPOT = "website_url"
_CLOSED_STATUS = {"used": 409, "expired": 410, "quota": 409, "duplicate": 409, "limited": 429}
# A 1×1 transparent GIF: the "opened" beacon of invitation emails.
PIXEL = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)

# The kiosk page frames the form and the thank-you page (same origin only).
FRAMED_BY_KIOSK = {"frame-ancestors": [SELF]}


def _closed(request: HttpRequest, reason: str) -> HttpResponse:
    return render(
        request, "survey/closed.html", {"reason": reason}, status=_CLOSED_STATUS.get(reason, 404)
    )


def answers_from_post(questions: list[Question], post: QueryDict) -> dict[str, Any]:
    """Form fields are named by question code; multiple choice sends a list, a matrix
    one field per row (``code.row``)."""
    answers: dict[str, Any] = {}
    for question in questions:
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
            rows = {k: v for k, v in rows.items() if v != ""}
            if rows:
                answers[code] = rows
        elif post.get(code, "") != "":
            answers[code] = post.get(code)
    return answers


def _points(question: Question, language: str) -> list[dict[str, Any]]:
    if question["type"] not in {"rating", "nps", "matrix"}:
        return []
    scale = question.get("scale", {})
    low, high = (0, 10) if question["type"] == "nps" else (scale.get("min", 1), scale.get("max", 5))
    return [
        {"value": v, "label": label(scale.get("labels", {}).get(str(v)), language)}
        for v in range(int(low), int(high) + 1)
    ]


def form_section(section: dict[str, Any], language: str) -> dict[str, Any]:
    """A section with labels resolved to one language, ready for the template."""
    questions = []
    for question in section.get("questions", []):
        questions.append(
            {
                **question,
                "text": label(question.get("label"), language),
                "help_text": label(question.get("help"), language),
                "options": [
                    {"value": str(c["value"]), "label": label(c.get("label"), language)}
                    for c in question.get("choices", [])
                ],
                "points": _points(question, language),
                "rows": [
                    {"code": r["code"], "text": label(r.get("label"), language)}
                    for r in question.get("items", [])
                ],
            }
        )
    return {
        **section,
        "text": label(section.get("title"), language),
        "description_text": label(section.get("description"), language),
        "questions": questions,
    }


def form_sections(definition: Definition, language: str) -> list[dict[str, Any]]:
    return [form_section(s, language) for s in definition.get("sections", [])]


def _shown_sections(definition: Definition, answers: dict[str, Any]) -> list[dict[str, Any]]:
    cleaned, _errors = answers_clean(definition, answers)
    return [s for s in definition.get("sections", []) if is_shown(s.get("relevant"), cleaned)]


def _codes(section: dict[str, Any]) -> set[str]:
    return {q["code"] for q in section.get("questions", [])}


def _page(
    request: HttpRequest,
    invitation: Invitation,
    *,
    section: dict[str, Any] | None,
    answers: dict[str, Any],
    errors: dict[str, list[str]],
    status: int = 200,
) -> HttpResponse:
    """Render one section (or every section when ``section`` is None)."""
    definition = invitation.version.definition
    language = get_language() or "vi"
    shown = _shown_sections(definition, answers)
    codes = [s["code"] for s in shown]
    if section is not None and section["code"] not in codes:
        codes.append(section["code"])
    page_sections = [section] if section is not None else definition.get("sections", [])
    on_page = set().union(*(_codes(s) for s in page_sections)) if page_sections else set()
    cleaned, _errors = answers_clean(definition, answers)
    index = codes.index(section["code"]) if section is not None else 0
    context = {
        "invitation": invitation,
        "unit": invitation.unit,
        "title": label(definition.get("title"), language),
        "description": label(definition.get("description"), language) if index == 0 else "",
        "sections": [form_section(s, language) for s in page_sections],
        "paged": section is not None,
        "section_code": section["code"] if section is not None else "",
        "step": index + 1,
        "steps": len(codes),
        "percent": round(100 * index / max(len(codes), 1)),
        "first": index == 0,
        "last": section is None or index == len(codes) - 1,
        "answers": answers,
        # Answers on other pages, for the browser's skip logic on this page.
        "prior": {k: v for k, v in cleaned.items() if k not in on_page},
        "errors": errors,
        "honeypot": HONEYPOT,
    }
    return render(request, "survey/form.html", context, status=status)


def _submit(request: HttpRequest, token: str, answers: dict[str, Any]) -> HttpResponse | None:
    """Send the answers; a redirect or closed page, or None with AnswersInvalid raised."""
    try:
        response_submit(token=token, answers=answers, client_hash=client_hash(request))
    except SurveyClosed as closed:
        return _closed(request, closed.reason)
    return redirect("survey:thanks", token=token)


@never_cache
@xframe_options_sameorigin  # a counter kiosk shows the form in a frame of its page
@csp_replace(FRAMED_BY_KIOSK)
@require_http_methods(["GET", "POST"])
def survey_form(request: HttpRequest, token: str) -> HttpResponse:
    invitation = invitation_by_token(token)
    if invitation is None:
        return _closed(request, "unknown")
    try:
        invitation_check_open(invitation)
    except SurveyClosed as closed:
        return _closed(request, closed.reason)
    invitation_mark_opened(invitation)
    definition = invitation.version.definition
    sections = definition.get("sections", [])
    by_code = {s["code"]: s for s in sections}
    draft = ResponseDraft.objects.filter(invitation=invitation).first()
    saved: dict[str, Any] = dict(draft.answers) if draft else {}

    if request.method == "GET":
        if request.GET.get("all"):
            return _page(request, invitation, section=None, answers=saved, errors={})
        shown = _shown_sections(definition, saved)
        wanted = request.GET.get("p") or (draft.section if draft else "")
        section = next((s for s in shown if s["code"] == wanted), shown[0] if shown else None)
        return _page(request, invitation, section=section, answers=saved, errors={})

    if request.POST.get(HONEYPOT):
        # A bot filled the invisible field: say thanks, store nothing.
        logger.info("survey honeypot triggered on invitation %s", invitation.pk)
        return redirect("survey:thanks", token=token)
    wait = request_retry_after(request, "submit", token=token)
    if wait:
        reply = _closed(request, "limited")
        reply["Retry-After"] = str(wait)
        return reply

    section_code = request.POST.get("_section")
    if section_code is None or section_code not in by_code:
        answers = answers_from_post(
            [q for s in sections for q in s.get("questions", [])], request.POST
        )
        try:
            return _submit(request, token, answers)  # type: ignore[return-value]
        except AnswersInvalid as invalid:
            return _page(
                request,
                invitation,
                section=None,
                answers=answers,
                errors=invalid.errors,
                status=400,
            )

    section = by_code[section_code]
    here = _codes(section)
    answers = {k: v for k, v in saved.items() if k not in here}
    answers.update(answers_from_post(section.get("questions", []), request.POST))
    action = request.POST.get("_action", "next")
    shown = _shown_sections(definition, answers)
    codes = [s["code"] for s in shown]
    position = codes.index(section_code) if section_code in codes else -1

    if action == "back":
        previous = codes[position - 1] if position > 0 else section_code
        draft_save(invitation=invitation, answers=answers, section=previous)
        return redirect(f"{reverse('survey:form', args=[token])}?p={previous}")
    if action == "save":
        draft_save(invitation=invitation, answers=answers, section=section_code)
        return redirect("survey:saved", token=token)

    _cleaned, errors = answers_clean(definition, answers)
    here_errors = {c: e for c, e in errors.items() if c in here}
    if here_errors:
        draft_save(invitation=invitation, answers=answers, section=section_code)
        return _page(
            request, invitation, section=section, answers=answers, errors=here_errors, status=400
        )
    later = [s for s in shown[position + 1 :]] if position >= 0 else []
    if later:
        draft_save(invitation=invitation, answers=answers, section=later[0]["code"])
        return redirect(f"{reverse('survey:form', args=[token])}?p={later[0]['code']}")
    try:
        return _submit(request, token, answers)  # type: ignore[return-value]
    except AnswersInvalid as invalid:
        # An earlier page is no longer valid (e.g. changed in another tab): go back there.
        draft_save(invitation=invitation, answers=answers, section=section_code)
        first_bad = next((s for s in shown if _codes(s) & set(invalid.errors)), section)
        return _page(
            request,
            invitation,
            section=first_bad,
            answers=answers,
            errors={c: e for c, e in invalid.errors.items() if c in _codes(first_bad)},
            status=400,
        )


@xframe_options_sameorigin
@csp_replace(FRAMED_BY_KIOSK)
def survey_thanks(request: HttpRequest, token: str) -> HttpResponse:
    return render(request, "survey/thanks.html")


def survey_saved(request: HttpRequest, token: str) -> HttpResponse:
    invitation = invitation_by_token(token)
    if invitation is None:
        return _closed(request, "unknown")
    return render(
        request, "survey/saved.html", {"invitation": invitation, "url": invitation_url(invitation)}
    )


def survey_opened(request: HttpRequest, token: str) -> HttpResponse:
    """The email beacon: notes that an invitation was opened."""
    invitation = invitation_by_token(token)
    if invitation is not None:
        invitation_mark_opened(invitation)
    return HttpResponse(PIXEL, content_type="image/gif", headers={"Cache-Control": "no-store"})


def survey_qr(request: HttpRequest, token: str, extension: str) -> HttpResponse:
    invitation = invitation_by_token(token)
    if invitation is None or extension not in {"svg", "png"}:
        raise Http404
    url = invitation_url(invitation)
    if extension == "svg":
        return HttpResponse(qr_svg(url), content_type="image/svg+xml")
    return HttpResponse(qr_png(url), content_type="image/png")


def survey_receipt(request: HttpRequest, token: str) -> HttpResponse:
    """A printable slip for the counter: the QR code, the link, how long it stays open."""
    invitation = invitation_by_token(token)
    if invitation is None:
        return _closed(request, "unknown")
    url = invitation_url(invitation)
    return render(
        request,
        "survey/receipt.html",
        {"invitation": invitation, "url": url, "qr": qr_svg(url, scale=5).decode()},
    )


@require_http_methods(["GET", "POST"])
def open_link(request: HttpRequest, token: str) -> HttpResponse:
    """An open link (e.g. on a website or poster): pick the unit, get a personal link."""
    campaign = Campaign.objects.filter(open_token=token, mode=Campaign.Mode.OPEN).first()
    if campaign is None or not campaign.is_active:
        return _closed(request, "unknown" if campaign is None else "expired")
    units = [u for u in open_units(campaign) if u["remaining"] > 0]
    if not units:
        return _closed(request, "quota")
    error = ""
    if request.method == "POST":
        if request.POST.get(HONEYPOT):
            return redirect("home")
        wait = request_retry_after(request, "open")
        if wait:
            reply = _closed(request, "limited")
            reply["Retry-After"] = str(wait)
            return reply
        unit = AdministrativeUnit.objects.filter(
            pk__in=[u["unit"].pk for u in units], code=request.POST.get("unit", "")
        ).first()
        if unit is not None:
            try:
                invitation = open_invitation_create(campaign=campaign, unit=unit)
            except SurveyClosed as closed:
                return _closed(request, closed.reason)
            return redirect("survey:form", token=invitation.token)
        error = "unit"
    return render(
        request,
        "survey/open.html",
        {"campaign": campaign, "units": units, "error": error, "honeypot": HONEYPOT},
        status=400 if error else 200,
    )


# --- staff: bulk import ---------------------------------------------------------------------


@capability_required(Capability.RAW_ANSWERS)
@require_http_methods(["GET", "POST"])
def import_page(request: HttpRequest) -> HttpResponse:
    versions = QuestionnaireVersion.objects.select_related("questionnaire").order_by(
        "questionnaire__code", "-number"
    )
    batch, error = None, ""
    scope = units_in_scope(request.user, Capability.RAW_ANSWERS)
    if request.method == "POST":
        version = versions.filter(pk=request.POST.get("version") or 0).first()
        upload = request.FILES.get("file")
        mode = request.POST.get("mode", ImportBatch.Mode.ALL_OR_NOTHING)
        if version is None or upload is None or mode not in ImportBatch.Mode.values:
            error = "missing"
        else:
            try:
                batch = import_batch_run(
                    version=version,
                    file_name=upload.name,
                    content=upload.read(),
                    mode=mode,
                    commit=request.POST.get("_action") == "import",
                    user=request.user,
                    unit_ids=None if scope.everything else scope.unit_ids,
                )
            except ImportFileInvalid as invalid:
                error = str(invalid)
    return render(
        request,
        "survey/import.html",
        {
            "versions": versions,
            "batch": batch,
            "error": error,
            "recent": import_batches_visible(user=request.user).select_related(
                "version__questionnaire"
            )[:10],
        },
        status=400 if error else 200,
    )


@capability_required(Capability.RAW_ANSWERS)
def import_template_download(request: HttpRequest, version_id: int) -> HttpResponse:
    version = get_object_or_404(
        QuestionnaireVersion.objects.select_related("questionnaire"), pk=version_id
    )
    content = import_template(version, get_language() or "vi")
    reply = HttpResponse(
        content,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    reply["Content-Disposition"] = f'attachment; filename="{template_filename(version)}"'
    return reply


@capability_required(Capability.RAW_ANSWERS)
def import_report_download(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = get_object_or_404(import_batches_visible(user=request.user), pk=batch_id)
    reply = HttpResponse(report_csv(batch), content_type="text/csv; charset=utf-8")
    reply["Content-Disposition"] = f'attachment; filename="import-{batch.pk}-report.csv"'
    return reply
