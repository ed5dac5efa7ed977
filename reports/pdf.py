"""HTML → PDF with WeasyPrint: a template, our print stylesheet, fonts that carry Vietnamese.

WeasyPrint (BSD, maintained by CourtBouillon) lays out HTML and CSS itself — no
browser, no JavaScript — so a worker renders reports with Pango only (installed by
scripts/ensure-system-packages.sh and the Dockerfile). Charts are inline SVG
(reports.charts), which it draws as vectors.
"""

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

PRINT_CSS = "css/print.css"


def render_pdf(template_name: str, context: Mapping[str, Any]) -> bytes:
    """The template rendered with ``context`` and printed to PDF bytes (A4)."""
    return html_to_pdf(render_to_string(template_name, dict(context)))


def html_to_pdf(html: str) -> bytes:
    """An HTML document printed to PDF bytes with our print stylesheet."""
    import weasyprint  # imported here: only workers building reports pay for it

    stylesheet = finders.find(PRINT_CSS)
    if not stylesheet:  # collected static files only (production without finders)
        stylesheet = str(Path(settings.STATIC_ROOT) / PRINT_CSS)
    document = weasyprint.HTML(string=html, base_url=str(settings.BASE_DIR))
    return document.write_pdf(stylesheets=[weasyprint.CSS(filename=stylesheet)])
