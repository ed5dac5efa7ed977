"""Accessible charts as server-side SVG, the same markup on a page and in a PDF.

Why our own SVG and not a charting library: the pages run under a Content-Security-Policy
without inline scripts or styles, and the PDF reports are rendered by WeasyPrint, which
runs no JavaScript. A vendored JS library would need a second renderer for the PDFs;
matplotlib's SVG colours everything through ``style=`` attributes, which the policy
blocks. These few chart shapes need only presentation attributes (``fill``, ``stroke``)
and the document's stylesheet, so one function serves the page and the PDF.

Every chart has a title, a one-sentence text summary (the SVG's ``<title>`` and
``<desc>``) and its data as a table (``Chart.columns`` / ``Chart.rows``), and draws
with the Okabe–Ito palette, which colour-blind readers can tell apart; series also
differ by marker shape or dash, never by colour alone.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from django.utils.formats import number_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

# Okabe & Ito (2008): distinguishable with every common colour-vision deficiency.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000"]
DASHES = ["", "6 3", "2 2", "8 3 2 3", "1 3", "4 4", "10 2"]
MUTED = "#767676"  # grid, axes and suppressed marks: 4.5:1 on white
WIDTH = 640
LABEL_WIDTH = 210  # the category labels' column of horizontal charts
VALUE_WIDTH = 70  # the value labels' column on the right
ROW = 22  # the height of a category row
_ids = itertools.count(1)

Number = float | int | None


@dataclass(frozen=True)
class Chart:
    """What a page or a PDF shows: the picture and everything a screen reader needs."""

    title: str
    summary: str
    svg: SafeString
    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)


def fmt(value: Number, decimals: int = 1, unit: str = "") -> str:
    """A number in the active language's format (1.234,5 in Vietnamese); — when missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{number_format(round(float(value), decimals), decimals, use_l10n=True)}{unit}"


def _text(x: float, y: float, text: str, *, anchor: str = "start", cls: str = "") -> str:
    klass = f' class="{cls}"' if cls else ""
    if cls == "tick":  # presentation attributes: the same grey in browsers and WeasyPrint
        klass += f' fill="{MUTED}" font-size="10"'
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{klass}>{escape(text)}</text>'


def _label(x: float, y: float, text: str, limit: int = 32) -> str:
    """A category label cut to fit its column; the full text stays in a tooltip."""
    short = text if len(text) <= limit else text[: limit - 1] + "…"
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="end"><title>{escape(text)}</title>'
        f"{escape(short)}</text>"
    )


def _svg(title: str, summary: str, width: float, height: float, body: list[str]) -> SafeString:
    n = next(_ids)
    # every text inside went through escape()
    return mark_safe(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart-svg" role="img" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" height="{height:.0f}" '
        f'aria-labelledby="chart-{n}-title chart-{n}-desc" font-size="12">'
        f'<title id="chart-{n}-title">{escape(title)}</title>'
        f'<desc id="chart-{n}-desc">{escape(summary)}</desc>' + "".join(body) + "</svg>"
    )


def _nice_max(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 × 10^k at or above ``value`` (axis end)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power + 1e-12:
            return step * power
    return 10 * power


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    span = _nice_max((high - low) / count)
    start = math.floor(low / span) * span
    ticks = []
    value = start
    while value <= high + span * 1e-9:
        if value >= low - span * 1e-9:
            ticks.append(round(value, 10))
        value += span
    return ticks


def _extremes(labels: Sequence[str], values: Sequence[Number], decimals: int, unit: str) -> str:
    known = [(v, label) for label, v in zip(labels, values, strict=True) if v is not None]
    if not known:
        return _("No values to show.")
    high = max(known, key=lambda item: item[0])
    low = min(known, key=lambda item: item[0])
    if len(known) == 1:
        return _("%(label)s: %(value)s.") % {
            "label": high[1],
            "value": fmt(high[0], decimals, unit),
        }
    return _("Highest: %(high)s (%(high_value)s); lowest: %(low)s (%(low_value)s).") % {
        "high": high[1],
        "high_value": fmt(high[0], decimals, unit),
        "low": low[1],
        "low_value": fmt(low[0], decimals, unit),
    }


def _axis(
    x0: float,
    x1: float,
    y: float,
    low: float,
    high: float,
    ticks: list[float],
    decimals: int,
    unit: str,
    top: float,
) -> list[str]:
    """Vertical grid lines with their values under a horizontal axis."""
    body = []
    for tick in ticks:
        x = x0 + (tick - low) / (high - low) * (x1 - x0)
        body.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top:.1f}" y2="{y:.1f}" stroke="#dddddd"/>'
        )
        body.append(_text(x, y + 14, fmt(tick, decimals, unit), anchor="middle", cls="tick"))
    return body


