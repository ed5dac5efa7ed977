from django import template
from django.template.defaultfilters import floatformat

register = template.Library()


@register.filter
def percent(value: float | None) -> str:
    """0.8266 → "82,7" in Vietnamese, "82.7" in English."""
    if value is None:
        return "—"
    return floatformat(value * 100, 1)


@register.filter
def get_item(mapping: dict, key: str) -> object:
    """``errors|get_item:part`` — a dict's value by a variable key."""
    return mapping.get(key, []) if isinstance(mapping, dict) else []
