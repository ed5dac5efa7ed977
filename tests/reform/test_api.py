"""The reform index API: scoped, thin, audited through the services."""

import json

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from org.models import AuditEntry, Role
from reform.models import Evidence, Score
from tests.factories import member
from tests.reform.conftest import past_deadline
from tests.reform.test_services import PDF


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _put(client: Client, url: str, body: dict):
    return client.put(url, data=json.dumps(body), content_type="application/json")


def test_an_officer_puts_a_self_score_of_their_unit(scoring_round, x1, officer):
    client = _client(officer)

    response = _put(
        client,
        "/api/v1/index/rounds/cchc-2026/scores/X1/1.1/",
        {"points": 35, "comment": "đủ hồ sơ"},
    )

    assert response.status_code == 200
    assert response.json()["self_points"] == 35
    assert Score.objects.get().comment == "đủ hồ sơ"


def test_another_units_score_is_404_and_nothing_changes(scoring_round, x2, officer):
    client = _client(officer)

    response = _put(client, "/api/v1/index/rounds/cchc-2026/scores/X2/1.1/", {"points": 35})

    assert response.status_code == 404
    assert Score.objects.count() == 0


def test_after_the_deadline_the_officer_gets_403(scoring_round, x1, officer):
    past_deadline(scoring_round)

    response = _put(
        _client(officer), "/api/v1/index/rounds/cchc-2026/scores/X1/1.1/", {"points": 35}
    )

    assert response.status_code == 403
    assert Score.objects.count() == 0


def test_points_above_the_maximum_are_400_with_the_reason(scoring_round, x1, officer):
    response = _put(
        _client(officer), "/api/v1/index/rounds/cchc-2026/scores/X1/1.1/", {"points": 45}
    )

    assert response.status_code == 400
    assert Score.objects.count() == 0


def test_evidence_upload_then_appraisal_by_the_appraiser(scoring_round, x1, officer, appraiser):
    officer_client, appraiser_client = _client(officer), _client(appraiser)
    score_id = _put(
        officer_client, "/api/v1/index/rounds/cchc-2026/scores/X1/1.1/", {"points": 38}
    ).json()["id"]

    uploaded = officer_client.post(
        f"/api/v1/index/scores/{score_id}/evidence/", {"file": SimpleUploadedFile("kh.pdf", PDF)}
    )
    by_officer = officer_client.post(
        f"/api/v1/index/scores/{score_id}/appraisal/",
        {"points": 40, "reason": "tự nâng"},
        content_type="application/json",
    )
    adjusted = appraiser_client.post(
        f"/api/v1/index/scores/{score_id}/appraisal/",
        {"points": 32, "reason": "Thiếu minh chứng quý IV"},
        content_type="application/json",
    )

    listed = officer_client.get(f"/api/v1/index/scores/{score_id}/evidence/").json()
    assert uploaded.status_code == 201
    assert uploaded.json()["content_type"] == "application/pdf"
    assert [(e["name"], e["url"]) for e in listed] == [
        ("kh.pdf", f"/index/evidence/{uploaded.json()['id']}/")
    ]
    assert Evidence.objects.count() == 1
    assert by_officer.status_code == 403
    assert adjusted.status_code == 200
    assert adjusted.json()["points"] == 32
    assert list(
        AuditEntry.objects.filter(action__startswith="reform.")
        .order_by("id")
        .values_list("action", flat=True)
    ) == [
        "reform.framework_import",
        "reform.round_open",
        "reform.self_score",
        "reform.evidence_add",
        "reform.appraise",
    ]


def test_results_are_404_for_an_officer_and_ranked_for_a_leader(
    scoring_round, province, x1, officer
):
    leader = member("leader", Role.LEADER, province)
    _put(_client(officer), "/api/v1/index/rounds/cchc-2026/scores/X1/1.1/", {"points": 38})

    hidden = _client(officer).get("/api/v1/index/rounds/cchc-2026/results/")
    client = _client(leader)
    with CaptureQueriesContext(connection) as queries:
        shown = client.get("/api/v1/index/rounds/cchc-2026/results/?draws=200")

    assert hidden.status_code == 404
    assert shown.status_code == 200
    units = shown.json()["units"]
    assert [(u["unit"], u["rank"], u["complete"]) for u in units] == [
        ("X1", 1, False),
        ("X2", 2, False),
    ]
    assert len(queries) <= 14


def test_scores_list_is_scoped_to_the_officers_unit(scoring_round, x1, x2, officer, appraiser):
    other = member("officer2", Role.OFFICER, x2)
    _put(_client(officer), "/api/v1/index/rounds/cchc-2026/scores/X1/1.1/", {"points": 38})
    _put(_client(other), "/api/v1/index/rounds/cchc-2026/scores/X2/1.1/", {"points": 30})

    mine = _client(officer).get("/api/v1/index/rounds/cchc-2026/scores/").json()
    all_of_them = _client(appraiser).get("/api/v1/index/rounds/cchc-2026/scores/").json()

    assert [s["unit"] for s in mine] == ["X1"]
    assert sorted(s["unit"] for s in all_of_them) == ["X1", "X2"]


