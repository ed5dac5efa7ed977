"""``{% chart c %}``: a chart with its title, text summary and data table."""

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from reports.charts import Chart

register = template.Library()


@register.simple_tag
def chart(value: Chart, table: bool = True) -> SafeString:
    return render_to_string("reports/_chart.html", {"chart": value, "table": table})
