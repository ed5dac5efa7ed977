"""The statistician's round dashboard on the demo (two rounds, margins, raking and
trimming): figures equal to the stored estimates, drill-down, scope, the weights
recomputed to the run's, monitoring, earlier rounds through successors, the XLSX/CSV
exports, the R/Stata/SPSS extract and the PDF report."""

import contextlib
import csv
import io
import shutil
import subprocess
import zipfile

import numpy as np
import pypdfium2
import pytest
from django.contrib.auth import get_user_model
from django.db.models import F
from django.test import Client
from django.utils import timezone
from django.utils.html import escape
from openpyxl import load_workbook

from analysis.dashboard import (
    dashboard_comparison,
    dashboard_focus,
    dashboard_monitoring,
    dashboard_weights,
)
from analysis.demo import EARLIER_ROUND_CODE, ROUND_CODE, demo_load
from analysis.models import AnalysisRun, Estimate, SurveyRound
from analysis.services import analysis_run_start
from analysis.tasks import analysis_run_execute
from org.models import AdministrativeUnit, AuditEntry, Role
from reports.models import ReportJob
from reports.services import report_build
from survey.models import Response
from tests.factories import member

pytestmark = pytest.mark.django_db


def _analyse(code: str) -> AnalysisRun:
    """Start a run and execute its task here (with a broker the task would be queued)."""
    run = analysis_run_start(survey_round=SurveyRound.objects.get(code=code), actor="test")
    run.refresh_from_db()
    if run.status == AnalysisRun.Status.QUEUED:
        with contextlib.suppress(Exception):
            analysis_run_execute(run.pk)
    run.refresh_from_db()
    assert run.status == AnalysisRun.Status.SUCCEEDED, run.error
    return run


@pytest.fixture
def demo():
    demo_load(transactions=900)
    earlier = _analyse(EARLIER_ROUND_CODE)
    run = _analyse(ROUND_CODE)
    return {"run": run, "earlier": earlier, "round": run.round}


def _client(username: str = "thongke") -> Client:
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client


def _pct(value: float) -> str:
    return f"{value * 100:.1f}".replace(".", ",") + "%"


def test_the_dashboard_shows_weighted_and_unweighted_figures_of_the_run(demo):
    run = demo["run"]
    province = Estimate.objects.get(
        run=run, unit__code="P01", statistic="overall", domain_variable="unit"
    )
    access = Estimate.objects.get(
        run=run, unit__code="P01", component="sipas.access", domain_variable="unit"
    )

    reply = _client().get(f"/rounds/{ROUND_CODE}/dashboard/")

    text = reply.content.decode()
    assert reply.status_code == 200
    assert f'data-estimate="{province.pk}"><strong>{_pct(province.estimate)}</strong>' in text
    assert f'data-estimate="{access.pk}"><strong>{_pct(access.estimate)}</strong>' in text
    assert f"<td>{_pct(access.unweighted)}</td>" in text
    assert "Tiếp cận dịch vụ" in text and "Có gia quyền" in text and "Không gia quyền" in text
    # every element has its forest plot, units sorted; suppressed cells carry the reason
    assert text.count('class="chart-svg"') >= 6
    suppressed = Estimate.objects.filter(run=run, suppressed=True, unit__parent__code="P01")
    assert suppressed.exists()
    reason = escape(suppressed.first().suppressed_reason)
    assert f'<span class="badge">không công bố</span> {reason}' in text
    shown = [
        e
        for e in Estimate.objects.filter(
            run=run, component="sipas.access", unit__parent__code="P01", suppressed=False
        ).order_by("-estimate")
    ]
    positions = [text.index(f'data-estimate="{e.pk}"') for e in shown]
    assert positions == sorted(positions)
    # weights, balance, monitoring and the earlier round are all there
    for heading in [
        "Quyền số của lượt phân tích",
        "Độ cân bằng của mẫu",
        "Theo dõi phản hồi",
        "So sánh giữa các đợt khảo sát",
        "Tỷ lệ phản hồi và tiến độ so với kế hoạch mẫu",
        "SIPAS 2025",
    ]:
        assert heading in text