def bar_chart(
    *,
    title: str,
    labels: Sequence[str],
    values: Sequence[Number],
    unit: str = "",
    decimals: int = 1,
    maximum: float | None = None,
    summary: str | None = None,
    value_header: str | None = None,
) -> Chart:
    """Horizontal bars, one per label (None: no bar, shown as —)."""
    return grouped_bar_chart(
        title=title,
        labels=labels,
        series=[(value_header or _("Value"), values)],
        unit=unit,
        decimals=decimals,
        maximum=maximum,
        summary=summary or _extremes(labels, values, decimals, unit),
    )


def grouped_bar_chart(
    *,
    title: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[Number]]],
    unit: str = "",
    decimals: int = 1,
    maximum: float | None = None,
    summary: str | None = None,
) -> Chart:
    """Horizontal bars grouped per label, one colour (and legend entry) per series."""
    known = [v for _name, values in series for v in values if v is not None]
    low = min(0.0, min(known, default=0.0))
    high = maximum if maximum is not None else _nice_max(max(known, default=1.0))
    if high <= low:
        high = low + 1
    bar = 14 if len(series) == 1 else max(6, 18 // len(series))
    group = bar * len(series) + 8
    legend = 18 if len(series) > 1 else 0
    top = 8 + legend
    height = top + group * len(labels) + 24
    x0, x1 = LABEL_WIDTH, WIDTH - VALUE_WIDTH
    scale = (x1 - x0) / (high - low)
    body = _axis(x0, x1, height - 22, low, high, _ticks(low, high), decimals, unit, top)
    if legend:
        x = x0
        for k, (name, _values) in enumerate(series):
            body.append(f'<rect x="{x}" y="4" width="10" height="10" fill="{PALETTE[k]}"/>')
            body.append(_text(x + 14, 13, name))
            x += 24 + 7 * len(name)
    for i, label in enumerate(labels):
        y = top + i * group + 4
        body.append(_label(x0 - 6, y + group / 2, label))
        for k, (_name, values) in enumerate(series):
            value = values[i]
            yk = y + k * bar
            if value is None:
                body.append(_text(x0 + 4, yk + bar - 3, "—", cls="missing"))
                continue
            start = x0 + (min(value, 0) - low) * scale
            width = abs(value) * scale
            body.append(
                f'<rect x="{start:.1f}" y="{yk:.1f}" width="{width:.1f}" height="{bar - 2}" '
                f'fill="{PALETTE[k % len(PALETTE)]}"/>'
            )
            if len(series) == 1:
                body.append(_text(x1 + 6, yk + bar - 3, fmt(value, decimals, unit)))
    if low < 0:
        zero = x0 - low * scale
        body.append(
            f'<line x1="{zero:.1f}" x2="{zero:.1f}" y1="{top}" y2="{height - 22}" '
            f'stroke="{MUTED}"/>'
        )
    columns = ["", *[name for name, _values in series]]
    rows = [
        [label, *[fmt(values[i], decimals, unit) for _name, values in series]]
        for i, label in enumerate(labels)
    ]
    summary = summary or _extremes(labels, series[0][1], decimals, unit)
    return Chart(title, summary, _svg(title, summary, WIDTH, height, body), columns, rows)


def forest_plot(
    *,
    title: str,
    labels: Sequence[str],
    estimates: Sequence[Number],
    lows: Sequence[Number],
    highs: Sequence[Number],
    unit: str = "",
    decimals: int = 1,
    bounds: tuple[float, float] | None = None,
    reference: float | None = None,
    reference_label: str = "",
    notes: Sequence[str] | None = None,
    summary: str | None = None,
    ticks: Sequence[float] | None = None,
) -> Chart:
    """Point estimates with their confidence intervals, one row per label.

    ``notes`` marks rows (e.g. "suppressed: n < 30"): such a point is drawn hollow and
    grey and the note goes into the data table. ``reference`` draws a dashed line (the
    province's value, say) that rows can be read against. ``ticks`` replaces the axis's
    own values (e.g. whole ranks).
    """
    notes = list(notes) if notes is not None else [""] * len(labels)
    values = [v for v in [*estimates, *lows, *highs] if v is not None]
    if bounds is None:
        low = min(values, default=0.0)
        high = max(values, default=1.0)
        pad = (high - low) * 0.05 or 1.0
        low, high = low - pad, high + pad
    else:
        low, high = bounds
    top = 8
    height = top + ROW * len(labels) + 26
    x0, x1 = LABEL_WIDTH, WIDTH - VALUE_WIDTH
    scale = (x1 - x0) / (high - low)

    def x(value: float) -> float:
        return x0 + (min(max(value, low), high) - low) * scale

    axis = list(ticks) if ticks is not None else _ticks(low, high)
    body = _axis(x0, x1, height - 24, low, high, axis, decimals, unit, top)
    if reference is not None:
        body.append(
            f'<line x1="{x(reference):.1f}" x2="{x(reference):.1f}" y1="{top}" '
            f'y2="{height - 24}" stroke="{PALETTE[3]}" stroke-dasharray="5 3">'
            f"<title>{escape(reference_label)} {escape(fmt(reference, decimals, unit))}</title>"
            "</line>"
        )
    for i, label in enumerate(labels):
        y = top + i * ROW + ROW / 2
        body.append(_label(x0 - 6, y + 4, label))
        estimate, lo, hi = estimates[i], lows[i], highs[i]
        muted = bool(notes[i])
        colour = MUTED if muted else PALETTE[0]
        if lo is not None and hi is not None:
            body.append(
                f'<line x1="{x(lo):.1f}" x2="{x(hi):.1f}" y1="{y:.1f}" y2="{y:.1f}" '
                f'stroke="{colour}" stroke-width="2"/>'
            )
        if estimate is not None:
            fill = "#ffffff" if muted else colour
            body.append(
                f'<circle cx="{x(estimate):.1f}" cy="{y:.1f}" r="4.5" fill="{fill}" '
                f'stroke="{colour}" stroke-width="2"/>'
            )
        body.append(_text(x1 + 6, y + 4, fmt(estimate, decimals, unit)))
    columns = [_("Unit"), _("Estimate"), _("Lower bound"), _("Upper bound"), _("Note")]
    rows = [
        [
            label,
            fmt(estimates[i], decimals, unit),
            fmt(lows[i], decimals, unit),
            fmt(highs[i], decimals, unit),
            notes[i],
        ]
        for i, label in enumerate(labels)
    ]
    shown = [v if not notes[i] else None for i, v in enumerate(estimates)]
    summary = summary or _extremes(labels, shown, decimals, unit)
    return Chart(title, summary, _svg(title, summary, WIDTH, height, body), columns, rows)


def histogram(
    *,
    title: str,
    values: Sequence[float] | np.ndarray,
    bins: int = 20,
    xlabel: str = "",
    decimals: int = 2,
    summary: str | None = None,
) -> Chart:
    """The distribution of ``values`` (e.g. the weights of a run) in equal-width bins."""
    data = np.asarray(values, dtype=float)
    data = data[np.isfinite(data)]
    counts, edges = np.histogram(data, bins=bins) if data.size else (np.zeros(0), np.zeros(1))
    height, top, bottom, left = 220, 10, 44, 50
    x0, x1 = left, WIDTH - 10
    peak = _nice_max(float(counts.max()) if counts.size else 1.0)
    body = []
    for tick in _ticks(0, peak, 4):
        y = height - bottom - tick / peak * (height - bottom - top)
        body.append(f'<line x1="{x0}" x2="{x1}" y1="{y:.1f}" y2="{y:.1f}" stroke="#dddddd"/>')
        body.append(_text(x0 - 4, y + 4, fmt(tick, 0), anchor="end", cls="tick"))
    width = (x1 - x0) / max(len(counts), 1)
    for k, count in enumerate(counts):
        h = count / peak * (height - bottom - top)
        body.append(
            f'<rect x="{x0 + k * width + 1:.1f}" y="{height - bottom - h:.1f}" '
            f'width="{max(width - 2, 1):.1f}" height="{h:.1f}" fill="{PALETTE[0]}">'
            f"<title>{escape(fmt(edges[k], decimals))}–{escape(fmt(edges[k + 1], decimals))}: "
            f"{int(count)}</title></rect>"
        )
    for k in range(0, len(edges), max(1, len(edges) // 5)):
        body.append(
            _text(
                x0 + k * width,
                height - bottom + 14,
                fmt(edges[k], decimals),
                anchor="middle",
                cls="tick",
            )
        )
    body.append(_text((x0 + x1) / 2, height - 8, xlabel, anchor="middle"))
    columns = [_("From"), _("To"), _("Count")]
    rows = [
        [fmt(edges[k], decimals), fmt(edges[k + 1], decimals), str(int(count))]
        for k, count in enumerate(counts)
    ]
    if summary is None:
        if data.size:
            summary = _("%(n)s values from %(low)s to %(high)s; median %(median)s.") % {
                "n": fmt(data.size, 0),
                "low": fmt(data.min(), decimals),
                "high": fmt(data.max(), decimals),
                "median": fmt(float(np.median(data)), decimals),
            }
        else:
            summary = _("No values to show.")
    return Chart(title, summary, _svg(title, summary, WIDTH, height, body), columns, rows)


def line_chart(
    *,
    title: str,
    x_labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[Number]]],
    unit: str = "",
    decimals: int = 0,
    summary: str | None = None,
) -> Chart:
    """One line per series over ordered x labels (days, rounds); gaps where None."""
    known = [v for _name, values in series for v in values if v is not None]
    low = min(0.0, min(known, default=0.0))
    high = _nice_max(max(known, default=1.0))
    legend = 18 * math.ceil(len(series) / 4) if len(series) > 1 else 0
    height, top, bottom, left = 240 + legend, 10 + legend, 40, 56
    x0, x1 = left, WIDTH - 14
    count = max(len(x_labels), 1)
    step = (x1 - x0) / max(count - 1, 1)

    def point(i: int, value: float) -> tuple[float, float]:
        y = height - bottom - (value - low) / (high - low) * (height - bottom - top)
        return x0 + i * step, y

    body = []
    for tick in _ticks(low, high, 4):
        _x, y = point(0, tick)
        body.append(f'<line x1="{x0}" x2="{x1}" y1="{y:.1f}" y2="{y:.1f}" stroke="#dddddd"/>')
        body.append(_text(x0 - 4, y + 4, fmt(tick, decimals, unit), anchor="end", cls="tick"))
    every = max(1, math.ceil(count / 8))
    for i in range(0, len(x_labels), every):
        body.append(
            _text(x0 + i * step, height - bottom + 16, x_labels[i], anchor="middle", cls="tick")
        )
    for k, (name, values) in enumerate(series):
        colour, dash = PALETTE[k % len(PALETTE)], DASHES[k % len(DASHES)]
        if legend:
            lx, ly = x0 + (k % 4) * 140, 12 + 18 * (k // 4)
            body.append(
                f'<line x1="{lx}" x2="{lx + 18}" y1="{ly - 4}" y2="{ly - 4}" stroke="{colour}" '
                f'stroke-width="2.5" stroke-dasharray="{dash}"/>'
            )
            body.append(_text(lx + 22, ly, name[:20]))
        runs: list[list[tuple[float, float]]] = [[]]
        for i, value in enumerate(values):
            if value is None:
                runs.append([])
            else:
                runs[-1].append(point(i, value))
        for run in runs:
            if len(run) > 1:
                points = " ".join(f"{px:.1f},{py:.1f}" for px, py in run)
                body.append(
                    f'<polyline points="{points}" fill="none" stroke="{colour}" '
                    f'stroke-width="2" stroke-dasharray="{dash}"/>'
                )
            for px, py in run:
                body.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="2.5" fill="{colour}"/>')
    columns = ["", *[name for name, _values in series]]
    rows = [
        [label, *[fmt(values[i], decimals, unit) for _name, values in series]]
        for i, label in enumerate(x_labels)
    ]
    if summary is None:
        totals = [sum(v for v in values if v is not None) for _name, values in series]
        summary = _extremes([name for name, _v in series], totals, decimals, unit)
    return Chart(title, summary, _svg(title, summary, WIDTH, height, body), columns, rows)
