"""Large rounds in parallel: each chunk of answers is reduced to sufficient statistics
per frame cell, the chunks' statistics are added, and the element indices and the
overall index follow exactly as from a single pass. Pure numpy; no Django.

Two ways, both exact. The default design — cell weights (stratum = unit × sector,
weight N/n and fpc N per cell), estimates by the unit tree, Taylor variance — is
estimated from the cells' statistics directly (below). Any other scheme (nonresponse
classes, post-stratification, raking, calibration, trimming) or profile domains: the
statistics are kept per weighting cell and rows with the same statistics are rebuilt
for the single pass's code (:func:`rows_from_stats`). Every respondent of a
cell carries the cell's weight w, so per cell and component j the sums Σy, Σx and the
cross-products Σy_j·y_l, Σy_j·x_l, Σx_j·x_l are all the variance needs: with
z = w (y − R x) / X, Σz and Σz² are linear in them, and the stratum's contribution is
f·n/(n−1)·(Σz² − (Σz)²/n) (a lonely cell contributes nothing, R's "remove").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from analysis.element_index import ancestor_levels
from analysis.estimation import (
    Domain,
    EstimateRow,
    Estimates,
    _mean_present,
    _rows,
    publish,
)


@dataclass
class CellStats:
    """Sufficient statistics of some respondents, per frame cell (unit, sector).

    n (C,), rows per cell; sy, sx, answered (C, k); any_answered (C,) rows with a valid
    answer to at least one overall element; syy, syx, sxx (C, k, k) cross-products.
    """

    cells: list[tuple[Any, ...]]
    n: np.ndarray
    sy: np.ndarray
    sx: np.ndarray
    answered: np.ndarray
    any_answered: np.ndarray
    syy: np.ndarray
    syx: np.ndarray
    sxx: np.ndarray

    def to_json(self) -> dict[str, Any]:
        return {
            "cells": [list(cell) for cell in self.cells],
            **{
                name: getattr(self, name).tolist()
                for name in ("n", "sy", "sx", "answered", "any_answered", "syy", "syx", "sxx")
            },
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CellStats:
        arrays = {
            name: np.asarray(data[name], dtype=float)
            for name in ("n", "sy", "sx", "answered", "any_answered", "syy", "syx", "sxx")
        }
        cells = [(int(cell[0]), *(str(v) for v in cell[1:])) for cell in data["cells"]]
        return cls(cells=cells, **arrays)


def cell_stats(
    *,
    leaf_unit: np.ndarray,
    sector: np.ndarray,
    satisfied: np.ndarray,
    valid: np.ndarray,
    elements: Sequence[int],
    extra: Sequence[np.ndarray] = (),
) -> CellStats:
    """Reduce respondents (n,) / (n, k) to their cells' sufficient statistics; a cell is
    (unit, sector) or, with ``extra`` variables (n,), (unit, sector, *extra)."""
    keys = list(
        zip(
            leaf_unit.tolist(),
            sector.astype(str).tolist(),
            *(np.asarray(e).astype(str).tolist() for e in extra),
            strict=True,
        )
    )
    cells = sorted(set(keys))
    position = {key: c for c, key in enumerate(cells)}
    cell = np.fromiter((position[key] for key in keys), dtype=np.int64, count=len(keys))
    size, k = len(cells), satisfied.shape[1]

    def by_cell(values: np.ndarray) -> np.ndarray:
        return np.bincount(cell, weights=values, minlength=size)

    y, x = satisfied.astype(float), valid.astype(float)
    # cross[name][c, j, m] = Σ over the cell's rows of a_j · b_m
    cross = {
        name: np.stack(
            [np.column_stack([by_cell(a[:, j] * b[:, m]) for m in range(k)]) for j in range(k)],
            axis=1,
        )
        if k
        else np.zeros((size, 0, 0))
        for name, a, b in (("syy", y, y), ("syx", y, x), ("sxx", x, x))
    }
    return CellStats(
        cells=cells,
        n=by_cell(np.ones(len(keys))),
        sy=np.column_stack([by_cell(y[:, j]) for j in range(k)]) if k else np.zeros((size, 0)),
        sx=np.column_stack([by_cell(x[:, j]) for j in range(k)]) if k else np.zeros((size, 0)),
        answered=np.column_stack([by_cell((x[:, j] > 0).astype(float)) for j in range(k)])
        if k
        else np.zeros((size, 0)),
        any_answered=by_cell((x[:, list(elements)] > 0).any(axis=1).astype(float))
        if len(elements)
        else np.zeros(size),
        syy=cross["syy"],
        syx=cross["syx"],
        sxx=cross["sxx"],
    )


def cell_stats_add(parts: Sequence[CellStats]) -> CellStats:
    """The statistics of the union of the parts' respondents (exact: sums)."""
    cells = sorted({tuple(cell) for part in parts for cell in part.cells})
    position = {cell: c for c, cell in enumerate(cells)}
    k = next((p.sy.shape[1] for p in parts if p.cells), 0)
    out = CellStats(
        cells=cells,
        n=np.zeros(len(cells)),
        sy=np.zeros((len(cells), k)),
        sx=np.zeros((len(cells), k)),
        answered=np.zeros((len(cells), k)),
        any_answered=np.zeros(len(cells)),
        syy=np.zeros((len(cells), k, k)),
        syx=np.zeros((len(cells), k, k)),
        sxx=np.zeros((len(cells), k, k)),
    )
    for part in parts:
        index = np.array([position[tuple(cell)] for cell in part.cells], dtype=np.int64)
        if not len(index):
            continue
        for name in ("n", "sy", "sx", "answered", "any_answered", "syy", "syx", "sxx"):
            np.add.at(getattr(out, name), index, getattr(part, name))
    return out


