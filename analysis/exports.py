"""Estimates as files: UTF-8 CSV with a BOM, and a formatted workbook (bold frozen
header, percent and number formats, Vietnamese column names)."""

import io
from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook

from analysis.models import Estimate
from org.spreadsheets import csv_document, xlsx_header

SHARES = {"element_index", "item_share", "overall"}


def _columns() -> list[tuple[str, Any, str]]:
    """(header, value of an estimate, number format)."""
    return [
        (_("Round"), lambda e: e.run.round.code, "@"),
        (_("Run"), lambda e: e.run_id, "0"),
        (_("Unit code"), lambda e: e.unit.code, "@"),
        (_("Unit"), lambda e: e.unit.name, "@"),
        (_("Level"), lambda e: e.unit.level.code, "@"),
        (_("Statistic"), lambda e: e.statistic, "@"),
        (_("Component"), lambda e: e.component, "@"),
        (_("Domain variable"), lambda e: e.domain_variable, "@"),
        (_("Domain value"), lambda e: e.domain_value, "@"),
        (_("Estimate"), lambda e: e.estimate, "share"),
        (_("Standard error"), lambda e: e.se, "share"),
        (_("95% CI low"), lambda e: e.ci_low, "share"),
        (_("95% CI high"), lambda e: e.ci_high, "share"),
        (_("CI method"), lambda e: e.ci_method, "@"),
        (_("Degrees of freedom"), lambda e: e.df, "0"),
        (_("Respondents"), lambda e: e.n, "#,##0"),
        (_("Effective n"), lambda e: e.n_effective, "#,##0.0"),
        (_("Design effect"), lambda e: e.deff, "0.000"),
        (_("Unweighted estimate"), lambda e: e.unweighted, "share"),
        (_("Suppressed"), lambda e: e.suppressed_reason if e.suppressed else "", "@"),
    ]


def estimates_csv(rows: Iterable[Estimate]) -> str:
    columns = _columns()
    return csv_document(
        [header for header, _value, _format in columns],
        ([value(e) for _h, value, _f in columns] for e in rows),
    )


def estimates_xlsx(rows: Iterable[Estimate]) -> bytes:
    columns = _columns()
    book = Workbook()
    sheet = book.active
    sheet.title = _("Estimates")[:31]
    headers = [header for header, _value, _format in columns]
    xlsx_header(sheet, headers, [max(10, min(40, len(header) + 4)) for header in headers])
    for e in rows:
        sheet.append([value(e) for _h, value, _f in columns])
    for index, (_header, _value, number_format) in enumerate(columns, start=1):
        if number_format == "@":
            continue
        for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
            statistic = sheet.cell(row=cell.row, column=6).value
            if number_format == "share":
                cell.number_format = "0.0%" if statistic in SHARES else "0.000"
            else:
                cell.number_format = number_format
    sheet.auto_filter.ref = sheet.dimensions
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()
