"""Large rounds in parallel: chunks reduced to sufficient statistics and added give the
single pass's estimates, SEs, CIs and design effects to 1e-12 — in pure numpy, and
through a Celery chord on real worker processes."""

import time

import numpy as np
import pytest

from analysis.element_index import ancestor_levels
from analysis.estimation import Domain, Items, round_estimates
from analysis.extracts import extract_refresh
from analysis.fanout import CellStats, cell_stats, cell_stats_add, estimates_from_stats
from analysis.models import AnalysisRun, ChunkStatistics, ResponseExtract
from analysis.services import analysis_run_start
from analysis.weighting import weights_compute
from org.models import AdministrativeUnit
from survey.models import Response
from tests.factories import province_with_communes, sipas_answers, sipas_version, survey_round

FIELDS = ("estimate", "se", "ci_low", "ci_high", "df", "n", "deff", "unweighted")


def _close(single, parallel):
    key = lambda r: (r.statistic, r.item, r.domain_value)  # noqa: E731
    a, b = {key(r): r for r in single}, {key(r): r for r in parallel}
    assert set(a) == set(b)
    for k, row in a.items():
        for field in FIELDS:
            x, y = getattr(row, field), getattr(b[k], field)
            assert (np.isnan(x) and np.isnan(y)) or y == pytest.approx(x, rel=1e-12, abs=1e-15), (
                k,
                field,
            )


@pytest.mark.parametrize("ci_method", ["logit", "korn_graubard", "wald"])
def test_chunk_statistics_added_equal_the_single_pass(ci_method):
    rng = np.random.default_rng(11)
    n, k = 2500, 4
    unit = rng.integers(10, 30, n)
    unit[:1] = 31  # a unit with one respondent: a lonely cell
    sector = rng.choice(["land", "tax", "justice"], n)
    valid = rng.integers(0, 4, (n, k)).astype(float)
    satisfied = np.minimum(valid, rng.integers(0, 4, (n, k))).astype(float)
    parent = {u: (1 if u < 20 else 2) for u in range(10, 32)} | {1: 0, 2: 0, 0: None}
    frame = [
        ({"unit": str(u), "sector": s}, float(rng.integers(40, 400)))
        for u in range(10, 30)
        for s in ("land", "tax", "justice")
    ]
    frame.append(({"unit": "12", "sector": "land"}, 0.0))  # answers beyond the frame
    spec = {"statistics": ["element_index", "overall"], "ci_method": ci_method}
    components = ["sipas.a", "sipas.b", "sipas.c", "sipas.overall"]
    weighting = weights_compute(
        columns={"unit": unit.astype(str), "sector": sector},
        frame=frame,
        margins={},
        steps=[{"step": "cell_weights", "by": ["unit", "sector"]}],
    )
    levels = ancestor_levels(unit, parent, stop_at=0)
    single = round_estimates(
        design=weighting.design,
        data=Items(components, satisfied, valid, [], np.zeros((n, 0)), []),
        domains=[Domain("unit", levels[:, j]) for j in range(levels.shape[1])],
        spec=spec,
        publication={"min_n": 30},
    )

    shares = [
        CellStats.from_json(
            cell_stats(
                leaf_unit=unit[rows],
                sector=sector[rows],
                satisfied=satisfied[rows],
                valid=valid[rows],
                elements=[0, 1, 2],
            ).to_json()
        )
        for rows in np.array_split(rng.permutation(n), 7)
    ]
    population: dict = {}
    for keys, count in frame:
        cell = (int(keys["unit"]), keys["sector"])
        population[cell] = population.get(cell, 0.0) + count
    parallel = estimates_from_stats(
        stats=cell_stats_add(shares),
        components=components,
        population=population,
        unit_parent=parent,
        scope_id=0,
        elements=[0, 1, 2],
        spec=spec,
        publication={"min_n": 30},
    )

    _close(single, parallel)
    flags = {(r.statistic, r.item, r.domain_value): r.suppressed for r in parallel}
    assert {(r.statistic, r.item, r.domain_value): r.suppressed for r in single} == flags
    assert any(flags.values()) and not all(flags.values())


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_chord_on_real_workers_equals_the_single_pass(celery_worker):
    version = sipas_version()
    province = province_with_communes(("X1", "X2", "X3"))
    round_ = survey_round(province, version)
    units = list(AdministrativeUnit.objects.filter(parent=province))
    rng = np.random.default_rng(5)
    for _batch in range(3):  # three extract chunks: three shares of the parallel run
        for i in range(40):
            Response.objects.create(
                version=version,
                unit=units[int(rng.integers(0, 3))],
                sector=["land", "tax"][i % 2],
                channel="counter",
                answers=sipas_answers(int(rng.integers(1, 6)), feedback=bool(i % 3)),
                submitted_at=round_.period_start,
            )
        extract_refresh(version=version)
    assert ResponseExtract.objects.count() == 3

    def run_with(parallel: str) -> AnalysisRun:
        round_.estimation = {"parallel": parallel}
        round_.save()
        run = analysis_run_start(survey_round=round_)
        for _ in range(600):
            run.refresh_from_db()
            if run.status in {"succeeded", "failed"}:
                return run
            time.sleep(0.1)
        raise AssertionError(f"run {run.pk} still {run.status}")

    single = run_with("never")
    parallel = run_with("always")
    kept = ChunkStatistics.objects.count()
    # a re-run after more answers reads only the new chunk's answers
    for i in range(10):
        Response.objects.create(
            version=version,
            unit=units[i % 3],
            sector="land",
            channel="counter",
            answers=sipas_answers(1 + i % 5),
            submitted_at=round_.period_start,
        )
    again, again_single = run_with("always"), run_with("never")

    assert single.status == parallel.status == "succeeded", (single.error, parallel.error)
    assert kept == 3 and ChunkStatistics.objects.count() == 4
    assert again.n_responses == again_single.n_responses == 130
    assert again.fingerprint != parallel.fingerprint
    assert parallel.diagnostics["parallel_shares"] == 3
    assert "parallel_shares" not in single.diagnostics
    assert parallel.diagnostics["kish_deff"] == pytest.approx(single.diagnostics["kish_deff"])
    _same_rows(single, parallel)
    _same_rows(again_single, again)


