"""What a statistician reviews about a round beside its estimates: the balance of the
sample against the population before and after weighting, the projection of response
counts to the end of the period, and estimates of earlier rounds mapped onto today's
units. Pure numpy; no Django.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class BalanceRow:
    """One category of one profile variable: its population share and the sample's share
    before (unweighted) and after weighting, each with its absolute standardised mean
    difference from the population (None when the population share is 0 or 1)."""

    variable: str
    category: str
    target: float
    before: float
    after: float
    asmd_before: float | None
    asmd_after: float | None


def balance_asmd(
    *,
    variable: str,
    values: np.ndarray,
    weights: np.ndarray,
    target: Mapping[str, float],
    base: np.ndarray | None = None,
) -> list[BalanceRow]:
    """Absolute standardised mean differences of one categorical variable, as Meta's
    ``balance`` package reports them (``asmd`` with ``std_type="target"``) for the
    one-hot columns of the variable: ``|mean_sample − mean_target| / sd_target``.

    values: (n,) categories of the respondents ("" when unanswered: a respondent of no
    category counts 0 in every column, as ``balance`` does with its NA indicator).
    weights: (n,) final weights; base: (n,) weights "before" (default: all 1, the
    unweighted sample). target: population totals per category; its shares are the
    target means and ``sqrt(p (1 − p))`` the target's standard deviation (the margins
    are population totals, so no sampling ``ddof``).
    """
    values = np.asarray(values).astype(str)
    after_w = np.asarray(weights, dtype=float)
    before_w = np.ones_like(after_w) if base is None else np.asarray(base, dtype=float)
    total = float(sum(target.values()))
    rows = []
    for category in sorted(target):
        hit = (values == str(category)).astype(float)
        share = float(target[category]) / total if total > 0 else float("nan")
        before = _weighted_mean(hit, before_w)
        after = _weighted_mean(hit, after_w)
        sd = math.sqrt(share * (1 - share)) if 0 < share < 1 else 0.0
        rows.append(
            BalanceRow(
                variable=variable,
                category=str(category),
                target=share,
                before=before,
                after=after,
                asmd_before=abs(before - share) / sd if sd > 0 else None,
                asmd_after=abs(after - share) / sd if sd > 0 else None,
            )
        )
    return rows


def balance_summary(rows: Sequence[BalanceRow]) -> dict[str, float | None]:
    """The mean ASMD over the categories (``balance``'s "mean(asmd)") before and after,
    and the share of it that weighting removed (``1 − after / before``)."""
    before = [r.asmd_before for r in rows if r.asmd_before is not None]
    after = [r.asmd_after for r in rows if r.asmd_after is not None]
    mean_before = float(np.mean(before)) if before else None
    mean_after = float(np.mean(after)) if after else None
    improvement = (
        1 - mean_after / mean_before
        if mean_before is not None and mean_after is not None and mean_before > 0
        else None
    )
    return {"before": mean_before, "after": mean_after, "improvement": improvement}


def _weighted_mean(x: np.ndarray, w: np.ndarray) -> float:
    total = float(w.sum())
    return float((x * w).sum() / total) if total > 0 else float("nan")


@dataclass(frozen=True)
class Projection:
    projected: float
    at_risk: bool


def response_projection(
    *, responses: int, target: int, recent: int, window_days: float, days_left: float
) -> Projection:
    """The rule the dashboard states: responses at the end of the period = responses so
    far + the daily rate of the last ``window_days`` days × the days left; a unit whose
    projection falls short of its target is at risk. A period that has ended projects
    the count it has."""
    rate = recent / window_days if window_days > 0 else 0.0
    projected = responses + rate * max(days_left, 0.0)
    return Projection(projected=projected, at_risk=projected < target)


@dataclass(frozen=True)
class Earlier:
    """An earlier round's figure for a unit of today's map."""

    estimate: float | None
    n: int
    sources: tuple[str, ...]  # the units of that round it was read from
    mapped: bool  # read from predecessors rather than the unit itself


def estimate_map(
    *,
    unit: str,
    predecessors: Sequence[str],
    earlier: Mapping[str, tuple[float, int, bool]],
) -> Earlier:
    """Today's ``unit`` in an earlier round: its own estimate when the round had it,
    else its predecessors' (a split hands the old unit's figure to each part, a merge
    takes the respondent-weighted mean of the old units' figures). ``earlier``: unit →
    (estimate, n, suppressed); suppressed figures are not used."""
    own = earlier.get(unit)
    if own is not None:
        return Earlier(None if own[2] else own[0], own[1], (unit,), False)
    found = [(code, earlier[code]) for code in predecessors if code in earlier]
    usable = [(code, e, n) for code, (e, n, hidden) in found if not hidden and n > 0]
    n = sum(v[1] for _c, v in found)
    if not usable:
        return Earlier(None, n, tuple(code for code, _v in found), bool(found))
    weight = sum(n for _c, _e, n in usable)
    value = sum(e * n for _c, e, n in usable) / weight
    return Earlier(value, n, tuple(code for code, _v in found), True)
