"""A unit's totals over the years as a small inline SVG line (no JavaScript, no CDN)."""

from django import template
from django.utils.html import format_html

register = template.Library()


@register.simple_tag
def sparkline(history: list[float | None], current: float, width: int = 80, height: int = 20):
    values = [v for v in [*history, current] if v is not None]
    if len(values) < 2:
        return ""
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    step = width / (len(values) - 1)
    points = " ".join(
        f"{i * step:.1f},{height - 2 - (v - low) / span * (height - 4):.1f}"
        for i, v in enumerate(values)
    )
    label = " → ".join(f"{v:.2f}" for v in values)
    return format_html(
        '<svg class="sparkline" width="{}" height="{}" viewBox="0 0 {} {}" role="img" '
        'aria-label="{}"><polyline fill="none" stroke="currentColor" stroke-width="1.5" '
        'points="{}"/></svg>',
        width, height, width, height, label, points,
    )  # fmt: skip
