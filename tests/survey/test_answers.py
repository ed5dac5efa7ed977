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


def test_a_backtracking_pattern_cannot_stall_a_submission(english):
    import multiprocessing

    definition = {
        "code": "t",
        "sections": [
            {
                "code": "s",
                "questions": [
                    {
                        "code": "q",
                        "type": "text",
                        "label": {"vi": "Mã"},
                        "validation": {"pattern": "(a|aa)*c"},
                    }
                ],
            }
        ],
    }
    # Python's `re` needs minutes for this text (Fibonacci backtracking) and holds the GIL
    # meanwhile, so the check runs in a forked process that can be stopped.
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    worker = context.Process(
        target=lambda: results.put(answers_clean(definition, {"q": "a" * 48})), daemon=True
    )

    worker.start()
    worker.join(timeout=10)
    stalled = worker.is_alive()
    worker.kill()

    assert not stalled, "the pattern check stalled"
    assert results.get(timeout=5) == ({}, {"q": ["The answer does not have the expected format."]})


def test_a_pattern_still_checks_the_format(english):
    definition = {
        "code": "t",
        "sections": [
            {
                "code": "s",
                "questions": [
                    {
                        "code": "q",
                        "type": "text",
                        "label": {"vi": "Mã"},
                        "validation": {"pattern": r"\d{3}-\d{4}"},
                    }
                ],
            }
        ],
    }
    assert answers_clean(definition, {"q": "123-4567"}) == ({"q": "123-4567"}, {})
    assert answers_clean(definition, {"q": "1234567"})[1] == {
        "q": ["The answer does not have the expected format."]
    }
