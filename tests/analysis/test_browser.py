"""The public results page in Chromium at a phone viewport."""

import pytest

from tests.factories import province_with_communes, sipas_version, survey_round

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_results_page_fits_a_phone_with_a_long_round_name(page, live_server, artifacts):
    # given a published round whose name is wider than a phone screen
    survey_round(province_with_communes(("X1",)), sipas_version())
    from analysis.models import SurveyRound

    SurveyRound.objects.update(name="SIPAS 2026 — 6 tháng đầu năm — toàn tỉnh (đợt bổ sung)")

    # when a visitor opens the results on a phone
    page.goto(f"{live_server.url}/results/")

    # then nothing scrolls sideways
    page.screenshot(path=str(artifacts / "results-phone.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
