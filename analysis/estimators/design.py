"""Sampling designs: strata, multistage clusters, finite population corrections.

A :class:`Design` mirrors R's ``svydesign`` object (``survey.design2``): the ids of
every stage are nested in the ids of the stage above (``ids[, i]`` is the interaction
of ``ids[, 1:i]``), the strata of stage ``i >= 2`` are the units of stage ``i - 1``
crossed with the first-stage strata, and the fpc of each stage is either a population
size (all values >= 1) or a sampling fraction (all values <= 1).

Weight adjustments (post-stratification, raking, calibration) keep the design and
record an :class:`Adjustment`, so that the Taylor variance can use the residuals of
the calibration model exactly as R's ``svyrecvar`` does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Literal, get_args

import numpy as np
from numpy.typing import ArrayLike

from ._groups import FloatArray, IntArray, _factorize_small_ints, bincount, combine_codes, factorize
from .errors import DesignError

__all__ = [
    "Adjustment",
    "Design",
    "Features",
    "LonelyPSU",
    "Stage",
    "degrees_of_freedom",
    "make_design",
]

LonelyPSU = Literal["fail", "remove", "adjust", "average", "certainty"]
LONELY_OPTIONS: tuple[str, ...] = get_args(LonelyPSU)


@dataclass(frozen=True, eq=False)
class Stage:
    """One sampling stage, coded for vectorised work.

    ``unit`` (n,) is the unit of each row at this stage, coded ``0..n_units-1`` and
    unique over the whole design. ``unit_stratum`` (n_units,) is the stage stratum of
    each unit; ``stratum_parent`` (n_strata,) the unit of the stage above that holds
    the stratum (0 at stage one). ``stratum_sampsize`` counts the sampled units of each
    stratum; ``unit_popsize`` is the population size of the unit's stratum (``inf``
    when the stage has no fpc).
    """

    unit: IntArray
    n_units: int
    unit_stratum: IntArray
    n_strata: int
    unit_parent: IntArray
    stratum_parent: IntArray
    n_parents: int
    stratum_sampsize: IntArray
    unit_popsize: FloatArray


@dataclass(frozen=True, eq=False)
class Features:
    """Row features of a calibration model: indicator ``codes`` or a dense ``matrix``."""

    n_features: int
    codes: IntArray | None = None
    matrix: FloatArray | None = None

    def column(self, f: int) -> FloatArray:
        if self.matrix is not None:
            return self.matrix[:, f]
        assert self.codes is not None
        out: FloatArray = (self.codes == f).astype(np.float64)
        return out


@dataclass(frozen=True, eq=False)
class Adjustment:
    """A weight adjustment as a linear map on linearised scores (R's ``postStrata``).

    Scores ``x`` (row i, column c) become ``x - a * (F @ solve(F.T @ (b * x)))``:
    post-stratification (``F`` = post-stratum indicators), the backfitting R uses for
    raking (``F`` = cells of the margins) and GREG calibration (``F`` = Q of the
    weighted model matrix).
    """

    kind: str
    features: Features
    a: FloatArray
    b: FloatArray
    solve: Callable[[FloatArray], FloatArray]


@dataclass(frozen=True, eq=False)
class Design:
    """A survey design: final weights, coded stages, lonely-PSU rule, adjustments."""

    weights: FloatArray
    stages: tuple[Stage, ...]
    has_strata: bool
    has_fpc: bool
    lonely_psu: LonelyPSU
    adjustments: tuple[Adjustment, ...] = ()

    @property
    def n(self) -> int:
        return int(self.weights.shape[0])

    @property
    def psu(self) -> IntArray:
        """First-stage unit of each row (n,)."""
        return self.stages[0].unit

    @property
    def strata(self) -> IntArray:
        """First-stage stratum of each row (n,)."""
        st = self.stages[0]
        return st.unit_stratum[st.unit]

    @property
    def is_calibrated(self) -> bool:
        return bool(self.adjustments)

    def with_weights(self, weights: FloatArray, adjustment: Adjustment | None = None) -> Design:
        """A copy with new final weights (and, optionally, one more adjustment)."""
        w = np.asarray(weights, dtype=np.float64)
        if w.shape != self.weights.shape:
            raise DesignError("new weights have the wrong length")
        adj = self.adjustments if adjustment is None else (*self.adjustments, adjustment)
        return replace(self, weights=w, adjustments=adj)


def make_design(
    *,
    weights: ArrayLike | None = None,
    probs: ArrayLike | None = None,
    strata: ArrayLike | None = None,
    clusters: Sequence[ArrayLike] | None = None,
    fpc: Sequence[ArrayLike] | ArrayLike | None = None,
    lonely_psu: LonelyPSU = "fail",
    nest: bool = False,
    n_rows: int | None = None,
) -> Design:
    """Build a design from row arrays, as ``svydesign(ids, strata, weights|probs, fpc)``.

    Args:
        weights: sampling weights (n,); or ``probs``: inclusion probabilities (n,).
            With neither, weights come from the fpc (product over stages of
            population / sample size) or are all 1.
        strata: first-stage stratum of each row (n,), any hashable values.
        clusters: one array (n,) per stage (``id=~psu+ssu``); ``None`` or empty means
            every row is its own PSU (``id=~1``).
        fpc: one array (n,) per stage: population sizes (all >= 1) or sampling
            fractions (all <= 1). ``None``: sampling with replacement.
        lonely_psu: what to do with a stratum holding a single PSU (R's
            ``options(survey.lonely.psu=)``).
        nest: PSU ids are only unique within strata (R's ``nest=TRUE``).
        n_rows: the number of rows, needed only when no array is given (equal weights,
            simple random sampling).
    """
    if lonely_psu not in LONELY_OPTIONS:
        raise DesignError(f"lonely_psu must be one of {', '.join(LONELY_OPTIONS)}")
    n = n_rows if n_rows is not None else _row_count(weights, probs, strata, clusters, fpc)
    if clusters is None or len(clusters) == 0:
        id_cols: list[IntArray] = [np.arange(n, dtype=np.intp)]
    else:
        id_cols = [factorize(np.asarray(c))[0] for c in clusters]
    if any(c.shape[0] != n for c in id_cols):
        raise DesignError("cluster ids have the wrong length")
    has_strata = strata is not None
    if strata is not None:
        s_codes, s_levels = factorize(np.asarray(strata))
        if s_codes.shape[0] != n:
            raise DesignError("strata have the wrong length")
        n_s = int(s_levels.shape[0])
    else:
        s_codes, n_s = np.zeros(n, dtype=np.intp), 1
    if int(id_cols[0].max()) == 0 and not (nest and has_strata):
        raise DesignError("the design has only one primary sampling unit")

    # ids of stage i are the interaction of stages 1..i (nest: also with strata)
    units: list[tuple[IntArray, int]] = []
    prev: tuple[IntArray, int] | None = None
    for c in id_cols:
        size = int(c.max()) + 1
        u = (c, size) if prev is None else combine_codes([prev[0], c], [prev[1], size])
        prev = u
        units.append(u)
    if nest and has_strata:
        units = [combine_codes([s_codes, u], [n_s, k]) for u, k in units]
    else:
        # clusters must be nested in strata at the top level
        _, pairs = _factorize_small_ints(units[0][0].astype(np.int64) * n_s + s_codes)
        if pairs.shape[0] != units[0][1]:
            raise DesignError("clusters are not nested in strata at the top level; use nest")

    stage_strata: list[tuple[IntArray, int]] = [(s_codes, n_s)]
    for i in range(1, len(units)):
        stage_strata.append(combine_codes([s_codes, units[i - 1][0]], [n_s, units[i - 1][1]]))

    popsize = _popsize(fpc, n, len(units), stage_strata, units)
    stages = _code_stages(units, stage_strata, popsize)

    if weights is not None and probs is not None:
        raise DesignError("give weights or probs, not both")
    if weights is not None:
        w = np.asarray(weights, dtype=np.float64)
    elif probs is not None:
        w = 1.0 / np.asarray(probs, dtype=np.float64)
    elif popsize is not None:
        w = np.ones(n)
        for st in stages:
            samp = st.stratum_sampsize[st.unit_stratum[st.unit]]
            w = w * (st.unit_popsize[st.unit] / samp)
    else:
        w = np.ones(n)
    if w.shape != (n,) or not np.all(np.isfinite(w)) or np.any(w < 0):
        raise DesignError("weights must be finite, non-negative and one per row")
    return Design(
        weights=w,
        stages=tuple(stages),
        has_strata=has_strata,
        has_fpc=popsize is not None,
        lonely_psu=lonely_psu,
    )


def _row_count(*arrays: object) -> int:
    for a in arrays:
        if a is None:
            continue
        if isinstance(a, (list, tuple)) and a and np.ndim(a[0]) == 1:
            return int(np.asarray(a[0]).shape[0])
        arr = np.asarray(a, dtype=object)
        if arr.ndim >= 1:
            return int(arr.shape[0])
    raise DesignError("cannot tell the number of rows: give weights, strata or clusters")


def _popsize(
    fpc: Sequence[ArrayLike] | ArrayLike | None,
    n: int,
    n_stages: int,
    strata: list[tuple[IntArray, int]],
    units: list[tuple[IntArray, int]],
) -> list[FloatArray] | None:
    if fpc is None:
        return None
    arr = np.asarray(fpc, dtype=np.float64)
    cols = [arr] if arr.ndim == 1 else [np.asarray(c, dtype=np.float64) for c in fpc]  # type: ignore[union-attr]
    if any(c.shape != (n,) for c in cols):
        raise DesignError("fpc has the wrong length")
    if len(cols) != n_stages:
        raise DesignError("give one fpc per sampling stage")
    if any(np.isnan(c).any() for c in cols):
        raise DesignError("missing values in fpc")
    allv = np.concatenate(cols)
    is_pop = bool(np.any(allv > 1))
    if is_pop != bool(np.all(allv >= 1)):
        raise DesignError("fpc must be all population sizes (>= 1) or all fractions (<= 1)")
    out: list[FloatArray] = []
    for c, (s, ns), (u, _) in zip(cols, strata, units, strict=True):
        samp = _sampsize(s, ns, u)[s]
        pop = c if is_pop else samp / c
        if np.any(pop < samp):
            raise DesignError("fpc implies more than 100% sampling in some strata")
        out.append(pop)
    return out


def _first_rows(codes: IntArray, n_codes: int) -> IntArray:
    """Index of the first row of each code ``0..n_codes-1`` (codes are compact)."""
    first = np.empty(n_codes, dtype=np.intp)
    rows = np.arange(codes.shape[0] - 1, -1, -1, dtype=np.intp)
    first[codes[::-1]] = rows  # the last write (the first row) wins
    return first


def _sampsize(strata: IntArray, n_strata: int, unit: IntArray) -> IntArray:
    first = _first_rows(unit, int(unit.max()) + 1)
    return bincount(strata[first], minlength=n_strata).astype(np.intp)


def _code_stages(
    units: list[tuple[IntArray, int]],
    strata: list[tuple[IntArray, int]],
    popsize: list[FloatArray] | None,
) -> list[Stage]:
    stages: list[Stage] = []
    prev_unit: IntArray | None = None
    for i, ((u_raw, _), (s, ns)) in enumerate(zip(units, strata, strict=True)):
        unit = u_raw.astype(np.intp, copy=False)  # compact codes already
        n_units = int(unit.max()) + 1
        first = _first_rows(unit, n_units)
        unit_stratum = s[first].astype(np.intp)
        parent = np.zeros(n_units, dtype=np.intp) if prev_unit is None else prev_unit[first]
        n_parents = 1 if prev_unit is None else int(prev_unit.max()) + 1
        stratum_parent = np.zeros(ns, dtype=np.intp)
        stratum_parent[unit_stratum] = parent
        pop = np.full(n_units, np.inf) if popsize is None else popsize[i][first]
        stages.append(
            Stage(
                unit=unit,
                n_units=n_units,
                unit_stratum=unit_stratum,
                n_strata=ns,
                unit_parent=parent.astype(np.intp),
                stratum_parent=stratum_parent,
                n_parents=n_parents,
                stratum_sampsize=bincount(unit_stratum, minlength=ns).astype(np.intp),
                unit_popsize=pop.astype(np.float64),
            )
        )
        prev_unit = unit
    return stages


def degrees_of_freedom(design: Design, rows: ArrayLike | None = None) -> int:
    """Design degrees of freedom: PSUs minus strata (R's ``degf``).

    ``rows`` (n,) bool restricts to a domain (R's ``degf`` of a subset design). Rows
    with zero weight are left out, as in R.
    """
    inset = design.weights != 0
    if rows is not None:
        inset = inset & np.asarray(rows, dtype=bool)
    psu = np.count_nonzero(bincount(design.psu[inset]))
    strata = np.count_nonzero(bincount(design.strata[inset]))
    return int(psu - strata)
