"""The statistician's instrument through the API: the scheme, spec and publication rule
(validated, audited), the frame and margins uploads (row-numbered, all or nothing), the
sample plan's monitoring, and a run that uses all of them."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from analysis.compute import round_compute
from analysis.extracts import extract_refresh
from analysis.loaders import round_frame, round_load, round_margins, round_versions
from analysis.models import FrameCell, MarginTarget
from analysis.round_config import publication_of, scheme_of, spec_of, variables_needed
from analysis.round_inputs import yamane
from analysis.weighting import WeightingError
from org.models import AdministrativeUnit, AuditEntry, Role
from survey.models import Response
from tests.factories import (
    province_with_communes,
    signed_in,
    sipas_answers,
    sipas_version,
    survey_round,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def round_():
    return survey_round(province_with_communes(("X1", "X2")), sipas_version())


@pytest.fixture
def stat(round_):
    return signed_in("stat", Role.STATISTICIAN, round_.scope)


def _file(name: str, text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


SCHEME = [
    {"step": "cell_weights", "by": ["unit", "sector"]},
    {"step": "rake", "margins": ["sex", "age_group"]},
    {"step": "trim", "upper": 3.5},
]


def test_the_instrument_is_validated_stored_and_audited(round_, stat):
    reply = stat.put(
        f"/api/v1/rounds/{round_.code}/instrument/",
        {
            "weighting": SCHEME,
            "estimation": {
                "statistics": ["element_index", "item_share"],
                "profile_domains": ["sex"],
                "ci_method": "korn_graubard",
            },
            "publication": {"min_n": 10, "max_rse": 0.25},
            "reason": "Raking to the 2024 census margins",
        },
        content_type="application/json",
    )

    assert reply.status_code == 200, reply.json()
    round_.refresh_from_db()
    assert round_.weighting == SCHEME
    assert reply.json()["estimation"]["statistics"] == ["element_index", "item_share"]
    assert round_.publication == {"min_n": 10, "max_rse": 0.25}
    entry = AuditEntry.objects.get(action="round.config")
    assert entry.reason == "Raking to the 2024 census margins"
    assert entry.before["weighting"] == [] and entry.after["weighting"] == SCHEME


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"weighting": [{"step": "boil"}]}, "weighting"),
        ({"weighting": [{"step": "rake"}]}, "weighting"),
        (
            {"weighting": [{"step": "calibrate", "margins": ["sex"], "method": "logit"}]},
            "weighting",
        ),
        ({"weighting": [{"step": "trim", "upper": 2}, {"step": "cell_weights"}]}, "weighting"),
        ({"weighting": [{"step": "rake", "margins": ["shoe_size"]}]}, "weighting"),
        ({"estimation": {"statistics": ["median"], "ci_method": "logit"}}, "estimation"),
        (
            {
                "estimation": {
                    "statistics": ["item_mean"],
                    "ci_method": "logit",
                    "profile_domains": ["unit"],
                }
            },
            "estimation",
        ),
        ({"publication": {"min_n": -1}}, "publication"),
    ],
)
def test_a_bad_instrument_is_refused_and_changes_nothing(round_, stat, body, field):
    reply = stat.put(
        f"/api/v1/rounds/{round_.code}/instrument/", body, content_type="application/json"
    )

    assert reply.status_code == 400
    assert field in reply.json()
    round_.refresh_from_db()
    assert (round_.weighting, round_.estimation, round_.publication) == ([], {}, {})
    assert not AuditEntry.objects.filter(action="round.config").exists()


def test_only_statisticians_of_the_round_configure_it(round_):
    elsewhere = province_with_communes(())
    other = AdministrativeUnit.objects.create(code="Q", name="Q", level=elsewhere.level)
    path = f"/api/v1/rounds/{round_.code}/instrument/"

    assert Client().get(path).status_code in {401, 403}
    assert signed_in("o", Role.OFFICER, round_.scope).get(path).status_code == 403
    assert signed_in("s2", Role.STATISTICIAN, other).get(path).status_code == 404


def test_a_frame_with_bad_rows_stores_nothing_and_reports_each(round_, stat):
    FrameCell.objects.create(round=round_, unit=round_.scope, count=7, source="upload")
    bad = "unit,sector,count\nX1,land,120\nZZ,land,5\nX2,land,-3\nX1,land,4\n"

    reply = stat.post(f"/api/v1/rounds/{round_.code}/frame/", {"file": _file("f.csv", bad)})

    assert reply.status_code == 400
    assert [(e["row"], e["column"]) for e in reply.json()["errors"]] == [
        (3, "unit"),
        (4, "count"),
        (5, "unit"),
    ]
    assert list(FrameCell.objects.values_list("count", flat=True)) == [7]


def test_a_good_frame_replaces_the_old_one(round_, stat):
    good = "unit,sector,channel,count\nX1,land,counter,120\nX2,land,,80\n"

    reply = stat.post(f"/api/v1/rounds/{round_.code}/frame/", {"file": _file("f.csv", good)})
    listed = stat.get(f"/api/v1/rounds/{round_.code}/frame/").json()

    assert reply.status_code == 201 and reply.json() == {"stored": 2}
    assert [(c["unit"], c["count"]) for c in listed["results"]] == [("X1", 120), ("X2", 80)]
    assert AuditEntry.objects.filter(action="round.frame").count() == 1


def test_margins_are_checked_against_the_questionnaire(round_, stat):
    bad = (
        "variable,category,target\n"
        "sex,female,510\nsex,robot,490\n"
        "shoe_size,42,1000\n"
        "age_group,35-44,x\n"
    )

    reply = stat.post(f"/api/v1/rounds/{round_.code}/margins/", {"file": _file("m.csv", bad)})

    assert reply.status_code == 400
    assert [(e["row"], e["column"]) for e in reply.json()["errors"]] == [
        (3, "category"),
        (4, "variable"),
        (5, "target"),
    ]
    assert not MarginTarget.objects.exists()


def test_margins_must_agree_on_the_population_total(round_, stat):
    text = "variable,category,target\nsex,female,510\nsex,male,490\nchannel,counter,900\n"

    reply = stat.post(f"/api/v1/rounds/{round_.code}/margins/", {"file": _file("m.csv", text)})

    assert reply.status_code == 400
    assert "channel = 900" in reply.json()["errors"][0]["message"]


def test_yamane_targets():
    assert [yamane(2000, 0.05), yamane(100, 0.05), yamane(0, 0.05)] == [334, 80, 0]


def _answers(round_, rows):
    """Responses (unit code, sector, sex, age group, rating) dated inside the round."""
    version = round_.questionnaire.versions.get()
    units = {u.code: u for u in AdministrativeUnit.objects.all()}
    for code, sector, sex, age, rating in rows:
        answers = {**sipas_answers(rating), "sex": sex, "age_group": age}
        Response.objects.create(
            version=version,
            unit=units[code],
            sector=sector,
            channel="counter",
            answers=answers,
            submitted_at=round_.period_start,
        )
    return version


def _run(round_):
    for version in round_versions(round_):
        extract_refresh(version=version)
    scheme, spec = scheme_of(round_), spec_of(round_)
    data = round_load(round_, variables_needed(scheme, spec))
    return round_compute(
        data=data,
        frame=round_frame(round_),
        margins=round_margins(round_),
        scheme=scheme,
        spec=spec,
        publication=publication_of(round_),
        scope_id=round_.scope_id,
    )


def test_a_run_follows_the_scheme_spec_and_publication_rule(round_, stat):
    people = [("female", "35-44"), ("male", "18-24"), ("female", "18-24"), ("male", "35-44")]
    _answers(
        round_, [(u, "land", *people[i % 4], 4 + i % 2) for u in ("X1", "X2") for i in range(8)]
    )
    stat.post(
        f"/api/v1/rounds/{round_.code}/frame/",
        {"file": _file("f.csv", "unit,sector,count\nX1,land,100\nX2,land,60\n")},
    )
    stat.post(
        f"/api/v1/rounds/{round_.code}/margins/",
        {
            "file": _file(
                "m.csv",
                "variable,category,target\nsex,female,90\nsex,male,70\n"
                "age_group,18-24,40\nage_group,35-44,120\n",
            )
        },
    )
    stat.put(
        f"/api/v1/rounds/{round_.code}/instrument/",
        {
            "weighting": SCHEME[:2],
            "estimation": {
                "statistics": ["element_index"],
                "profile_domains": ["sex"],
                "ci_method": "logit",
            },
            "publication": {"min_n": 10},
        },
        content_type="application/json",
    )
    round_.refresh_from_db()

    computed = _run(round_)

    achieved = {(m["variable"], m["category"]): m for m in computed.diagnostics["margins"]}
    assert achieved[("sex", "female")]["achieved"] == pytest.approx(90, rel=1e-9)
    assert achieved[("age_group", "35-44")]["achieved"] == pytest.approx(120, rel=1e-9)
    assert computed.diagnostics["sum_weights"] == pytest.approx(160, rel=1e-9)
    by = {(r.domain_variable, r.domain_value, r.item): r for r in computed.rows}
    province = str(round_.scope_id)
    assert by[("unit", province, "sipas.access")].n == 16
    assert not by[("unit", province, "sipas.access")].suppressed
    x1 = str(AdministrativeUnit.objects.get(code="X1").pk)
    assert by[("unit", x1, "sipas.access")].suppressed
    assert by[("unit", x1, "sipas.access")].reason == "n = 8 < 10"
    assert {v for (var, v, _i) in by if var == "sex"} == {"female", "male"}


def test_a_scheme_whose_margins_are_missing_fails_with_a_reason(round_):
    _answers(round_, [("X1", "land", "female", "35-44", 5), ("X1", "land", "male", "18-24", 4)])
    round_.weighting = [{"step": "rake", "margins": ["sex"]}]
    round_.save()

    with pytest.raises(WeightingError, match="no margin uploaded for sex"):
        _run(round_)


def test_monitoring_shows_progress_against_the_plan(round_, stat):
    from survey.services import transaction_register

    x1 = AdministrativeUnit.objects.get(code="X1")
    for i in range(40):
        transaction_register(
            external_id=f"T{i}",
            unit=x1,
            procedure_code="1",
            sector="land",
            channel="counter",
            completed_at=round_.period_start,
        )
    _answers(round_, [("X1", "land", "female", "35-44", 5)] * 3)

    rows = stat.get(f"/api/v1/rounds/{round_.code}/monitoring/").json()["results"]

    assert rows == [
        {
            "unit": "X1",
            "sector": None,
            "transactions": 40,
            "target": 37,
            "responses": 3,
            "response_rate": 0.075,
            "progress": 3 / 37,
            "short": True,
        },
    ]


def test_a_bootstrap_run_gives_standard_errors_near_taylor(round_):
    people = [("female", "35-44"), ("male", "18-24")]
    _answers(
        round_, [(u, "land", *people[i % 2], 2 + i % 4) for u in ("X1", "X2") for i in range(30)]
    )
    round_.publication = {"min_n": 0}
    round_.save()
    for code in ("X1", "X2"):  # 300 transactions a commune: 30 answers are a 10 % sample
        FrameCell.objects.create(
            round=round_,
            unit=AdministrativeUnit.objects.get(code=code),
            sector="land",
            count=300,
            source="upload",
        )
    taylor = {(r.domain_value, r.item): r.se for r in _run(round_).rows}
    round_.estimation = {"variance": "bootstrap", "replicates": 400, "seed": 7}
    round_.save()

    boot = {(r.domain_value, r.item): r.se for r in _run(round_).rows}

    assert set(boot) == set(taylor)
    ratios = [boot[k] / taylor[k] for k in taylor if taylor[k] > 0]
    assert ratios and all(0.7 < r < 1.3 for r in ratios), ratios


def test_an_unknown_part_or_an_endless_scheme_is_refused(round_, stat):
    # QA: {"weighing": […]} (a typo) answered 200 and changed nothing; 1,000 trim steps
    # were stored.
    url = f"/api/v1/rounds/{round_.code}/instrument/"

    typo = stat.put(url, {"weighing": []}, content_type="application/json")
    endless = stat.put(
        url, {"weighting": [{"step": "trim", "upper": 3}] * 1000}, content_type="application/json"
    )

    assert typo.status_code == 400
    assert "weighing" in typo.json()
    assert endless.status_code == 400
    assert "weighting" in endless.json()
    round_.refresh_from_db()
    assert round_.weighting == []