def estimates_from_stats(
    *,
    stats: CellStats,
    components: list[str],
    population: Mapping[tuple[int, str], float],
    unit_parent: Mapping[int, int | None],
    scope_id: int,
    elements: Sequence[int],
    spec: Mapping[str, Any],
    publication: Mapping[str, Any],
) -> list[EstimateRow]:
    """Element indices (and the overall index) per unit at every depth of the tree."""
    if not stats.cells:
        return []
    statistics = list(spec.get("statistics", ["element_index", "overall"]))
    method, level = str(spec.get("ci_method", "logit")), float(spec.get("confidence", 0.95))
    n = stats.n
    frame = np.array([float(population.get(cell, 0.0)) for cell in stats.cells])
    size = np.maximum(frame, n)
    w = size / n
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.where(np.isfinite(size), (size - n) / size, 1.0)
        # A lonely cell is removed; a cell (almost) fully answered has no sampling error.
        scale = np.where((n > 1) & (f >= 1e-7), f * n / np.maximum(n - 1, 1), 0.0)
    df = float(n.sum() - len(stats.cells))
    # Each cell's unit at every depth of the tree below the scope (NaN: not that deep).
    levels = ancestor_levels(
        np.array([cell[0] for cell in stats.cells]), dict(unit_parent), stop_at=scope_id
    )
    rows: list[EstimateRow] = []
    for depth in range(levels.shape[1]):
        domain_of = np.nan_to_num(levels[:, depth], nan=-1).astype(np.int64)
        labels = np.unique(domain_of[domain_of >= 0])
        member = domain_of[None, :] == labels[:, None]  # (D, C)
        rows += _depth_rows(
            stats, components, member, labels, w, scale, df, elements, statistics, method, level
        )
    return [publish(row, publication) for row in rows]


