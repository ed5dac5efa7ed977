"""A scores table (unit, criterion, value rows) checked against a framework: no Django.

The values are what each leaf takes before its conversion rule (points for assessed
leaves, the estimate or raw indicator for survey-based ones). Every problem is
reported, one per line, so a whole file can be fixed in one go.
"""

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from reform.scoring.framework import Framework, Node
from reform.scoring.problems import Problem
from reform.scoring.totals import bands, block_ranks, score


@dataclass(frozen=True)
class Table:
    units: list[str]
    values: np.ndarray  # (units, leaves) in framework.leaves order


def upper_bound(node: Node) -> float | None:
    """The largest value a leaf accepts, where one is defined."""
    rule = (node.rule or {}).get("type") if node.leaf == "survey" else None
    if rule is None or rule == "as_is":
        return node.maximum
    if rule == "linear":
        return float(node.rule.get("scale", 1))
    return None  # raw indicators, compared across units or banded


def table_read(
    framework: Framework, rows: Iterable[tuple[int, str, str, str]]
) -> tuple[Table | None, list[Problem]]:
    """Rows of (line number, unit, criterion, value). Bonus and penalty items default to 0."""
    problems: list[Problem] = []
    leaves = framework.leaves
    column = {n.code: j for j, n in enumerate(leaves)}
    cells: dict[str, dict[int, float]] = {}
    for line, unit, code, raw in rows:
        if not framework.has(code):
            problems.append(Problem("unknown_criterion", {"line": line, "code": code}))
            continue
        if code not in column:
            problems.append(Problem("not_a_leaf", {"line": line, "code": code}))
            continue
        try:
            value = float(raw)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            problems.append(Problem("bad_value", {"line": line, "value": raw}))
            cells.setdefault(unit, {})[column[code]] = math.nan  # reported: not missing
            continue
        node = leaves[column[code]]
        where = {"line": line, "unit": unit, "code": code, "value": value}
        bound = upper_bound(node)
        if bound is not None and value > bound + 1e-9:
            problems.append(Problem("above_maximum", {**where, "maximum": bound}))
        elif bound is not None and value < 0:
            problems.append(Problem("below_zero", where))
        if column[code] in cells.setdefault(unit, {}):
            problems.append(Problem("duplicate_score", where))
        cells[unit][column[code]] = value
    if not cells and not problems:
        problems.append(Problem("empty"))
    units = list(cells)
    values = np.zeros((len(units), len(leaves)))
    for i, unit in enumerate(units):
        for j, node in enumerate(leaves):
            if j in cells[unit]:
                values[i, j] = cells[unit][j]
            elif not node.is_extra:
                problems.append(Problem("missing_leaf", {"unit": unit, "code": node.code}))
    if problems:
        return None, problems
    return Table(units=units, values=values), []


def table_report(framework: Framework, table: Table, *, digits: int = 2) -> list[dict]:
    """Per unit: total, per-domain points (sub-index scores for DDCI/PCI), rank, band.

    All units of the table form one block.
    """
    scores = score(framework, table.values)
    ranks = block_ranks(scores.total, ["all"] * len(table.units))
    labels = bands(scores.total, framework.bands)
    domains = framework.domains
    return [
        {
            "unit": unit,
            "total": round(float(scores.total[i]), digits),
            "domains": {
                d.code: round(float(scores.domain_points[i, k]), digits)
                for k, d in enumerate(domains)
            },
            "rank": int(ranks[i]),
            "band": labels[i],
        }
        for i, unit in enumerate(table.units)
    ]
