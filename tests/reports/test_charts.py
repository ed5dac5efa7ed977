"""Charts are accessible SVG: title, summary, data table, no style attributes (CSP)."""

import re
import xml.etree.ElementTree as ET

import numpy as np
from django.utils import translation

from reports.charts import PALETTE, bar_chart, forest_plot, grouped_bar_chart, histogram, line_chart

SVG = "{http://www.w3.org/2000/svg}"


def _tree(chart):
    return ET.fromstring(str(chart.svg))


def test_bar_chart_has_title_summary_and_table_in_vietnamese() -> None:
    with translation.override("vi"):
        chart = bar_chart(
            title="Chỉ số hài lòng theo xã",
            labels=["Xã Hòa Thắng", "Phường Ea Tam"],
            values=[82.456, 90.1],
            unit="%",
        )
    root = _tree(chart)
    assert root.get("role") == "img"
    assert root.find(f"{SVG}title").text == "Chỉ số hài lòng theo xã"
    assert root.find(f"{SVG}desc").text == chart.summary
    assert chart.summary == "Cao nhất: Phường Ea Tam (90,1%); thấp nhất: Xã Hòa Thắng (82,5%)."
    assert chart.rows == [["Xã Hòa Thắng", "82,5%"], ["Phường Ea Tam", "90,1%"]]
    widths = [float(r.get("width")) for r in root.iter(f"{SVG}rect")]
    assert (
        widths[0] / widths[1] == np.float64(82.456 / 90.1).round(12)
        or abs(widths[0] / widths[1] - 82.456 / 90.1) < 0.01
    )


def test_no_style_attribute_or_element_anywhere() -> None:
    charts = [
        bar_chart(title="a", labels=["x", "y"], values=[1, None]),
        grouped_bar_chart(title="b", labels=["x"], series=[("n", [1]), ("m", [2])]),
        forest_plot(
            title="c",
            labels=["x", "y"],
            estimates=[0.5, 0.7],
            lows=[0.4, 0.6],
            highs=[0.6, 0.8],
            notes=["", "n < 30"],
        ),
        histogram(title="d", values=np.random.default_rng(1).lognormal(size=500)),
        line_chart(title="e", x_labels=["1/1", "2/1", "3/1"], series=[("X1", [1, None, 3])]),
    ]
    for chart in charts:
        text = str(chart.svg)
        assert "style" not in text
        assert "<script" not in text
        ET.fromstring(text)  # well-formed


def test_labels_are_escaped() -> None:
    chart = bar_chart(title="<b>t</b>", labels=['<script>alert(1)</script>"'], values=[1])
    text = str(chart.svg)
    assert "<script>" not in text and "&lt;script&gt;" in text
    ET.fromstring(text)


def test_forest_plot_marks_suppressed_rows_hollow_and_in_the_table() -> None:
    chart = forest_plot(
        title="Tiếp cận dịch vụ",
        labels=["X1", "X2"],
        estimates=[80.0, 60.0],
        lows=[75.0, 40.0],
        highs=[85.0, 80.0],
        unit="%",
        notes=["", "n = 12 < 30"],
    )
    circles = list(_tree(chart).iter(f"{SVG}circle"))
    assert [c.get("fill") for c in circles] == [PALETTE[0], "#ffffff"]
    assert chart.rows[1][-1] == "n = 12 < 30"
    # the suppressed unit is not named as the lowest
    assert "X2" not in chart.summary


def test_forest_plot_takes_given_ticks_such_as_whole_ranks() -> None:
    chart = forest_plot(
        title="Thứ hạng",
        labels=["Xã X1", "Xã X2"],
        estimates=[1, 2],
        lows=[1, 1],
        highs=[2, 2],
        decimals=0,
        bounds=(0.5, 2.5),
        ticks=[1, 2],
    )
    ticks = [t.text for t in _tree(chart).iter(f"{SVG}text") if t.get("class") == "tick"]
    assert ticks == ["1", "2"]


def test_histogram_counts_every_value() -> None:
    values = np.arange(100.0)
    chart = histogram(title="Trọng số", values=values, bins=10)
    assert sum(int(row[2]) for row in chart.rows) == 100
    assert len(chart.rows) == 10


def test_line_chart_breaks_at_missing_values() -> None:
    chart = line_chart(
        title="Phiếu theo ngày",
        x_labels=["1", "2", "3", "4"],
        series=[("X1", [1, 2, None, 4]), ("X2", [0, 1, 1, 1])],
    )
    polylines = [p.get("points") for p in _tree(chart).iter(f"{SVG}polyline")]
    assert len(polylines) == 2  # X1's first run (two points) and X2; X1's last point alone
    assert len(re.findall(",", polylines[0])) == 2
