"""The permission matrix: every role, in and out of scope, anonymous and a signed-in user
without roles, against every sensitive page and endpoint, with the exact answer.

The world: province P with communes X1 and X2; everything sensitive lives in X1 (a raw
answer, an unpublished round scoped to X1 with an estimate, a firm campaign, an import
batch, audit entries, an unpublished reform-index round). "+" subjects hold their role
over X1, "-" subjects over X2.
An expected value is a status, or (status, rows) where rows counts what the subject
was shown — an out-of-scope list answers 200 with nothing in it, an out-of-scope object
answers 404.
"""

import csv
import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from analysis.models import AnalysisRun, Estimate, SurveyRound
from org.models import AdministrativeUnit, Role
from org.services import audit_record
from reform.services import framework_import, round_open
from survey.models import Campaign, ImportBatch
from survey.services import response_submit, transaction_register
from tests.factories import member, province_with_communes, sipas_answers, sipas_version
from tests.reform.conftest import SMALL
from tests.survey.conftest import COMPLETED

pytestmark = pytest.mark.django_db

SUBJECTS = [
    "anonymous",
    "plain",
    "sysadmin+",
    "sysadmin-",
    "designer+",
    "designer-",
    "statistician+",
    "statistician-",
    "officer+",
    "officer-",
    "appraiser+",
    "appraiser-",
    "leader+",
    "leader-",
]


@pytest.fixture
def world() -> dict[str, Any]:
    province = province_with_communes(("X1", "X2"))
    x1 = AdministrativeUnit.objects.get(code="X1")
    version = sipas_version()  # audited: a system-wide questionnaire entry
    registration = transaction_register(
        external_id="T-X1",
        unit=x1,
        procedure_code="1.001",
        sector="land",
        channel="counter",
        completed_at=COMPLETED,
    )
    response_submit(token=registration.invitation.token, answers=sipas_answers(5))
    survey_round = SurveyRound.objects.create(
        code="r-x1",
        name="X1 2026",
        questionnaire=version.questionnaire,
        scope=x1,
        period_start=COMPLETED,
        period_end=COMPLETED,
        published=False,
    )
    run = AnalysisRun.objects.create(
        round=survey_round, status=AnalysisRun.Status.SUCCEEDED, finished_at=timezone.now()
    )
    Estimate.objects.create(
        run=run,
        unit=x1,
        component="overall",
        estimate=0.9,
        se=0.01,
        ci_low=0.88,
        ci_high=0.92,
        n=1,
    )
    Campaign.objects.create(
        code="firms-x1",
        name="Firms X1",
        questionnaire=version.questionnaire,
        scope=x1,
        mode=Campaign.Mode.FIRM,
    )
    importer = member("importer", Role.STATISTICIAN, province)
    batch = ImportBatch.objects.create(
        version=version,
        file_name="paper.csv",
        file_sha256="0" * 64,
        mode=ImportBatch.Mode.ALL_OR_NOTHING,
        status=ImportBatch.Status.VALIDATED,
        created_by=importer,
    )
    audit_record(actor="someone", action="run.start", obj=run, unit=x1)
    now = timezone.now()
    round_open(  # an unpublished reform-index round over X1
        framework=framework_import(data=SMALL, actor="test"),
        code="index-x1",
        name="Chỉ số CCHC X1",
        year=2026,
        scope=x1,
        self_score_deadline=now,
        appraisal_deadline=now,
        publication_date=now,
        actor="test",
    )
    return {"version": version, "batch": batch, "province": province, "x1": x1}


def _subject(name: str) -> Client:
    client = Client()
    if name == "anonymous":
        return client
    if name == "plain":
        client.force_login(get_user_model().objects.create_user("plain", password="x"))
        return client
    role, sign = name[:-1], name[-1]
    unit = AdministrativeUnit.objects.get(code="X1" if sign == "+" else "X2")
    client.force_login(member(name, role, unit))
    return client


# --- probes: what each endpoint answers, with the number of rows shown where it lists ---


def _json_count(reply: Any) -> Any:
    if reply.status_code != 200:
        return reply.status_code
    return (200, reply.json()["count"])


def _csv_rows(reply: Any) -> Any:
    if reply.status_code != 200:
        return reply.status_code
    content = b"".join(reply.streaming_content) if reply.streaming else reply.content
    return (200, len(list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))) - 1)


