"""The audit log: one entry per audited action, append-only, read by scope."""

import csv
import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.test import Client

from org.models import AuditEntry, AuditImmutable, Membership, Role
from org.services import audit_record
from questionnaires.models import QuestionnaireVersion
from survey.services import response_submit, transaction_register
from tests.factories import (
    member,
    signed_in,
    sipas_answers,
    sipas_version,
    survey_round,
)
from tests.survey.conftest import COMPLETED

pytestmark = pytest.mark.django_db


def _actions() -> list[tuple[str, str, str]]:
    return list(
        AuditEntry.objects.order_by("id").values_list("action", "actor_name", "object_type")
    )


def _answer_in(unit) -> None:
    registration = transaction_register(
        external_id=f"T-{unit.code}",
        unit=unit,
        procedure_code="1.001",
        sector="land",
        channel="counter",
        completed_at=COMPLETED,
    )
    response_submit(token=registration.invitation.token, answers=sipas_answers(5))


def test_publishing_and_withdrawing_a_version_through_the_api_are_recorded(province) -> None:
    # given a designer and a questionnaire with one published version (made by a script)
    designer = signed_in("dung", Role.DESIGNER)
    version = sipas_version()
    code = version.questionnaire.code
    draft = dict(version.questionnaire.draft, title={"vi": "SIPAS mới", "en": "New SIPAS"})
    assert (
        designer.put(
            f"/api/v1/questionnaires/{code}/",
            {"definition": draft},
            content_type="application/json",
        ).status_code
        == 200
    )

    # when the designer publishes version 2, then withdraws it
    published = designer.post(f"/api/v1/questionnaires/{code}/publish/")
    v2 = QuestionnaireVersion.objects.get(number=2)
    withdrawn = designer.delete(f"/api/v1/questionnaire-versions/{v2.pk}/")

    # then three entries: the script's v1, dung's v2, dung's withdrawal of v2
    assert (published.status_code, withdrawn.status_code) == (201, 204)
    assert _actions() == [
        ("questionnaire.publish", "system", "questionnaires.questionnaireversion"),
        ("questionnaire.publish", "dung", "questionnaires.questionnaireversion"),
        ("questionnaire.unpublish", "dung", "questionnaires.questionnaireversion"),
    ]
    second, withdrawal = AuditEntry.objects.order_by("id")[1:]
    assert second.before == {"version": 1, "content_hash": version.content_hash}
    assert second.after["version"] == 2
    assert (withdrawal.object_id, withdrawal.before["version"], withdrawal.after) == (
        str(v2.pk),
        2,
        None,
    )


def test_a_run_started_through_the_api_is_recorded_with_the_rounds_unit(province) -> None:
    round_ = survey_round(province, sipas_version(), published=False)
    statistician = signed_in("thu", Role.STATISTICIAN, province)

    started = statistician.post(f"/api/v1/rounds/{round_.code}/runs/")

    assert started.status_code == 202
    entry = AuditEntry.objects.get(action="run.start")
    assert (entry.actor_name, entry.object_id, entry.unit, entry.after) == (
        "thu",
        str(started.json()["id"]),
        province,
        {"round": "r1", "run": started.json()["id"]},
    )


@pytest.mark.parametrize("extension", ["csv", "xlsx", "json"])
def test_every_raw_answer_export_is_recorded(province, x1, extension) -> None:
    sipas_version()
    _answer_in(x1)
    officer = signed_in("o1", Role.OFFICER, x1)

    reply = officer.get(f"/api/v1/responses/export.{extension}", {"unit": "X1"})

    assert reply.status_code == 200
    entry = AuditEntry.objects.get(action="responses.export")
    assert (entry.actor_name, entry.object_type, entry.object_label, entry.unit) == (
        "o1",
        "survey.response",
        f"export.{extension}",
        x1,
    )
    assert entry.after == {"filters": {"unit": "X1"}}


def test_an_unpublished_results_export_is_recorded_and_a_published_one_is_not(province) -> None:
    round_ = survey_round(province, sipas_version(), published=False)
    statistician = signed_in("thu", Role.STATISTICIAN, province)

    assert statistician.get("/results/export.csv", {"round": "r1"}).status_code == 200
    round_.published = True
    round_.save()
    assert Client().get("/results/export.csv", {"round": "r1"}).status_code == 200

    exports = AuditEntry.objects.filter(action="results.export")
    assert list(exports.values_list("actor_name", "object_id")) == [("thu", str(round_.pk))]


def test_api_key_creation_is_recorded_without_the_key(province, x1) -> None:
    out = io.StringIO()
    call_command("survey_api_client", "one-stop X1", "X1", stdout=out)

    entry = AuditEntry.objects.get(action="api_key.create")
    key = out.getvalue().split(": ", 1)[1].split()[0]
    assert (entry.actor_name, entry.unit, entry.after["units"]) == (
        "manage.py survey_api_client",
        x1,
        ["X1"],
    )
    assert key not in str(entry.after)
    assert entry.after["key_prefix"] == key[3:].split(".")[0]


def test_memberships_changed_in_the_admin_are_recorded(province, x1) -> None:
    admin = Client()
    admin.force_login(get_user_model().objects.create_superuser("root", "r@example.org", "x"))
    lan = get_user_model().objects.create_user("lan", password="x")

    added = admin.post(
        "/admin/org/membership/add/", {"user": lan.pk, "role": "officer", "unit": x1.pk}
    )
    membership = Membership.objects.get()
    deleted = admin.post(f"/admin/org/membership/{membership.pk}/delete/", {"post": "yes"})

    assert (added.status_code, deleted.status_code) == (302, 302)
    assert Membership.objects.count() == 0
    assert list(AuditEntry.objects.order_by("id").values_list("action", "actor_name")) == [
        ("role.grant", "root"),
        ("role.revoke", "root"),
    ]


