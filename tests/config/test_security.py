"""Login lockout, passwords, sessions, "sign out everywhere", CSP and HTTPS=1 settings."""

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from analysis.demo import DEMO_PASSWORD, DEMO_USER

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "a-long-enough-pass"


@pytest.fixture
def staff(db):
    return get_user_model().objects.create_superuser("stat", "s@example.org", PASSWORD)


def _admin_login(client: Client, password: str) -> object:
    return client.post(
        reverse("admin:login"),
        {"username": "stat", "password": password, "next": "/admin/"},
        REMOTE_ADDR="10.0.0.1",
    )


def _basic(password: str) -> str:
    return "Basic " + base64.b64encode(f"stat:{password}".encode()).decode()


# --- lockout -------------------------------------------------------------------------


def test_admin_login_locks_out_after_the_failure_limit_in_vietnamese(staff, settings):
    settings.AXES_FAILURE_LIMIT = 3
    client = Client()
    # given two failures: the login form is shown again
    for _ in range(2):
        assert _admin_login(client, "wrong-password").status_code == 200
    # when the third fails
    locked = _admin_login(client, "wrong-password")
    # then a 429 page in Vietnamese, and even the right password is refused now
    assert locked.status_code == 429
    page = locked.content.decode()
    assert "Đăng nhập tạm khóa" in page
    assert "Đăng nhập sai quá nhiều lần. Hãy thử lại sau 15 phút" in page
    assert locked["Retry-After"] == "900"
    assert _admin_login(client, PASSWORD).status_code == 429
    assert "_auth_user_id" not in client.session


def test_lockout_page_in_english_with_the_language_switch(staff, settings):
    settings.AXES_FAILURE_LIMIT = 1
    client = Client()
    client.get("/?lang=en")
    locked = _admin_login(client, "wrong-password")
    assert locked.status_code == 429
    assert "Too many failed sign-in attempts. Try again in 15 minutes" in locked.content.decode()


def test_lockout_is_per_username_and_address(staff, settings):
    settings.AXES_FAILURE_LIMIT = 1
    assert _admin_login(Client(), "wrong-password").status_code == 429
    # the same user from another address still signs in
    other = Client().post(
        reverse("admin:login"),
        {"username": "stat", "password": PASSWORD, "next": "/admin/"},
        REMOTE_ADDR="10.0.0.2",
    )
    assert other.status_code == 302


def test_api_basic_auth_failures_count_and_lock_out_with_json_429(staff, settings):
    settings.AXES_FAILURE_LIMIT = 2
    client = Client()
    url = reverse("api-responses")
    first = client.get(url, HTTP_AUTHORIZATION=_basic("wrong-password"), REMOTE_ADDR="10.0.0.3")
    assert first.status_code == 401
    second = client.get(url, HTTP_AUTHORIZATION=_basic("wrong-password"), REMOTE_ADDR="10.0.0.3")
    assert second.status_code == 429
    assert second.json() == {
        "detail": "Đăng nhập sai quá nhiều lần. Hãy thử lại sau 15 phút hoặc đề nghị quản trị "
        "viên mở khóa tài khoản.",
        "code": "locked_out",
    }
    assert second["Retry-After"] == "900"
    # the right password is refused while locked out
    right = client.get(url, HTTP_AUTHORIZATION=_basic(PASSWORD), REMOTE_ADDR="10.0.0.3")
    assert right.status_code == 429
    assert right.json()["detail"].startswith("Đăng nhập sai quá nhiều lần.")


def test_a_successful_login_resets_the_failure_count(staff, settings):
    settings.AXES_FAILURE_LIMIT = 2
    client = Client()
    assert _admin_login(client, "wrong-password").status_code == 200
    assert _admin_login(client, PASSWORD).status_code == 302
    client.logout()
    assert _admin_login(client, "wrong-password").status_code == 200


# --- passwords -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "password", ["short-pass1", "123456789012345", "password1234", "stat-example.org"]
)
def test_weak_passwords_are_refused(staff, password):
    with pytest.raises(ValidationError):
        validate_password(password, user=staff)


def test_the_demo_password_passes_the_validators(db):
    user = get_user_model()(username=DEMO_USER, email="admin@example.org")
    assert len(DEMO_PASSWORD) >= 12
    validate_password(DEMO_PASSWORD, user=user)


# --- sessions ------------------------------------------------------------------------


def test_sessions_last_eight_hours_by_default(settings):
    assert settings.SESSION_COOKIE_AGE == 8 * 3600
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is False


def test_logout_everywhere_ends_every_session_of_the_user_only(staff):
    # given the user signed in on two browsers, and someone else signed in
    laptop, phone, colleague = Client(), Client(), Client()
    laptop.force_login(staff)
    phone.force_login(staff)
    other = get_user_model().objects.create_user("other", "o@example.org", PASSWORD)
    colleague.force_login(other)
    assert Session.objects.count() == 3
    # when the laptop asks to sign out everywhere
    assert laptop.get(reverse("logout-everywhere")).status_code == 200
    reply = laptop.post(reverse("logout-everywhere"))
    # then both of the user's sessions are gone, the colleague's is kept
    assert reply.status_code == 302
    assert reply["Location"] == reverse("login")
    assert Session.objects.count() == 1
    assert phone.get("/admin/").status_code == 302
    assert colleague.get("/admin/").status_code == 302  # not staff: sent to log in
    assert str(other.pk) == Session.objects.get().get_decoded()["_auth_user_id"]