def _same_rows(single: AnalysisRun, parallel: AnalysisRun) -> None:
    numbers = (*FIELDS, "n_effective")
    a = {(e.statistic, e.component, e.unit_id): e for e in single.estimates.all()}
    b = {(e.statistic, e.component, e.unit_id): e for e in parallel.estimates.all()}
    assert set(a) == set(b) and len(a) > 10
    for key, row in a.items():
        assert b[key].suppressed == row.suppressed, key
        for field in numbers:
            want, got = getattr(row, field), getattr(b[key], field)
            assert got == want if want is None else got == pytest.approx(want, rel=1e-12), key


WEIGHTED_SCHEMES = {
    "rake_trim": [
        {"step": "cell_weights", "by": ["unit", "sector"]},
        {"step": "rake", "margins": ["sex", "age_group"]},
        {"step": "trim", "upper": 2.5},
    ],
    "calibrate_logit": [
        {"step": "cell_weights", "by": ["unit", "sector"]},
        {"step": "nonresponse", "by": ["unit"], "counts": "frame"},
        {
            "step": "calibrate",
            "margins": ["sex", "age_group"],
            "method": "logit",
            "bounds": [0.3, 3.0],
        },
    ],
    "poststratify_linear": [
        {"step": "poststratify", "margin": "sex+age_group"},
        {"step": "calibrate", "margins": ["channel"]},
    ],
}


