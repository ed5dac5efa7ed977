"""A short kiosk form and its campaign, shared by the kiosk tests."""

from typing import Any

from questionnaires.services import questionnaire_publish, questionnaire_save_draft
from survey.models import Campaign

LABELS = ["Rất không hài lòng", "Không hài lòng", "Bình thường", "Hài lòng", "Rất hài lòng"]
LABELS_EN = ["Very dissatisfied", "Dissatisfied", "Neutral", "Satisfied", "Very satisfied"]
SCALE = {
    "min": 1,
    "max": 5,
    "labels": {
        str(p): {"vi": vi, "en": en}
        for p, vi, en in zip(range(1, 6), LABELS, LABELS_EN, strict=True)
    },
}

SHORT: dict[str, Any] = {
    "code": "kiosk_short",
    "kind": "sipas",
    "languages": ["vi", "en"],
    "title": {"vi": "Đánh giá nhanh tại quầy", "en": "Quick rating at the counter"},
    "sections": [
        {
            "code": "k",
            "title": {"vi": "Đánh giá", "en": "Rating"},
            "questions": [
                {
                    "code": "k1",
                    "type": "rating",
                    "required": True,
                    "label": {"vi": "Thái độ của công chức?", "en": "The civil servant?"},
                    "scale": SCALE,
                },
                {
                    "code": "k2",
                    "type": "rating",
                    "required": True,
                    "label": {"vi": "Thời gian giải quyết?", "en": "The time it took?"},
                    "scale": SCALE,
                },
            ],
        }
    ],
}


def kiosk_campaign(scope: Any) -> Campaign:
    """The designer's choice: kiosks under ``scope`` show the short form."""
    questionnaire = questionnaire_save_draft(definition=SHORT)
    questionnaire_publish(questionnaire=questionnaire)
    return Campaign.objects.create(
        code="kiosk", name="Kiosk", mode="kiosk", questionnaire=questionnaire, scope=scope
    )
