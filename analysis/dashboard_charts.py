"""The dashboard's charts (reports.charts SVG): shared by the page and the PDF report."""

from typing import Any

from django.utils.translation import gettext as _

from reports.charts import Chart, forest_plot, grouped_bar_chart, histogram


def forest_of(block: Any) -> Chart:
    """A block's forest plot: units sorted, suppressed ones hollow with their reason,
    the focus unit's value as the dashed reference line."""
    scale = 100 if block.share else 1
    unit = "%" if block.share else ""

    def value(x: float | None) -> float | None:
        return None if x is None else x * scale

    rows = block.rows or ([block.focus] if block.focus else [])
    return forest_plot(
        title=block.label,
        labels=[e.unit.name for e in rows],
        estimates=[value(e.estimate) for e in rows],
        lows=[value(e.ci_low) for e in rows],
        highs=[value(e.ci_high) for e in rows],
        unit=unit,
        bounds=(0, 100) if block.share else None,
        reference=value(block.focus.estimate) if block.focus and block.rows else None,
        reference_label=block.focus.unit.name if block.focus else "",
        notes=[
            _("suppressed: %(reason)s") % {"reason": e.suppressed_reason} if e.suppressed else ""
            for e in rows
        ],
    )


def weight_charts(run: Any, weights: Any, names: dict[str, Any]) -> dict[str, Any]:
    charts: dict[str, Any] = {}
    if weights is not None and weights.weights.size:
        charts["histogram"] = histogram(
            title=_("Distribution of the final weights"), values=weights.weights, xlabel=_("Weight")
        )
    margins = (run.diagnostics or {}).get("margins") or []
    if margins:
        labels = [category_label(names, m["variable"], m["category"]) for m in margins]
        charts["margins"] = grouped_bar_chart(
            title=_("Margins: population target and weighted total achieved"),
            labels=labels,
            series=[
                (_("Target"), [m["target"] for m in margins]),
                (_("Achieved"), [m["achieved"] for m in margins]),
            ],
            decimals=0,
        )
    if weights is not None and weights.balance:
        rows = [r for r in weights.balance if r.asmd_before is not None]
        charts["balance"] = grouped_bar_chart(
            title=_("Balance: absolute standardised mean difference from the population"),
            labels=[category_label(names, r.variable, r.category) for r in rows],
            series=[
                (_("Before weighting"), [r.asmd_before for r in rows]),
                (_("After weighting"), [r.asmd_after for r in rows]),
            ],
            decimals=3,
        )
    return charts


def category_label(names: dict[str, Any], variable: str, category: str) -> str:
    parts, values = variable.split("+"), category.split("+")
    out = []
    for part, value in zip(parts, values, strict=False):
        text, choices = names.get(part, (part, {}))
        out.append(f"{text}: {choices.get(value, value)}")
    return " × ".join(out)
