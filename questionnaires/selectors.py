"""Reads for questionnaires."""

from questionnaires.models import QuestionnaireVersion


def version_current(*, questionnaire_code: str) -> QuestionnaireVersion | None:
    """The newest published version of a questionnaire, or None if never published."""
    return (
        QuestionnaireVersion.objects.filter(questionnaire__code=questionnaire_code)
        .select_related("questionnaire")
        .order_by("-number")
        .first()
    )
