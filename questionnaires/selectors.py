"""Reads for questionnaires."""

from django.db.models import Count, Max, QuerySet

from questionnaires.definition import content_hash
from questionnaires.models import Questionnaire, QuestionnaireVersion

UNPUBLISHED = "unpublished"
PUBLISHED = "published"
CHANGED = "changed"


def version_current(*, questionnaire_code: str) -> QuestionnaireVersion | None:
    """The newest published version of a questionnaire, or None if never published."""
    return (
        QuestionnaireVersion.objects.filter(questionnaire__code=questionnaire_code)
        .select_related("questionnaire")
        .order_by("-number")
        .first()
    )


def version_current_lean(*, questionnaire_code: str) -> QuestionnaireVersion | None:
    """version_current without the definition (nor the questionnaire's draft): for
    callers that only point at the version, such as registering transactions."""
    return (
        QuestionnaireVersion.objects.filter(questionnaire__code=questionnaire_code)
        .select_related("questionnaire")
        .defer("definition", "questionnaire__draft")
        .order_by("-number")
        .first()
    )


def version_get(*, questionnaire_code: str, number: int) -> QuestionnaireVersion:
    return QuestionnaireVersion.objects.select_related("questionnaire").get(
        questionnaire__code=questionnaire_code, number=number
    )


def questionnaire_list() -> QuerySet[Questionnaire]:
    """Questionnaires with their number of versions and latest version number."""
    return Questionnaire.objects.annotate(
        version_count=Count("versions"), latest_number=Max("versions__number")
    ).order_by("code")


def questionnaire_versions(*, questionnaire: Questionnaire) -> QuerySet[QuestionnaireVersion]:
    """Versions, newest first, each with how many answers it has (0 when nobody answered)."""
    versions = questionnaire.versions.order_by("-number")
    if hasattr(QuestionnaireVersion, "responses"):
        versions = versions.annotate(response_count=Count("responses"))
    return versions


def questionnaire_status(*, questionnaire: Questionnaire) -> str:
    """unpublished, published (the draft is the latest version) or changed since publishing."""
    latest = questionnaire.versions.order_by("-number").first()
    if latest is None:
        return UNPUBLISHED
    return PUBLISHED if latest.content_hash == content_hash(questionnaire.draft) else CHANGED
