"""The whole public form in Chromium at a phone viewport: pages, live skip logic,
errors with focus, save and resume on the same link, thank-you page."""

import pytest

from survey.models import Response
from tests.survey.conftest import register

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _rate(page, codes, value="4"):
    for code in codes:
        page.check(f"input[name='{code}'][value='{value}']")


def _next(page):
    page.click("button[value=next]")
    page.wait_for_load_state()


def test_phone_walkthrough_with_skip_logic_resume_and_thanks(
    page, live_server, artifacts, version, x1
):
    token = register(x1).invitation.token
    url = f"{live_server.url}/s/{token}/"

    page.goto(url)
    assert page.locator("progress").get_attribute("value") == "1"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scroll

    # an empty page comes back with the error summary focused
    _next(page)
    assert page.evaluate("document.activeElement.id") == "error-summary"
    page.screenshot(path=str(artifacts / "survey-form-errors.png"), full_page=True)

    _rate(page, ["a1", "a2", "a3", "a4"])
    _next(page)
    assert page.locator("input[name=_section]").get_attribute("value") == "procedures"
    _rate(page, ["p1", "p2", "p3", "p4", "p5"])
    _next(page)
    _rate(page, ["c1", "c2", "c3", "c4", "c5", "c6"], "5")
    _next(page)
    _rate(page, ["r1", "r2", "r3", "r4"], "3")
    _next(page)

    # feedback: f1–f4 show only after "yes", live in the browser
    assert page.locator("#q-f1").is_hidden()
    page.check("input[name=f0][value=yes]")
    assert page.locator("#q-f1").is_visible()
    page.check("input[name=f0][value=no]")
    assert page.locator("#q-f1").is_hidden()
    page.check("input[name=f0][value=yes]")
    _rate(page, ["f1", "f2", "f3", "f4"], "2")
    page.screenshot(path=str(artifacts / "survey-form-skip-logic.png"), full_page=True)
    _next(page)

    # overall: answer, then save and come back later on the same link
    page.check("input[name=o1][value='4']")
    page.check("input[name=priorities][value=time]")
    page.fill("#in-comment", "Nhanh, gọn. Số tôi 0912345678")
    page.click("button[value=save]")
    page.wait_for_load_state()
    assert "/saved/" in page.url
    assert Response.objects.count() == 0

    resumed = page.context.new_page()
    resumed.goto(url)
    assert resumed.locator("input[name=_section]").get_attribute("value") == "overall"
    assert resumed.locator("input[name=o1][value='4']").is_checked()
    assert resumed.locator("#in-comment").input_value().startswith("Nhanh")
    _next(resumed)

    # profile, keyboard only for the first question: Tab to it, arrow keys choose
    resumed.focus("input[name=sex][value=male]")
    resumed.keyboard.press("ArrowDown")
    assert resumed.locator("input[name=sex][value=female]").is_checked()
    for name, value in [
        ("age_group", "35-44"),
        ("education", "university"),
        ("occupation", "business"),
        ("sector", "land"),
        ("channel", "counter"),
    ]:
        resumed.check(f"input[name={name}][value='{value}']")
    assert resumed.locator("progress").get_attribute("value") == "7"
    resumed.screenshot(path=str(artifacts / "survey-form-last-page.png"), full_page=True)
    _next(resumed)

    assert "/thanks/" in resumed.url
    assert resumed.locator("h1").inner_text() != ""
    resumed.screenshot(path=str(artifacts / "survey-form-thanks.png"), full_page=True)
    response = Response.objects.get()
    assert response.answers["f1"] == 2 and response.answers["sex"] == "female"
    assert response.answers["comment"] == "Nhanh, gọn. Số tôi […]"
    assert (artifacts / "survey-form-thanks.png").stat().st_size > 0
