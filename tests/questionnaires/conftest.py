"""The questionnaire tests compare exact English messages; Vietnamese stays the product's
default and is checked in test_messages_vi.py."""

import pytest


@pytest.fixture(autouse=True)
def _english_messages(english: None) -> None:
    return None
