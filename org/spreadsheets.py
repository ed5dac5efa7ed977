"""Text written into CSV and XLSX files that people open in a spreadsheet."""

from typing import Any

# A cell that starts with one of these is run as a formula by Excel and LibreOffice
# (=HYPERLINK(...) typed into a comment would become a live link): such text is
# exported with a leading apostrophe, which spreadsheets show as plain text (OWASP).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> Any:
    """``value`` unless it is text a spreadsheet would evaluate; then quoted as text."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value
