"""A round weighted by cell weights, then raked to two margins, equals R's survey:
svyby(svyratio) per unit and per sex, and the overall index via svycontrast
(tests/analysis/round_reference.R made the values in r_round_reference.py)."""

import csv
from pathlib import Path

import numpy as np
import pytest

from analysis.compute import replicate
from analysis.estimation import Domain, Items, round_estimates
from analysis.weighting import weights_compute
from tests.analysis.r_round_reference import R_JKN, R_ROUND, R_WEIGHT_SUM

DATA = Path(__file__).parent / "data" / "round.csv"
MARGINS = {
    "sex": {"female": 1800.0, "male": 1568.0},
    "age": {"18-34": 900.0, "35-54": 1500.0, "55+": 968.0},
}
SCHEME = [
    {"step": "cell_weights", "by": ["unit", "sector"]},
    {"step": "rake", "margins": ["sex", "age"]},
]


@pytest.fixture(scope="module")
def estimates() -> dict[str, tuple[float, float]]:
    rows = list(csv.DictReader(DATA.open()))
    columns = {name: np.array([r[name] for r in rows]) for name in ("unit", "sector", "sex", "age")}
    frame = {(r["unit"], r["sector"]): float(r["N"]) for r in rows}
    weighting = weights_compute(
        columns=columns,
        frame=[({"unit": u, "sector": s}, count) for (u, s), count in frame.items()],
        margins=MARGINS,
        steps=SCHEME,
    )
    number = lambda name: np.array([float(r[name]) for r in rows])  # noqa: E731
    items = Items(
        components=["access", "proc"],
        satisfied=np.column_stack([number("sat_access"), number("sat_proc")]),
        valid=np.column_stack([number("valid_access"), number("valid_proc")]),
        items=[],
        values=np.zeros((len(rows), 0)),
        item_satisfied=[],
    )
    domains = [
        Domain("unit", np.zeros(len(rows))),  # the whole round: one domain, id 0
        Domain("unit", number("unit")),
        Domain("sex", columns["sex"]),
    ]
    out = round_estimates(
        design=weighting.design,
        data=items,
        domains=domains,
        spec={"statistics": ["element_index", "overall"], "ci_method": "logit"},
        publication={"min_n": 0},
    )
    table = {}
    for row in out:
        if row.domain_variable == "unit":
            where = "all" if row.domain_value == "0" else f"unit={row.domain_value}"
        else:
            where = f"{row.domain_variable}={row.domain_value}"
        table[f"{row.item}|{where}"] = (row.estimate, row.se, row.n)
    table["weight_sum"] = (float(weighting.final.sum()), 0.0, 0)
    table["answered_proc"] = (0.0, 0.0, int(sum(number("valid_proc") > 0)))
    return table


@pytest.mark.parametrize("key", sorted(R_ROUND))
def test_estimate_and_se_equal_r(estimates, key):
    estimate, se = R_ROUND[key]

    assert estimates[key][0] == pytest.approx(estimate, rel=1e-9)
    assert estimates[key][1] == pytest.approx(se, rel=1e-7)


def test_raked_weights_hit_the_margins(estimates):
    assert estimates["weight_sum"][0] == pytest.approx(R_WEIGHT_SUM, rel=1e-10)


def test_n_counts_the_respondents_who_answered_the_element(estimates):
    assert estimates["proc|all"][2] == estimates["answered_proc"][2] < 188
    assert estimates["access|all"][2] == 188


def _cell_weighted_jackknife() -> dict[str, tuple[float, float]]:
    rows = list(csv.DictReader(DATA.open()))
    columns = {name: np.array([r[name] for r in rows]) for name in ("unit", "sector")}
    frame = {(r["unit"], r["sector"]): float(r["N"]) for r in rows}
    scheme = SCHEME[:1]
    weighting = weights_compute(
        columns=columns,
        frame=[({"unit": u, "sector": s}, count) for (u, s), count in frame.items()],
        margins={},
        steps=scheme,
    )
    design = replicate(weighting, spec={"variance": "jackknife"})
    number = lambda name: np.array([float(r[name]) for r in rows])  # noqa: E731
    items = Items(
        components=["access", "proc"],
        satisfied=np.column_stack([number("sat_access"), number("sat_proc")]),
        valid=np.column_stack([number("valid_access"), number("valid_proc")]),
        items=[],
        values=np.zeros((len(rows), 0)),
        item_satisfied=[],
    )
    out = round_estimates(
        design=design,
        data=items,
        domains=[Domain("unit", number("unit"))],
        spec={"statistics": ["element_index"], "ci_method": "logit"},
        publication={"min_n": 0},
    )
    return {f"{r.item}|unit={r.domain_value}": (r.estimate, r.se) for r in out}


def test_the_stratified_jackknife_equals_r_jkn():
    ours = _cell_weighted_jackknife()

    for key, (estimate, se) in R_JKN.items():
        assert ours[key][0] == pytest.approx(estimate, rel=1e-9), key
        assert ours[key][1] == pytest.approx(se, rel=1e-9), key
