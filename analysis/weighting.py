"""A round's weighting scheme: an ordered list of steps that turns its respondents into
a weighted design. Pure numpy on top of analysis.estimators; no Django.

Steps (each optional, in the order given):

* ``cell_weights`` — base weight = frame count / respondents of the cell (``by``: some of
  unit, sector, channel — or, for firm rounds, firm_size, firm_sector, ownership: the
  DDCI design stratified by unit × size × sector × ownership); the cells are the
  design's strata, with the frame counts N_h as fpc. Without it every respondent weighs
  1 and the design is a simple random sample.
* ``nonresponse`` — weighting classes (``by``: some of the cell variables). In class c
  the respondents' weights are multiplied by f_c = E_c / W_c, where W_c is the
  respondents' weight in the class before the step and E_c the class's *eligible
  count*: with ``counts: "invitations"`` (the default) the invitations issued for the
  round (its units and period: transaction links and firm invitations, not open links)
  — then the step must come first, every invited case weighs 1, and f_c = invited /
  responded is the inverse response rate; with ``counts: "frame"`` the round's frame
  counts (transactions, or firms) in the class, so the class's weights add up to its
  population. A class with no eligible count on record keeps its weights (f_c = 1,
  reported). The variance treats the classes as post-strata (R ``postStratify`` to
  E_c): exact for frame counts, the usual approximation for invitations.
* ``poststratify`` — to one margin (a variable, or a combination ``"sex+age_group"``).
* ``rake`` — to several margins (iterative proportional fitting to convergence).
* ``calibrate`` — to several margins at once, ``method`` linear / raking / logit, with
  ``bounds`` on the g-weights (new / base).
* ``trim`` — cap weights to ``[lower, upper]`` (× the mean weight when ``relative``),
  redistributing the excess.

Margins are ``{variable: {category: population total}}``; a respondent's category of a
combined variable ``"a+b"`` is its categories joined by ``+``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from analysis.estimators import (
    Design,
    calibrate,
    effective_sample_size,
    kish_deff,
    make_design,
    poststratify,
    rake,
    trim_design,
)
from analysis.estimators.errors import EstimatorError

CELL_VARIABLES = ("unit", "sector", "channel", "firm_size", "firm_sector", "ownership")
DEFAULT_SCHEME: list[dict[str, Any]] = [{"step": "cell_weights", "by": ["unit", "sector"]}]
QUANTILES = (0.0, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 1.0)


class WeightingError(ValueError):
    """A scheme that cannot be applied to these respondents (the message says why).

    ``code`` and ``params`` name the common failures so that the caller can say them in
    the user's language (analysis.tasks.failure_reason); the message is the English."""

    def __init__(self, message: str, *, code: str = "", params: Mapping[str, Any] | None = None):
        super().__init__(message)
        self.code = code
        self.params = dict(params or {})


@dataclass
class Weighting:
    """The weighted design and what the statistician reviews about the weights.

    ``base_design`` is the sampling design before any adjustment (the cell weights'
    strata and fpc, or a simple random sample); ``reweight`` applies the scheme's
    adjustments again to other starting weights (n,) — what replicate variance does in
    each replicate (R's rake / calibrate / postStratify of an svrep.design)."""

    design: Design
    base: np.ndarray
    diagnostics: dict[str, Any] = field(default_factory=dict)
    base_design: Design | None = None
    reweight: Callable[[np.ndarray], np.ndarray] | None = None

    @property
    def final(self) -> np.ndarray:
        return self.design.weights


def variable_values(columns: Mapping[str, np.ndarray], variable: str) -> np.ndarray:
    """A respondent's category of ``variable`` (``"a+b"``: categories joined by ``+``)."""
    parts = variable.split("+")
    missing = [p for p in parts if p not in columns]
    if missing:
        raise WeightingError(
            f"unknown variable {', '.join(missing)}",
            code="unknown_variable",
            params={"variable": ", ".join(missing)},
        )
    values = [np.asarray(columns[p]).astype(str) for p in parts]
    if len(values) == 1:
        return values[0]
    out = values[0].astype(object)
    for more in values[1:]:
        out = out + "+" + more.astype(object)
    return out.astype(str)


