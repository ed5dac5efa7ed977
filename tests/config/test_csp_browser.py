"""The Content-Security-Policy in a real browser: no page we serve breaks it.

Chromium reports each blocked inline script, inline handler, inline style or foreign
source as a console error and as a ``securitypolicyviolation`` event; both are
collected while the public form, the builder (with its framed preview), the admin
and the API docs are used.
"""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model

from org.models import AdministrativeUnit
from survey.services import transaction_register
from tests.factories import province_with_communes, sipas_version

# Recorded before any page script runs (init scripts are not subject to the CSP).
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}`);
});
"""


def _watch(page) -> list[str]:  # type: ignore[no-untyped-def]
    seen: list[str] = []
    page.add_init_script(RECORD_VIOLATIONS)
    page.on(
        "console",
        lambda message: (
            seen.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return seen


def _violations(page, console: list[str]) -> list[str]:  # type: ignore[no-untyped-def]
    return console + page.evaluate("window.__cspViolations || []")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_public_form_builder_admin_and_docs_report_no_csp_violation(page, live_server) -> None:  # type: ignore[no-untyped-def]
    province_with_communes(("X1",))
    sipas_version()
    unit = AdministrativeUnit.objects.get(code="X1")
    token = transaction_register(
        external_id="T-1",
        unit=unit,
        procedure_code="1.001",
        sector="land",
        channel="counter",
        completed_at=dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC),
    ).invitation.token
    get_user_model().objects.create_superuser("designer", "d@example.org", "s3cret-pass-long")
    base = live_server.url
    console = _watch(page)
    found: dict[str, list[str]] = {}

    # the public survey form, with its scripts at work (a rating picked, next page)
    page.goto(f"{base}/s/{token}/")
    page.locator("input[type=radio]").first.check()
    assert page.evaluate("typeof window.HaiLongLogic") == "object"
    found["survey form"] = _violations(page, console)
    page.goto(f"{base}/s/{token}/receipt/")
    found["receipt"] = _violations(page, console)

    # the admin login, then the builder list and a questionnaire with its framed preview
    page.goto(f"{base}/admin/login/?next=/questionnaires/")
    page.fill("#id_username", "designer")
    page.fill("#id_password", "s3cret-pass-long")
    page.click("input[type=submit]")
    page.wait_for_url(f"{base}/questionnaires/")
    found["builder list"] = _violations(page, console)
    page.goto(f"{base}/questionnaires/sipas/")
    page.frame_locator("#preview").locator("[data-preview-form]").wait_for()
    found["builder and preview"] = _violations(page, console)

    # the admin keeps working under the policy
    page.goto(f"{base}/admin/org/administrativeunit/")
    page.wait_for_selector("#result_list")
    page.goto(f"{base}/admin/org/administrativeunit/add/")
    page.wait_for_selector("#administrativeunit_form")
    found["admin"] = _violations(page, console)

    # Swagger UI, served from this server, renders the operations
    page.goto(f"{base}/api/docs/")
    page.wait_for_selector(".opblock", timeout=30_000)
    found["api docs"] = _violations(page, console)

    assert found == {name: [] for name in found}
