"""The DDCI firm design: strata unit × firm size × firm sector × ownership, base weights
N_h / n_h and Taylor variance with the strata and their fpc — equal to R's survey
(tests/analysis/replicate_reference.R); the firm frame uploaded and checked against the
questionnaire's categories, row by row; sector and channel values checked too."""

import csv
from pathlib import Path

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from analysis.compute import round_compute
from analysis.estimation import Domain, Items, round_estimates
from analysis.extracts import extract_refresh
from analysis.loaders import round_frame, round_load, round_margins, round_versions
from analysis.models import FrameCell
from analysis.round_config import publication_of, scheme_of, spec_of, variables_needed
from analysis.weighting import weights_compute
from org.models import AdministrativeUnit, Role
from questionnaires.services import (
    library_definition,
    questionnaire_publish,
    questionnaire_save_draft,
)
from survey.models import Response
from tests.analysis.r_replicate_reference import R_FIRMS, R_FIRMS_DF
from tests.factories import province_with_communes, signed_in, survey_round

DATA = Path(__file__).parent / "data" / "firms.csv"
STRATA = ["unit", "firm_size", "firm_sector", "ownership"]


def test_the_firm_design_equals_r():
    rows = list(csv.DictReader(DATA.open()))
    columns = {name: np.array([r[name] for r in rows]) for name in STRATA}
    population = {tuple(r[v] for v in STRATA): float(r["N"]) for r in rows}
    number = lambda name: np.array([float(r[name]) for r in rows])  # noqa: E731

    weighting = weights_compute(
        columns=columns,
        frame=[(dict(zip(STRATA, key, strict=True)), n) for key, n in population.items()],
        margins={},
        steps=[{"step": "cell_weights", "by": STRATA}],
    )
    out = round_estimates(
        design=weighting.design,
        data=Items(
            components=["share"],
            satisfied=number("sat")[:, None],
            valid=number("valid")[:, None],
            items=["score"],
            values=number("score")[:, None],
            item_satisfied=[[4, 5]],
        ),
        domains=[Domain("unit", np.zeros(len(rows))), Domain("unit", number("unit"))],
        spec={"statistics": ["element_index", "item_mean"], "ci_method": "logit"},
        publication={"min_n": 0},
    )

    ours = {}
    for row in out:
        where = "all" if row.domain_value == "0" else f"unit={row.domain_value}"
        kind = "share" if row.statistic == "element_index" else "mean"
        ours[f"{kind}|{where}"] = (row.estimate, row.se, row.df)
    for key, (estimate, se) in R_FIRMS.items():
        assert ours[key][0] == pytest.approx(estimate, rel=1e-12), key
        assert ours[key][1] == pytest.approx(se, rel=1e-9), key
    assert ours["share|all"][2] == R_FIRMS_DF == len(rows) - len(population)
    # base weights N_h / n_h
    counts = {key: 0 for key in population}
    for r in rows:
        counts[tuple(r[v] for v in STRATA)] += 1
    want = [population[k] / counts[k] for k in (tuple(r[v] for v in STRATA) for r in rows)]
    assert weighting.final.tolist() == pytest.approx(want, rel=1e-15)


@pytest.fixture
def firm_round(db):
    draft = questionnaire_save_draft(definition=library_definition("ddci"))
    version = questionnaire_publish(questionnaire=draft)
    return survey_round(province_with_communes(("D1", "D2")), version)


