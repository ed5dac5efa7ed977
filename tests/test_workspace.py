"""The staff workspace at /: each role sees its sections, in Vietnamese, no dead link."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from org.models import Role
from tests.factories import province_with_communes, signed_in

pytestmark = pytest.mark.django_db


def _sections(page: str) -> list[tuple[str, bool]]:
    """(title, linked) for each workspace section, in order."""
    block = page.split('<ul class="workspace">', 1)[1].split("</ul>", 1)[0]
    return [
        (re.sub(r"<[^>]+>", "", title).strip(), title.startswith("<a"))
        for title in re.findall(r"<li>(.*?)\s*<br>", block, re.S)
    ]


def _links(page: str) -> list[str]:
    block = page.split('<ul class="workspace">', 1)[1].split("</ul>", 1)[0]
    return re.findall(r'href="([^"]+)"', block)


def test_anonymous_visitors_keep_the_public_home() -> None:
    page = Client().get("/").content.decode()

    assert "Kết quả đã công bố" in page
    assert 'href="/login/"' in page
    assert "workspace" not in page


@pytest.mark.parametrize(
    ("role", "sections"),
    [
        (
            Role.SYSADMIN,
            [
                ("Trình thiết kế bảng hỏi", True),
                ("Biểu mẫu ngắn cho kiosk", True),
                ("Nhập dữ liệu", True),
                ("Đợt khảo sát và lượt phân tích", True),
                ("Kết quả", True),
                ("Chỉ số cải cách hành chính", True),
                ("Bảng điều khiển Chỉ số CCHC", True),
                ("Nhật ký kiểm toán", True),
                ("Quản trị", True),
            ],
        ),
        (
            Role.DESIGNER,
            [
                ("Trình thiết kế bảng hỏi", True),
                ("Biểu mẫu ngắn cho kiosk", True),
                ("Kết quả", True),
                ("Nhật ký kiểm toán", True),
            ],
        ),
        (
            Role.STATISTICIAN,
            [
                ("Nhập dữ liệu", True),
                ("Đợt khảo sát và lượt phân tích", True),
                ("Kết quả", True),
                ("Chỉ số cải cách hành chính", True),
                ("Bảng điều khiển Chỉ số CCHC", True),
                ("Nhật ký kiểm toán", True),
            ],
        ),
        (
            Role.OFFICER,
            [
                ("Nhập dữ liệu", True),
                ("Kết quả", True),
                ("Chỉ số cải cách hành chính", True),
                ("Bảng điều khiển Chỉ số CCHC", True),
                ("Nhật ký kiểm toán", True),
            ],
        ),
        (
            Role.LEADER,
            [
                ("Kết quả", True),
                ("Chỉ số cải cách hành chính", True),
                ("Bảng điều khiển Chỉ số CCHC", True),
                ("Nhật ký kiểm toán", True),
            ],
        ),
    ],
)
def test_each_role_sees_its_sections_and_every_link_works(role, sections) -> None:
    client = signed_in("u", role, province_with_communes(("X1",)))

    page = client.get("/").content.decode()

    assert _sections(page) == sections
    assert "Vai trò của bạn" in page
    for url in _links(page):
        assert client.get(url).status_code == 200, url


def test_a_user_without_roles_is_told_to_ask_for_one() -> None:
    client = Client()
    client.force_login(get_user_model().objects.create_user("plain", password="x"))

    page = client.get("/").content.decode()

    assert "Bạn chưa có vai trò nào" in page
    assert '<ul class="workspace">' not in page


def test_anyone_signs_in_on_the_login_page_but_only_sysadmins_in_the_admin() -> None:
    officer_unit = province_with_communes(("X1",))
    signed_in("lan", Role.OFFICER, officer_unit)
    user = get_user_model().objects.get(username="lan")
    user.set_password("mật-khẩu-dài-đủ")
    user.save()

    site = Client().post("/login/", {"username": "lan", "password": "mật-khẩu-dài-đủ"})
    admin = Client().post("/admin/login/", {"username": "lan", "password": "mật-khẩu-dài-đủ"})

    assert (site.status_code, site["Location"]) == (302, "/")
    assert admin.status_code == 200  # the form again, with an error
    assert "_auth_user_id" not in admin.wsgi_request.session


def test_a_system_administrator_by_role_signs_in_to_the_admin() -> None:
    signed_in("quantri", Role.SYSADMIN, province_with_communes(()))
    user = get_user_model().objects.get(username="quantri")
    user.set_password("mật-khẩu-dài-đủ")
    user.save()

    admin = Client()
    reply = admin.post(
        "/admin/login/?next=/admin/", {"username": "quantri", "password": "mật-khẩu-dài-đủ"}
    )

    assert (reply.status_code, reply["Location"]) == (302, "/admin/")
    assert admin.get("/admin/").status_code == 200
    assert user.is_staff is False
