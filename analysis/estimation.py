"""A round's estimates: the statistics of its estimation spec in every domain, with CIs,
design effects, unweighted values and the publication rule. Pure numpy; no Django.

Statistics:

* ``element_index`` — per component, the weighted share of valid answers that are
  satisfied (a ratio: satisfied answers / valid answers, R ``svyratio``);
* ``item_share`` — per scored item, the weighted share satisfied among valid answers;
* ``item_mean`` — per scored item, the weighted mean of the valid answers;
* ``overall`` — the mean of the element indices (Taylor variance of that mean, from
  the elements' linearised scores), or one component's index (``rule: component``).

Domains: the unit tree (one column per depth) and profile variables over the whole
round. Variance: Taylor (the design's degrees of freedom).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from analysis.estimators import Design, Estimates, estimate_mean, estimate_ratio, estimate_total

SHARES = {"element_index", "item_share", "overall"}
CI_METHODS = {"logit": "logit", "wald": "wald", "korn_graubard": "beta"}
DEFAULT_SPEC: dict[str, Any] = {
    "statistics": ["element_index", "overall"],
    "overall": {"rule": "mean_of_elements"},
    "profile_domains": [],
    "ci_method": "logit",
    "confidence": 0.95,
}
DEFAULT_PUBLICATION: dict[str, Any] = {"min_n": 30, "max_rse": 0.3, "max_ci_width": None}


@dataclass(frozen=True)
class Domain:
    """One set of disjoint domains: ``values`` (n,) — unit ids (float, NaN outside) for
    ``variable == "unit"``, else category strings ("" for no answer)."""

    variable: str
    values: np.ndarray


@dataclass(frozen=True)
class Items:
    """The answers the statistics read, one row per respondent.

    components: names (k,); satisfied, valid (n, k) counts per respondent.
    items: names (m,); values (n, m) floats with NaN for no valid answer; satisfied
    (m,) the sets of values counted as satisfied.
    answered (n, k), any_answered (n,): who answered each component / any element of
    the overall index, when not ``valid > 0`` (rows rebuilt from a parallel run's
    sufficient statistics, analysis.fanout.rows_from_stats).
    """

    components: list[str]
    satisfied: np.ndarray
    valid: np.ndarray
    items: list[str]
    values: np.ndarray
    item_satisfied: list[Sequence[float]]
    answered: np.ndarray | None = None
    any_answered: np.ndarray | None = None

    def answered_components(self) -> np.ndarray:
        return self.valid > 0 if self.answered is None else self.answered


@dataclass(frozen=True)
class EstimateRow:
    statistic: str
    item: str
    domain_variable: str
    domain_value: str
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    ci_method: str
    df: float
    n: int
    deff: float
    n_effective: float
    unweighted: float
    suppressed: bool
    reason: str


def round_estimates(
    *,
    design: Design,
    data: Items,
    domains: Sequence[Domain],
    spec: Mapping[str, Any],
    publication: Mapping[str, Any],
) -> list[EstimateRow]:
    """Every statistic of ``spec`` in every domain (rows where the estimate exists)."""
    statistics = list(spec.get("statistics", DEFAULT_SPEC["statistics"]))
    share_method = str(spec.get("ci_method", "logit"))
    level = float(spec.get("confidence", 0.95))
    rows: list[EstimateRow] = []
    for domain in domains:
        by = _by(domain)
        if "element_index" in statistics or "overall" in statistics:
            ratios = estimate_ratio(
                design, data.satisfied, data.valid, by=by, names=data.components, deff=True
            )
            raw = _unweighted(by, data.satisfied, data.valid, np.asarray(ratios.domains))
            # n: respondents with at least one valid answer to the element.
            answered = _unweighted_counts(
                by, data.answered_components(), np.asarray(ratios.domains)
            )
            if "element_index" in statistics:
                rows += _rows("element_index", ratios, raw, domain, share_method, level, answered)
            if "overall" in statistics:
                rows += _overall(design, data, by, ratios, domain, spec, share_method, level)
        if "item_share" in statistics and data.items:
            hit = np.where(
                np.isnan(data.values),
                np.nan,
                np.column_stack(
                    [np.isin(data.values[:, j], s) for j, s in enumerate(data.item_satisfied)]
                ),
            )
            shares = estimate_mean(design, hit, by=by, names=data.items, deff=True)
            raw = _unweighted(by, hit, ~np.isnan(hit), np.asarray(shares.domains))
            rows += _rows("item_share", shares, raw, domain, share_method, level)
        if "item_mean" in statistics and data.items:
            means = estimate_mean(design, data.values, by=by, names=data.items, deff=True)
            raw = _unweighted(by, data.values, ~np.isnan(data.values), np.asarray(means.domains))
            rows += _rows("item_mean", means, raw, domain, "wald", level)
    return [publish(row, publication) for row in rows]


def _by(domain: Domain) -> np.ndarray:
    if domain.variable == "unit":
        return domain.values
    values = np.asarray(domain.values).astype(object)
    values[values == ""] = None  # no answer: outside every domain of the variable
    return values


def _domain_labels(estimates: Estimates, domain: Domain) -> list[str]:
    labels = np.asarray(estimates.domains)
    if domain.variable == "unit":
        return [str(int(float(v))) for v in labels]
    return [str(v) for v in labels]


def _domain_index(by: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Each respondent's position among ``labels`` (-1: outside every domain), without
    a Python loop over respondents."""
    if len(labels) == 0:
        return np.full(len(by), -1, dtype=np.int64)
    if by.dtype.kind == "f":
        keys, values = np.asarray(labels, dtype=float), by
    else:
        # Categories: code both sides by the sorted distinct values seen.
        text = np.where(np.equal(by, None), "\x00", by).astype(str)
        keys, values = np.asarray(labels).astype(str), text
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    at = np.minimum(np.searchsorted(sorted_keys, values), len(keys) - 1)
    found = sorted_keys[at] == values
    return np.where(found, order[at], -1).astype(np.int64)