def weights_compute(
    *,
    columns: Mapping[str, np.ndarray],
    frame: Sequence[tuple[Mapping[str, Any], float]],
    margins: Mapping[str, Mapping[str, float]],
    steps: Sequence[Mapping[str, Any]],
    eligible: Sequence[tuple[Mapping[str, Any], float]] = (),
) -> Weighting:
    """Apply ``steps`` to the respondents described by ``columns`` (name → (n,) values).

    ``frame`` lists (cell keys {unit, sector, channel, firm_size, …}, count);
    ``eligible`` the invitations issued, by the same keys (for ``nonresponse``). Raises
    WeightingError with a readable reason.
    """
    n = len(next(iter(columns.values()))) if columns else 0
    base = np.ones(n)
    diagnostics: dict[str, Any] = {"steps": [], "margins": []}
    steps = list(steps)
    try:
        if steps and steps[0].get("step") == "cell_weights":
            design, cells = _cell_weights(columns, frame, list(steps[0].get("by", ["unit"])))
            base = design.weights.copy()
            diagnostics["cells"] = cells
            diagnostics["steps"].append({"step": "cell_weights", "kish_deff": kish_deff(base)})
            adjustments = steps[1:]
        else:
            design = make_design(weights=np.ones(n), n_rows=n, lonely_psu="remove")
            adjustments = steps
        base_design = design
        prepared = _prepare(
            adjustments, columns, frame, margins, eligible, offset=len(steps) - len(adjustments)
        )
        trimmed = 0
        for kind, apply in prepared:
            design, extra = apply(design, diagnostics)
            trimmed += extra
            diagnostics["steps"].append({"step": kind, "kish_deff": kish_deff(design.weights)})
    except EstimatorError as error:
        raise WeightingError(str(error)) from error

    def reweight(weights: np.ndarray) -> np.ndarray:
        """The adjustments applied to other starting weights (one replicate)."""
        out = base_design.with_weights(weights)
        try:
            for _kind, apply in prepared:
                out, _extra = apply(out, None)
        except EstimatorError as error:
            raise WeightingError(f"in a replicate: {error}") from error
        return out.weights

    diagnostics.update(_summary(base, design.weights, trimmed))
    diagnostics["margins"] = _margins_achieved(columns, margins, steps, design.weights)
    return Weighting(
        design=design,
        base=base,
        diagnostics=diagnostics,
        base_design=base_design,
        reweight=reweight,
    )


Apply = Callable[[Design, "dict[str, Any] | None"], tuple[Design, int]]


def _prepare(
    steps: Sequence[Mapping[str, Any]],
    columns: Mapping[str, np.ndarray],
    frame: Sequence[tuple[Mapping[str, Any], float]],
    margins: Mapping[str, Mapping[str, float]],
    eligible: Sequence[tuple[Mapping[str, Any], float]],
    *,
    offset: int,
) -> list[tuple[str, Apply]]:
    """Each adjustment step as a function design → (design, weights trimmed), its
    respondent categories worked out once (replicates apply them again and again).
    The function writes the step's diagnostics when given a dict to write to."""
    prepared: list[tuple[str, Apply]] = []
    for number, step in enumerate(steps, start=1 + offset):
        kind = str(step.get("step"))
        if kind == "cell_weights":
            raise WeightingError("cell_weights must be the first step")
        if kind == "nonresponse":
            prepared.append((kind, _nonresponse(step, columns, frame, eligible, number)))
        elif kind == "poststratify":
            variable = str(step["margin"])
            values, targets = variable_values(columns, variable), _targets(margins, variable)
            prepared.append(
                (kind, lambda d, _diag, v=values, t=targets: (poststratify(d, v, t), 0))
            )
        elif kind == "rake":
            pairs = [(variable_values(columns, v), _targets(margins, v)) for v in step["margins"]]
            iterations = int(step.get("max_iter", 1000))
            prepared.append(
                (kind, lambda d, _diag, p=pairs, i=iterations: (rake(d, p, max_iter=i), 0))
            )
        elif kind == "calibrate":
            x, totals = _model_matrix(columns, margins, list(step["margins"]))
            bounds = step.get("bounds") or [-np.inf, np.inf]
            method = step.get("method", "linear")

            def calibrated(d: Design, _diag: Any, x=x, totals=totals, method=method, b=bounds):
                return calibrate(d, x, totals, method=method, bounds=(float(b[0]), float(b[1]))), 0

            prepared.append((kind, calibrated))
        elif kind == "trim":
            prepared.append((kind, _trim(step)))
        else:
            raise WeightingError(f"step {number}: unknown step {kind!r}")
    return prepared


