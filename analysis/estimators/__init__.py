"""Survey estimators: pure numpy/scipy, no Django. Tested against R's ``survey``.

Design -> (weights adjustments) -> estimates with standard errors::

    d = make_design(weights=w, strata=h, clusters=[psu], fpc=[N_h])
    d = rake(d, [(sex, {"F": 5100, "M": 4900}), (age, {...})])
    est = estimate_mean(d, answers, by=unit)       # all items x all units at once
    low, high = est.confint()                      # t with PSUs - strata df

Every function documents its inputs, shapes and the R call it matches.
"""

from .calibration import calibrate, poststratify, rake, rake_cells
from .design import Design, degrees_of_freedom, make_design
from .errors import (
    CalibrationError,
    ConvergenceError,
    DesignError,
    EstimatorError,
    LonelyPSUError,
    MarginError,
)
from .estimates import (
    Estimates,
    estimate_mean,
    estimate_proportion,
    estimate_quantile,
    estimate_ratio,
    estimate_total,
)
from .intervals import beta_interval, logit_interval, wald_interval
from .replicates import (
    ReplicateDesign,
    bootstrap_design,
    brr_design,
    jk1_design,
    jkn_design,
    replicate_design,
)
from .weights import (
    WeightSummary,
    base_weights_from_counts,
    base_weights_from_probs,
    effective_sample_size,
    kish_deff,
    nonresponse_adjust,
    trim_design,
    trim_weights,
    weight_summary,
)

__all__ = [
    "CalibrationError",
    "ConvergenceError",
    "Design",
    "DesignError",
    "Estimates",
    "EstimatorError",
    "LonelyPSUError",
    "MarginError",
    "ReplicateDesign",
    "WeightSummary",
    "base_weights_from_counts",
    "base_weights_from_probs",
    "beta_interval",
    "bootstrap_design",
    "brr_design",
    "calibrate",
    "degrees_of_freedom",
    "effective_sample_size",
    "estimate_mean",
    "estimate_proportion",
    "estimate_quantile",
    "estimate_ratio",
    "estimate_total",
    "jk1_design",
    "jkn_design",
    "kish_deff",
    "logit_interval",
    "make_design",
    "nonresponse_adjust",
    "poststratify",
    "rake",
    "rake_cells",
    "replicate_design",
    "trim_design",
    "trim_weights",
    "wald_interval",
    "weight_summary",
]
