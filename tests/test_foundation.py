"""The skeleton itself: settings from the environment, Vietnamese first, the demo."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

from analysis.models import AnalysisRun, Estimate
from org.models import Membership
from survey.models import Response

ROOT = Path(__file__).resolve().parent.parent


def _settings_in_subprocess(env: dict[str, str], expression: str) -> str:
    code = (
        f"import django, os; django.setup(); from django.conf import settings; print({expression})"
    )
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "HAILONG_ALLOW_DEV_KEY"}
    }
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return (result.stdout + result.stderr).strip()


def test_no_environment_means_sqlite_and_eager_celery():
    out = _settings_in_subprocess(
        {"DEBUG": "1"},
        "settings.DATABASES['default']['ENGINE'], settings.CELERY_TASK_ALWAYS_EAGER, "
        "settings.DEBUG",
    )
    assert out == "django.db.backends.sqlite3 True True"


def test_urls_switch_to_postgresql_and_redis():
    out = _settings_in_subprocess(
        {
            "SECRET_KEY": "x" * 50,
            "DATABASE_URL": "postgres://u:p@db:5432/hailong",
            "REDIS_URL": "redis://cache:6379/0",
        },
        "settings.DATABASES['default']['ENGINE'], settings.CELERY_BROKER_URL, "
        "settings.CELERY_TASK_ALWAYS_EAGER, settings.DEBUG",
    )
    assert out == "django.db.backends.postgresql redis://cache:6379/0 False False"


def test_production_refuses_to_start_without_a_secret_key():
    out = _settings_in_subprocess({}, "settings.SECRET_KEY")
    assert "SECRET_KEY must be set when DEBUG is off" in out


@pytest.mark.django_db
def test_pages_are_vietnamese_unless_english_is_chosen():
    client = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    home = client.get("/")
    assert home.headers["Content-Language"] == "vi"
    assert 'lang="vi"' in home.content.decode()
    english = client.get("/?lang=en")
    assert english.headers["Content-Language"] == "en"
    assert client.get("/").headers["Content-Language"] == "en"  # the choice is kept


@pytest.mark.django_db
def test_healthz_answers():
    assert Client().get("/healthz").json()["database"] == "ok"


@pytest.mark.django_db(transaction=True)
def test_demo_loads_analyses_and_is_idempotent(celery_worker):
    call_command("load_demo", transactions=600)
    responses = Response.objects.count()
    assert 100 < responses < 400
    # the demo round and the same half-year a year earlier (old map), one run each
    assert AnalysisRun.objects.count() == 2
    assert set(AnalysisRun.objects.values_list("status", flat=True)) == {"succeeded"}
    run = AnalysisRun.objects.get(round__code="sipas-2026-h1")
    province = Estimate.objects.filter(run=run, unit__code="P01", domain_variable="unit")
    assert province.filter(statistic="element_index").count() == 6
    assert province.filter(statistic="overall").count() == 1

    call_command("load_demo", transactions=600)

    assert Response.objects.count() == responses
    assert AnalysisRun.objects.count() == 2
    results = Client().get("/results/")
    assert results.status_code == 200
    assert "Tỉnh Minh Hòa" in results.content.decode()
    assert sorted(Membership.objects.values_list("user__username", "role")) == [
        ("canbo", "officer"),
        ("lanhdao", "leader"),
        ("thietke", "designer"),
        ("thongke", "statistician"),
    ]


@pytest.mark.django_db
def test_language_switch_keeps_the_page_and_its_query():
    # (not ?round=: a round nobody may see is a 404 since roles are scoped to units)
    page = Client().get("/results/?sort=code&x=%C4%91").content.decode()
    assert 'href="/results/?sort=code&amp;x=%C4%91&amp;lang=en"' in page
    english = Client().get("/results/?sort=code&lang=en").content.decode()
    assert 'href="/results/?sort=code&amp;lang=vi"' in english


def test_make_run_on_another_host_puts_that_host_in_survey_links():
    # QA: `make run HOST=127.0.0.1:8765` served on :8765 but every survey_url and QR code
    # the API returned pointed at http://127.0.0.1:8000 (PUBLIC_BASE_URL's default).
    import shutil

    if shutil.which("make") is None:
        pytest.skip("needs make")
    root = Path(__file__).resolve().parents[1]
    plan = subprocess.run(
        ["make", "-n", "-W", "pyproject.toml", "run", "HOST=127.0.0.1:8765"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    serve = next(line for line in plan.splitlines() if "runserver" in line)
    assert "PUBLIC_BASE_URL=${PUBLIC_BASE_URL:-http://127.0.0.1:8765}" in serve