def _trim(step: Mapping[str, Any]) -> Apply:
    def apply(design: Design, _diag: Any) -> tuple[Design, int]:
        before = design.weights
        scale = float(before.mean()) if step.get("relative", True) else 1.0
        low = float(step.get("lower", 0.0)) * scale
        high = float(step.get("upper", np.inf)) * scale
        design = trim_design(design, lower=low, upper=high, strict=bool(step.get("strict", False)))
        return design, int(np.count_nonzero((before < low) | (before > high)))

    return apply


def _nonresponse(
    step: Mapping[str, Any],
    columns: Mapping[str, np.ndarray],
    frame: Sequence[tuple[Mapping[str, Any], float]],
    eligible: Sequence[tuple[Mapping[str, Any], float]],
    number: int,
) -> Apply:
    """Weighting-class adjustment f_c = E_c / W_c (module docstring), as a
    post-stratification to E_c of the classes that have an eligible count."""
    by = list(step.get("by") or ["unit"])
    unknown = [v for v in by if v not in CELL_VARIABLES]
    if unknown:
        raise WeightingError(f"nonresponse: classes are made of {', '.join(CELL_VARIABLES)}")
    source = str(step.get("counts", "invitations"))
    if source == "invitations" and number != 1:
        raise WeightingError(
            "nonresponse with invitation counts must be the first step",
            code="nonresponse_not_first",
        )
    counts: dict[str, float] = {}
    for keys, count in frame if source == "frame" else eligible:
        key = "+".join(str(keys.get(v, "") or "") for v in by)
        counts[key] = counts.get(key, 0.0) + float(count)
    classes = variable_values(columns, "+".join(by))
    labels, code = np.unique(classes, return_inverse=True)
    responded = np.bincount(code, minlength=len(labels)).astype(float)
    known = np.array([counts.get(str(label), 0.0) > 0 for label in labels])
    if len(labels) and not known.any():
        raise WeightingError(
            f"no {source} count for any of the {len(labels)} nonresponse classes "
            f"({' × '.join(by)})",
            code="nonresponse_no_counts",
            params={"classes": len(labels), "by": " × ".join(by), "source": source},
        )

    def apply(design: Design, diag: dict[str, Any] | None) -> tuple[Design, int]:
        held = np.bincount(code, weights=design.weights, minlength=len(labels))
        # A class without an eligible count keeps its weight: its target is what it has.
        # (Nor does a class a replicate left without weight: nobody to carry it.)
        targets = {
            str(label): counts[str(label)] if known[c] and held[c] > 0 else float(held[c])
            for c, label in enumerate(labels)
        }
        adjusted = poststratify(design, classes, targets, partial=True)
        if diag is not None:
            with np.errstate(divide="ignore", invalid="ignore"):
                factor = np.where(held > 0, [targets[str(lb)] for lb in labels] / held, np.nan)
            diag["nonresponse"] = {
                "by": by,
                "counts": source,
                "classes": [
                    {
                        "class": str(label),
                        "eligible": counts.get(str(label)),
                        "respondents": int(responded[c]),
                        "weight_before": float(held[c]),
                        "factor": float(factor[c]),
                    }
                    for c, label in enumerate(labels)
                ],
                "without_counts": int(np.count_nonzero(~known)),
            }
        return adjusted, 0

    return apply