def _xlsx_rows(reply: Any) -> Any:
    if reply.status_code != 200:
        return reply.status_code
    book = load_workbook(io.BytesIO(b"".join(reply.streaming_content)))
    return (200, book.worksheets[0].max_row - 1)  # the first sheet holds the answers


def _json_rows(reply: Any) -> Any:
    if reply.status_code != 200:
        return reply.status_code
    return (200, len(json.loads(b"".join(reply.streaming_content))))


def _import_file() -> bytes:
    row = {
        "form_id": "F-1",
        "unit": "X1",
        "sector": "land",
        "channel": "counter",
        "submitted_at": "2026-03-05",
        **sipas_answers(4),
    }
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(row))
    writer.writeheader()
    writer.writerow(row)
    return out.getvalue().encode()


def _upload(name: str = "paper.csv") -> Any:
    return io.BytesIO(_import_file()) if name else None


def _import_api(client: Client, world: dict[str, Any]) -> Any:
    upload = _upload()
    upload.name = "paper.csv"
    reply = client.post(
        "/api/v1/imports/",
        {"version": world["version"].pk, "file": upload, "mode": "all", "commit": "false"},
    )
    if reply.status_code != 200:
        return reply.status_code
    return (200, reply.json()["rows_valid"])  # a unit outside the scope reads as unknown


def _import_page_post(client: Client, world: dict[str, Any]) -> Any:
    upload = _upload()
    upload.name = "paper.csv"
    reply = client.post(
        "/survey/imports/",
        {"version": world["version"].pk, "file": upload, "mode": "all", "_action": "check"},
    )
    return reply.status_code


def _register(client: Client, world: dict[str, Any]) -> Any:
    body = {
        "external_id": "T-new",
        "unit": "X1",
        "procedure": "1.001",
        "sector": "land",
        "channel": "counter",
        "completed_at": "2026-03-02T09:30:00+07:00",
    }
    return client.post("/api/v1/transactions/", body, content_type="application/json").status_code


def _create_questionnaire(client: Client, world: dict[str, Any]) -> Any:
    from tests.questionnaires.helpers import small

    reply = client.post(
        "/api/v1/questionnaires/", {"definition": small()}, content_type="application/json"
    )
    return reply.status_code


def _frame_upload(client: Client, world: dict[str, Any]) -> Any:
    upload = io.BytesIO(b"unit,sector,count\nX1,land,40\n")
    upload.name = "frame.csv"
    return client.post("/api/v1/rounds/r-x1/frame/", {"file": upload}).status_code


def _report(kind: str, params: dict[str, str]) -> Callable[[Client, dict[str, Any]], Any]:
    """Ask for a report: JOB when a job was queued (the redirect to its page)."""

    def probe(client: Client, world: dict[str, Any]) -> Any:
        reply = client.post(f"/reports/new/{kind}/", params)
        if reply.status_code == 302 and reply["Location"].startswith("/reports/"):
            return "job"
        return reply.status_code

    return probe


