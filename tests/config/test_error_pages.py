"""Error pages in Vietnamese (QA: a leader opening /rounds/ got a bare English
"403 Forbidden"; without DEBUG a missing page was Django's English "Not Found")."""

import pytest
from django.template.loader import render_to_string

from org.models import Role
from tests.factories import province_with_communes, signed_in


@pytest.mark.django_db
def test_forbidden_and_missing_pages_are_in_vietnamese():
    leader = signed_in("lanhdao", Role.LEADER, province_with_communes(("X1",)))

    forbidden = leader.get("/rounds/")
    missing = leader.get("/no-such-page/")

    assert forbidden.status_code == 403
    assert "Không có quyền truy cập" in forbidden.content.decode()
    assert missing.status_code == 404
    assert "Không tìm thấy trang" in missing.content.decode()


def test_the_server_error_page_is_in_vietnamese():
    # Django renders 500.html without a request or context processors.
    assert "Lỗi máy chủ" in render_to_string("500.html")


@pytest.mark.django_db
def test_the_favicon_is_served_not_a_404():
    # QA: every page logged "GET /favicon.ico 404" and a console error in the browser.
    from django.test import Client

    client = Client()
    icon = client.get("/favicon.ico")
    home = client.get("/").content.decode()

    assert icon.status_code == 301
    assert icon["Location"].endswith("favicon.svg")
    assert 'rel="icon"' in home
