"""Administrators import, export and copy frameworks; councils open rounds."""

import json

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from org.models import AuditEntry, Role
from reform.catalog import SHIPPED_DIR
from reform.models import Framework, ScoringRound
from tests.factories import member


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_an_administrator_imports_a_framework_file_and_copies_it(province):
    client = _client(member("admin", Role.SYSADMIN, province))
    raw = (SHIPPED_DIR / "par-province-2017.json").read_bytes()

    imported = client.post(
        "/index/frameworks/import/", {"file": SimpleUploadedFile("par.json", raw)}
    )
    copied = client.post(
        "/index/frameworks/par-province-2017/copy/", {"code": "par-province-2018", "year": 2018}
    )
    listed = client.get("/index/frameworks/")

    assert (imported.status_code, copied.status_code, listed.status_code) == (302, 302, 200)
    assert Framework.objects.get(code="par-province-2018").criteria.count() == 39
    assert "par-province-2018" in listed.content.decode()


def test_a_bad_framework_file_names_the_node_and_stores_nothing(province):
    client = _client(member("admin", Role.SYSADMIN, province))
    raw = json.loads((SHIPPED_DIR / "par-province-2017.json").read_text(encoding="utf-8"))
    raw["nodes"][2]["max"] = 15

    response = client.post(
        "/index/frameworks/import/",
        {"file": SimpleUploadedFile("par.json", json.dumps(raw).encode())},
        follow=True,
    )

    assert Framework.objects.count() == 0
    assert "3 (Cải cách thủ tục hành chính): tổng các tiêu chí con là 14,5" in (
        response.content.decode().replace("14.5", "14,5")
    )


def test_frameworks_are_404_to_others(province):
    assert (
        _client(member("leader", Role.LEADER, province)).get("/index/frameworks/").status_code
        == 404
    )


def test_an_appraiser_opens_a_round_which_freezes_the_framework(province):
    from reform.services import framework_import
    from tests.reform.conftest import SMALL

    framework = framework_import(data=SMALL, actor="test")
    client = _client(member("appraiser", Role.APPRAISER, province))

    response = client.post(
        "/index/rounds/new/",
        {
            "framework": framework.pk,
            "code": "xa-2026",
            "name": "Chỉ số CCHC cấp xã 2026",
            "year": 2026,
            "scope": province.pk,
            "self_score_deadline": "2026-03-01T17:00",
            "appraisal_deadline": "2026-04-01T17:00",
            "publication_date": "2026-05-01T09:00",
        },
    )

    assert response.status_code == 302
    assert ScoringRound.objects.get().code == "xa-2026"
    framework.refresh_from_db()
    assert framework.frozen is True
    assert AuditEntry.objects.filter(action="reform.round_open").count() == 1


def test_the_admin_shows_reform_rows_read_only(scoring_round, province):
    from django.contrib.auth import get_user_model

    admin_user = get_user_model().objects.create_superuser("root", password="x")
    client = _client(admin_user)

    listed = client.get("/admin/reform/score/")
    framework = client.get(f"/admin/reform/framework/{scoring_round.framework.pk}/change/")
    adding = client.get("/admin/reform/scoringround/add/")

    assert (listed.status_code, framework.status_code, adding.status_code) == (200, 200, 403)
    assert "Kế hoạch" in framework.content.decode()
