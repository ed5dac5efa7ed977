"""Conversion rules: an estimate or raw indicator → points, vectorised over draws and units.

Arrays are shaped (..., units, leaves): the leading axes are Monte-Carlo draws (or none),
and rules that compare units (min–max, 1–10) reduce over the units axis. Rules are
grouped by type so a whole group is one numpy expression, not a loop over leaves.

Rules (``rule`` on a survey-based leaf; DESIGN.md, PAR Index and DDCI):
- linear        {"scale": 1}: max · clip(x / scale, 0, 1) — share of the maximum
- bands         {"bands": [[threshold, points], ...]}: the points of the highest threshold
                x reaches, 0 below them all
- minmax        {"direction": "positive"|"negative", "years": N}: max · (x − min)/(max − min)
                across the compared units (reversed for negative)
- rescale_1_10  same, as 1 + 9 · share (DDCI indicators; the leaf's maximum is not used)
- as_is         x itself (PCI's published sub-index scores)
min and max may be widened by history (the last N years' values), given per leaf.
When every unit has the same value the share is 1: nobody is behind anybody.
"""

from collections.abc import Sequence

import numpy as np

from reform.scoring.framework import Node

History = dict[str, tuple[float, float]]  # leaf code → (min, max) over past years


def share_minmax(x: np.ndarray, negative: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Position in [0, 1] of x between the units' min and max (axis -2), per leaf.

    ``negative`` (leaves,) reverses; ``lo``/``hi`` (leaves,) widen the range (NaN: none).
    """
    low = np.fmin(x.min(axis=-2, keepdims=True), lo.astype(x.dtype))
    high = np.fmax(x.max(axis=-2, keepdims=True), hi.astype(x.dtype))
    span = high - low
    # share = (x − origin) · sign / span with origin = min (max for negative leaves),
    # computed in place on one array; a zero span (every unit equal) gives share 1.
    origin = np.where(negative, high, low)
    sign = np.where(negative, -1.0, 1.0).astype(x.dtype)
    scale = np.where(span > 0, sign / np.where(span > 0, span, 1), 0).astype(x.dtype)
    share = x - origin
    share *= scale
    share += np.where(span > 0, 0.0, 1.0).astype(x.dtype)  # equal units: share 1
    return share


def _history(leaves: Sequence[Node], history: History | None) -> tuple[np.ndarray, np.ndarray]:
    history = history or {}
    lo = np.array([history.get(n.code, (np.nan, np.nan))[0] for n in leaves], dtype=float)
    hi = np.array([history.get(n.code, (np.nan, np.nan))[1] for n in leaves], dtype=float)
    return lo, hi


def leaf_points(
    leaves: Sequence[Node], x: np.ndarray, *, history: History | None = None
) -> np.ndarray:
    """Points of each leaf from its values ``x`` (..., units, len(leaves)).

    Assessed leaves (and any leaf without a rule) take their value as points.
    """
    dtype = x.dtype if x.dtype.kind == "f" else np.dtype(float)
    groups: dict[str, list[int]] = {}
    for j, node in enumerate(leaves):
        rule = (node.rule or {}).get("type") if node.leaf == "survey" else None
        groups.setdefault(rule or "as_is", []).append(j)
    # Each group writes its own columns; a group covering every leaf takes a slice, so
    # the large drawn arrays of the simulation are not copied by fancy indexing.
    out = np.empty(x.shape, dtype=dtype)
    everything = list(range(len(leaves)))

    def cols(idx: list[int]) -> list[int] | slice:
        return slice(None) if idx == everything else idx

    if idx := groups.get("as_is"):
        out[..., cols(idx)] = x[..., cols(idx)]
    maximum = np.array([n.maximum or 0.0 for n in leaves], dtype=out.dtype)
    if idx := groups.get("linear"):
        scale = np.array([float(leaves[j].rule.get("scale", 1)) for j in idx], dtype=out.dtype)
        out[..., cols(idx)] = np.clip(x[..., cols(idx)] / scale, 0, 1) * maximum[idx]
    for rule in ("minmax", "rescale_1_10"):
        if idx := groups.get(rule):
            chosen = [leaves[j] for j in idx]
            negative = np.array([n.rule.get("direction") == "negative" for n in chosen])
            lo, hi = _history(chosen, history)
            share = share_minmax(x[..., cols(idx)], negative, lo, hi)
            if rule == "minmax":
                share *= maximum[idx]
            else:
                share *= 9
                share += 1
            out[..., cols(idx)] = share
    for j in groups.get("bands", []):
        table = sorted((float(t), float(p)) for t, p in leaves[j].rule["bands"])
        thresholds = np.array([t for t, _ in table])
        points = np.array([0.0] + [p for _, p in table])
        out[..., j] = points[np.searchsorted(thresholds, x[..., j], side="right")]
    return out