def test_a_framework_exports_as_json_and_imports_back_for_an_administrator(scoring_round, province):
    admin = member("admin", Role.SYSADMIN, province)
    client = _client(admin)
    exported = client.get("/api/v1/index/frameworks/commune-2026/").json()
    exported["code"] = "commune-2027"

    created = client.post("/api/v1/index/frameworks/", exported, content_type="application/json")
    refused = _client(member("designer", Role.DESIGNER, province)).post(
        "/api/v1/index/frameworks/", exported, content_type="application/json"
    )

    assert created.status_code == 201
    assert created.json()["frozen"] is False
    assert refused.status_code == 403


def test_a_framework_not_in_the_nested_shape_is_a_400_naming_the_field(province):
    client = _client(member("admin", Role.SYSADMIN, province))
    shape = {"code": "x", "name": "X", "year": 2026, "level": "commune", "kind": "par"}
    url = "/api/v1/index/frameworks/"

    replies = [
        client.post(url, {**shape, "nodes": 5}, content_type="application/json"),
        client.post(url, {**shape, "nodes": ["a"]}, content_type="application/json"),
        client.post(url, {**shape, "year": "abc", "nodes": []}, content_type="application/json"),
        client.post(url, {**shape, "nodes": [], "bands": [{}]}, content_type="application/json"),
        client.post(url, {**shape, "nodes": []}),  # a form without a file
    ]

    assert [r.status_code for r in replies] == [400] * 5
    assert [r.json()["detail"] for r in replies[:4]] == [
        ["nodes: malformed"],
        ["nodes: malformed"],
        ["year: malformed"],
        ["bands: malformed"],
    ]


def test_the_scores_list_takes_the_same_queries_for_more_scores(scoring_round, x1, x2, appraiser):
    officer_p = member("officer-p", Role.OFFICER, x1.parent)
    client = _client(appraiser)
    _put(_client(officer_p), "/api/v1/index/rounds/cchc-2026/scores/X1/1.1/", {"points": 38})
    with CaptureQueriesContext(connection) as one:
        client.get("/api/v1/index/rounds/cchc-2026/scores/")
    for unit in ("X1", "X2"):
        for code in ("1.1", "1.2"):
            _put(
                _client(officer_p),
                f"/api/v1/index/rounds/cchc-2026/scores/{unit}/{code}/",
                {"points": 10},
            )

    client = _client(appraiser)
    with CaptureQueriesContext(connection) as four:
        listed = client.get("/api/v1/index/rounds/cchc-2026/scores/")

    assert len(listed.json()) == 4
    assert len(four) == len(one)


def test_the_council_extends_the_self_assessment_with_a_reason(scoring_round, officer, appraiser):
    past_deadline(scoring_round)
    body = {
        "self_score_deadline": "2099-01-01T00:00:00+07:00",
        "appraisal_deadline": "2099-02-01T00:00:00+07:00",
        "publication_date": "2099-03-01T00:00:00+07:00",
    }

    by_officer = _client(officer).patch(
        "/api/v1/index/rounds/cchc-2026/", {**body, "reason": "x"}, content_type="application/json"
    )
    no_reason = _client(appraiser).patch(
        "/api/v1/index/rounds/cchc-2026/", {**body, "reason": " "}, content_type="application/json"
    )
    extended = _client(appraiser).patch(
        "/api/v1/index/rounds/cchc-2026/",
        {**body, "reason": "Công văn 15/SNV gia hạn"},
        content_type="application/json",
    )
    scored = _put(_client(officer), "/api/v1/index/rounds/cchc-2026/scores/X1/1.1/", {"points": 30})

    assert (by_officer.status_code, no_reason.status_code, extended.status_code) == (403, 400, 200)
    assert scored.status_code == 200
    entry = AuditEntry.objects.get(action="reform.round_deadlines")
    assert entry.reason == "Công văn 15/SNV gia hạn"
    assert entry.after["self_score_deadline"] == "2099-01-01T00:00:00+07:00"


def test_a_leaf_read_from_estimates_cannot_be_entered_by_hand(scoring_round, officer, appraiser):
    body = {"value": 0.9, "source": "báo cáo"}
    url = "/api/v1/index/rounds/cchc-2026/survey-values/X1/2.1/"

    by_officer = _client(officer).put(url, body, content_type="application/json")
    by_appraiser = _client(appraiser).put(url, body, content_type="application/json")

    assert (by_officer.status_code, by_appraiser.status_code) == (403, 400)
    assert "lấy giá trị từ kết quả ước lượng" in by_appraiser.json()["detail"][0]