def _round_data(rng, n, k, parent):
    from analysis.loaders import RoundData

    unit = rng.integers(10, 30, n)
    unit[:1] = 31  # a lonely cell
    columns = {
        "unit": unit.astype(str),
        "sector": rng.choice(["land", "tax", "justice"], n),
        "channel": rng.choice(["counter", "online"], n),
        "sex": rng.choice(["female", "male"], n),
        "age_group": rng.choice(["18-34", "35-54", "55+"], n, p=[0.3, 0.5, 0.2]),
    }
    valid = rng.integers(0, 4, (n, k)).astype(float)
    valid[rng.random(n) < 0.1, 2] = 0  # some leave an element unanswered
    satisfied = np.minimum(valid, rng.integers(0, 4, (n, k))).astype(float)
    components = ["sipas.a", "sipas.b", "sipas.c", "sipas.overall"]
    return RoundData(
        components=components,
        satisfied=satisfied,
        valid=valid,
        items=[],
        values=np.zeros((n, 0)),
        item_satisfied=[],
        leaf_unit=unit.astype(np.int64),
        unit_parent=parent,
        columns=columns,
        fingerprint="",
    )


@pytest.mark.parametrize("scheme", sorted(WEIGHTED_SCHEMES))
def test_weighting_cell_statistics_give_the_single_pass_of_any_scheme(scheme):
    from analysis.compute import round_compute
    from analysis.fanout import rows_from_stats
    from analysis.loaders import RoundData

    rng = np.random.default_rng(23)
    n, k = 3000, 4
    parent = {u: (1 if u < 20 else 2) for u in range(10, 32)} | {1: 0, 2: 0, 0: None}
    data = _round_data(rng, n, k, parent)
    frame = [
        ({"unit": str(u), "sector": s}, float(rng.integers(60, 400)))
        for u in range(10, 30)
        for s in ("land", "tax", "justice")
    ]
    margins = {
        "sex": {"female": 9000.0, "male": 8000.0},
        "age_group": {"18-34": 5000.0, "35-54": 8000.0, "55+": 4000.0},
        "channel": {"counter": 12000.0, "online": 5000.0},
        "sex+age_group": {
            f"{s}+{a}": t
            for s, a, t in [
                ("female", "18-34", 2600.0),
                ("female", "35-54", 4200.0),
                ("female", "55+", 2200.0),
                ("male", "18-34", 2400.0),
                ("male", "35-54", 3800.0),
                ("male", "55+", 1800.0),
            ]
        },
    }
    spec = {"statistics": ["element_index", "overall"], "ci_method": "logit"}
    steps = WEIGHTED_SCHEMES[scheme]
    kwargs = dict(
        frame=frame,
        margins=margins,
        scheme=steps,
        spec=spec,
        publication={"min_n": 30},
        scope_id=0,
    )
    single = round_compute(data=data, **kwargs)

    variables = ["sector", "channel", "sex", "age_group"]
    shares = [
        CellStats.from_json(
            cell_stats(
                leaf_unit=data.leaf_unit[rows],
                sector=data.columns["sector"][rows],
                satisfied=data.satisfied[rows],
                valid=data.valid[rows],
                elements=[0, 1, 2],
                extra=[data.columns[v][rows] for v in variables[1:]],
            ).to_json()
        )
        for rows in np.array_split(rng.permutation(n), 5)
    ]
    unit, columns, satisfied, valid, answered, anyone = rows_from_stats(
        stats=cell_stats_add(shares), variables=variables
    )
    rebuilt = RoundData(
        components=data.components,
        satisfied=satisfied,
        valid=valid,
        items=[],
        values=np.zeros((n, 0)),
        item_satisfied=[],
        leaf_unit=unit,
        unit_parent=parent,
        columns=columns,
        fingerprint="",
        answered=answered,
        any_answered=anyone,
    )
    parallel = round_compute(data=rebuilt, **kwargs)

    _close(single.rows, parallel.rows)
    flags = {(r.statistic, r.item, r.domain_value): r.suppressed for r in parallel.rows}
    assert {(r.statistic, r.item, r.domain_value): r.suppressed for r in single.rows} == flags
    assert any(flags.values()) and not all(flags.values())
    for name in ("kish_deff", "effective_n", "sum_weights", "trimmed"):
        assert parallel.diagnostics[name] == pytest.approx(single.diagnostics[name], rel=1e-12)
    achieved = [m["achieved"] for m in single.diagnostics["margins"]]
    assert [m["achieved"] for m in parallel.diagnostics["margins"]] == pytest.approx(
        achieved, rel=1e-12
    )


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_chord_of_a_raked_round_on_real_workers_equals_the_single_pass(celery_worker):
    from analysis.models import MarginTarget

    version = sipas_version()
    province = province_with_communes(("X1", "X2", "X3"))
    round_ = survey_round(province, version)
    units = list(AdministrativeUnit.objects.filter(parent=province))
    rng = np.random.default_rng(8)
    people = [(s, a) for s in ("female", "male") for a in ("18-24", "35-44", "60+")]
    for _batch in range(3):  # three extract chunks: three shares
        for i in range(50):
            sex, age = people[int(rng.integers(0, len(people)))]
            answers = sipas_answers(int(rng.integers(1, 6)), feedback=bool(i % 3))
            Response.objects.create(
                version=version,
                unit=units[int(rng.integers(0, 3))],
                sector=["land", "tax"][i % 2],
                channel=["counter", "online"][i % 3 == 0],
                answers={**answers, "sex": sex, "age_group": age},
                submitted_at=round_.period_start,
            )
        extract_refresh(version=version)
    for variable, category, target in [
        ("sex", "female", 5200.0),
        ("sex", "male", 4800.0),
        ("age_group", "18-24", 3000.0),
        ("age_group", "35-44", 4500.0),
        ("age_group", "60+", 2500.0),
    ]:
        MarginTarget.objects.create(
            round=round_, variable=variable, category=category, target=target
        )
    round_.weighting = [
        {"step": "cell_weights", "by": ["unit", "sector"]},
        {"step": "rake", "margins": ["sex", "age_group"]},
        {"step": "trim", "upper": 3.0},
    ]

    def run_with(parallel: str) -> AnalysisRun:
        round_.estimation = {
            "parallel": parallel,
            "statistics": ["element_index", "overall"],
            "profile_domains": ["sex"],
            "ci_method": "korn_graubard",
        }
        round_.save()
        run = analysis_run_start(survey_round=round_)
        for _ in range(600):
            run.refresh_from_db()
            if run.status in {"succeeded", "failed"}:
                return run
            time.sleep(0.1)
        raise AssertionError(f"run {run.pk} still {run.status}")

    single = run_with("never")
    parallel = run_with("always")

    assert single.status == parallel.status == "succeeded", (single.error, parallel.error)
    assert parallel.diagnostics["parallel_shares"] == 3
    assert ChunkStatistics.objects.count() == 3
    assert parallel.n_responses == single.n_responses == 150
    assert parallel.diagnostics["kish_deff"] == pytest.approx(
        single.diagnostics["kish_deff"], rel=1e-12
    )
    assert {e.domain_variable for e in parallel.estimates.all()} == {"unit", "sex"}
    numbers = (*FIELDS, "n_effective")
    key = lambda e: (e.statistic, e.component, e.unit_id, e.domain_variable, e.domain_value)  # noqa: E731
    a = {key(e): e for e in single.estimates.all()}
    b = {key(e): e for e in parallel.estimates.all()}
    assert set(a) == set(b) and len(a) > 10
    for k, row in a.items():
        assert b[k].suppressed == row.suppressed, k
        for field in numbers:
            want, got = getattr(row, field), getattr(b[k], field)
            assert got == want if want is None else got == pytest.approx(want, rel=1e-12), k
