"""Staff commands speak Vietnamese from the shell, refusals included (QA: Django printed
"CommandError: …", argparse "usage: … error: the following arguments are required",
survey_api_client "unknown units" with exit code 1 and "(shown once: store it now)")."""

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from survey.models import ApiClient

REPO = Path(__file__).resolve().parents[2]


def _shell(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        env={
            **os.environ,
            "HAILONG_ALLOW_DEV_KEY": "1",
            "HAILONG_ENV_FILE": "",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        },
    )


def test_a_refused_command_says_loi_not_commanderror(tmp_path):
    done = _shell(tmp_path, "import_questionnaire", str(tmp_path / "missing.json"))
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"lỗi: file: không tìm thấy tệp: {tmp_path / 'missing.json'}",
        f"Lỗi: {tmp_path / 'missing.json'} không phải bảng hỏi hợp lệ: 1 lỗi; "
        "không có gì được tạo.",
    ]


def test_missing_and_unknown_arguments_are_explained_in_vietnamese(tmp_path):
    missing = _shell(tmp_path, "grant")
    unknown = _shell(tmp_path, "revoke", "lan", "officer", "X1", "--bogus")
    assert (missing.returncode, unknown.returncode) == (2, 2)
    assert missing.stderr.startswith("cách dùng: manage.py grant ")
    assert missing.stderr.splitlines()[-1] == "Lỗi: thiếu tham số: username, role, unit_code"
    assert unknown.stderr.splitlines()[-1] == "Lỗi: tham số không xác định: --bogus"
    assert "error" not in (missing.stderr + unknown.stderr).lower().replace("--", "")


def test_help_is_in_vietnamese(tmp_path):
    done = _shell(tmp_path, "survey_api_client", "--help")
    assert done.returncode == 0
    assert "Tạo khóa API cho hệ thống một cửa" in done.stdout
    assert "\ntham số:\n" in done.stdout
    assert "\ntùy chọn:\n" in done.stdout
    assert "hiện hướng dẫn này rồi thoát" in done.stdout


@pytest.mark.django_db
def test_survey_api_client_refuses_unknown_units_with_exit_code_2(province):
    with pytest.raises(CommandError) as refused:
        call_command("survey_api_client", "one-stop", "X1", "ZZ", "AA")
    assert refused.value.returncode == 2
    assert str(refused.value) == "Không có đơn vị hành chính: AA, ZZ"
    assert not ApiClient.objects.exists()


@pytest.mark.django_db
def test_survey_api_client_prints_the_key_once_in_vietnamese(province):
    out = io.StringIO()
    call_command("survey_api_client", "one-stop", "X1", stdout=out)
    client = ApiClient.objects.get()
    lines = out.getvalue().splitlines()
    assert lines[0].startswith(f"Hệ thống {client.pk}: ")
    assert lines[1] == "(chỉ hiện một lần: hãy lưu lại ngay)"


@pytest.mark.django_db
def test_reminders_and_templates_report_in_vietnamese():
    reminders, template = io.StringIO(), io.StringIO()
    call_command("survey_send_reminders", stdout=reminders)
    call_command("load_template", "sipas", "--publish", stdout=template)
    assert reminders.getvalue() == "Đã gửi 0 lời nhắc\n"
    lines = template.getvalue().splitlines()
    assert lines[0] == "Đã nạp bảng hỏi sipas"
    assert lines[1].startswith("Đã công bố phiên bản 1 (")


@pytest.mark.django_db
def test_a_bad_argument_from_code_is_a_command_error_with_exit_code_2():
    with pytest.raises(CommandError) as refused:
        call_command("outbox_relay", "--every", "x")
    assert refused.value.returncode == 2
    assert str(refused.value) == "--every: 'x' không phải giá trị hợp lệ"
