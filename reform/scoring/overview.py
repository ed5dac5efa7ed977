"""What a leader reads first: movers against last year and the criteria where units lose
most of their points. Pure numpy, no Django (tests/reform/scoring/test_overview.py).
"""

from collections.abc import Sequence

import numpy as np


def criterion_losses(
    leaf_points: np.ndarray, maxima: Sequence[float | None], counted: Sequence[bool]
) -> np.ndarray:
    """The mean share of its maximum that each leaf loses across the units.

    ``leaf_points`` (units, leaves) are the points each unit got on each leaf (missing
    scores count 0, as in the total); ``maxima`` (leaves,) the leaves' maximum points;
    ``counted`` (leaves,) which leaves to judge (not bonus or penalty items, not survey
    leaves of a level that ran no survey). Returns (leaves,) shares in [0, 1], NaN for
    leaves not counted, without a positive maximum, or when there are no units.
    """
    points = np.asarray(leaf_points, dtype=float)
    top = np.array([np.nan if m is None else float(m) for m in maxima], dtype=float)
    judged = np.asarray(counted, dtype=bool) & (top > 0)
    out = np.full(top.shape, np.nan)
    if points.shape[0] == 0 or not judged.any():
        return out
    kept = np.clip(points[:, judged], 0.0, top[judged])
    out[judged] = ((top[judged] - kept) / top[judged]).mean(axis=0)
    return out


def weakest(shares: np.ndarray, *, count: int = 10) -> list[int]:
    """Indices of the ``count`` largest shares lost (ties: framework order), losses only."""
    shares = np.asarray(shares, dtype=float)
    order = sorted(
        (i for i in range(shares.size) if np.isfinite(shares[i]) and shares[i] > 0),
        key=lambda i: (-shares[i], i),
    )
    return order[:count]


def movers(
    points: Sequence[float | None], ranks: Sequence[int | None], *, count: int = 5
) -> tuple[list[int], list[int]]:
    """Indices of the largest gains and the largest losses against last year.

    ``points`` is each unit's change in total points (None: no comparable unit last
    year), ``ranks`` its change in rank (positive: climbed). Gains are sorted by points
    gained, then ranks climbed; losses the other way round. A unit without change is
    neither.
    """
    known = [i for i, p in enumerate(points) if p is not None]

    def climbed(i: int) -> int:
        return ranks[i] or 0

    gains = sorted(
        (i for i in known if points[i] > 0),  # type: ignore[operator]
        key=lambda i: (-points[i], -climbed(i), i),  # type: ignore[operator]
    )
    losses = sorted(
        (i for i in known if points[i] < 0),  # type: ignore[operator]
        key=lambda i: (points[i], climbed(i), i),
    )
    return gains[:count], losses[:count]
