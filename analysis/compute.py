"""The compute stage of a run: weights, then every estimate of the spec. Pure numpy."""

from dataclasses import dataclass
from typing import Any

import numpy as np

from analysis.element_index import ancestor_levels
from analysis.estimation import Domain, EstimateRow, Items, publish, round_estimates
from analysis.estimators import Design, ReplicateDesign, bootstrap_design, jkn_design
from analysis.loaders import RoundData
from analysis.weighting import Weighting, WeightingError, weights_compute


@dataclass(frozen=True)
class Computed:
    rows: list[EstimateRow]
    diagnostics: dict[str, Any]


def round_compute(
    *,
    data: RoundData,
    frame: list[tuple[dict[str, Any], float]],
    margins: dict[str, dict[str, float]],
    scheme: list[dict[str, Any]],
    spec: dict[str, Any],
    publication: dict[str, Any],
    scope_id: int,
    eligible: list[tuple[dict[str, Any], float]] | None = None,
) -> Computed:
    """Weight the respondents by ``scheme``, then estimate ``spec`` in every domain:
    each depth of the unit tree below and including the scope, and each profile
    variable of the spec over the whole scope."""
    if len(data.leaf_unit) == 0:
        return Computed([], {"n": 0})
    if len(data.leaf_unit) == 1:
        return _one_respondent(data, spec, publication, scope_id)
    weighting = weights_compute(
        columns=data.columns, frame=frame, margins=margins, steps=scheme, eligible=eligible or []
    )
    design = replicate(weighting, spec=spec)
    levels = ancestor_levels(data.leaf_unit, data.unit_parent, stop_at=scope_id)
    domains = [Domain("unit", levels[:, depth]) for depth in range(levels.shape[1])]
    domains += [Domain(v, data.columns[v]) for v in spec.get("profile_domains", [])]
    items = Items(
        components=data.components,
        satisfied=data.satisfied,
        valid=data.valid,
        items=data.items,
        values=data.values,
        item_satisfied=data.item_satisfied,
        answered=data.answered,
        any_answered=data.any_answered,
    )
    rows = round_estimates(
        design=design, data=items, domains=domains, spec=spec, publication=publication
    )
    return Computed(rows, weighting.diagnostics)


# Replicate weights are a dense (respondents × replicates) matrix: bounded here.
MAX_REPLICATE_CELLS = 50_000_000


def replicate(weighting: Weighting, *, spec: dict[str, Any]) -> Design | ReplicateDesign:
    """The design with replicate weights when the spec asks for them (R's
    as.svrepdesign of the sampling design, then the scheme's adjustments on it): the
    stratified jackknife (one replicate per respondent) or the Rao–Wu bootstrap
    (seeded) of the base design, and in every replicate the whole scheme after the cell
    weights — nonresponse, post-stratification, raking, calibration, trimming — run
    again from the replicate's base weights, as R's rake / calibrate / postStratify /
    trimWeights do on an svrep.design."""
    method = spec.get("variance", "taylor")
    if method == "taylor":
        return weighting.design
    base = weighting.base_design if weighting.base_design is not None else weighting.design
    replicates = base.n if method == "jackknife" else int(spec.get("replicates", 200))
    if base.n * replicates > MAX_REPLICATE_CELLS:
        raise WeightingError(
            f"{replicates} replicates of {base.n} respondents are too many; use Taylor"
            " linearisation or fewer bootstrap replicates"
        )
    if method == "jackknife":
        plain = jkn_design(base)
    else:
        rng = np.random.default_rng(int(spec.get("seed", 20240101)))
        plain = bootstrap_design(base, replicates, rng=rng)
    adjusted = weighting.design.weights
    adjusting = any(s["step"] != "cell_weights" for s in weighting.diagnostics.get("steps", []))
    if weighting.reweight is None or not adjusting:
        return plain
    multipliers = np.empty_like(plain.repweights)
    with np.errstate(divide="ignore", invalid="ignore"):
        for r in range(plain.n_replicates):
            again = weighting.reweight(base.weights * plain.repweights[:, r])
            multipliers[:, r] = np.where(adjusted == 0, 0.0, again / adjusted)
    return ReplicateDesign(
        adjusted,
        multipliers,
        plain.scale,
        plain.rscales,
        plain.mse,
        plain.type,
        plain.df,
    )


def _one_respondent(
    data: RoundData, spec: dict[str, Any], publication: dict[str, Any], scope_id: int
) -> Computed:
    """A design needs two respondents; one is exactly itself, with no sampling error."""
    levels = ancestor_levels(data.leaf_unit, data.unit_parent, stop_at=scope_id)[0]
    units = [str(int(u)) for u in levels if u == u]
    statistics = spec.get("statistics", [])
    values: list[tuple[str, str, float]] = []
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = data.satisfied[0] / data.valid[0]
    if "element_index" in statistics:
        values += [
            ("element_index", c, float(r)) for c, r in zip(data.components, ratios, strict=True)
        ]
    if "overall" in statistics:
        elements = [
            r
            for c, r in zip(data.components, ratios, strict=True)
            if not c.endswith(".overall") and np.isfinite(r)
        ]
        if elements:
            values.append(("overall", "overall", float(np.mean(elements))))
    rows = [
        publish(
            EstimateRow(
                statistic=statistic,
                item=item,
                domain_variable="unit",
                domain_value=unit,
                estimate=value,
                se=0.0,
                ci_low=value,
                ci_high=value,
                ci_method="exact",
                df=0.0,
                n=1,
                deff=float("nan"),
                n_effective=1.0,
                unweighted=value,
                suppressed=False,
                reason="",
            ),
            publication,
        )
        for unit in units
        for statistic, item, value in values
        if np.isfinite(value)
    ]
    return Computed(rows, {"n": 1, "kish_deff": 1.0, "effective_n": 1.0})
