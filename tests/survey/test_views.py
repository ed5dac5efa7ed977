"""The public form without JavaScript: one section per page, drafts, resume, skip logic."""

import pytest
from django.test import Client

from survey.models import Invitation, Response, ResponseDraft
from tests.survey.conftest import answers, register

pytestmark = pytest.mark.django_db


def _page_of(sent: dict, codes: list[str]) -> dict:
    return {k: v for k, v in sent.items() if k in codes}


SECTIONS = {
    "access": ["a1", "a2", "a3", "a4"],
    "procedures": ["p1", "p2", "p3", "p4", "p5"],
    "civil_servants": ["c1", "c2", "c3", "c4", "c5", "c6"],
    "results": ["r1", "r2", "r3", "r4"],
    "feedback": ["f0", "f1", "f2", "f3", "f4"],
    "overall": ["o1", "priorities", "comment"],
    "profile": ["sex", "age_group", "ethnicity", "education", "occupation", "sector", "channel"],
}


def _post(client, path, section, data, action="next"):
    return client.post(path, {"_section": section, "_action": action, **data})


def test_first_visit_shows_the_first_section_with_progress(version, x1):
    token = register(x1).invitation.token

    page = Client().get(f"/s/{token}/")

    html = page.content.decode()
    assert page.status_code == 200
    assert 'name="_section" value="access"' in html
    assert 'name="p1"' not in html  # one section per page
    assert '<progress max="7" value="1"' in html
    assert 'lang="vi"' in html
    assert Invitation.objects.get(token=token).opened_at is not None


def test_paging_saving_resuming_and_sending(version, x1):
    token = register(x1).invitation.token
    path = f"/s/{token}/"
    sent = answers(4)
    client = Client()

    step = _post(client, path, "access", _page_of(sent, SECTIONS["access"]))
    assert step.status_code == 302 and step["Location"] == f"{path}?p=procedures"
    saved = _post(Client(), path, "procedures", {"p1": "2"}, action="save")
    assert saved["Location"] == f"/s/{token}/saved/"
    # the draft keeps what was posted, as posted; it is cleaned when sent
    assert ResponseDraft.objects.get().answers == {
        "a1": "4",
        "a2": "4",
        "a3": "4",
        "a4": "4",
        "p1": "2",
    }
    assert Response.objects.count() == 0

    # later, another device: the same link resumes on the saved page, answers kept
    resumed = Client().get(path).content.decode()
    assert 'name="_section" value="procedures"' in resumed
    assert 'name="p1" value="2" checked' in resumed
    back = _post(client, path, "procedures", {"p1": "2"}, action="back")
    assert back["Location"] == f"{path}?p=access"

    for section in ["procedures", "civil_servants", "results", "feedback", "overall"]:
        assert _post(client, path, section, _page_of(sent, SECTIONS[section])).status_code == 302
    done = _post(client, path, "profile", _page_of(sent, SECTIONS["profile"]))

    assert done["Location"] == f"/s/{token}/thanks/"
    response = Response.objects.get()
    assert response.answers["a1"] == 4 and response.answers["p1"] == 4
    assert not ResponseDraft.objects.exists()
    assert Client().get(done["Location"]).status_code == 200
    assert Client().get(path).status_code == 409


def test_a_page_with_missing_answers_comes_back_with_errors(version, x1):
    token = register(x1).invitation.token

    page = _post(Client(), f"/s/{token}/", "access", {"a1": "5"})

    html = page.content.decode()
    assert page.status_code == 400
    assert 'id="error-summary"' in html and 'href="#q-a2"' in html
    assert 'name="a1" value="5" checked' in html
    assert ResponseDraft.objects.get().answers == {"a1": "5"}


def test_hidden_questions_on_a_page_are_dropped_by_the_server(version, x1):
    token = register(x1).invitation.token
    path = f"/s/{token}/"
    client = Client()
    sent = answers(3)
    for section in ["access", "procedures", "civil_servants", "results"]:
        _post(client, path, section, _page_of(sent, SECTIONS[section]))

    # without JavaScript f1–f4 show; answering f0 = no makes them irrelevant
    step = _post(client, path, "feedback", {"f0": "no", "f1": "5"})

    assert step.status_code == 302
    for section in ["overall", "profile"]:
        _post(client, path, section, _page_of(sent, SECTIONS[section]))
    assert "f1" not in Response.objects.get().answers


def test_one_page_post_still_works(version, x1):
    token = register(x1).invitation.token

    reply = Client().post(f"/s/{token}/", answers(5))
    again = Client().post(f"/s/{token}/", answers(1))

    assert reply.status_code == 302 and again.status_code == 409
    assert Response.objects.get().answers["a1"] == 5


def test_honeypot_stores_nothing(version, x1):
    token = register(x1).invitation.token

    reply = Client().post(f"/s/{token}/", {**answers(5), "website_url": "http://spam"})

    assert reply.status_code == 302
    assert Response.objects.count() == 0


def test_english_switch(version, x1):
    token = register(x1).invitation.token

    page = Client().get(f"/s/{token}/?lang=en").content.decode()

    assert 'lang="en"' in page and "Access to the service" in page


def test_closed_pages_are_friendly(version, x1):
    page = Client().get("/s/no-such-link/")

    assert page.status_code == 404
    assert "QR" in page.content.decode()
