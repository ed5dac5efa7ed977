"""Frameworks and rankings as XLSX in the administrative layout (openpyxl).

A framework sheet reads like the decisions that publish a criteria set: the title,
a line of particulars (code, year, level, kind, total), then one row per node — its
number (1, 1.1, 1.1.1: the parent is the number without its last part), its name
indented by depth, maximum points or weight, how it is scored, the conversion rule,
the survey component. Bands are on a second sheet. The import reads cells by position,
so a sheet exported in either language reads back.
"""

import io
import json
import re
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font

from reform.scoring.problems import FrameworkInvalid, Problem

KINDS = ("domain", "criterion", "subcriterion", "bonus", "penalty")
DATA_ROW = 4


def _labels() -> dict[str, str]:
    return {
        "domain": _("domain"),
        "criterion": _("criterion"),
        "subcriterion": _("sub-criterion"),
        "bonus": _("bonus"),
        "penalty": _("penalty"),
        "assessed": _("assessed"),
        "survey": _("survey-based"),
    }


def framework_to_xlsx(data: dict[str, Any]) -> bytes:
    """The nested JSON shape (reform.scoring.framework) → an XLSX workbook."""
    labels = _labels()
    book = Workbook()
    sheet = book.active
    sheet.title = _("Criteria")
    sheet["A1"] = data["name"]
    sheet["A1"].font = Font(bold=True, size=13)
    meta = [
        (_("Code"), data["code"]), (_("year"), data["year"]), (_("level"), data["level"]),
        (_("kind"), data["kind"]), (_("total"), data.get("total", 100)),
        (_("example"), "x" if data.get("example") else ""), (_("note"), data.get("note", "")),
    ]  # fmt: skip
    for i, (label, value) in enumerate(meta):
        sheet.cell(row=2, column=2 * i + 1, value=str(label)).font = Font(italic=True)
        sheet.cell(row=2, column=2 * i + 2, value=value)
    headers = [
        _("No."), _("Domain / criterion / sub-criterion"), _("Maximum points"), _("Weight (%)"),
        _("Scored by"), _("Conversion rule"), _("Survey component"), _("Example"), _("Type"),
    ]  # fmt: skip
    for column, header in enumerate(headers, start=1):
        sheet.cell(row=3, column=column, value=str(header)).font = Font(bold=True)
    row = DATA_ROW

    def write(node: dict[str, Any], depth: int) -> None:
        nonlocal row
        kind = node.get("kind") or KINDS[min(depth, 2)]
        children = node.get("children") or []
        values = [
            node["code"], node["name"], node.get("max"), node.get("weight"),
            "" if children else labels[node.get("leaf", "assessed")],
            json.dumps(node["rule"], ensure_ascii=False) if node.get("rule") else "",
            node.get("component", ""), "x" if node.get("example") else "", labels[kind],
        ]  # fmt: skip
        for column, value in enumerate(values, start=1):
            cell = sheet.cell(row=row, column=column, value=value)
            if depth == 0:
                cell.font = Font(bold=True)
        sheet.cell(row=row, column=2).alignment = Alignment(indent=2 * depth, wrap_text=True)
        row += 1
        for child in children:
            write(child, depth + 1)

    for node in data["nodes"]:
        write(node, 0)
    for column, width in zip("ABCDEFGHI", (10, 70, 12, 12, 18, 40, 20, 8, 16), strict=True):
        sheet.column_dimensions[column].width = width
    bands = book.create_sheet(_("Bands"))
    bands.append([str(_("From (points)")), str(_("Band"))])
    for band in data.get("bands", []):
        bands.append([band["min"], band["label"]])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _parent(code: str, known: set[str]) -> str | None:
    parts = code.split(".")
    while len(parts) > 1:
        parts = parts[:-1]
        if ".".join(parts) in known:
            return ".".join(parts)
    return None