def test_a_membership_changed_in_the_admin_is_a_revoke_then_a_grant(province, x1, x2) -> None:
    admin = signed_in("quantri", Role.SYSADMIN)  # a system administrator by role, not staff
    lan = member("lan", Role.OFFICER, x1)
    membership = lan.memberships.get()

    changed = admin.post(
        f"/admin/org/membership/{membership.pk}/change/",
        {"user": lan.pk, "role": "officer", "unit": x2.pk},
    )

    assert changed.status_code == 302
    assert list(lan.memberships.values_list("unit__code", flat=True)) == ["X2"]
    entries = AuditEntry.objects.order_by("id")
    assert [(e.action, e.actor_name, e.before, e.after) for e in entries] == [
        ("role.revoke", "quantri", {"user": "lan", "role": "officer", "unit": "X1"}, None),
        ("role.grant", "quantri", None, {"user": "lan", "role": "officer", "unit": "X2"}),
    ]


def test_an_entry_cannot_be_changed_or_deleted_through_the_orm(province) -> None:
    entry = audit_record(actor=None, action="test", obj=province, after={"a": 1})

    with pytest.raises(AuditImmutable):
        entry.save()
    with pytest.raises(AuditImmutable):
        entry.delete()
    with pytest.raises(AuditImmutable):
        AuditEntry.objects.filter(pk=entry.pk).update(reason="rewritten")
    with pytest.raises(AuditImmutable):
        AuditEntry.objects.all().delete()

    entry.refresh_from_db()
    assert (entry.after, entry.reason) == ({"a": 1}, "")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE org_auditentry SET reason = 'rewritten'",
        "DELETE FROM org_auditentry",
    ],
)
def test_the_database_refuses_raw_updates_and_deletes(province, sql) -> None:
    audit_record(actor=None, action="test", obj=province)

    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)

    assert AuditEntry.objects.get().reason == ""


def test_the_admin_shows_entries_read_only(province) -> None:
    entry = audit_record(actor=None, action="test", obj=province)
    admin = Client()
    admin.force_login(get_user_model().objects.create_superuser("root", "r@example.org", "x"))

    page = admin.get(f"/admin/org/auditentry/{entry.pk}/change/")

    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert admin.get("/admin/org/auditentry/add/").status_code == 403
    assert (
        admin.post(f"/admin/org/auditentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    )
    assert AuditEntry.objects.count() == 1


def test_the_audit_api_has_no_write_method(province) -> None:
    admin = Client()
    admin.force_login(get_user_model().objects.create_superuser("root", "r@example.org", "x"))

    assert admin.post("/api/v1/audit/", {"action": "x"}).status_code == 405
    assert admin.delete("/api/v1/audit/").status_code == 405


def test_the_api_lists_by_scope_and_filters(province, x1, x2) -> None:
    # given entries about X1, X2 and a system-wide one
    audit_record(actor="a", action="run.start", obj=x1, unit=x1)
    audit_record(actor="b", action="responses.export", obj=x2, unit=x2)
    audit_record(actor="c", action="api_key.create", obj=province)
    officer_x2 = signed_in("o2", Role.OFFICER, x2)
    admin = Client()
    admin.force_login(get_user_model().objects.create_superuser("root", "r@example.org", "x"))

    everything = admin.get("/api/v1/audit/").json()
    own = officer_x2.get("/api/v1/audit/").json()
    filtered = admin.get("/api/v1/audit/", {"action": "run.start", "unit": "X1"}).json()
    page = admin.get("/api/v1/audit/", {"limit": 1, "offset": 1}).json()

    assert [e["actor"] for e in everything["results"]] == ["c", "b", "a"]
    assert [e["actor"] for e in own["results"]] == ["b"]
    assert [(e["actor"], e["unit"]) for e in filtered["results"]] == [("a", "X1")]
    assert (page["count"], [e["actor"] for e in page["results"]]) == (3, ["b"])
    assert admin.get("/api/v1/audit/", {"date_from": "yesterday"}).status_code == 400


def test_the_csv_export_is_utf8_with_a_bom_and_scoped(province, x1, x2) -> None:
    audit_record(actor="a", action="run.start", obj=x1, unit=x1, after={"tên": "Xã X1"})
    audit_record(actor="b", action="run.start", obj=x2, unit=x2)
    officer = signed_in("o1", Role.OFFICER, x1)

    reply = officer.get("/api/v1/audit/export.csv")

    text = reply.content.decode("utf-8")
    assert reply.status_code == 200
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[0][:3] == ["Thời điểm", "Người thực hiện", "Thao tác"]
    assert [(r[1], r[6], r[8]) for r in rows[1:]] == [("a", "X1", '{"tên": "Xã X1"}')]


def test_the_csv_export_never_hands_a_formula_to_a_spreadsheet(province, x1) -> None:
    # QA: names and reasons are typed by people; "=HYPERLINK(…)" became a live link in
    # the administrator's spreadsheet.
    audit_record(
        actor="=cmd|' /C calc'!A0",
        action="run.start",
        obj=x1,
        unit=x1,
        reason='=HYPERLINK("http://evil.example","bấm vào đây")',
    )
    admin = signed_in("root", Role.SYSADMIN, province)

    text = admin.get("/api/v1/audit/export.csv").content.decode("utf-8")

    row = list(csv.reader(io.StringIO(text[1:])))[1]
    assert row[1] == "'=cmd|' /C calc'!A0"
    assert row[9] == '\'=HYPERLINK("http://evil.example","bấm vào đây")'
