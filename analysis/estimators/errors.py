"""Errors raised by the estimators.

Every error is a ``ValueError`` subclass so callers (the CLI, Celery tasks) can turn
any of them into a one-line message without knowing the details.
"""

from __future__ import annotations

__all__ = [
    "CalibrationError",
    "ConvergenceError",
    "DesignError",
    "EstimatorError",
    "LonelyPSUError",
    "MarginError",
]


class EstimatorError(ValueError):
    """Base class: the inputs cannot give a trustworthy number."""


class DesignError(EstimatorError):
    """The sampling design is inconsistent (shapes, fpc, nesting, missing ids)."""


class LonelyPSUError(DesignError):
    """A stratum has a single PSU and ``lonely_psu="fail"`` was asked for."""


class CalibrationError(EstimatorError):
    """Population totals cannot be met (bad totals, empty cells, singular system)."""


class MarginError(CalibrationError):
    """Raking margins disagree on the total or a category has no respondents."""


class ConvergenceError(CalibrationError):
    """An iterative weighting step did not converge within its iteration cap."""
