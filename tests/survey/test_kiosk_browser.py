"""A counter kiosk in Chromium on a tablet: paired with its code, two citizens in a row
(portrait, then landscape) each get their own survey and leave nothing behind, and a
survey nobody touches leaves the screen after the idle timeout."""

import pytest
from django.test import Client

from survey.kiosks import kiosk_pair
from survey.models import Invitation, Kiosk, Response
from survey.services import api_client_create
from tests.survey.kiosk_helpers import kiosk_campaign

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PORTRAIT = {"width": 800, "height": 1280}
LANDSCAPE = {"width": 1280, "height": 800}


def _register(system: Client, external_id: str) -> str:
    reply = system.post(
        "/api/v1/transactions/",
        {
            "external_id": external_id,
            "unit": "X1",
            "procedure": "1.001",
            "sector": "land",
            "channel": "counter",
            "completed_at": "2026-03-02T09:30:00+07:00",
            "counter": "3",
        },
        content_type="application/json",
    )
    assert reply.status_code == 201 and reply.json()["kiosk"] is True
    return reply.json()["token"]


def _answer(page, ratings: dict[str, str]) -> None:
    form = page.frame_locator("[data-frame] iframe")
    for code, value in ratings.items():
        # nothing of the previous citizen: every option starts unchecked
        assert form.locator(f"input[name='{code}']:checked").count() == 0
        form.locator(f"input[name='{code}'][value='{value}']").check()
    form.locator("button[value=next]").click()


def _nothing_kept(page) -> None:
    assert page.locator("[data-frame] iframe").count() == 0
    assert page.evaluate("localStorage.length + sessionStorage.length") == 0


def test_two_citizens_in_a_row_then_an_abandoned_survey(
    browser, live_server, artifacts, settings, version, province, x1
):
    settings.SURVEY_KIOSK_IDLE_SECONDS = 4
    kiosk_campaign(province)
    _client, key = api_client_create(name="one-stop", units=[province])
    system = Client(HTTP_AUTHORIZATION=f"Api-Key {key}")
    context = browser.new_context(viewport=PORTRAIT, has_touch=True, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(20_000)

    # The tablet starts as a kiosk and shows its code; a staff member pairs it.
    page.goto(f"{live_server.url}/kiosk/")
    page.click("button[type=submit]")
    code = page.locator("[data-code]").inner_text().strip()
    assert len(code) == 6
    page.screenshot(path=str(artifacts / "kiosk-1-pairing-code.png"))
    kiosk_pair(code=code, unit=x1, counter="3")
    page.wait_for_selector("body[data-state=waiting]")
    page.screenshot(path=str(artifacts / "kiosk-2-waiting-portrait.png"))

    # Citizen 1, portrait: the counter's transaction brings the short form.
    first = _register(system, "T-1")
    page.wait_for_selector("body[data-state=survey] [data-frame] iframe")
    page.frame_locator("[data-frame] iframe").locator("input[name=k1]").first.wait_for()
    page.screenshot(path=str(artifacts / "kiosk-3-citizen1-form-portrait.png"))
    _answer(page, {"k1": "5", "k2": "4"})
    page.wait_for_selector("body[data-state=done]")
    page.screenshot(path=str(artifacts / "kiosk-4-citizen1-thanks.png"))
    page.wait_for_selector("body[data-state=waiting]")
    _nothing_kept(page)

    # Citizen 2, landscape: a fresh, empty form for their own transaction.
    page.set_viewport_size(LANDSCAPE)
    second = _register(system, "T-2")
    page.wait_for_selector("body[data-state=survey] [data-frame] iframe")
    page.frame_locator("[data-frame] iframe").locator("input[name=k1]").first.wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= LANDSCAPE["width"]
    page.screenshot(path=str(artifacts / "kiosk-5-citizen2-form-landscape.png"))
    _answer(page, {"k1": "2", "k2": "3"})
    page.wait_for_selector("body[data-state=done]")
    page.wait_for_selector("body[data-state=waiting]")
    _nothing_kept(page)
    page.screenshot(path=str(artifacts / "kiosk-6-waiting-landscape.png"))

    # A third citizen walks away: the survey leaves the screen after the idle timeout.
    third = _register(system, "T-3")
    page.wait_for_selector("body[data-state=survey] [data-frame] iframe")
    page.wait_for_selector("body[data-state=waiting]", timeout=20_000)
    _nothing_kept(page)
    context.close()

    answers = {r.invitation.token: r.answers for r in Response.objects.all()}
    assert answers == {first: {"k1": 5, "k2": 4}, second: {"k1": 2, "k2": 3}}
    assert Response.objects.get(invitation__token=first).version.questionnaire.code == (
        "kiosk_short"
    )
    abandoned = Invitation.objects.get(token=third)
    assert abandoned.completed_at is None  # the receipt's link still works at home
    assert Kiosk.objects.get().invitation is None
