"""Vietnamese first: without a language choice, problems are reported in Vietnamese."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import translation

from questionnaires.services import definition_errors


@pytest.fixture(autouse=True)
def _english_messages() -> None:  # overrides the package's English default
    return None


def _definition_with_unknown_reference() -> dict:
    return {
        "code": "t",
        "title": {"vi": "Thử", "en": "Test"},
        "sections": [
            {
                "code": "s",
                "title": {"vi": "Phần", "en": "Part"},
                "questions": [
                    {"code": "q1", "type": "text", "label": {"vi": "Câu 1", "en": "Q1"}},
                    {
                        "code": "q2",
                        "type": "text",
                        "label": {"vi": "Câu 2", "en": "Q2"},
                        "relevant": "zz == 1",
                    },
                ],
            }
        ],
    }


def test_validation_messages_are_vietnamese_by_default():
    with translation.override("vi"):
        errors = definition_errors(_definition_with_unknown_reference())
    assert any("q2" in e and "không tồn tại" in e for e in errors), errors


@pytest.mark.django_db
def test_api_reports_in_vietnamese_unless_english_is_asked():
    client = Client()
    client.force_login(get_user_model().objects.create_superuser("designer", "d@example.org", "x"))
    url = "/api/v1/questionnaires/validate/"
    body = {"definition": _definition_with_unknown_reference()}

    vi = client.post(url, body, content_type="application/json").json()
    en = client.post(url + "?lang=en", body, content_type="application/json").json()

    assert "không tồn tại" in str(vi)
    assert "unknown question zz" in str(en)
