"""A framework's criteria tree: parsed from nested JSON, validated, flattened, exported.

JSON shape (reform/frameworks/*.json)::

    {"code": "par-province-2017", "name": "...", "year": 2017, "level": "province",
     "kind": "par" | "ddci" | "pci", "total": 100, "example": false, "note": "...",
     "bands": [{"min": 90, "label": "..."}, ...],
     "nodes": [{"code": "1", "name": "...", "max": 10, "children": [...]},
               {"code": "8.1", "max": 3.1, "leaf": "survey", "component": "sipas.access",
                "rule": {"type": "linear", "scale": 1}},
               {"code": "B", "kind": "bonus", "max": 2}, ...]}

PAR frameworks carry maximum points: every inner node's children add up to it and the
domains add up to ``total``; bonus and penalty items sit beside the domains, outside the
total. DDCI/PCI frameworks carry a weight (percent) on each domain (sub-index), the
weights add up to ``total``; a sub-index is the mean of its indicators (its leaves).
"""

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from reform.scoring.problems import FrameworkInvalid, Problem

KINDS = ("par", "ddci", "pci")
LEAF_KINDS = ("assessed", "survey")
RULES = ("linear", "bands", "minmax", "rescale_1_10", "as_is")
NODE_KINDS = ("domain", "criterion", "subcriterion", "bonus", "penalty")
_DEPTH_KIND = ("domain", "criterion", "subcriterion")


@dataclass(frozen=True)
class Node:
    code: str
    name: str
    parent: str | None
    kind: str  # domain, criterion, subcriterion, bonus, penalty
    maximum: float | None = None
    weight: float | None = None
    leaf: str | None = None  # assessed / survey on leaves, None on inner nodes
    rule: dict[str, Any] | None = None
    component: str = ""  # the analysis Estimate component a survey leaf reads
    example: bool = False
    children: tuple[str, ...] = ()
    name_en: str = ""

    @property
    def is_leaf(self) -> bool:
        return not self.children

    @property
    def is_extra(self) -> bool:
        """A bonus or penalty item: outside the total, added or deducted."""
        return self.kind in ("bonus", "penalty")


@dataclass(frozen=True)
class Framework:
    code: str
    name: str
    year: int
    level: str
    kind: str
    total: float
    nodes: tuple[Node, ...]  # preorder
    bands: tuple[tuple[float, str], ...] = ()
    example: bool = False
    note: str = ""
    _index: dict[str, Node] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._index.update({n.code: n for n in self.nodes})

    def node(self, code: str) -> Node:
        return self._index[code]

    def has(self, code: str) -> bool:
        return code in self._index

    @property
    def weighted(self) -> bool:
        return self.kind in ("ddci", "pci")

    @property
    def leaves(self) -> tuple[Node, ...]:
        return tuple(n for n in self.nodes if n.is_leaf)

    @property
    def domains(self) -> tuple[Node, ...]:
        """Top-level nodes, bonus and penalty items included (they are reported too)."""
        return tuple(n for n in self.nodes if n.parent is None)

    def domain_of(self, code: str) -> Node:
        node = self._index[code]
        while node.parent is not None:
            node = self._index[node.parent]
        return node

    @property
    def survey_max(self) -> float:
        """Points of the survey-based leaves (PAR), for the no-survey rescaling rule."""
        if self.weighted:
            return 0.0
        return float(
            sum(n.maximum or 0.0 for n in self.leaves if n.leaf == "survey" and not n.is_extra)
        )