def test_drill_down_by_unit_and_bad_parameters(demo):
    client = _client()
    x04 = Estimate.objects.get(
        run=demo["run"], unit__code="X04", statistic="overall", domain_variable="unit"
    )

    commune = client.get(f"/rounds/{ROUND_CODE}/dashboard/", {"unit": "X04"})
    items = client.get(f"/rounds/{ROUND_CODE}/dashboard/", {"view": "item_share"})
    bad_view = client.get(f"/rounds/{ROUND_CODE}/dashboard/", {"view": "all"})
    outside = AdministrativeUnit.objects.create(
        code="Q9", name="Tỉnh khác", level=AdministrativeUnit.objects.get(code="P01").level
    )
    other = client.get(f"/rounds/{ROUND_CODE}/dashboard/", {"unit": outside.code})
    unknown = client.get(f"/rounds/{ROUND_CODE}/dashboard/", {"unit": "NOPE"})

    assert commune.status_code == 200
    text = commune.content.decode()
    assert f'data-estimate="{x04.pk}"><strong>{_pct(x04.estimate)}</strong>' in text
    assert '<span aria-current="page">Xã An Phú</span>' in text
    assert items.status_code == 200  # the demo spec has no item statistics
    assert "Lượt phân tích gần nhất không có ước lượng" in items.content.decode()
    assert bad_view.status_code == 400 and "view" in bad_view.content.decode()
    assert other.status_code == 404 and unknown.status_code == 404


def test_the_dashboard_and_its_files_are_scoped(demo):
    elsewhere = AdministrativeUnit.objects.create(
        code="Q9", name="Tỉnh khác", level=AdministrativeUnit.objects.get(code="P01").level
    )
    outsider = Client()
    outsider.force_login(member("stat-q", Role.STATISTICIAN, elsewhere))
    officer = Client()
    officer.force_login(get_user_model().objects.get(username="canbo"))
    leader = _client("lanhdao")
    paths = [
        f"/rounds/{ROUND_CODE}/dashboard/",
        f"/rounds/{ROUND_CODE}/dashboard/export.xlsx",
        f"/rounds/{ROUND_CODE}/dashboard/export.csv",
        f"/rounds/{ROUND_CODE}/extract.zip",
    ]

    assert [outsider.get(p).status_code for p in paths] == [404] * 4
    assert [officer.get(p).status_code for p in paths] == [403] * 4
    assert [leader.get(p).status_code for p in paths] == [403] * 4
    assert [Client().get(p).status_code for p in paths] == [302] * 4
    assert not AuditEntry.objects.filter(action="responses.export").exists()


def test_the_weights_are_recomputed_to_the_runs_and_weighting_improves_balance(demo):
    run = demo["run"]

    weights = dashboard_weights(run=run)

    assert weights.matches_run
    assert weights.weights.sum() == pytest.approx(run.diagnostics["sum_weights"], rel=1e-9)
    kish = 1 + np.var(weights.weights) / np.mean(weights.weights) ** 2
    assert kish == pytest.approx(run.diagnostics["kish_deff"], rel=1e-9)
    assert weights.trim is not None and weights.trim["max_after"] < weights.trim["max_before"]
    # raked to sex and age group: far closer to the population than the raw sample
    for variable in ("sex", "age_group"):
        summary = weights.balance_by_variable[variable]
        assert summary["after"] < summary["before"] / 2
    assert {"sector", "channel"} <= set(weights.balance_by_variable)  # from the frame


def test_monitoring_counts_every_response_of_the_period(demo):
    survey_round = demo["round"]
    province = dashboard_focus(survey_round=survey_round, unit_code=None)

    monitoring = dashboard_monitoring(survey_round=survey_round, focus=province)

    period = Response.objects.filter(
        submitted_at__range=(survey_round.period_start, survey_round.period_end),
        version__questionnaire=survey_round.questionnaire,
    )
    assert sum(sum(values) for _name, values in monitoring.series) == period.count()
    assert sum(row["responses"] for row in monitoring.rows) >= period.count()
    # the period has ended: nothing more will come, so short units are at risk
    assert monitoring.days_left == 0
    for row in monitoring.rows:
        assert row["projected"] == row["responses"]
        assert row["at_risk"] == (row["responses"] < row["target"])


def test_earlier_rounds_are_read_through_the_units_predecessors(demo):
    user = get_user_model().objects.get(username="thongke")
    survey_round = demo["round"]
    province = AdministrativeUnit.objects.get(code="P01")
    units = list(AdministrativeUnit.objects.filter(code__in=["X04", "X03", "S01", "X01"]))

    comparison = dashboard_comparison(
        user=user, survey_round=survey_round, run=demo["run"], focus=province, units=units
    )

    assert [r.code for r in comparison.rounds] == [ROUND_CODE, EARLIER_ROUND_CODE]
    cells = {row["unit"].code: row["cells"][1] for row in comparison.rows}
    h01 = Estimate.objects.get(
        run=demo["earlier"], unit__code="H01", statistic="overall", domain_variable="unit"
    )
    assert cells["X04"].sources == ("H01",) and cells["X04"].mapped
    assert cells["X04"].n == h01.n
    assert cells["X04"].estimate == (None if h01.suppressed else h01.estimate)
    assert cells["S01"].sources == ("S01",) and not cells["S01"].mapped
    assert cells["X01"].sources == ()  # a ward with no predecessor: no earlier figure


