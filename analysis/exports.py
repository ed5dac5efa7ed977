"""Estimates as files: UTF-8 CSV with a BOM, and a formatted workbook (bold frozen
header, percent and number formats, Vietnamese column names)."""

import csv
import io
from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from analysis.models import Estimate

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
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow([header for header, _value, _format in columns])
    for e in rows:
        writer.writerow(["" if (v := value(e)) is None else v for _h, value, _f in columns])
    return buffer.getvalue()


def estimates_xlsx(rows: Iterable[Estimate]) -> bytes:
    columns = _columns()
    book = Workbook()
    sheet = book.active
    sheet.title = _("Estimates")[:31]
    sheet.append([header for header, _value, _format in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="0B5CAD")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"
    for e in rows:
        sheet.append([value(e) for _h, value, _f in columns])
    for index, (header, _value, number_format) in enumerate(columns, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = max(10, min(40, len(header) + 4))
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
