"""The dashboard's figures as files: CSV (UTF-8 with a BOM for Excel) and a formatted
workbook — bold filled header, frozen header row, 0.0% for shares, column widths,
Vietnamese labels; the workbook adds the weights' diagnostics and the balance."""

import io
from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from org.spreadsheets import csv_document, xlsx_header


def _columns() -> list[tuple[str, Any, str]]:
    """(header, value of (block, estimate), number format: "share" follows the block)."""
    return [
        (_("Element or question"), lambda b, e: b.label, "@"),
        (_("Code"), lambda b, e: b.code, "@"),
        (_("Unit code"), lambda b, e: e.unit.code, "@"),
        (_("Unit"), lambda b, e: e.unit.name, "@"),
        (_("Level"), lambda b, e: e.unit.level.name, "@"),
        (_("Weighted estimate"), lambda b, e: e.estimate, "share"),
        (_("Unweighted estimate"), lambda b, e: e.unweighted, "share"),
        (_("Standard error"), lambda b, e: e.se, "share"),
        (_("95% CI low"), lambda b, e: e.ci_low, "share"),
        (_("95% CI high"), lambda b, e: e.ci_high, "share"),
        (_("Respondents"), lambda b, e: e.n, "#,##0"),
        (_("Effective n"), lambda b, e: e.n_effective, "#,##0.0"),
        (_("Design effect"), lambda b, e: e.deff, "0.000"),
        (_("Why suppressed"), lambda b, e: e.suppressed_reason if e.suppressed else "", "@"),
    ]


def _rows(blocks: Sequence[Any]) -> list[tuple[Any, Any]]:
    out = []
    for block in blocks:
        if block.focus is not None:
            out.append((block, block.focus))
        out += [(block, e) for e in block.rows]
    return out


def dashboard_csv(blocks: Sequence[Any]) -> str:
    columns = _columns()
    return csv_document(
        [header for header, _v, _f in columns],
        ([value(block, e) for _h, value, _f in columns] for block, e in _rows(blocks)),
    )


def dashboard_xlsx(
    blocks: Sequence[Any],
    *,
    run: Any,
    weights: Any = None,
    names: dict[str, Any] | None = None,
    title: str = "",
) -> bytes:
    columns = _columns()
    book = Workbook()
    sheet = book.active
    sheet.title = _("Estimates")[:31]
    widths = [36, 18, 10, 30, 18, *[12] * 8, 36]
    xlsx_header(sheet, [h for h, _v, _f in columns], widths)
    for block, e in _rows(blocks):
        sheet.append([value(block, e) for _h, value, _f in columns])
        for index, (_h, _v, number_format) in enumerate(columns, start=1):
            if number_format == "@":
                continue
            cell = sheet.cell(row=sheet.max_row, column=index)
            if number_format == "share":
                cell.number_format = "0.0%" if block.share else "0.00"
            else:
                cell.number_format = number_format
        if e.suppressed:
            for cell in sheet[sheet.max_row]:
                cell.font = Font(italic=True, color="666666")
    sheet.auto_filter.ref = sheet.dimensions
    if title:
        book.properties.title = title

    diagnostics = run.diagnostics or {}
    facts = book.create_sheet(_("Weights")[:31])
    xlsx_header(facts, [_("Diagnostic"), _("Value")], [44, 18])
    for label, value, number_format in [
        (_("Respondents"), diagnostics.get("n"), "#,##0"),
        (_("Sum of the weights"), diagnostics.get("sum_weights"), "#,##0.0"),
        (_("Kish design effect"), diagnostics.get("kish_deff"), "0.000"),
        (_("Effective n"), diagnostics.get("effective_n"), "#,##0.0"),
        (_("Trimmed weights"), diagnostics.get("trimmed"), "0"),
        *[
            (_("Weight quantile %(q)s") % {"q": q}, v, "0.000")
            for q, v in (diagnostics.get("quantiles") or {}).items()
        ],
    ]:
        facts.append([label, value])
        facts.cell(row=facts.max_row, column=2).number_format = number_format
    margins = diagnostics.get("margins") or []
    if margins:
        sheet_m = book.create_sheet(_("Margins")[:31])
        xlsx_header(
            sheet_m, [_("Variable"), _("Category"), _("Target"), _("Achieved")], [24, 24, 14, 14]
        )
        for m in margins:
            sheet_m.append([m["variable"], m["category"], m["target"], m["achieved"]])
            for column in (3, 4):
                sheet_m.cell(row=sheet_m.max_row, column=column).number_format = "#,##0.0"
    if weights is not None and weights.balance:
        names = names or {}
        sheet_b = book.create_sheet(_("Balance")[:31])
        xlsx_header(
            sheet_b,
            [
                _("Variable"),
                _("Category"),
                _("Population share"),
                _("Sample share before weighting"),
                _("Sample share after weighting"),
                _("ASMD before"),
                _("ASMD after"),
            ],
            [24, 24, 14, 16, 16, 12, 12],
        )
        for r in weights.balance:
            variable, choices = names.get(r.variable, (r.variable, {}))
            sheet_b.append(
                [
                    variable,
                    choices.get(r.category, r.category),
                    r.target,
                    r.before,
                    r.after,
                    r.asmd_before,
                    r.asmd_after,
                ]
            )
            for column in (3, 4, 5):
                sheet_b.cell(row=sheet_b.max_row, column=column).number_format = "0.0%"
            for column in (6, 7):
                sheet_b.cell(row=sheet_b.max_row, column=column).number_format = "0.000"
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()