def _depth_rows(
    stats: CellStats,
    components: list[str],
    member: np.ndarray,
    labels: np.ndarray,
    w: np.ndarray,
    scale: np.ndarray,
    df: float,
    elements: Sequence[int],
    statistics: list[str],
    method: str,
    level: float,
) -> list[EstimateRow]:
    m = member.astype(float)  # (D, C)
    wy, wx = w[:, None] * stats.sy, w[:, None] * stats.sx  # (C, k)
    big_y, big_x = m @ wy, m @ wx  # (D, k)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = big_y / big_x
    rows_in = m @ stats.n  # (D,)
    wsum = m @ (w * stats.n)
    # Per (domain, cell, component): Σz and Σz² of z = w (y − R x) / X.
    r_dc = ratio[:, None, :]
    x_dc = big_x[:, None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        sum_z = w[None, :, None] * (stats.sy[None] - r_dc * stats.sx[None]) / x_dc
        diag = np.arange(stats.sy.shape[1])
        syy, syx, sxx = (a[:, diag, diag] for a in (stats.syy, stats.syx, stats.sxx))
        sum_z2 = (
            (w**2)[None, :, None]
            * (syy[None] - 2 * r_dc * syx[None] + r_dc**2 * sxx[None])
            / x_dc**2
        )
        per_cell = scale[None, :, None] * (sum_z2 - sum_z**2 / stats.n[None, :, None])
    variance = np.where(member[:, :, None], np.nan_to_num(per_cell), 0.0).sum(axis=1)
    # Design effect as R's svyratio(deff = TRUE): var / (SRS variance of the same ratio).
    with np.errstate(divide="ignore", invalid="ignore"):
        sum_wr = (m @ (wy - ratio_cells(ratio, member) * wx)) / big_x
        sum_wr2 = (
            m
            @ (
                w[:, None]
                * (
                    syy
                    - 2 * ratio_cells(ratio, member) * syx
                    + ratio_cells(ratio, member) ** 2 * sxx
                )
            )
        ) / big_x**2
        rbar = sum_wr / wsum[:, None]
        s2 = (
            (sum_wr2 - wsum[:, None] * rbar**2)
            / wsum[:, None]
            * (rows_in[:, None] / (rows_in[:, None] - 1))
        )
        srs = (
            s2
            * wsum[:, None] ** 2
            * (wsum[:, None] - rows_in[:, None])
            / (wsum[:, None] * rows_in[:, None])
        )
        deff = variance / srs
    with np.errstate(divide="ignore", invalid="ignore"):
        unweighted = (m @ stats.sy) / (m @ stats.sx)
    shape = (len(labels), 1)
    estimates = Estimates(
        "ratio",
        tuple(components),
        labels.astype(float),
        ratio,
        variance,
        np.rint(m @ stats.n)[:, None].repeat(len(components), axis=1).astype(np.intp),
        np.full(shape, df),
        rows_in[:, None].astype(float),
        deff,
    )
    domain = Domain("unit", labels.astype(float))
    answered = np.rint(m @ stats.answered).astype(np.int64)
    rows: list[EstimateRow] = []
    if "element_index" in statistics:
        rows += _rows("element_index", estimates, unweighted, domain, method, level, answered)
    if "overall" in statistics and len(elements):
        rows += _overall_rows(
            stats, estimates, unweighted, domain, member, w, scale, elements, method, level
        )
    return rows


def ratio_cells(ratio: np.ndarray, member: np.ndarray) -> np.ndarray:
    """Each cell's domain ratio (C, k) for one depth (every cell is in one domain)."""
    owner = member.argmax(axis=0)
    return ratio[owner]


def _overall_rows(
    stats: CellStats,
    estimates: Estimates,
    unweighted: np.ndarray,
    domain: Domain,
    member: np.ndarray,
    w: np.ndarray,
    scale: np.ndarray,
    elements: Sequence[int],
    method: str,
    level: float,
) -> list[EstimateRow]:
    cols = list(elements)
    ratio = estimates.estimate[:, cols]
    present = np.isfinite(ratio)
    count = np.maximum(present.sum(axis=1), 1)
    m = member.astype(float)
    big_x = m @ (w[:, None] * stats.sx[:, cols])
    # coefficient of element j in a domain: present / (k_d X_j); R_j for the cross terms
    with np.errstate(divide="ignore", invalid="ignore"):
        coef = np.where(present, 1.0 / (count[:, None] * big_x), 0.0)  # (D, e)
    r = np.nan_to_num(ratio)
    owner = member.argmax(axis=0)  # each cell's domain
    c_cell, r_cell = coef[owner], r[owner]  # (C, e)
    sy, sx = stats.sy[:, cols], stats.sx[:, cols]
    syy = stats.syy[:, cols][:, :, cols]
    syx = stats.syx[:, cols][:, :, cols]
    sxx = stats.sxx[:, cols][:, :, cols]
    sum_z = w * np.einsum("ce,ce->c", c_cell, sy - r_cell * sx)
    # Σ (Σ_j c_j (y_j − R_j x_j))² = Σ_jl c_j c_l (yy_jl − R_l yx_jl − R_j yx_lj + R_j R_l xx_jl)
    quad = (
        syy
        - r_cell[:, None, :] * syx
        - r_cell[:, :, None] * np.swapaxes(syx, 1, 2)
        + r_cell[:, :, None] * r_cell[:, None, :] * sxx
    )
    sum_z2 = w**2 * np.einsum("cj,cjl,cl->c", c_cell, quad, c_cell)
    with np.errstate(divide="ignore", invalid="ignore"):
        per_cell = scale * (sum_z2 - sum_z**2 / stats.n)
    variance = (m @ np.nan_to_num(per_cell))[:, None]
    mean = _mean_present(ratio, present)
    overall = Estimates(
        "mean",
        ("overall",),
        estimates.domains,
        mean,
        variance,
        np.zeros_like(mean, dtype=np.intp),
        estimates.df,
        estimates.n_rows,
        None,
    )
    raw = _mean_present(unweighted[:, cols], present)
    answered = np.rint(m @ stats.any_answered)[:, None].astype(np.int64)
    return _rows("overall", overall, raw, domain, method, level, answered)


# --- any weighting scheme: rows rebuilt from the weighting cells' statistics -------------


def rows_from_stats(
    *, stats: CellStats, variables: Sequence[str]
) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Respondents with the same sufficient statistics as the real ones, cell by cell.

    ``stats`` are kept per *weighting cell* — (unit, *variables): every variable the
    scheme, the frame and the domains read — so every weight, stratum, fpc, margin
    category, calibration row and domain is constant within a cell. Every estimate of
    a round (element indices, the overall index, their Taylor variance after any
    post-stratification, raking, calibration, nonresponse or trimming, design effects,
    unweighted values) is a function of each cell's count n_c, sums of y = satisfied
    and x = valid, and their cross-products: the scores are linear in (y, x) with
    coefficients constant in the cell. So the n_c rows rebuilt here — the cell's mean
    plus orthonormal contrasts (Helmert columns, orthogonal to 1) times a square root
    of its scatter matrix — give the single pass's numbers up to rounding. Who answered
    comes from the kept counts. Returns (leaf_unit (n,), columns by variable (n,),
    satisfied (n, k), valid (n, k), answered (n, k), any_answered (n,)).
    """
    k = stats.sy.shape[1]
    n_c = stats.n.astype(np.int64)
    total = int(n_c.sum())
    size = len(stats.cells)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.concatenate([stats.sy, stats.sx], axis=1) / stats.n[:, None]  # (C, 2k)
    # scatter S = Σ v v' − n m m' of v = (y, x), per cell
    second = np.block([[stats.syy, stats.syx], [np.swapaxes(stats.syx, 1, 2), stats.sxx]])
    scatter = second - stats.n[:, None, None] * mean[:, :, None] * mean[:, None, :]
    scatter = (scatter + np.swapaxes(scatter, 1, 2)) / 2
    values, vectors = np.linalg.eigh(scatter) if size else (np.zeros((0, 2 * k)), None)
    width = 2 * k
    root = np.zeros((size, width, width))
    if size and width:
        order = values[:, ::-1].clip(min=0.0)  # descending; rounding below 0 is 0
        root = vectors[:, :, ::-1] * np.sqrt(order)[:, None, :]  # (C, 2k, r): L L' = S
        # a cell of n_c rows has a scatter of rank ≤ n_c − 1: only that many columns
        usable = np.arange(width)[None, :] < (n_c[:, None] - 1)
        root = root * usable[:, None, :]
    # Helmert contrasts: column j (1-based) is 1/√(j(j+1)) on rows 0..j−1, −j/√(j(j+1))
    # on row j; rows past 2k are the mean.
    head = width + 1
    helmert = np.zeros((head, width))
    for j in range(1, width + 1):
        helmert[:j, j - 1] = 1 / np.sqrt(j * (j + 1))
        helmert[j, j - 1] = -j / np.sqrt(j * (j + 1))
    rows = np.repeat(mean, n_c, axis=0)
    start = np.concatenate([[0], np.cumsum(n_c)[:-1]]).astype(np.int64)
    for c in np.flatnonzero(n_c > 1):
        m = min(int(n_c[c]), head)
        rows[start[c] : start[c] + m] += helmert[:m] @ root[c].T
    cell = np.repeat(np.arange(size), n_c)
    position = np.arange(total) - start[cell]  # a row's place in its cell
    answered = position[:, None] < np.rint(stats.answered).astype(np.int64)[cell]
    any_answered = position < np.rint(stats.any_answered).astype(np.int64)[cell]
    leaf_unit = np.array([c[0] for c in stats.cells], dtype=np.int64)[cell]
    columns = {"unit": leaf_unit.astype(str)}
    for position_of, variable in enumerate(variables, start=1):
        labels = np.array([str(c[position_of]) for c in stats.cells], dtype=object)
        columns[variable] = labels[cell].astype(str) if size else np.zeros(0, dtype=str)
    return leaf_unit, columns, rows[:, :k], rows[:, k:], answered, any_answered