def _cell_weights(
    columns: Mapping[str, np.ndarray],
    frame: Sequence[tuple[Mapping[str, Any], float]],
    by: list[str],
) -> tuple[Design, dict[str, Any]]:
    unknown = [v for v in by if v not in CELL_VARIABLES]
    if unknown or not by:
        raise WeightingError(f"cell_weights: cells are made of {', '.join(CELL_VARIABLES)}")
    keys = variable_values(columns, "+".join(by))
    cells, cell = np.unique(keys, return_inverse=True)
    population: dict[str, float] = {}
    for cell_keys, count in frame:
        key = "+".join(str(cell_keys.get(v, "")) for v in by)
        population[key] = population.get(key, 0.0) + float(count)
    sampled = np.bincount(cell, minlength=len(cells)).astype(float)
    framed = np.array([population.get(str(c), 0.0) for c in cells])
    if population and len(cells) and not framed.any():
        # Every respondent would weigh 1 and the run would "succeed" with unweighted
        # estimates: an uploaded frame whose cells match none of the answers' cells.
        raise WeightingError(
            f"the frame covers none of the {len(cells)} answered cells ({' × '.join(by)})",
            code="frame_covers_no_cell",
            params={"cells": len(cells), "by": " × ".join(by)},
        )
    # A cell with fewer transactions than answers (or none on record) is taken as
    # fully answered: weight 1, no sampling error.
    size = np.maximum(framed, sampled)
    weights = (size / sampled)[cell]
    design = make_design(weights=weights, strata=cell, fpc=size[cell], lonely_psu="remove")
    return design, {
        "count": len(cells),
        "without_frame": int(np.count_nonzero(framed == 0)),
        "below_responses": int(np.count_nonzero((framed > 0) & (framed < sampled))),
    }


def _targets(margins: Mapping[str, Mapping[str, float]], variable: str) -> dict[Any, float]:
    if variable not in margins:
        raise WeightingError(
            f"no margin uploaded for {variable}", code="no_margin", params={"variable": variable}
        )
    return {str(k): float(v) for k, v in margins[variable].items()}


def _model_matrix(
    columns: Mapping[str, np.ndarray],
    margins: Mapping[str, Mapping[str, float]],
    variables: list[str],
) -> tuple[np.ndarray, np.ndarray]:
    """Dummies of every category of the first margin (their sum is the intercept) and of
    all but the first category of the others, as R's model.matrix(~a + b) spans."""
    blocks, totals = [], []
    for position, variable in enumerate(variables):
        values = variable_values(columns, variable)
        targets = _targets(margins, variable)
        categories = sorted(targets)
        stray = set(np.unique(values).tolist()) - set(categories)
        if stray:
            raise WeightingError(f"{variable}: no population total for {sorted(stray)}")
        for category in categories[(1 if position else 0) :]:
            blocks.append((values == category).astype(float))
            totals.append(targets[category])
    return np.column_stack(blocks), np.asarray(totals)


def _summary(base: np.ndarray, final: np.ndarray, trimmed: int) -> dict[str, Any]:
    with np.errstate(divide="ignore", invalid="ignore"):
        g = np.where(base > 0, final / base, np.nan)
    return {
        "n": int(final.shape[0]),
        "sum_weights": float(final.sum()),
        "kish_deff": kish_deff(final) if final.size else 1.0,
        "effective_n": effective_sample_size(final) if final.size else 0.0,
        "quantiles": {
            f"{q:g}": float(np.quantile(final, q)) if final.size else None for q in QUANTILES
        },
        "g_range": [float(np.nanmin(g)), float(np.nanmax(g))] if final.size else [None, None],
        "trimmed": trimmed,
    }


def _margins_achieved(
    columns: Mapping[str, np.ndarray],
    margins: Mapping[str, Mapping[str, float]],
    steps: Sequence[Mapping[str, Any]],
    weights: np.ndarray,
) -> list[dict[str, Any]]:
    used: list[str] = []
    for step in steps:
        for variable in [step.get("margin"), *list(step.get("margins", []))]:
            if variable and variable not in used:
                used.append(str(variable))
    out = []
    for variable in used:
        values = variable_values(columns, variable)
        for category, target in sorted(_targets(margins, variable).items()):
            achieved = float(weights[values == category].sum())
            out.append(
                {"variable": variable, "category": category, "target": target, "achieved": achieved}
            )
    return out
