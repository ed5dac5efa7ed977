"""Answers as stored: text that every database can hold, in one Unicode form."""

import pytest

from survey.answers import answers_clean, text_normalise
from tests.factories import sipas_answers, sipas_version

pytestmark = pytest.mark.django_db


def test_text_normalise_drops_nul_and_lone_surrogates_and_composes():
    assert text_normalise("Ha\u0300i\x00 lo\u0300ng\ud800") == "Hài lòng"


def test_comment_with_nul_and_combining_marks_is_kept_in_nfc():
    definition = sipas_version().definition
    raw = {**sipas_answers(4), "comment": "Thu\u0309 tu\u0323c nhanh\x00"}

    cleaned, errors = answers_clean(definition, raw)

    assert errors == {}
    assert cleaned["comment"] == "Thủ tục nhanh"


def test_a_dict_is_not_accepted_as_text(english):
    definition = sipas_version().definition

    cleaned, errors = answers_clean(definition, {**sipas_answers(4), "comment": {"a": 1}})

    assert errors == {"comment": ["Enter text."]}
    assert "comment" not in cleaned
