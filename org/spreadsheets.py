"""Text written into CSV and XLSX files that people open in a spreadsheet."""

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

HEADER_FILL = PatternFill("solid", fgColor="0B5CAD")
HEADER_FONT = Font(bold=True, color="FFFFFF")

# A cell that starts with one of these is run as a formula by Excel and LibreOffice
# (=HYPERLINK(...) typed into a comment would become a live link): such text is
# exported with a leading apostrophe, which spreadsheets show as plain text (OWASP).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> Any:
    """``value`` unless it is text a spreadsheet would evaluate; then quoted as text."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def csv_document(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> str:
    """A CSV text with a UTF-8 BOM (Excel then reads Vietnamese right); None → empty."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return buffer.getvalue()


def xlsx_header(sheet: Worksheet, headers: Sequence[str], widths: Sequence[float]) -> None:
    """Append a styled header row (bold white on blue, wrapped), freeze the rows up to
    it and set the column widths."""
    sheet.append(list(headers))
    for cell in sheet[sheet.max_row]:
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    # A coordinate, not sheet.cell(): creating the cell would make append() skip its row.
    sheet.freeze_panes = f"A{sheet.max_row + 1}"
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
