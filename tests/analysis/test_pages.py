"""The statistician's round pages: scoped lists, the instrument form with its errors,
uploads reported row by row, starting a run; and in Chromium, a run followed live."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from analysis.models import AnalysisRun, FrameCell
from org.models import AdministrativeUnit, Role
from tests.factories import (
    member,
    province_with_communes,
    signed_in,
    sipas_answers,
    sipas_version,
    survey_round,
)


@pytest.fixture
def round_(db):
    return survey_round(province_with_communes(("X1", "X2")), sipas_version())


@pytest.fixture
def stat(round_):
    return signed_in("stat", Role.STATISTICIAN, round_.scope)


def test_statisticians_see_the_rounds_of_their_units_only(round_, stat):
    elsewhere = AdministrativeUnit.objects.create(
        code="Q", name="Tỉnh Khác", level=round_.scope.level
    )
    outsider = signed_in("s2", Role.STATISTICIAN, elsewhere)

    mine = stat.get("/rounds/")
    theirs = outsider.get("/rounds/")

    assert mine.status_code == 200 and round_.name in mine.content.decode()
    assert theirs.status_code == 200 and round_.name not in theirs.content.decode()
    assert outsider.get(f"/rounds/{round_.code}/").status_code == 404
    assert signed_in("o", Role.OFFICER, round_.scope).get("/rounds/").status_code == 403
    assert Client().get("/rounds/")["Location"].startswith("/login/")


def test_the_round_page_saves_a_valid_instrument(round_, stat):
    page = stat.get(f"/rounds/{round_.code}/")
    form = {
        "sample_plan": '{"method": "fixed", "fixed": 50}',
        "weighting": '[{"step": "cell_weights", "by": ["unit"]}]',
        "estimation": '{"statistics": ["element_index"], "ci_method": "wald"}',
        "publication": '{"min_n": 5}',
        "reason": "Đơn giản hoá",
    }

    saved = stat.post(f"/rounds/{round_.code}/", form)

    assert page.status_code == 200
    assert "Kế hoạch mẫu" in page.content.decode()
    assert saved.status_code == 302
    round_.refresh_from_db()
    assert round_.weighting == [{"step": "cell_weights", "by": ["unit"]}]
    assert round_.sample_plan == {"method": "fixed", "fixed": 50}


def test_the_round_page_shows_each_error_and_saves_nothing(round_, stat):
    form = {
        "sample_plan": "{",
        "weighting": '[{"step": "rake"}]',
        "estimation": '{"statistics": ["element_index"], "ci_method": "logit"}',
        "publication": '{"min_n": 5}',
    }

    reply = stat.post(f"/rounds/{round_.code}/", form)
    form["sample_plan"] = '{"method": "yamane"}'
    again = stat.post(f"/rounds/{round_.code}/", form)

    assert reply.status_code == 400
    assert "JSON" in reply.content.decode()
    assert again.status_code == 400
    assert "margins" in again.content.decode()
    round_.refresh_from_db()
    assert round_.weighting == [] and round_.sample_plan == {}


def test_a_bad_frame_is_reported_by_row_and_stores_nothing(round_, stat):
    upload = SimpleUploadedFile("f.csv", b"unit,count\nX1,10\nZZ,4\n", content_type="text/csv")

    reply = stat.post(f"/rounds/{round_.code}/frame/upload/", {"file": upload}, follow=True)

    text = reply.content.decode()
    assert "Dòng 3" in text or "Row 3" in text
    assert not FrameCell.objects.exists()


def test_starting_a_run_twice_queues_one(round_, stat):
    first = stat.post(f"/rounds/{round_.code}/run/", follow=True)
    second = stat.post(f"/rounds/{round_.code}/run/", follow=True)

    assert first.status_code == second.status_code == 200
    assert AnalysisRun.objects.filter(round=round_).count() == 1
    assert "đang có một lượt phân tích" in second.content.decode()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_statistician_follows_a_run_live(page, live_server, artifacts, celery_worker):
    from survey.services import response_submit, transaction_register

    version = sipas_version()
    province = province_with_communes(("X1", "X2"))
    round_ = survey_round(province, version)
    for n, code in enumerate(["X1", "X1", "X2"]):
        registration = transaction_register(
            external_id=f"T-{n}",
            unit=AdministrativeUnit.objects.get(code=code),
            procedure_code="1.001",
            sector="land",
            channel="counter",
            completed_at=round_.period_start,
        )
        response_submit(token=registration.invitation.token, answers=sipas_answers(4 + n % 2))
    user = member("thongke", Role.STATISTICIAN, province)
    user.set_password("mat-khau-dai-12")
    user.save()
    page.set_viewport_size({"width": 1280, "height": 900})

    page.goto(f"{live_server.url}/login/?next=/rounds/{round_.code}/")
    page.fill("input[name=username]", "thongke")
    page.fill("input[name=password]", "mat-khau-dai-12")
    page.click("button[type=submit]")
    page.click("text=Chạy phân tích ngay")
    page.wait_for_selector("tr[data-run] >> text=Thành công", timeout=60_000)

    page.screenshot(path=str(artifacts / "round-runs.png"), full_page=True)
    run = AnalysisRun.objects.get()
    assert run.status == "succeeded"
    assert page.locator("tr[data-run] progress").first.get_attribute("value") == "100"
    assert "trích xuất" in page.locator("tr[data-run] [data-field=timings]").first.inner_text()


def test_the_round_page_names_steps_from_one_and_stages_in_vietnamese(round_, stat):
    # QA: the second weighting step's error read "1 → …" (0-based) on the page, and the
    # runs table showed the stages as "extract 0,01 · load 0,047 · compute …".
    form = {
        "sample_plan": '{"method": "yamane"}',
        "weighting": '[{"step": "cell_weights"}, {"step": "rake", "margins": ["nosuch"]}]',
        "estimation": '{"statistics": ["element_index"], "ci_method": "logit"}',
        "publication": '{"min_n": 5}',
    }
    AnalysisRun.objects.create(
        round=round_,
        status="succeeded",
        stage="store",
        progress=100,
        timings={"extract": 0.01, "load": 0.05, "compute": 0.02, "store": 0.01},
    )

    reply = stat.post(f"/rounds/{round_.code}/", form)

    text = reply.content.decode()
    assert reply.status_code == 400
    assert "2 → Biến không có trong bảng hỏi: nosuch" in text
    assert "trích xuất 0,01 · nạp dữ liệu 0,05 · tính toán 0,02 · lưu kết quả 0,01" in text
    assert "extract" not in text.split("data-stages")[0]


def test_a_json_error_on_the_round_page_is_in_vietnamese_with_its_place(round_, stat):
    # QA: "JSON không hợp lệ: Expecting property name enclosed in double quotes".
    form = {
        "sample_plan": '{"method": "yamane"}',
        "weighting": '[{"step": "rake",',
        "estimation": '{"statistics": ["element_index"], "ci_method": "logit"}',
        "publication": '{"min_n": 5}',
    }

    reply = stat.post(f"/rounds/{round_.code}/", form)

    text = reply.content.decode()
    assert reply.status_code == 400
    assert "JSON không hợp lệ (dòng 1, cột 18): thiếu một tên đặt trong dấu nháy kép" in text
    assert "Expecting" not in text


def test_the_scheme_form_takes_nonresponse_classes_and_shows_their_factors(round_, stat):
    import json

    page = f"/rounds/{round_.code}/"
    saved = stat.post(
        page,
        {
            "sample_plan": json.dumps({"method": "yamane", "margin_of_error": 0.05}),
            "weighting": json.dumps([{"step": "nonresponse", "by": ["unit", "sector"]}]),
            "estimation": json.dumps({"statistics": ["element_index"], "ci_method": "logit"}),
            "publication": json.dumps({"min_n": 30}),
        },
    )
    late = stat.post(
        page,
        {
            "sample_plan": json.dumps({"method": "yamane"}),
            "weighting": json.dumps(
                [{"step": "cell_weights", "by": ["unit"]}, {"step": "nonresponse", "by": ["unit"]}]
            ),
            "estimation": json.dumps({"statistics": ["element_index"], "ci_method": "logit"}),
            "publication": json.dumps({"min_n": 30}),
        },
    )
    AnalysisRun.objects.create(
        round=round_,
        status="succeeded",
        diagnostics={
            "n": 6,
            "kish_deff": 1.0,
            "effective_n": 6.0,
            "trimmed": 0,
            "nonresponse": {
                "by": ["unit", "sector"],
                "counts": "invitations",
                "classes": [
                    {"class": "7+land", "eligible": 12.0, "respondents": 3, "factor": 4.0},
                    {"class": "8+tax", "eligible": None, "respondents": 1, "factor": 1.0},
                ],
                "without_counts": 1,
            },
        },
    )
    shown = stat.get(page).content.decode()
    round_.refresh_from_db()

    assert saved.status_code == 302 and late.status_code == 400
    assert (
        "Bước điều chỉnh không trả lời theo số thư mời phải là bước đầu tiên"
        in late.content.decode()
    )
    assert round_.weighting == [{"step": "nonresponse", "by": ["unit", "sector"]}]
    assert "nonresponse-classes" in shown and "7+land" in shown and "4,000" in shown
    assert "không có số liệu" in shown
