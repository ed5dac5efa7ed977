"""The `api` data set of R survey (shared/reference/api) and its textbook designs."""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from analysis.estimators import Design, make_design

# A copy of shared/reference/api (R survey's `api` data), so the tests need nothing else.
API_DIR = Path(__file__).parent / "data" / "api"
DATA = Path(__file__).parent / "data"

Table = dict[str, NDArray[np.str_]]


@cache
def load(name: str) -> Table:
    with (API_DIR / f"{name}.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    return {k: np.array([r[k] for r in rows]) for k in rows[0]}


def num(values: NDArray[np.str_]) -> NDArray[np.float64]:
    return np.array([float(v) if v not in ("", "NA") else np.nan for v in values])


def design(name: str, **options: object) -> Design:
    """R's help-page designs: dsrs, dstrat, dclus1, dclus2."""
    if name == "dsrs":
        t = load("apisrs")
        return make_design(fpc=num(t["fpc"]), **options)  # type: ignore[arg-type]
    if name == "dstrat":
        t = load("apistrat")
        return make_design(
            weights=num(t["pw"]),
            strata=t["stype"],
            fpc=num(t["fpc"]),
            **options,  # type: ignore[arg-type]
        )
    if name == "dclus1":
        t = load("apiclus1")
        return make_design(
            weights=num(t["pw"]),
            clusters=[t["dnum"]],
            fpc=num(t["fpc"]),
            **options,  # type: ignore[arg-type]
        )
    if name == "dclus2":
        t = load("apiclus2")
        return make_design(
            clusters=[t["dnum"], t["snum"]],
            fpc=[num(t["fpc1"]), num(t["fpc2"])],
            **options,  # type: ignore[arg-type]
        )
    raise KeyError(name)


TABLE = {"dsrs": "apisrs", "dstrat": "apistrat", "dclus1": "apiclus1", "dclus2": "apiclus2"}


def table(design_name: str) -> Table:
    return load(TABLE[design_name])


def r_order(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """(D, k) domain x item -> R's svyby order (items outer, domains inner)."""
    return np.asarray(values).T.ravel()
