"""Replicate variance after the scheme's adjustments equals R's survey: the JKn
replicates of the cell-weight design, with raking, calibration (linear; logit with
bounds), post-stratification and nonresponse classes re-run in every replicate
(tests/analysis/replicate_reference.R made the values in r_replicate_reference.py)."""

import csv
from pathlib import Path

import numpy as np
import pytest

from analysis.compute import replicate
from analysis.estimation import Domain, Items, round_estimates
from analysis.estimators import ReplicateDesign
from analysis.weighting import weights_compute
from tests.analysis.r_replicate_reference import R_REPLICATES

DATA = Path(__file__).parent / "data" / "round.csv"
MARGINS = {
    "sex": {"female": 1800.0, "male": 1568.0},
    "age": {"18-34": 900.0, "35-54": 1500.0, "55+": 968.0},
}
CELLS = {"step": "cell_weights", "by": ["unit", "sector"]}
SCHEMES = {
    "rake": [CELLS, {"step": "rake", "margins": ["sex", "age"]}],
    "calibrate_linear": [CELLS, {"step": "calibrate", "margins": ["sex", "age"]}],
    "calibrate_logit": [
        CELLS,
        {"step": "calibrate", "margins": ["sex", "age"], "method": "logit", "bounds": [0.5, 2.5]},
    ],
    "poststratify": [CELLS, {"step": "poststratify", "margin": "sex"}],
    # Nonresponse classes by unit first, from the invitations issued per unit.
    "nonresponse": [{"step": "nonresponse", "by": ["unit"]}],
    "nonresponse_taylor": [{"step": "nonresponse", "by": ["unit"], "counts": "invitations"}],
}
INVITED = (
    [({"unit": u, "sector": "land"}, n) for u, n in (("11", 90.0), ("12", 75.0))]
    + [({"unit": "13", "sector": s}, n) for s, n in (("land", 50.0), ("tax", 30.0))]
    + [({"unit": "14", "channel": "online"}, 100.0)]
)


def _rows() -> list[dict[str, str]]:
    return list(csv.DictReader(DATA.open()))


def _estimates(scheme_name: str, variance: str = "jackknife") -> dict[str, tuple[float, float]]:
    rows = _rows()
    columns = {name: np.array([r[name] for r in rows]) for name in ("unit", "sector", "sex", "age")}
    cells = {(r["unit"], r["sector"]): float(r["N"]) for r in rows}
    frame = [({"unit": u, "sector": s}, count) for (u, s), count in cells.items()]
    weighting = weights_compute(
        columns=columns, frame=frame, margins=MARGINS, steps=SCHEMES[scheme_name], eligible=INVITED
    )
    if scheme_name == "nonresponse_taylor":
        variance = "taylor"
    design = replicate(weighting, spec={"variance": variance, "replicates": 50, "seed": 3})
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
        domains=[Domain("unit", np.zeros(len(rows))), Domain("unit", number("unit"))],
        spec={"statistics": ["element_index"], "ci_method": "logit"},
        publication={"min_n": 0},
    )
    table = {}
    for row in out:
        where = "all" if row.domain_value == "0" else f"unit={row.domain_value}"
        table[f"{scheme_name}|{row.item}|{where}"] = (row.estimate, row.se)
    return table


@pytest.fixture(scope="module")
def ours() -> dict[str, tuple[float, float]]:
    table: dict[str, tuple[float, float]] = {}
    for name in SCHEMES:
        table.update(_estimates(name))
    return table


@pytest.mark.parametrize("key", sorted(R_REPLICATES))
def test_jackknife_after_the_adjustments_equals_r(ours, key):
    estimate, se = R_REPLICATES[key]

    assert ours[key][0] == pytest.approx(estimate, rel=1e-9)
    assert ours[key][1] == pytest.approx(se, rel=1e-7)


def test_the_replicates_are_adjusted_not_only_the_full_sample():
    # Without re-raking each replicate the jackknife SE would be the cell design's.
    raked = _estimates("rake")["rake|access|all"][1]
    rows = _rows()
    columns = {name: np.array([r[name] for r in rows]) for name in ("unit", "sector")}
    cells = {(r["unit"], r["sector"]): float(r["N"]) for r in rows}
    plain = weights_compute(
        columns=columns,
        frame=[({"unit": u, "sector": s}, c) for (u, s), c in cells.items()],
        margins={},
        steps=[CELLS],
    )

    assert raked == pytest.approx(R_REPLICATES["rake|access|all"][1], rel=1e-7)
    assert isinstance(replicate(plain, spec={"variance": "jackknife"}), ReplicateDesign)
    assert raked < 0.0215  # the raked design's SE, not an unadjusted one


def test_every_bootstrap_replicate_is_raked_to_the_margins():
    rows = _rows()
    columns = {name: np.array([r[name] for r in rows]) for name in ("unit", "sector", "sex", "age")}
    cells = {(r["unit"], r["sector"]): float(r["N"]) for r in rows}
    weighting = weights_compute(
        columns=columns,
        frame=[({"unit": u, "sector": s}, c) for (u, s), c in cells.items()],
        margins=MARGINS,
        steps=SCHEMES["rake"],
    )

    design = replicate(weighting, spec={"variance": "bootstrap", "replicates": 40, "seed": 9})

    weights = design.weights[:, None] * design.repweights
    assert weights.shape == (len(rows), 40)
    for variable, targets in MARGINS.items():
        for category, target in targets.items():
            achieved = weights[columns[variable] == category].sum(axis=0)
            np.testing.assert_allclose(achieved, target, rtol=1e-9)