def _unweighted_counts(by: np.ndarray, hit: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Respondents per domain with ``hit`` (n, k) true: (D, k) integers."""
    index = _domain_index(by, labels)
    inside = index >= 0
    return np.column_stack(
        [
            np.bincount(index[inside], weights=hit[inside, j], minlength=len(labels))
            for j in range(hit.shape[1])
        ]
    ).astype(np.int64)


def _unweighted(
    by: np.ndarray, numerator: np.ndarray, denominator: np.ndarray, labels: np.ndarray
) -> np.ndarray:
    """Σ numerator / Σ denominator per domain and column, every weight 1: (D, columns)."""
    index = _domain_index(by, labels)
    inside = index >= 0
    num = np.nan_to_num(np.asarray(numerator, dtype=float))
    den = np.asarray(denominator, dtype=float)
    out = np.full((len(labels), num.shape[1]), np.nan)
    for j in range(num.shape[1]):
        top = np.bincount(index[inside], weights=num[inside, j], minlength=len(labels))
        bottom = np.bincount(index[inside], weights=den[inside, j], minlength=len(labels))
        with np.errstate(divide="ignore", invalid="ignore"):
            out[:, j] = np.where(bottom > 0, top / bottom, np.nan)
    return out


def _rows(
    statistic: str,
    estimates: Estimates,
    unweighted: np.ndarray,
    domain: Domain,
    method: str,
    level: float,
    counts: np.ndarray | None = None,
) -> list[EstimateRow]:
    """Rows of one statistic in one set of domains; ``counts`` (D, k) replaces the
    estimator's n (rows used) by the respondents who answered, where they differ."""
    method = method if statistic in SHARES else "wald"
    low, high = estimates.confint(level=level, method=CI_METHODS[method])  # type: ignore[arg-type]
    if statistic in SHARES:
        low, high = np.clip(low, 0.0, 1.0), np.clip(high, 0.0, 1.0)
    df = np.broadcast_to(np.asarray(estimates.df, dtype=float), estimates.estimate.shape)
    deff = (
        estimates.deff if estimates.deff is not None else np.full(estimates.estimate.shape, np.nan)
    )
    labels = _domain_labels(estimates, domain)
    rows = []
    for d, value in enumerate(labels):
        for j, item in enumerate(estimates.items):
            estimate = float(estimates.estimate[d, j])
            if not np.isfinite(estimate):
                continue
            n = int((estimates.n if counts is None else counts)[d, j])
            design_effect = float(deff[d, j])
            rows.append(
                EstimateRow(
                    statistic=statistic,
                    item=item,
                    domain_variable=domain.variable,
                    domain_value=value,
                    estimate=estimate,
                    se=float(estimates.se[d, j]),
                    ci_low=float(low[d, j]),
                    ci_high=float(high[d, j]),
                    ci_method=method,
                    df=float(df[d, j]),
                    n=n,
                    deff=design_effect,
                    n_effective=n / design_effect
                    if np.isfinite(design_effect) and design_effect > 0
                    else float(n),
                    unweighted=float(unweighted[d, j]),
                    suppressed=False,
                    reason="",
                )
            )
    return rows


def _overall(
    design: Design,
    data: Items,
    by: np.ndarray,
    ratios: Estimates,
    domain: Domain,
    spec: Mapping[str, Any],
    method: str,
    level: float,
) -> list[EstimateRow]:
    rule = dict(spec.get("overall") or {"rule": "mean_of_elements"})
    if rule.get("rule") == "component":
        code = str(rule.get("component", ""))
        if code not in data.components:
            return []
        j = data.components.index(code)
        picked = Estimates(
            "ratio",
            ("overall",),
            ratios.domains,
            ratios.estimate[:, [j]],
            ratios.variance[:, [j]],
            _unweighted_counts(by, data.answered_components()[:, [j]], np.asarray(ratios.domains)),
            ratios.df,
            ratios.n_rows,
            None if ratios.deff is None else ratios.deff[:, [j]],
        )
        raw = _unweighted(
            by, data.satisfied[:, [j]], data.valid[:, [j]], np.asarray(ratios.domains)
        )
        return _rows("overall", picked, raw, domain, method, level)
    elements = list(
        rule.get("elements") or [c for c in data.components if not c.endswith(".overall")]
    )
    columns = [data.components.index(c) for c in elements if c in data.components]
    if not columns:
        return []
    # Linearised score of the mean of the k_d ratios R_j = Y_j / X_j a domain has (an
    # element nobody answered there is left out): u = (1/k_d) Σ_j (y_j − R_j x_j) / X_j;
    # its weighted total's variance is the mean's.
    labels = np.asarray(ratios.domains)
    index = _domain_index(by, labels)
    inside = index >= 0
    present = np.isfinite(ratios.estimate[:, columns])
    count = present.sum(axis=1)
    w = design.weights
    score = np.zeros(len(index))
    for position, j in enumerate(columns):
        x_total = np.bincount(
            index[inside], weights=(w * data.valid[:, j])[inside], minlength=len(labels)
        )
        r = ratios.estimate[:, j]
        share = np.where(present[:, position], 1.0 / np.maximum(count, 1), 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            part = (data.satisfied[:, j] - r[index] * data.valid[:, j]) / x_total[index]
        score[inside] += (np.nan_to_num(part) * share[index])[inside]
    score[~inside] = np.nan
    totals = estimate_total(design, score, by=by)
    mean = _mean_present(ratios.estimate[:, columns], present)
    anyone = (
        data.answered_components()[:, columns].any(axis=1, keepdims=True)
        if data.any_answered is None
        else data.any_answered[:, None]
    )
    answered = _unweighted_counts(by, anyone, labels)
    combined = Estimates(
        "mean",
        ("overall",),
        ratios.domains,
        mean,
        totals.variance[: len(labels)],
        answered,
        ratios.df,
        ratios.n_rows,
        None,
    )
    raw_each = _unweighted(by, data.satisfied[:, columns], data.valid[:, columns], labels)
    raw = _mean_present(raw_each, present)
    return _rows("overall", combined, raw, domain, method, level)


def _mean_present(values: np.ndarray, present: np.ndarray) -> np.ndarray:
    """Row means over the ``present`` columns (NaN where none is): (D, 1)."""
    count = present.sum(axis=1)
    total = np.where(present, np.nan_to_num(values), 0.0).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(count > 0, total / count, np.nan)[:, None]


def publish(row: EstimateRow, rule: Mapping[str, Any]) -> EstimateRow:
    """Flag a row the public must not see, with the reason (it is still stored)."""
    reasons = []
    min_n = rule.get("min_n")
    if min_n is not None and row.n < int(min_n):
        reasons.append(f"n = {row.n} < {int(min_n)}")
    max_rse = rule.get("max_rse")
    if max_rse is not None and row.estimate != 0 and row.se / abs(row.estimate) > float(max_rse):
        reasons.append(f"RSE = {row.se / abs(row.estimate):.2f} > {float(max_rse):.2f}")
    width = rule.get("max_ci_width")
    if width is not None and row.ci_high - row.ci_low > float(width):
        reasons.append(f"CI width = {row.ci_high - row.ci_low:.3f} > {float(width):.3f}")
    if not reasons:
        return row
    return EstimateRow(**{**row.__dict__, "suppressed": True, "reason": "; ".join(reasons)})
