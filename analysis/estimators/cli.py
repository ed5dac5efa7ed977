"""The pure part of ``manage.py estimate``: CSV columns -> design -> estimates -> dict.

No Django here, so that the same code serves the management command, tests and
notebooks. Every user mistake raises :class:`CliError` with a one-line message.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .calibration import calibrate, poststratify, rake
from .design import Design, degrees_of_freedom, make_design
from .errors import EstimatorError
from .estimates import (
    Estimates,
    estimate_mean,
    estimate_proportion,
    estimate_quantile,
    estimate_ratio,
    estimate_total,
)
from .replicates import ReplicateDesign, bootstrap_design, brr_design, jk1_design, jkn_design
from .weights import trim_design

__all__ = ["CliError", "EstimateRequest", "read_csv", "run"]

MISSING = {"", "NA", "NaN", "nan", "null", "NULL"}


class CliError(ValueError):
    """A bad option, file or column: reported on one line, exit code 2."""


@dataclass
class EstimateRequest:
    """What the command line asks for (names of CSV columns and files)."""

    data: str
    weights: str | None = None
    strata: str | None = None
    clusters: list[str] = field(default_factory=list)
    fpc: list[str] = field(default_factory=list)
    lonely_psu: str = "fail"
    replicate: str | None = None
    replicates: int = 50
    seed: int | None = None
    poststratify: str | None = None
    rake: str | None = None
    calibrate: str | None = None
    calfun: str = "linear"
    bounds: str | None = None
    trim: str | None = None
    means: list[str] = field(default_factory=list)
    totals: list[str] = field(default_factory=list)
    proportions: list[str] = field(default_factory=list)
    ratios: list[str] = field(default_factory=list)
    quantiles: list[str] = field(default_factory=list)
    by: str | None = None
    level: float = 0.95
    ci_method: str = "logit"  # for shares (--proportion): logit, korn_graubard or wald


Columns = dict[str, NDArray[np.str_]]
# --ci-method → Estimates.confint's name (Korn–Graubard is the beta interval).
SHARE_INTERVALS = {"logit": "logit", "korn_graubard": "beta", "wald": "wald"}


def read_csv(path: str) -> Columns:
    """All columns of a CSV file as string arrays."""
    p = Path(path)
    if not p.is_file():
        raise CliError(f"no such file: {path}")
    with p.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
        names = reader.fieldnames or []
    if not rows:
        raise CliError(f"{path} has no data rows")
    return {k: np.array([r[k] if r[k] is not None else "" for r in rows]) for k in names}


def _col(cols: Columns, name: str) -> NDArray[np.str_]:
    if name not in cols:
        raise CliError(f"no column {name!r} in the data")
    return cols[name]


def _num(cols: Columns, name: str) -> NDArray[np.float64]:
    raw = _col(cols, name)
    out = np.empty(raw.shape[0])
    for i, v in enumerate(raw.tolist()):
        if v.strip() in MISSING:
            out[i] = np.nan
            continue
        try:
            out[i] = float(v)
        except ValueError:
            raise CliError(f"column {name!r} is not numeric (row {i + 2}: {v!r})") from None
    return out


def _key(cols: Columns, name: str) -> NDArray[Any]:
    raw = _col(cols, name)
    out = raw.astype(object)
    out[np.isin(raw, list(MISSING))] = None
    return out


def _load_totals(path: str) -> Any:
    p = Path(path)
    if not p.is_file():
        raise CliError(f"no such file: {path}")
    if p.suffix.lower() == ".json":
        try:
            return json.loads(p.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise CliError(f"{path}: invalid JSON ({exc.msg})") from None
    with p.open(newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    if len(rows) < 2:
        raise CliError(f"{path}: expected a header and rows of totals")
    return rows


def _margins(spec: Any, path: str) -> dict[str, dict[str, float]]:
    """``{variable: {category: total}}`` from JSON, or CSV rows variable,category,total.

    A two-column CSV ``VAR,Freq`` (R's population data frame) is one margin.
    """
    if isinstance(spec, Mapping):
        if "variable" in spec and "totals" in spec:
            return {str(spec["variable"]): _floats(spec["totals"], path)}
        return {str(k): _floats(v, path) for k, v in spec.items()}
    rows: list[list[str]] = spec
    header = rows[0]
    out: dict[str, dict[str, float]] = {}
    if len(header) == 2:
        out[header[0]] = _floats({r[0]: r[1] for r in rows[1:] if r}, path)
        return out
    if len(header) != 3:
        raise CliError(f"{path}: expected columns variable,category,total")
    for r in rows[1:]:
        if r:
            out.setdefault(r[0], {})[r[1]] = _float(r[2], path)
    return out


def _float(v: Any, path: str) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        raise CliError(f"{path}: {v!r} is not a number") from None


def _floats(m: Any, path: str) -> dict[str, float]:
    if not isinstance(m, Mapping):
        raise CliError(f"{path}: expected a mapping of category to total")
    return {str(k): _float(v, path) for k, v in m.items()}


def _build_design(req: EstimateRequest, cols: Columns) -> Design:
    return make_design(
        weights=None if req.weights is None else _num(cols, req.weights),
        strata=None if req.strata is None else _key(cols, req.strata),
        clusters=[_key(cols, c) for c in req.clusters] or None,
        fpc=[_num(cols, f) for f in req.fpc] or None,
        lonely_psu=req.lonely_psu,  # type: ignore[arg-type]
        n_rows=len(next(iter(cols.values()))),
    )


def _calibration_matrix(
    cols: Columns, spec: Mapping[str, Any], path: str
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Model matrix and totals: categorical margins as dummies, numbers as columns.

    The first categorical variable keeps all its categories (they add up to the
    population size); the others drop their first category, as R's ``model.matrix``.
    """
    xs: list[NDArray[np.float64]] = []
    ts: list[float] = []
    first = True
    for var, total in spec.items():
        if isinstance(total, Mapping):
            values = _col(cols, var)
            cats = [str(c) for c in total]
            unknown = set(np.unique(values).tolist()) - set(cats) - MISSING
            if unknown:
                raise CliError(f"{path}: no total for {var}={sorted(unknown)[0]!r}")
            use = cats if first else cats[1:]
            first = False
            for c in use:
                xs.append((values == c).astype(np.float64))
                ts.append(_float(total[c], path))
        else:
            col = _num(cols, var)
            if np.isnan(col).any():
                raise CliError(f"calibration variable {var!r} has missing values")
            xs.append(col)
            ts.append(_float(total, path))
    if not xs:
        raise CliError(f"{path}: no calibration totals")
    return np.column_stack(xs), np.array(ts)


def _adjust(req: EstimateRequest, cols: Columns, design: Design) -> Design:
    chosen = [x for x in (req.poststratify, req.rake, req.calibrate) if x is not None]
    if len(chosen) > 1:
        raise CliError("choose one of --poststratify, --rake, --calibrate")
    if req.poststratify is not None:
        margins = _margins(_load_totals(req.poststratify), req.poststratify)
        if len(margins) != 1:
            raise CliError("--poststratify takes the totals of one variable")
        ((var, totals),) = margins.items()
        design = poststratify(design, _key(cols, var), totals)
    elif req.rake is not None:
        margins = _margins(_load_totals(req.rake), req.rake)
        design = rake(design, [(_key(cols, v), t) for v, t in margins.items()])
    elif req.calibrate is not None:
        spec = _load_totals(req.calibrate)
        if not isinstance(spec, Mapping):
            spec = {k: v for k, v in _margins(spec, req.calibrate).items()}
        cal_x, cal_totals = _calibration_matrix(cols, spec, req.calibrate)
        bounds = (-math.inf, math.inf)
        if req.bounds:
            lo, _, hi = req.bounds.partition(",")
            bounds = (_float(lo, "--bounds"), _float(hi, "--bounds"))
        if req.calfun not in ("linear", "raking", "logit"):
            raise CliError("--calfun must be linear, raking or logit")
        design = calibrate(design, cal_x, cal_totals, method=req.calfun, bounds=bounds)  # type: ignore[arg-type]
    if req.trim:
        lo, sep, hi = req.trim.partition(":")
        if not sep:
            raise CliError("--trim takes LOWER:UPPER (either may be empty)")
        design = trim_design(
            design,
            lower=_float(lo, "--trim") if lo else -math.inf,
            upper=_float(hi, "--trim") if hi else math.inf,
        )
    return design


def _replicate(req: EstimateRequest, design: Design) -> Design | ReplicateDesign:
    if req.replicate is None:
        return design
    if design.is_calibrated:
        raise CliError("replicate weights after weight adjustment are not supported yet")
    kind = req.replicate.lower()
    if kind == "jk1":
        return jk1_design(design)
    if kind == "jkn":
        return jkn_design(design)
    if kind == "bootstrap":
        return bootstrap_design(design, req.replicates, rng=np.random.default_rng(req.seed))
    if kind == "brr":
        return brr_design(design)
    raise CliError("--replicate must be jk1, jkn, bootstrap or brr")


def _num_or_none(v: Any) -> float | None:
    f = float(v)
    return None if math.isnan(f) or math.isinf(f) else f


def _rows(
    est: Estimates,
    statistic: str,
    variable: str,
    level: float,
    extra: Sequence[dict[str, Any]],
    method: str = "wald",
) -> list[dict[str, Any]]:
    low, high = est.confint(level, method=method)  # type: ignore[arg-type]
    out: list[dict[str, Any]] = []
    domains = [None] if est.domains is None else [str(x) for x in est.domains]
    for di, dom in enumerate(domains):
        for j, info in enumerate(extra):
            row: dict[str, Any] = {"statistic": statistic, "variable": variable}
            row.update(info)
            if dom is not None:
                row["domain"] = dom
            row.update(
                estimate=_num_or_none(est.estimate[di, j]),
                se=_num_or_none(est.se[di, j]),
                ci_low=_num_or_none(low[di, j]),
                ci_high=_num_or_none(high[di, j]),
                deff=None if est.deff is None else _num_or_none(est.deff[di, j]),
                n=int(est.n[di, j]),
            )
            out.append(row)
    return out


def run(req: EstimateRequest) -> dict[str, Any]:
    """Compute every statistic asked for; the JSON-ready result."""
    if not (req.means or req.totals or req.proportions or req.ratios or req.quantiles):
        raise CliError("ask for at least one of --mean, --total, --proportion, --ratio, --quantile")
    if not 0 < req.level < 1:
        raise CliError("--level must be between 0 and 1")
    share_method = SHARE_INTERVALS.get(req.ci_method)
    if share_method is None:
        raise CliError("--ci-method must be logit, korn_graubard or wald")
    cols = read_csv(req.data)
    try:
        design = _adjust(req, cols, _build_design(req, cols))
        des = _replicate(req, design)
        by = None if req.by is None else _key(cols, req.by)
        stats: list[dict[str, Any]] = []
        for v in req.means:
            est = estimate_mean(des, _num(cols, v), by=by, deff=True)
            stats += _rows(est, "mean", v, req.level, [{}])
        for v in req.totals:
            est = estimate_total(des, _num(cols, v), by=by, deff=True)
            stats += _rows(est, "total", v, req.level, [{}])
        for v in req.proportions:
            est = estimate_proportion(des, _key(cols, v), by=by, deff=True)
            stats += _rows(
                est,
                "proportion",
                v,
                req.level,
                [{"category": c} for c in est.items],
                method=share_method,
            )
        for spec in req.ratios:
            num, sep, den = spec.partition("/")
            if not sep or not num or not den:
                raise CliError(f"--ratio takes NUM/DEN, not {spec!r}")
            est = estimate_ratio(des, _num(cols, num), _num(cols, den), by=by, deff=True)
            stats += _rows(est, "ratio", spec, req.level, [{}])
        for spec in req.quantiles:
            var, sep, probs = spec.partition(":")
            try:
                ps = [float(p) for p in probs.split(",")] if sep else [0.25, 0.5, 0.75]
            except ValueError:
                raise CliError(f"--quantile takes VAR:p1,p2,..., not {spec!r}") from None
            est = estimate_quantile(des, _num(cols, var), ps, by=by, level=req.level)
            stats += _rows(est, "quantile", var, req.level, [{"p": p} for p in ps])
    except EstimatorError as exc:
        raise CliError(str(exc)) from None
    weights = des.weights
    return {
        "data": req.data,
        "rows": int(weights.shape[0]),
        "design": {
            "replicate": None if req.replicate is None else req.replicate.lower(),
            "df": (
                des.degrees_of_freedom
                if isinstance(des, ReplicateDesign)
                else degrees_of_freedom(des)
            ),
            "sum_weights": float(weights.sum()),
        },
        "statistics": stats,
    }
