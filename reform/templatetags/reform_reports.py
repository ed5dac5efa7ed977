"""``{% scorecard_pdf_button round unit %}``: the button asking for a unit's PDF scorecard,
shown only to those who may ask for it (reform.reports.scorecard_allowed)."""

from typing import Any

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from reform.reports import scorecard_allowed

register = template.Library()


@register.simple_tag(takes_context=True)
def scorecard_pdf_button(context: Any, scoring_round: Any, unit: Any) -> SafeString | str:
    request = context.get("request")
    params = {"round": scoring_round.code, "unit": unit.code}
    if request is None or not scorecard_allowed(request.user, params):
        return ""
    return render_to_string(
        "reform/pdf/_scorecard_button.html",
        {"round": scoring_round, "unit": unit},
        request=request,
    )