def test_the_xlsx_is_formatted_and_holds_the_pages_figures(demo):
    run = demo["run"]
    reply = _client().get(f"/rounds/{ROUND_CODE}/dashboard/export.xlsx")

    assert reply.status_code == 200
    book = load_workbook(io.BytesIO(reply.content))
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[1]]
    assert sheet.title == "Ước lượng" and sheet.freeze_panes == "A2"
    assert header[:6] == [
        "Thành phần hoặc câu hỏi",
        "Mã",
        "Mã đơn vị",
        "Đơn vị",
        "Cấp",
        "Ước lượng có gia quyền",
    ]
    assert sheet["A1"].font.b and sheet["A1"].fill.fgColor.rgb.endswith("0B5CAD")
    assert sheet.column_dimensions["A"].width == 36
    rows = {(r[1], r[2]): r for r in sheet.iter_rows(min_row=2, values_only=True)}
    province = Estimate.objects.get(
        run=run, unit__code="P01", component="sipas.access", domain_variable="unit"
    )
    assert rows[("sipas.access", "P01")][5] == province.estimate
    assert rows[("sipas.access", "P01")][6] == province.unweighted
    assert sheet.cell(row=2, column=6).number_format == "0.0%"
    assert [s.title for s in book.worksheets] == [
        "Ước lượng",
        "Quyền số",
        "Tổng biên",
        "Độ cân bằng",
    ]

    text = _client().get(f"/rounds/{ROUND_CODE}/dashboard/export.csv").content.decode("utf-8")
    assert text.startswith("\ufeff")
    table = list(csv.reader(io.StringIO(text[1:])))
    assert len(table) - 1 == sheet.max_row - 1


def test_the_extract_for_r_stata_and_spss(demo):
    import pyreadstat

    run = demo["run"]
    reply = _client().get(f"/rounds/{ROUND_CODE}/extract.zip")

    assert reply.status_code == 200 and reply["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(reply.content))
    assert sorted(archive.namelist()) == [
        "answers.csv",
        "answers.dta",
        "answers.sav",
        "codebook.csv",
        "codebook.html",
        "design.R",
        "design.do",
    ]
    raw = archive.read("answers.csv").decode("utf-8")
    assert raw.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(raw[1:])))
    assert len(rows) == run.n_responses
    weights = np.array([float(r["weight"]) for r in rows])
    assert weights.sum() == pytest.approx(run.diagnostics["sum_weights"], rel=1e-9)
    assert {"unit", "stratum", "fpc", "base_weight", "weight", "sex", "a1", "o1"} <= set(rows[0])
    codebook = archive.read("codebook.csv").decode("utf-8")
    assert "sex,Giới tính,string,profile,male = Nam; female = Nữ; other = Khác" in codebook
    assert "a1" in codebook and "1 = Rất không hài lòng" in codebook
    assert (
        "svydesign(ids = ~1, strata = ~stratum, weights = ~weight, fpc = ~fpc"
        in archive.read("design.R").decode()
    )
    assert (
        "svyset _n [pweight = weight], strata(stratum_id) fpc(fpc)"
        in archive.read("design.do").decode()
    )
    for name, read in (("answers.sav", pyreadstat.read_sav), ("answers.dta", pyreadstat.read_dta)):
        path = f"/tmp/{run.pk}-{name}"
        with open(path, "wb") as handle:
            handle.write(archive.read(name))
        frame, meta = read(path)
        assert len(frame) == run.n_responses
        assert meta.column_names_to_labels["sex"] == "Giới tính"
        assert set(meta.variable_value_labels["sex"].values()) == {"Nam", "Nữ", "Khác"}
        assert frame["weight"].sum() == pytest.approx(weights.sum(), rel=1e-9)
    entry = AuditEntry.objects.get(action="responses.export")
    assert entry.after == {"rows": run.n_responses, "run": run.pk}