def _file(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("f.csv", text.encode("utf-8"), content_type="text/csv")


@pytest.mark.django_db
def test_a_firm_frame_is_checked_against_the_questionnaire_row_by_row(firm_round):
    stat = signed_in("stat", Role.STATISTICIAN, firm_round.scope)
    FrameCell.objects.create(round=firm_round, unit=firm_round.scope, count=7, source="upload")
    bad = (
        "unit,firm_size,firm_sector,ownership,count\n"
        "D1,small,industry,private,40\n"
        "D1,giant,industry,private,5\n"  # row 3: not a size the questionnaire offers
        "\n"  # row 4: a blank line keeps the numbering
        "D2,small,mining,state,5\n"  # row 5: not a firm sector
        "D2,small,services,pirate,5\n"  # row 6: not an ownership
        "D1,small,industry,private,9\n"  # row 7: the same stratum twice
    )

    reply = stat.post(f"/api/v1/rounds/{firm_round.code}/frame/", {"file": _file(bad)})

    assert reply.status_code == 400
    assert [(e["row"], e["column"]) for e in reply.json()["errors"]] == [
        (3, "firm_size"),
        (5, "firm_sector"),
        (6, "ownership"),
        (7, "unit"),
    ]
    assert "micro, small" in reply.json()["errors"][0]["message"]
    assert list(FrameCell.objects.values_list("count", flat=True)) == [7]


@pytest.mark.django_db
def test_sectors_and_channels_of_a_frame_are_checked(firm_round):
    stat = signed_in("stat", Role.STATISTICIAN, firm_round.scope)
    d1 = AdministrativeUnit.objects.get(code="D1")
    Response.objects.create(
        version=firm_round.questionnaire.versions.get(),
        unit=d1,
        sector="land",
        channel="counter",
        answers={},
        submitted_at=firm_round.period_start,
    )
    text = (
        "unit,sector,channel,count\n"
        "D1,land,counter,10\n"
        "D1,lnad,counter,10\n"  # row 3: a typo of a known sector
        "D1,land,fax,10\n"  # row 4: not a channel
        f"D2,{'x' * 70},online,3\n"  # row 5: longer than a sector can be
    )

    reply = stat.post(f"/api/v1/rounds/{firm_round.code}/frame/", {"file": _file(text)})

    assert reply.status_code == 400
    assert [(e["row"], e["column"]) for e in reply.json()["errors"]] == [
        (3, "sector"),
        (4, "channel"),
        (5, "sector"),
    ]
    assert "land" in reply.json()["errors"][0]["message"]
    assert not FrameCell.objects.exists()


@pytest.mark.django_db
def test_margins_totals_that_disagree_are_reported_on_their_rows(firm_round):
    stat = signed_in("stat", Role.STATISTICIAN, firm_round.scope)
    text = (
        "variable,category,target\n"
        "firm_size,small,60\nfirm_size,medium,40\n"
        "\n"
        "ownership,private,70\nownership,fdi,20\n"  # rows 5–6: 90, not 100
    )

    reply = stat.post(f"/api/v1/rounds/{firm_round.code}/margins/", {"file": _file(text)})

    assert reply.status_code == 400
    assert [(e["row"], e["column"]) for e in reply.json()["errors"]] == [(5, "target")]
    assert "ownership = 90" in reply.json()["errors"][0]["message"]


@pytest.mark.django_db
def test_a_firm_round_runs_on_its_stratified_frame(firm_round):
    stat = signed_in("stat", Role.STATISTICIAN, firm_round.scope)
    version = firm_round.questionnaire.versions.get()
    units = {u.code: u for u in AdministrativeUnit.objects.filter(code__in=["D1", "D2"])}
    firms = [
        ("D1", "small", "industry", "private", 5),
        ("D1", "small", "industry", "private", 2),
        ("D1", "large", "services", "fdi", 4),
        ("D2", "small", "industry", "private", 3),
        ("D2", "small", "industry", "private", 4),
    ]
    for code, size, sector, ownership, rating in firms:
        Response.objects.create(
            version=version,
            unit=units[code],
            sector="",
            channel="web",
            answers={"transparency_1": rating},
            profile={"firm_size": size, "firm_sector": sector, "ownership": ownership},
            submitted_at=firm_round.period_start,
        )
    frame = (
        "unit,firm_size,firm_sector,ownership,count\n"
        "D1,small,industry,private,40\nD1,large,services,fdi,6\n"
        "D2,small,industry,private,30\nD2,micro,services,household,500\n"
    )
    uploaded = stat.post(f"/api/v1/rounds/{firm_round.code}/frame/", {"file": _file(frame)})
    put = stat.put(
        f"/api/v1/rounds/{firm_round.code}/instrument/",
        {
            "weighting": [{"step": "cell_weights", "by": STRATA}],
            "estimation": {"statistics": ["item_mean"], "ci_method": "wald"},
        },
        content_type="application/json",
    )
    firm_round.refresh_from_db()
    extract_refresh(version=version)
    assert [v.pk for v in round_versions(firm_round)] == [version.pk]
    scheme, spec = scheme_of(firm_round), spec_of(firm_round)

    computed = round_compute(
        data=round_load(firm_round, variables_needed(scheme, spec)),
        frame=round_frame(firm_round),
        margins=round_margins(firm_round),
        scheme=scheme,
        spec=spec,
        publication=publication_of(firm_round),
        scope_id=firm_round.scope_id,
    )

    assert uploaded.status_code == 201 and put.status_code == 200, (uploaded.json(), put.json())
    assert computed.diagnostics["cells"] == {"count": 3, "without_frame": 0, "below_responses": 0}
    # weights 40/2 = 20, 6/1 = 6, 30/2 = 15: the answered strata's firms
    assert computed.diagnostics["sum_weights"] == pytest.approx(76.0)
    d1 = str(units["D1"].pk)
    mean = {
        r.domain_value: r
        for r in computed.rows
        if r.item == "transparency_1" and r.statistic == "item_mean"
    }
    assert mean[d1].estimate == pytest.approx((20 * 5 + 20 * 2 + 6 * 4) / 46, rel=1e-12)
    # the fpc: stratum (D1, small, industry, private) has 2 of 40 firms; (D1, large …)
    # one of 6 (a lonely stratum, removed) — so the SE comes from the first alone
    z = np.array([20 * (5 - mean[d1].estimate), 20 * (2 - mean[d1].estimate)]) / 46
    # (1 − f) · n/(n − 1) · Σ (z − z̄)², with n = 2
    assert mean[d1].se == pytest.approx(np.sqrt((1 - 2 / 40) * 2 * np.var(z, ddof=1)), rel=1e-9)