def framework_from_xlsx(content: bytes) -> dict[str, Any]:
    """An XLSX in the layout above → the nested JSON shape (validate with from_dict)."""
    reverse = {}
    for code, label in _labels().items():
        reverse[code] = code
        reverse[str(label).lower()] = code
    book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    if len(rows) < DATA_ROW:
        raise FrameworkInvalid([Problem("bad_field", {"field": "xlsx", "detail": "no rows"})])
    meta = rows[1]
    data: dict[str, Any] = {
        "name": rows[0][0] or "",
        "code": meta[1], "year": meta[3], "level": meta[5], "kind": meta[7],
        "total": meta[9] if meta[9] is not None else 100, "example": meta[11] == "x",
        "note": (meta[13] if len(meta) > 13 else None) or "",
    }  # fmt: skip
    nodes: dict[str, dict[str, Any]] = {}
    top: list[dict[str, Any]] = []
    for line, cells in enumerate(rows[DATA_ROW - 1 :], start=DATA_ROW):
        cells = (*cells, *([None] * 9))[:9]
        if cells[0] is None or str(cells[0]).strip() == "":
            continue
        code = str(cells[0]).strip()
        node: dict[str, Any] = {"code": code, "name": str(cells[1] or "").strip()}
        if cells[2] is not None:
            node["max"] = float(cells[2])
        if cells[3] is not None:
            node["weight"] = float(cells[3])
        scored = reverse.get(str(cells[4] or "").strip().lower())
        if scored in ("assessed", "survey"):
            node["leaf"] = scored
        if cells[5]:
            try:
                node["rule"] = json.loads(str(cells[5]))
            except json.JSONDecodeError:
                raise FrameworkInvalid(
                    [Problem("bad_field", {"field": f"F{line}", "detail": "not JSON"})]
                ) from None
        if cells[6]:
            node["component"] = str(cells[6]).strip()
        if cells[7] == "x":
            node["example"] = True
        kind = reverse.get(str(cells[8] or "").strip().lower())
        if kind in ("bonus", "penalty"):
            node["kind"] = kind
        parent = None if kind in ("bonus", "penalty") else _parent(code, set(nodes))
        (nodes[parent].setdefault("children", []) if parent else top).append(node)
        nodes[code] = node
    for node in nodes.values():
        if node.get("children"):
            node.pop("leaf", None)
    data["nodes"] = top
    if len(book.worksheets) > 1:
        data["bands"] = [
            {"min": float(lo), "label": str(label)}
            for lo, label, *_rest in book.worksheets[1].iter_rows(min_row=2, values_only=True)
            if lo is not None
        ]
    return data


def results_to_xlsx(results: Any) -> bytes:
    """A round's ranking (reform.results.RoundResults) as one sheet per block."""
    book = Workbook()
    book.remove(book.active)
    domains = results.framework.domains
    headers = [
        _("Rank"), _("Unit"), _("Total"), _("Band"), _("Rank interval (90%)"),
        _("Rank if weights vary"), _("Change in points"), _("Change in ranks"),
        *[f"{d.code}. {d.name}" for d in domains],
    ]  # fmt: skip
    blocks: dict[str, list[Any]] = {}
    for row in results.rows:
        blocks.setdefault(row.block or row.unit.level.name, []).append(row)
    titles: set[str] = set()
    for block, rows in blocks.items():
        # A sheet title: at most 31 characters, none of : \\ / ? * [ ], unique.
        title = re.sub(r"[:\\/?*\[\]]", " ", block)[:31].strip() or "-"
        while title in titles:
            title = f"{title[:28]}~{len(titles)}"
        titles.add(title)
        sheet = book.create_sheet(title)
        sheet["A1"] = f"{results.scoring_round.name} — {block}"
        sheet["A1"].font = Font(bold=True, size=13)
        for column, header in enumerate(headers, start=1):
            cell = sheet.cell(row=3, column=column, value=str(header))
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for r in rows:
            interval = f"{r.rank_low}–{r.rank_high}" if r.rank_low else ""
            weights = f"{r.weight_low}–{r.weight_high}" if r.weight_low else ""
            change = r.change
            sheet.append(
                [
                    r.rank,
                    r.unit.name,
                    r.total,
                    r.band,
                    interval,
                    weights,
                    change.points if change else None,
                    change.ranks if change else None,
                    *r.domains,
                ]
            )
        sheet.column_dimensions["B"].width = 36
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
