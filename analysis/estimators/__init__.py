"""Survey estimators: pure numpy/scipy, no Django. Tested against R's ``survey``."""

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

__all__ = [
    "CalibrationError",
    "ConvergenceError",
    "Design",
    "DesignError",
    "Estimates",
    "EstimatorError",
    "LonelyPSUError",
    "MarginError",
    "beta_interval",
    "calibrate",
    "degrees_of_freedom",
    "estimate_mean",
    "estimate_proportion",
    "estimate_quantile",
    "estimate_ratio",
    "estimate_total",
    "logit_interval",
    "make_design",
    "poststratify",
    "rake",
    "rake_cells",
    "wald_interval",
]