PROBES: dict[str, Callable[[Client, dict[str, Any]], Any]] = {
    "raw answers list": lambda c, w: _json_count(c.get("/api/v1/responses/")),
    "raw answers of X1": lambda c, w: _json_count(c.get("/api/v1/responses/", {"unit": "X1"})),
    "export csv": lambda c, w: _csv_rows(c.get("/api/v1/responses/export.csv")),
    "export xlsx": lambda c, w: _xlsx_rows(c.get("/api/v1/responses/export.xlsx")),
    "export json": lambda c, w: _json_rows(c.get("/api/v1/responses/export.json")),
    "register transaction in X1": _register,
    "imports page": lambda c, w: c.get("/survey/imports/").status_code,
    "imports page upload": _import_page_post,
    "imports API upload": _import_api,
    "another's import report": lambda c, w: (
        c.get(f"/survey/imports/{w['batch'].pk}/report.csv").status_code
    ),
    "firm list of X1 campaign": lambda c, w: c.get("/api/v1/campaigns/firms-x1/firms/").status_code,
    "builder page": lambda c, w: c.get("/questionnaires/").status_code,
    "questionnaire API read": lambda c, w: c.get("/api/v1/questionnaires/").status_code,
    "questionnaire API create": _create_questionnaire,
    "runs of X1 round": lambda c, w: c.get("/api/v1/rounds/r-x1/runs/").status_code,
    "instrument of X1 round": lambda c, w: c.get("/api/v1/rounds/r-x1/instrument/").status_code,
    "frame upload of X1 round": _frame_upload,
    "monitoring of X1 round": lambda c, w: c.get("/api/v1/rounds/r-x1/monitoring/").status_code,
    "start run of X1 round": lambda c, w: c.post("/api/v1/rounds/r-x1/runs/").status_code,
    "dashboard of X1 round": lambda c, w: c.get("/rounds/r-x1/dashboard/").status_code,
    "dashboard xlsx of X1 round": lambda c, w: (
        c.get("/rounds/r-x1/dashboard/export.xlsx").status_code
    ),
    "extract of X1 round": lambda c, w: c.get("/rounds/r-x1/extract.zip").status_code,
    "report of X1 round": lambda c, w: (
        c.post("/reports/new/round-report/", {"round": "r-x1"}).status_code
    ),
    "unpublished results page": lambda c, w: c.get("/results/", {"round": "r-x1"}).status_code,
    "unpublished estimates API": lambda c, w: _json_count(
        c.get("/api/v1/estimates/", {"round": "r-x1"})
    ),
    "unpublished results csv": lambda c, w: _csv_rows(
        c.get("/results/export.csv", {"round": "r-x1"})
    ),
    "audit log API": lambda c, w: _json_count(c.get("/api/v1/audit/")),
    "audit log csv": lambda c, w: _csv_rows(c.get("/api/v1/audit/export.csv")),
    "import template": lambda c, w: (
        c.get(f"/survey/imports/template/{w['version'].pk}.xlsx").status_code
    ),
    "kiosks page": lambda c, w: c.get("/survey/kiosks/").status_code,
    "index dashboard of X1": lambda c, w: c.get("/index/index-x1/dashboard/").status_code,
    "index ranking PDF of X1": _report("index-ranking", {"round": "index-x1"}),
    "index scorecard PDF of X1": _report("index-scorecard", {"round": "index-x1", "unit": "X1"}),
    "admin": lambda c, w: c.get("/admin/").status_code,
    "admin memberships": lambda c, w: c.get("/admin/org/membership/").status_code,
}

OK = 200
NO = 403  # signed in (or not) without the capability: refused before any lookup
LG = 302  # pages send visitors to the login form
KEY = 401  # collection endpoints ask anonymous callers for an API key (WWW-Authenticate)
R0, R1, R2, R4 = (200, 0), (200, 1), (200, 2), (200, 4)  # answered, showing that many rows