def _number(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{value!r} is not a finite number")
    return number


def _float(value: Any) -> float:
    number = _number(value)
    if number is None:
        raise TypeError("a number is required")
    return number


def from_dict(data: dict[str, Any]) -> Framework:
    """Parse and validate; raises FrameworkInvalid listing every problem."""
    problems: list[Problem] = []
    for key in ("code", "name", "year", "level", "kind", "nodes"):
        if key not in data:
            problems.append(Problem("bad_field", {"field": key, "detail": "missing"}))
    if problems:
        raise FrameworkInvalid(problems)
    try:
        return _parsed(data)
    except FrameworkInvalid:
        raise
    except (AttributeError, KeyError, TypeError, ValueError, OverflowError):
        # Not the nested shape at all (a string for a list, a number for an object …).
        where = _first_malformed(data)
        problem = Problem("bad_field", {"field": where, "detail": "malformed"})
        raise FrameworkInvalid([problem]) from None


def _first_malformed(data: dict[str, Any]) -> str:
    for key, check in (
        ("year", lambda: int(data["year"])),
        ("total", lambda: _float(data.get("total", 100))),
        ("bands", lambda: [(_float(b["min"]), str(b["label"])) for b in data.get("bands", [])]),
    ):
        try:
            check()
        except Exception:
            return key
    return "nodes"


def _parsed(data: dict[str, Any]) -> Framework:
    nodes: list[Node] = []

    def walk(raw: dict[str, Any], parent: str | None, depth: int) -> None:
        children = raw.get("children") or []
        kind = raw.get("kind") or _DEPTH_KIND[min(depth, 2)]
        code = str(raw.get("code", ""))
        nodes.append(
            Node(
                code=code,
                name=str(raw.get("name", "")),
                name_en=str(raw.get("name_en", "")),
                parent=parent,
                kind=kind,
                maximum=_number(raw.get("max")),
                weight=_number(raw.get("weight")),
                leaf=None if children else str(raw.get("leaf", "assessed")),
                rule=raw.get("rule"),
                component=str(raw.get("component", "")),
                example=bool(raw.get("example", False)),
                children=tuple(str(c.get("code", "")) for c in children),
            )
        )
        for child in children:
            walk(child, code, depth + 1)

    for raw in data["nodes"]:
        walk(raw, None, 0)
    bands = tuple(
        sorted(((_float(b["min"]), str(b["label"])) for b in data.get("bands", [])), reverse=True)
    )
    framework = Framework(
        code=str(data["code"]),
        name=str(data["name"]),
        year=int(data["year"]),
        level=str(data["level"]),
        kind=str(data["kind"]),
        total=_float(data.get("total", 100)),
        nodes=tuple(nodes),
        bands=bands,
        example=bool(data.get("example", False)),
        note=str(data.get("note", "")),
    )
    problems = validate(framework)
    if problems:
        raise FrameworkInvalid(problems)
    return framework


def _close(a: float, b: float) -> bool:
    return abs(a - b) < 1e-6


def validate(framework: Framework) -> list[Problem]:
    """Every problem of the tree, each naming its node."""
    problems: list[Problem] = []
    if framework.kind not in KINDS:
        return [Problem("bad_kind", {"kind": framework.kind})]
    seen: set[str] = set()
    for node in framework.nodes:
        if node.code in seen or not node.code:
            problems.append(Problem("duplicate_code", {"code": node.code}))
        seen.add(node.code)
    by_code = {n.code: n for n in framework.nodes}
    for node in framework.nodes:
        named = {"code": node.code, "name": node.name}
        if node.is_leaf:
            if node.leaf not in LEAF_KINDS:
                problems.append(Problem("bad_leaf", {**named, "leaf": node.leaf}))
            elif node.leaf == "survey":
                rule = (node.rule or {}).get("type")
                if rule is None:
                    problems.append(Problem("missing_rule", named))
                elif rule not in RULES:
                    problems.append(Problem("unknown_rule", {**named, "rule": rule}))
        needs_max = not framework.weighted or node.is_extra
        if needs_max and node.maximum is None:
            problems.append(Problem("missing_maximum", named))
            continue
        top = node.parent is None and not node.is_extra
        if framework.weighted and top and node.weight is None:
            problems.append(Problem("missing_weight", named))
        if not framework.weighted and node.children:
            actual = sum(by_code[c].maximum or 0.0 for c in node.children if c in by_code)
            if not _close(actual, node.maximum or 0.0):
                problems.append(
                    Problem("children_sum", {**named, "actual": actual, "expected": node.maximum})
                )
    tops = [n for n in framework.nodes if n.parent is None and not n.is_extra]
    if framework.weighted:
        actual = sum(n.weight or 0.0 for n in tops)
        if not _close(actual, framework.total):
            problems.append(Problem("weights_sum", {"actual": actual, "expected": framework.total}))
    else:
        actual = sum(n.maximum or 0.0 for n in tops)
        if not _close(actual, framework.total):
            problems.append(Problem("domains_sum", {"actual": actual, "expected": framework.total}))
    return problems


def to_dict(framework: Framework) -> dict[str, Any]:
    """The nested JSON shape from_dict reads (round trip)."""

    def node_dict(node: Node) -> dict[str, Any]:
        out: dict[str, Any] = {"code": node.code, "name": node.name}
        if node.name_en:
            out["name_en"] = node.name_en
        if node.is_extra:
            out["kind"] = node.kind
        if node.maximum is not None:
            out["max"] = node.maximum
        if node.weight is not None:
            out["weight"] = node.weight
        if node.example:
            out["example"] = True
        if node.children:
            out["children"] = [node_dict(framework.node(c)) for c in node.children]
        else:
            out["leaf"] = node.leaf
            if node.rule:
                out["rule"] = node.rule
            if node.component:
                out["component"] = node.component
        return out

    return {
        "code": framework.code,
        "name": framework.name,
        "year": framework.year,
        "level": framework.level,
        "kind": framework.kind,
        "total": framework.total,
        "example": framework.example,
        "note": framework.note,
        "bands": [{"min": lo, "label": label} for lo, label in framework.bands],
        "nodes": [node_dict(n) for n in framework.domains],
    }


def tree_rows(framework: Framework) -> Iterator[tuple[str, str, str, str, str]]:
    """(code, parent, name, kind, maximum points or weight) in tree order."""
    for node in framework.nodes:
        kind = node.kind if node.children or node.is_extra else f"{node.kind}:{node.leaf}"
        amount = node.weight if framework.weighted and node.weight is not None else node.maximum
        shown = "" if amount is None else f"{amount:g}"
        yield (node.code, node.parent or "", node.name, kind, shown)
