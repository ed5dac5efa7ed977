"""The OpenAPI schema: valid, served with its docs, and honoured by the API.

The schemathesis run generates requests for every operation from the schema (a fixed
seed, a bounded number of examples each; valid requests, invalid ones, and valid ones on
known objects) and checks that no answer is a server error, that every status code is
documented and that every answer matches its schema. It signs in as a staff superuser with HTTP
Basic (no CSRF token needed, and the lockout backend is exercised on every call).
"""

import base64
import datetime as dt
import itertools
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from analysis.models import AnalysisRun
from config.wsgi import application
from org.models import AdministrativeUnit
from reform.models import Score
from reform.services import framework_import, round_open
from survey.models import Campaign
from survey.services import response_submit, transaction_register
from tests.factories import province_with_communes, sipas_answers, sipas_version, survey_round
from tests.reform.conftest import SMALL

ROOT = Path(__file__).resolve().parent.parent
# Bounded: the whole run stays well under two minutes on two cores.
EXAMPLES_PER_OPERATION = 25
PASSWORD = "schema-run-password"
# Valid requests, and requests that break the schema (which must get a 4xx, not a 500).
MODES = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]


def test_the_schema_is_valid_with_no_warning():
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "spectacular",
            "--validate",
            "--fail-on-warn",
            "--file",
            "/dev/null",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={"DJANGO_SETTINGS_MODULE": "config.settings_test", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    assert "Warnings: 0" in result.stderr or result.stderr == ""


def test_schema_declares_the_api_key_and_basic_schemes(db):
    schema = Client().get("/api/schema/", HTTP_ACCEPT="application/json").json()
    schemes = schema["components"]["securitySchemes"]
    assert schemes["ApiKeyHeader"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-Api-Key",
        "description": "`X-Api-Key: <key>`, for clients that cannot set Authorization.",
    }
    assert schemes["ApiKeyAuthorization"]["name"] == "Authorization"
    assert schemes["basicAuth"] == {"type": "http", "scheme": "basic"}
    register = schema["paths"]["/api/v1/transactions/"]["post"]
    assert {"ApiKeyHeader": []} in register["security"]
    assert {"ApiKeyAuthorization": []} in register["security"]
    assert set(register["responses"]) == {"200", "201", "400", "401", "403", "409", "415", "429"}


def test_every_operation_is_documented_with_its_errors(db):
    schema = Client().get("/api/schema/", HTTP_ACCEPT="application/json").json()
    undocumented = []
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            codes = set(operation["responses"])
            signed_in = {} not in operation.get("security", [{}])
            problems = [
                "no summary" * (not operation.get("summary")),
                "no success" * (not any(code.startswith("2") for code in codes)),
                "no 401/403" * (signed_in and not {"401", "403"} <= codes),
                "no 404" * ("{" in path and "404" not in codes),
                "no 400"
                * (method in {"post", "put"} and "requestBody" in operation and "400" not in codes),
            ]
            undocumented += [f"{method.upper()} {path}: {p}" for p in problems if p]
    assert undocumented == []
    assert len(schema["paths"]) == 52


def test_lists_paginate_alike(db):
    schema = Client().get("/api/schema/", HTTP_ACCEPT="application/json").json()
    lists = {
        path: methods["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        for path, methods in schema["paths"].items()
        if "get" in methods and "limit" in {p["name"] for p in methods["get"].get("parameters", [])}
    }
    assert set(lists) == {
        "/api/v1/audit/",
        "/api/v1/estimates/",
        "/api/v1/questionnaire-versions/",
        "/api/v1/questionnaires/",
        "/api/v1/responses/",
        "/api/v1/rounds/{code}/runs/",
    }
    assert all(s["$ref"].startswith("#/components/schemas/Paginated") for s in lists.values())


def test_docs_are_served_from_this_server_under_the_csp(db):
    page = Client().get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()
    assert "script-src 'self'" in page["Content-Security-Policy"]


@pytest.fixture
def wsgi_keeps_test_connection() -> Iterator[None]:
    """As Django's test client does: the WSGI handler would otherwise close the test's
    database connection (inside its transaction) after every request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def known(db, wsgi_keeps_test_connection) -> dict[str, dict[str, object]]:
    """A little real data, and the path parameters that reach it, by path prefix: random
    codes mostly meet 404s, these reach the code behind them."""
    province = province_with_communes(("X1", "X2"))
    x1 = AdministrativeUnit.objects.get(code="X1")
    version = sipas_version()
    run = AnalysisRun.objects.create(round=survey_round(province, version))
    campaign = Campaign.objects.create(
        code="firms-2026",
        name="DDCI 2026",
        questionnaire=version.questionnaire,
        scope=province,
        mode=Campaign.Mode.choices[0][0],
    )
    answered, still_open = (
        transaction_register(
            external_id=external_id,
            unit=x1,
            procedure_code="1.001",
            sector="land",
            channel="counter",
            completed_at=dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC),
        ).invitation
        for external_id in ("T-1", "T-2")
    )
    response_submit(token=answered.token, answers=sipas_answers(4))
    now = dt.datetime.now(dt.UTC)
    scoring_round = round_open(
        framework=framework_import(data=SMALL, actor="test"),
        code="cchc-2026",
        name="CCHC 2026",
        year=2026,
        scope=province,
        self_score_deadline=now + dt.timedelta(days=10),
        appraisal_deadline=now + dt.timedelta(days=20),
        publication_date=now + dt.timedelta(days=30),
        actor="test",
    )
    score = Score.objects.create(
        round=scoring_round,
        unit=x1,
        criterion=scoring_round.framework.criteria.get(code="1.1"),
        self_points=30,
    )
    get_user_model().objects.create_superuser("schema", "s@example.org", PASSWORD)
    return {
        "/api/v1/index/frameworks/": {"code": scoring_round.framework.code},
        "/api/v1/index/rounds/": {
            "code": scoring_round.code,
            "unit_code": "X1",
            "criterion_code": "1.1",
        },
        "/api/v1/index/scores/": {"pk": score.pk},
        "/api/v1/questionnaires/": {"code": "sipas", "section": "access", "question": "a1"},
        "/api/v1/questionnaire-versions/": {"id": version.pk},
        "/api/v1/rounds/": {"code": "r1"},
        "/api/v1/runs/": {"id": run.pk},
        "/api/v1/links/": {"token": still_open.token},
        "/api/v1/campaigns/": {"code": campaign.code},
    }


def _known_parameters(known: dict[str, dict[str, object]], path: str) -> dict[str, object] | None:
    names = set(re.findall(r"{(\w+)}", path))
    for prefix, values in known.items():
        if path.startswith(prefix):
            return {name: value for name, value in values.items() if name in names}
    return None


def test_schemathesis_finds_no_server_error_and_no_schema_mismatch(known, capsys):
    schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
    operations = [result.ok() for result in schema.get_all_operations()]
    basic = base64.b64encode(f"schema:{PASSWORD}".encode()).decode()
    headers = {"Authorization": f"Basic {basic}"}
    checks = [not_a_server_error, response_schema_conformance, status_code_conformance]
    counts = {"requests": 0}
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    unsatisfiable: list[str] = []
    started = time.monotonic()
    # Each operation: valid requests, invalid ones, then valid ones on known objects.
    runs = [(operation, mode, None) for operation, mode in itertools.product(operations, MODES)]
    for operation in operations:
        parameters = _known_parameters(known, operation.path)
        if parameters:
            runs.append((operation, GenerationMode.POSITIVE, parameters))
    for operation, mode, parameters in runs:

        @hypothesis_settings(
            max_examples=EXAMPLES_PER_OPERATION,
            derandomize=True,  # a fixed seed: the same requests on every run
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode, path_parameters=parameters))
        def run(case: schemathesis.Case) -> None:
            cache.clear()  # the submit rate limit would answer 429 to the rest
            counts["requests"] += 1
            response = case.call_and_validate(headers=headers, checks=checks)
            statuses[response.status_code] += 1

        try:
            run()
        except Unsatisfiable:
            # No request breaks the schema of this operation (e.g. one free-text path
            # parameter): there is nothing negative to send.
            unsatisfiable.append(f"{operation.label} ({mode.value})")
        except (Exception, BaseExceptionGroup) as error:  # every operation's, then report
            kind = f"{mode.value}{', known objects' if parameters else ''}"
            failures.append(f"{operation.label} ({kind}): {str(error)[:3000]}")

    with capsys.disabled():
        print(
            f"\nschemathesis: {len(operations)} operations ({len(runs)} runs), "
            f"{counts['requests']} requests, "
            f"{len(failures)} failing operations, {len(unsatisfiable)} with no negative case, "
            f"{time.monotonic() - started:.0f} s; "
            f"statuses {dict(sorted(statuses.items()))}"
        )
    assert failures == [], "\n\n".join(failures)