def test_the_round_report_pdf(demo, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    client = _client()
    province = Estimate.objects.get(
        run=demo["run"], unit__code="P01", component="sipas.access", domain_variable="unit"
    )
    elsewhere = AdministrativeUnit.objects.create(
        code="Q9", name="Tỉnh khác", level=AdministrativeUnit.objects.get(code="P01").level
    )
    outsider = Client()
    outsider.force_login(member("stat-q", Role.STATISTICIAN, elsewhere))

    refused = outsider.post("/reports/new/round-report/", {"round": ROUND_CODE})
    bad = client.post("/reports/new/round-report/", {"round": ROUND_CODE, "unit": "Q9"})
    asked = client.post("/reports/new/round-report/", {"round": ROUND_CODE})

    assert refused.status_code == 404 and bad.status_code == 400
    job = ReportJob.objects.get()
    assert asked.status_code == 302 and job.params == {"round": ROUND_CODE, "unit": "P01"}
    report_build(job_id=str(job.pk))
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    download = client.get(f"/reports/{job.pk}/download")
    pdf = pypdfium2.PdfDocument(b"".join(download.streaming_content))
    text = "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    assert "Báo cáo đợt khảo sát SIPAS 2026" in text
    for words in [
        "Phương pháp",
        "Công thức Yamane",
        "Cân chỉnh lặp",
        "Hệ số thiết kế Kish",
        "Ước lượng theo thành phần và đơn vị",
        "Tiếp cận dịch vụ",
        _pct(province.estimate),
    ]:
        assert words in text, words
    assert "không công bố" in text
    pdf.close()
    assert timezone.now() >= job.finished_at


@pytest.mark.skipif(not shutil.which("Rscript"), reason="R is not installed")
def test_the_r_snippet_redoes_the_runs_weights_in_r(demo, tmp_path):
    # given the extract unpacked beside its design.R
    reply = _client().get(f"/rounds/{ROUND_CODE}/extract.zip")
    zipfile.ZipFile(io.BytesIO(reply.content)).extractall(tmp_path)
    script = (tmp_path / "design.R").read_text(encoding="utf-8")
    assert "rake(base, list(~sex, ~age_group), list(pop_sex, pop_age_group))" in script
    assert "trimWeights(adjusted, upper = 3.5 * mean(weights(adjusted))" in script
    probe = script + (
        'cat(sprintf("%.9f %.6f\\n", max(abs(weights(adjusted) - answers$weight)),'
        " sum(weights(adjusted))))\n"
    )
    (tmp_path / "probe.R").write_text(probe, encoding="utf-8")

    # when R's survey package runs it
    done = subprocess.run(
        ["Rscript", "probe.R"], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )

    # then its raked and trimmed weights are the run's (to the raking's tolerance)
    if "there is no package called" in done.stderr:
        pytest.skip("the R package survey is not installed")
    assert done.returncode == 0, done.stderr
    difference, total = (float(x) for x in done.stdout.split()[-2:])
    assert difference < 1e-4
    assert total == pytest.approx(demo["run"].diagnostics["sum_weights"], rel=1e-9)


def test_the_dashboard_reads_in_a_bounded_number_of_queries(demo, django_assert_max_num_queries):
    client = _client()
    client.get(f"/rounds/{ROUND_CODE}/dashboard/")  # the weights are cached from here on

    # 12 units below the province, 6 elements, 2 rounds: no query per unit or element
    with django_assert_max_num_queries(40):
        reply = client.get(f"/rounds/{ROUND_CODE}/dashboard/")

    assert reply.status_code == 200


def test_the_dashboard_says_which_inputs_changed_since_the_run(demo):
    # given a margin corrected after the run
    margins = demo["round"].margins.filter(variable="sex")
    margins.filter(category="other").update(target=F("target") + 1)
    margins.filter(category="female").update(target=F("target") - 1)

    text = _client().get(f"/rounds/{ROUND_CODE}/dashboard/").content.decode()
    weights = dashboard_weights(run=demo["run"])

    assert weights.changed == ["margins"]
    assert "Đã thay đổi sau lượt phân tích này: tổng biên." in text


def test_the_extracts_codebook_says_when_the_inputs_changed_since_the_run(demo):
    # given one person moved from one sex to another in the margins after the run
    margins = demo["round"].margins.filter(variable="sex")
    margins.filter(category="other").update(target=F("target") + 1)
    margins.filter(category="female").update(target=F("target") - 1)

    reply = _client().get(f"/rounds/{ROUND_CODE}/extract.zip")

    codebook = zipfile.ZipFile(io.BytesIO(reply.content)).read("codebook.html").decode()
    assert f"Đã thay đổi sau lượt phân tích {demo['run'].pk}: tổng biên." in codebook