# Audit entries in the world: the SIPAS publication (a questionnaire entry, seen by
# designers), the run started in X1 and the reform round opened over X1 (seen by X1's
# statisticians and officers), and the reform framework's import (system-wide).
# The table reads as text, one row per endpoint, one column per subject (SUBJECTS).
TABLE = """
                           anon plain sys+ sys- des+ des- sta+ sta- off+ off- app+ app- lea+ lea-
raw answers list           KEY  NO   R1   R1   NO   NO   R1   R0   R1   R0   NO   NO   NO   NO
raw answers of X1          KEY  NO   R1   R1   NO   NO   R1   R0   R1   R0   NO   NO   NO   NO
export csv                 KEY  NO   R1   R1   NO   NO   R1   R0   R1   R0   NO   NO   NO   NO
export xlsx                KEY  NO   R1   R1   NO   NO   R1   R0   R1   R0   NO   NO   NO   NO
export json                KEY  NO   R1   R1   NO   NO   R1   R0   R1   R0   NO   NO   NO   NO
register transaction in X1 KEY  NO   201  201  NO   NO   201  400  201  400  NO   NO   NO   NO
imports page               LG   NO   OK   OK   NO   NO   OK   OK   OK   OK   NO   NO   NO   NO
imports page upload        LG   NO   OK   OK   NO   NO   OK   OK   OK   OK   NO   NO   NO   NO
imports API upload         KEY  NO   R1   R1   NO   NO   R1   R0   R1   R0   NO   NO   NO   NO
another's import report    LG   NO   OK   OK   NO   NO   404  404  404  404  NO   NO   NO   NO
firm list of X1 campaign   KEY  NO   OK   OK   NO   NO   OK   404  OK   404  NO   NO   NO   NO
builder page               LG   NO   OK   OK   OK   OK   NO   NO   NO   NO   NO   NO   NO   NO
questionnaire API read     NO   NO   OK   OK   OK   OK   OK   OK   OK   OK   OK   OK   OK   OK
questionnaire API create   NO   NO   201  201  201  201  NO   NO   NO   NO   NO   NO   NO   NO
runs of X1 round           NO   NO   OK   OK   NO   NO   OK   404  NO   NO   NO   NO   NO   NO
instrument of X1 round     NO   NO   OK   OK   NO   NO   OK   404  NO   NO   NO   NO   NO   NO
frame upload of X1 round   NO   NO   201  201  NO   NO   201  404  NO   NO   NO   NO   NO   NO
monitoring of X1 round     NO   NO   OK   OK   NO   NO   OK   404  NO   NO   NO   NO   NO   NO
start run of X1 round      NO   NO   202  202  NO   NO   202  404  NO   NO   NO   NO   NO   NO
dashboard of X1 round      LG   NO   OK   OK   NO   NO   OK   404  NO   NO   NO   NO   NO   NO
dashboard xlsx of X1 round LG   NO   OK   OK   NO   NO   OK   404  NO   NO   NO   NO   NO   NO
extract of X1 round        LG   NO   OK   OK   NO   NO   OK   404  NO   NO   NO   NO   NO   NO
report of X1 round         LG   404  302  302  404  404  302  404  404  404  404  404  404  404
unpublished results page   404  404  OK   OK   404  404  OK   404  404  404  404  404  404  404
unpublished estimates API  R0   R0   R1   R1   R0   R0   R1   R0   R0   R0   R0   R0   R0   R0
unpublished results csv    404  404  R1   R1   404  404  R1   404  404  404  404  404  404  404
audit log API              NO   NO   R4   R4   R1   R1   R2   R0   R2   R0   R0   R0   R0   R0
audit log csv              NO   NO   R4   R4   R1   R1   R2   R0   R2   R0   R0   R0   R0   R0
import template            LG   NO   OK   OK   NO   NO   OK   OK   OK   OK   NO   NO   NO   NO
kiosks page                LG   NO   OK   OK   NO   NO   OK   OK   OK   OK   NO   NO   NO   NO
index dashboard of X1      LG   404  OK   OK   404  404  OK   404  OK   404  OK   404  OK   404
index ranking PDF of X1    LG   404  JOB  JOB  404  404  JOB  404  JOB  404  JOB  404  JOB  404
index scorecard PDF of X1  LG   404  JOB  JOB  404  404  JOB  404  JOB  404  JOB  404  JOB  404
admin                      LG   LG   OK   OK   LG   LG   LG   LG   LG   LG   LG   LG   LG   LG
admin memberships          LG   LG   OK   OK   LG   LG   LG   LG   LG   LG   LG   LG   LG   LG
"""
JOB = "job"  # a report job was queued (the redirect to its page)
SYMBOLS = {
    "OK": OK,
    "NO": NO,
    "LG": LG,
    "KEY": KEY,
    "R0": R0,
    "R1": R1,
    "R2": R2,
    "R4": R4,
    "JOB": JOB,
}


def _parse(table: str) -> dict[str, list[Any]]:
    expected = {}
    for line in table.strip().splitlines()[1:]:
        name, cells = line[:27].strip(), line[27:].split()
        expected[name] = [SYMBOLS[c] if c in SYMBOLS else int(c) for c in cells]
    return expected


EXPECTED = _parse(TABLE)

CASES = [
    pytest.param(endpoint, subject, EXPECTED[endpoint][i], id=f"{endpoint} | {subject}")
    for endpoint in PROBES
    for i, subject in enumerate(SUBJECTS)
]


RAW_ANSWER_ENDPOINTS = [
    "raw answers list",
    "raw answers of X1",
    "export csv",
    "export xlsx",
    "export json",
    "imports page",
    "imports page upload",
    "imports API upload",
    "another's import report",
    "firm list of X1 campaign",
    "import template",
    "kiosks page",
]


def test_a_leader_is_refused_every_raw_answer_endpoint() -> None:
    # Leaders read dashboards, rankings and reports, never raw answers (issue 11); the
    # parametrized test below checks each of these cells against the live endpoint.
    for subject in ("leader+", "leader-"):
        column = SUBJECTS.index(subject)
        assert {EXPECTED[e][column] for e in RAW_ANSWER_ENDPOINTS} == {NO}


def test_the_table_covers_every_endpoint_and_subject() -> None:
    assert set(EXPECTED) == set(PROBES)
    assert {len(row) for row in EXPECTED.values()} == {len(SUBJECTS)}


@pytest.mark.parametrize(("endpoint", "subject", "expected"), CASES)
def test_permission_matrix(world: dict[str, Any], endpoint: str, subject: str, expected: Any):
    client = _subject(subject)

    assert PROBES[endpoint](client, world) == expected
