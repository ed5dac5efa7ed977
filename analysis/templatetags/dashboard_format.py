"""Filters of the round dashboard: a figure as a share (82,7%) or a score (4,12)."""

from django import template
from django.template.defaultfilters import floatformat

register = template.Library()


@register.filter
def figure(value: float | None, share: bool = True) -> str:
    """0.8266 → "82,7%" for shares; 4.123 → "4,12" for means; — when missing."""
    if value is None:
        return "—"
    if share:
        return f"{floatformat(value * 100, 1)}%"
    return str(floatformat(value, 2))
