"""A report is asked for, built by the task's code, watched and downloaded — by its
requester only, and only while they may still see what it shows."""

import datetime as dt
import os
from collections.abc import Iterator, Mapping
from typing import Any

import pypdfium2
import pytest
from django.core.exceptions import ValidationError
from django.template import Context, Engine
from django.utils import timezone

from org.models import AdministrativeUnit, Membership, Role
from org.permissions import Capability, may
from reports import registry
from reports.charts import bar_chart
from reports.models import ReportJob
from reports.pdf import html_to_pdf
from reports.services import report_build, reports_purge
from tests.factories import member, province_with_communes

pytestmark = pytest.mark.django_db


def _build(params: Mapping[str, Any], progress: registry.Progress) -> registry.ReportFile:
    if params.get("fail"):
        raise ValueError("hỏng")
    unit = AdministrativeUnit.objects.get(pk=params["unit"])
    progress(30, "Đang vẽ biểu đồ")
    chart = bar_chart(
        title="Chỉ số hài lòng", labels=["Xã X1", "Xã X2"], values=[81.2, 77.5], unit="%"
    )
    template = Engine.get_default().from_string(
        '{% extends "reports/pdf_base.html" %}{% load charts %}'
        "{% block body %}<h2>Bảng kết quả</h2>{% chart chart %}{% endblock %}"
    )
    context = {"title": f"Báo cáo {unit.name}", "chart": chart, "generated_at": timezone.now()}
    pdf = html_to_pdf(template.render(Context(context)))
    return registry.ReportFile("bao-cao.pdf", pdf, "application/pdf")


def _clean(params: Mapping[str, Any]) -> dict[str, Any]:
    try:
        return {"unit": int(params["unit"]), "fail": bool(params.get("fail"))}
    except (KeyError, ValueError):
        raise ValidationError("Chọn một đơn vị.") from None


@pytest.fixture(autouse=True)
def test_kind(settings: Any, tmp_path: Any) -> Iterator[None]:
    settings.MEDIA_ROOT = str(tmp_path)
    kind = registry.register(
        registry.ReportKind(
            name="test-unit",
            build=_build,
            allowed=lambda user, p: may(user, Capability.DASHBOARDS, p["unit"]),
            title=lambda p: "Báo cáo thử",
            clean=_clean,
        )
    )
    yield
    registry._KINDS.pop(kind.name)


def _client(user: Any) -> Any:
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def test_a_leader_asks_for_a_pdf_watches_it_and_downloads_it() -> None:
    province = province_with_communes()
    leader = member("leader", Role.LEADER, province)
    client = _client(leader)

    reply = client.post("/reports/new/test-unit/", {"unit": province.pk})
    job = ReportJob.objects.get()
    assert reply.status_code == 302 and reply["Location"] == f"/reports/{job.pk}/"
    assert job.requested_by == leader and job.params == {"unit": province.pk, "fail": False}
    assert job.language == "vi"

    report_build(job_id=str(job.pk))  # what the Celery task runs (a broker queues it in CI)

    status = client.get(f"/reports/{job.pk}/status").json()
    assert status["status"] == "succeeded" and status["progress"] == 100
    assert status["download_url"] == f"/reports/{job.pk}/download"
    page = client.get(f"/reports/{job.pk}/")
    assert "Tải về" in page.content.decode()
    download = client.get(status["download_url"])
    assert download["Content-Type"] == "application/pdf"
    assert 'filename="bao-cao.pdf"' in download["Content-Disposition"]
    pdf = pypdfium2.PdfDocument(b"".join(download.streaming_content))
    assert len(pdf) == 2  # the cover, then the body
    text = pdf[1].get_textpage().get_text_range()
    assert "Bảng kết quả" in text and "Xã X1" in text and "81,2%" in text
    assert "Báo cáo Tỉnh Thử Nghiệm" in pdf[0].get_textpage().get_text_range()
    width, height = pdf[1].get_size()
    assert (round(width / 72 * 25.4), round(height / 72 * 25.4)) == (210, 297)  # A4 in mm
    image = pdf[1].render(scale=1).to_pil()
    assert image.getbbox() is not None  # something was drawn
    pdf.close()


def test_someone_else_or_someone_who_lost_access_gets_404() -> None:
    province = province_with_communes()
    x1 = AdministrativeUnit.objects.get(code="X1")
    x2 = AdministrativeUnit.objects.get(code="X2")
    officer = member("o1", Role.OFFICER, x1)
    client = _client(officer)
    assert client.post("/reports/new/test-unit/", {"unit": x2.pk}).status_code == 404
    assert client.post("/reports/new/test-unit/", {"unit": province.pk}).status_code == 404
    assert ReportJob.objects.count() == 0

    client.post("/reports/new/test-unit/", {"unit": x1.pk})
    job = ReportJob.objects.get()
    report_build(job_id=str(job.pk))
    other = _client(member("o1b", Role.OFFICER, x1))
    assert other.get(f"/reports/{job.pk}/status").status_code == 404
    assert other.get(f"/reports/{job.pk}/download").status_code == 404
    assert client.get(f"/reports/{job.pk}/download").status_code == 200

    Membership.objects.filter(user=officer).delete()
    client = _client(type(officer).objects.get(pk=officer.pk))
    assert client.get(f"/reports/{job.pk}/download").status_code == 404


def test_bad_parameters_are_a_400_and_write_nothing() -> None:
    province_with_communes()
    client = _client(member("leader", Role.LEADER))
    reply = client.post("/reports/new/test-unit/", {"unit": "abc"})
    assert reply.status_code == 400
    assert "Chọn một đơn vị" in reply.content.decode()
    assert client.post("/reports/new/no-such-kind/", {}).status_code == 404
    assert ReportJob.objects.count() == 0


def test_a_failed_build_says_why_and_a_retry_can_succeed() -> None:
    province = province_with_communes()
    client = _client(member("leader", Role.LEADER, province))
    client.post("/reports/new/test-unit/", {"unit": province.pk, "fail": "1"})
    job = ReportJob.objects.get()
    report_build(job_id=str(job.pk))
    job.refresh_from_db()
    assert job.status == "failed" and "hỏng" in job.error and not job.file

    ReportJob.objects.filter(pk=job.pk).update(params={"unit": province.pk})
    report_build(job_id=str(job.pk), redelivered=True)
    job.refresh_from_db()
    assert job.status == "succeeded" and job.attempts == 2 and job.size > 1000


def test_old_reports_are_purged_with_their_files(settings: Any) -> None:
    province = province_with_communes()
    client = _client(member("leader", Role.LEADER, province))
    client.post("/reports/new/test-unit/", {"unit": province.pk})
    job = ReportJob.objects.get()
    report_build(job_id=str(job.pk))
    job.refresh_from_db()
    path = job.file.path
    later = timezone.now() + dt.timedelta(days=settings.REPORTS_KEEP_DAYS - 1)
    assert reports_purge(now=later) == 0
    assert reports_purge(now=later + dt.timedelta(days=2)) == 1
    assert not ReportJob.objects.exists()
    assert not os.path.exists(path)