def test_logout_everywhere_needs_a_signed_in_user(db):
    reply = Client().post(reverse("logout-everywhere"))
    assert reply.status_code == 302
    assert reply["Location"].startswith(reverse("login"))


def test_a_password_change_ends_the_other_sessions(staff):
    phone = Client()
    phone.force_login(staff)
    staff.set_password("another-long-password")
    staff.save()
    assert phone.get("/admin/").status_code == 302


# --- Content-Security-Policy --------------------------------------------------------


def test_every_page_has_a_strict_content_security_policy(db):
    policy = Client().get("/")["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy


def test_templates_have_no_inline_script_or_handler():
    import re

    found = []
    for template in [*ROOT.glob("templates/**/*.html"), *ROOT.glob("*/templates/**/*.html")]:
        if "email" in template.parts:  # e-mails are not served under our CSP
            continue
        text = template.read_text()
        for match in re.finditer(r"<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+=|\sstyle=", text):
            found.append(f"{template.relative_to(ROOT)}: {match.group(0)}")
    assert found == []


# --- settings from the environment ---------------------------------------------------


def _settings_env(**extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DEBUG", "SECRET_KEY", "HAILONG_ALLOW_DEV_KEY", "HTTPS"}
        and not key.startswith("DJANGO_")
    }
    return {**env, "DJANGO_SETTINGS_MODULE": "config.settings", **extra}


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


PRINT_SETTINGS = (
    "import django; django.setup(); from django.conf import settings; "
    "print(settings.DEBUG, settings.SECRET_KEY)"
)


def test_settings_read_a_local_env_file(tmp_path):
    key = secrets.token_urlsafe(50)
    env_file = tmp_path / ".env"
    env_file.write_text(f"DEBUG=1\nSECRET_KEY={key}\n")
    result = _run(["-c", PRINT_SETTINGS], _settings_env(HAILONG_ENV_FILE=str(env_file)))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", key]


def test_real_environment_variables_win_over_the_env_file(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("DEBUG=1\nSECRET_KEY=from-the-file\n")
    env = _settings_env(HAILONG_ENV_FILE=str(env_file), DEBUG="0", SECRET_KEY="from-the-env")
    result = _run(["-c", PRINT_SETTINGS], env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "from-the-env"]


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = _settings_env(HAILONG_ENV_FILE=str(tmp_path / "absent.env"))
    result = _run(["-c", PRINT_SETTINGS], env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off." in result.stderr


def test_check_deploy_reports_nothing_with_https(tmp_path):
    env = _settings_env(
        HAILONG_ENV_FILE="",
        HTTPS="1",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="hailong.example.gov.vn",
    )
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "DEBUG"], env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."
    assert result.stderr == ""


def test_https_settings(tmp_path):
    env = _settings_env(HAILONG_ENV_FILE="", HTTPS="1", SECRET_KEY=secrets.token_urlsafe(50))
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SECURE_SSL_REDIRECT, s.SECURE_PROXY_SSL_HEADER, s.SECURE_HSTS_SECONDS, "
        "s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.SECURE_REDIRECT_EXEMPT)"
    )
    result = _run(["-c", code], env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "True ('HTTP_X_FORWARDED_PROTO', 'https') 31536000 True True True ['^healthz$']"
    )


def test_https_redirects_but_not_behind_a_tls_proxy_nor_for_healthz(db, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    settings.SECURE_HSTS_SECONDS = 3600
    client = Client()
    plain = client.get("/results/")
    assert plain.status_code == 301
    assert plain["Location"] == "https://testserver/results/"
    proxied = client.get("/results/", HTTP_X_FORWARDED_PROTO="https")
    assert proxied.status_code == 200
    assert proxied["Strict-Transport-Security"] == "max-age=3600"
    assert client.get("/healthz").status_code == 200


def test_the_admin_links_to_logout_everywhere(staff):
    client = Client()
    client.force_login(staff)
    page = client.get("/admin/").content.decode()
    assert f'<a href="{reverse("logout-everywhere")}">Đăng xuất trên mọi thiết bị</a>' in page


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/v1/responses/", "/api/v1/transactions/"])
def test_deeply_nested_json_is_a_400_not_a_server_error(url):
    # QA: "[" * 5000 posted anonymously to /api/v1/responses/ was a 500 (RecursionError).
    body = "[" * 5000 + "]" * 5000
    reply = Client().post(url, body, content_type="application/json")

    assert reply.status_code in (400, 401, 403)
    assert reply.status_code != 500
    if reply.status_code == 400:
        assert reply.json()["detail"] == "Nội dung yêu cầu lồng nhau quá sâu."
