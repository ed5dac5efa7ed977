"""A designer builds a small questionnaire with a skip rule, previews it, publishes it."""

import pytest
from django.contrib.auth import get_user_model

from questionnaires.models import Questionnaire


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_designer_builds_previews_and_publishes(page, live_server, artifacts) -> None:  # type: ignore[no-untyped-def]
    get_user_model().objects.create_superuser("designer", "d@example.org", "s3cret-pass")
    base = live_server.url
    # given a signed-in designer on the builder (Vietnamese by default)
    page.goto(f"{base}/admin/login/?next=/questionnaires/")
    page.fill("#id_username", "designer")
    page.fill("#id_password", "s3cret-pass")
    page.click("input[type=submit]")
    page.wait_for_url(f"{base}/questionnaires/")
    # when they create a questionnaire (it starts with one yes/no question q1)
    page.fill("#id_code", "pilot")
    page.fill("#id_title_vi", "Khảo sát thử")
    page.fill("#id_title_en", "Pilot survey")
    page.click("form[action$='/questionnaires/new/'] button[type=submit]")
    page.wait_for_url(f"{base}/questionnaires/pilot/")
    # and add a rating question shown only when q1 is yes
    page.click("a[href$='/sections/s1/questions/new/']")
    page.fill("#id_code", "q2")
    page.select_option("#id_type", "rating")
    page.fill("#id_label_vi", "Ông/Bà hài lòng thế nào?")
    page.fill("#id_label_en", "How satisfied are you?")
    page.fill("#id_relevant", "q1 == 'yes'")
    page.click("form[data-question-form] button[type=submit]")
    page.wait_for_url(f"{base}/questionnaires/pilot/#q-q2")
    # a rule naming a later question is refused, naming the question and the problem
    page.click("#q-q2 a[href$='/questions/q2/']")
    page.fill("#id_relevant", "q9 == 'yes'")
    page.click("form[data-question-form] button[type=submit]")
    assert "q9" in page.inner_text(".error-summary")
    page.goto(f"{base}/questionnaires/pilot/")
    # then the phone-width preview hides q2 until q1 is answered yes
    frame = page.frame_locator("#preview")
    frame.locator("#q-q1").wait_for()
    assert frame.locator("#q-q2").is_hidden()
    frame.locator("#q-q1 input[value=yes]").check()
    frame.locator("#q-q2").wait_for(state="visible")
    frame.locator("#q-q1 input[value=no]").check()
    frame.locator("#q-q2").wait_for(state="hidden")
    page.screenshot(path=str(artifacts / "questionnaire-builder.png"), full_page=True)
    # and publishing freezes version 1
    page.click("button[data-action=publish]")
    page.wait_for_selector("[data-status=published]")
    questionnaire = Questionnaire.objects.get(code="pilot")
    version = questionnaire.versions.get()
    assert version.number == 1
    questions = [q["code"] for q in version.definition["sections"][0]["questions"]]
    assert questions == ["q1", "q2"]
    assert version.definition["sections"][0]["questions"][1]["relevant"] == "q1 == 'yes'"
