"""The logic language of show/skip conditions, constraints and calculated values.

A small, safe expression language, parsed once into a tree of tuples and evaluated
against a respondent's answers. User text is never handed to ``eval``. Example::

    q5 >= 4 and channel in ['online', 'counter']

Grammar (lowest precedence first)::

    or      := and ("or" and)*
    and     := not ("and" not)*
    not     := "not" not | compare
    compare := sum (("==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "not in") sum)?
    sum     := product (("+" | "-") product)*
    product := unary (("*" | "/") unary)*
    unary   := "-" unary | atom
    atom    := NUMBER | STRING | NAME ("." NAME)? | NAME "(" args ")" | "(" or ")"
               | "[" args "]" | "true" | "false" | "null"

``m.r1`` reads row ``r1`` of matrix question ``m``.

Semantics (static/questionnaires/logic.js implements exactly the same, and a test runs
one table of expressions through both):

- A question that was not answered (or was skipped) reads as null, and so do the special
  answers "na" / "dk". A comparison with null is false (``!=`` is true against a value);
  arithmetic with null gives null; use ``answered(q)`` to test for an answer.
- ``==`` never equates a boolean with a number; ``<``, ``<=``, ``>``, ``>=`` compare two
  numbers or two strings (ISO dates compare as strings) and are false otherwise.
- Integer arithmetic stays exact up to 2**53 and becomes floating point beyond, as in
  JavaScript; division by zero gives null.
- Functions: see FUNCTIONS; their arity is checked when parsing.

Hostile input is refused when parsing, never at evaluation time: more than MAX_LENGTH
characters, nesting deeper than MAX_DEPTH, trees deeper than MAX_TREE_DEPTH (so
evaluation can never exhaust the stack), numbers longer than 15 digits, non-ASCII
digits or operators, unknown functions and wrong argument counts.
"""

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django.utils.translation import gettext as _

MAX_LENGTH = 2000
MAX_DEPTH = 40
MAX_TREE_DEPTH = 100
MAX_NUMBER_LENGTH = 15
SAFE_INTEGER = 2**53

Node = tuple[Any, ...]


class LogicError(ValueError):
    """An expression that cannot be parsed; the message says where and why."""

    def __init__(self, message: str, position: int | None = None) -> None:
        super().__init__(message)
        self.position = position


# ASCII only, on purpose: Python's \d and \s accept other scripts' digits and spaces,
# JavaScript's do not, and both sides must read the same text the same way.
_SPACE = " \t\r\n"
_TOKEN = re.compile(
    r"""[ \t\r\n]*(?:
        (?P<number>[0-9]+(?:\.[0-9]+)?)
      | (?P<string>'(?:[^'\\]|\\[\s\S])*'|"(?:[^"\\]|\\[\s\S])*")
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
      | (?P<op>==|!=|<=|>=|<|>|\+|-|\*|/|\(|\)|\[|\]|,|\.)
    )""",
    re.VERBOSE,
)
_UNESCAPE = re.compile(r"\\([\s\S])")
_KEYWORDS = {"and", "or", "not", "in", "true", "false", "null"}
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


@dataclass(frozen=True)
class _Token:
    kind: str
    value: str
    position: int


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while position < len(text):
        if text[position:].strip(_SPACE) == "":
            break
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            where = len(text[position:]) - len(text[position:].lstrip(_SPACE)) + position
            raise LogicError(
                _("unexpected character %(char)r at position %(pos)s")
                % {"char": text[where], "pos": where},
                where,
            )
        kind = match.lastgroup or ""
        value, start = match.group(kind), match.start(kind)
        if kind == "name" and value in _KEYWORDS:
            kind = "keyword"
        if kind == "number" and len(value) > MAX_NUMBER_LENGTH:
            raise LogicError(_("number too long at position %(pos)s") % {"pos": start}, start)
        tokens.append(_Token(kind, value, start))
        position = match.end()
    tokens.append(_Token("end", "", len(text)))
    return tokens


# name -> (minimum arguments, maximum arguments or None for any)
ARITY: dict[str, tuple[int, int | None]] = {
    "count": (0, None),
    "sum": (0, None),
    "mean": (0, None),
    "min": (0, None),
    "max": (0, None),
    "selected": (2, 2),
    "answered": (1, 1),
    "count_selected": (1, 1),
    "if": (3, 3),
    "round": (1, 2),
    "abs": (1, 1),
    "coalesce": (1, None),
    "length": (1, 1),
}


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.index = 0
        self.depth = 0

    def peek(self, *values: str) -> bool:
        token = self.tokens[self.index]
        return token.kind in {"op", "keyword"} and token.value in values

    def take(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def expect(self, value: str) -> None:
        token = self.take()
        if token.value != value or token.kind not in {"op", "keyword"}:
            raise LogicError(
                _("expected %(expected)r at position %(pos)s, found %(found)r")
                % {"expected": value, "pos": token.position, "found": token.value or "end"},
                token.position,
            )

    def nested(self, parse: Callable[[], Any]) -> Any:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise LogicError(_("expression is nested too deeply"))
        try:
            return parse()
        finally:
            self.depth -= 1

    def parse(self) -> Node:
        if self.tokens[0].kind == "end":
            raise LogicError(_("empty expression"), 0)
        node = self.or_()
        token = self.tokens[self.index]
        if token.kind != "end":
            raise LogicError(
                _("unexpected %(found)r at position %(pos)s")
                % {"found": token.value, "pos": token.position},
                token.position,
            )
        return node

    def or_(self) -> Node:
        node = self.and_()
        while self.peek("or"):
            self.take()
            node = ("or", node, self.and_())
        return node

    def and_(self) -> Node:
        node = self.not_()
        while self.peek("and"):
            self.take()
            node = ("and", node, self.not_())
        return node

    def not_(self) -> Node:
        if self.peek("not"):
            self.take()
            return ("not", self.nested(self.not_))
        return self.compare()

    def compare(self) -> Node:
        node = self.sum_()
        if self.peek("==", "!=", "<", "<=", ">", ">=", "in"):
            op = self.take().value
            return ("cmp", op, node, self.sum_())
        if self.peek("not") and self.tokens[self.index + 1].value == "in":
            self.index += 2
            return ("cmp", "not in", node, self.sum_())
        return node

    def sum_(self) -> Node:
        node = self.product()
        while self.peek("+", "-"):
            node = ("arith", self.take().value, node, self.product())
        return node

    def product(self) -> Node:
        node = self.unary()
        while self.peek("*", "/"):
            node = ("arith", self.take().value, node, self.unary())
        return node

    def unary(self) -> Node:
        if self.peek("-"):
            self.take()
            return ("neg", self.nested(self.unary))
        return self.atom()

    def atom(self) -> Node:
        token = self.take()
        if token.kind == "number":
            return ("lit", float(token.value) if "." in token.value else int(token.value))
        if token.kind == "string":
            return ("lit", _UNESCAPE.sub(r"\1", token.value[1:-1]))
        if token.kind == "keyword" and token.value in {"true", "false", "null"}:
            return ("lit", {"true": True, "false": False, "null": None}[token.value])
        if token.kind == "name":
            if self.peek("("):
                self.take()
                if token.value not in ARITY:
                    raise LogicError(
                        _("unknown function %(name)r at position %(pos)s")
                        % {"name": token.value, "pos": token.position},
                        token.position,
                    )
                args = self.nested(lambda: self.arguments(")"))
                low, high = ARITY[token.value]
                if len(args) < low or (high is not None and len(args) > high):
                    raise LogicError(
                        _("wrong number of arguments to %(name)s() at position %(pos)s")
                        % {"name": token.value, "pos": token.position},
                        token.position,
                    )
                return ("call", token.value, *args)
            if self.peek("."):
                self.take()
                row = self.take()
                if row.kind != "name":
                    raise LogicError(
                        _("expected a row code after '.' at position %(pos)s")
                        % {"pos": row.position},
                        row.position,
                    )
                return ("var", f"{token.value}.{row.value}")
            return ("var", token.value)
        if token.kind == "op" and token.value == "(":
            node = self.nested(self.or_)
            self.expect(")")
            return node
        if token.kind == "op" and token.value == "[":
            return ("list", *self.nested(lambda: self.arguments("]")))
        raise LogicError(
            _("unexpected %(found)r at position %(pos)s")
            % {"found": token.value or _("end of expression"), "pos": token.position},
            token.position,
        )

    def arguments(self, closing: str) -> tuple[Node, ...]:
        items: list[Node] = []
        if self.peek(closing):
            self.take()
            return tuple(items)
        items.append(self.or_())
        while self.peek(","):
            self.take()
            items.append(self.or_())
        self.expect(closing)
        return tuple(items)


def _children(node: Node) -> tuple[Node, ...]:
    kind = node[0]
    if kind in {"lit", "var"}:
        return ()
    # cmp, arith and call carry an operator or function name before their operands.
    return node[2:] if kind in {"cmp", "arith", "call"} else node[1:]


def _tree_depth(node: Node) -> int:
    """Depth without recursion, so a hostile tree cannot exhaust the stack here either."""
    deepest, stack = 0, [(node, 1)]
    while stack:
        current, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in _children(current))
    return deepest


@lru_cache(maxsize=4096)
def _parse(text: str) -> Node:
    if len(text) > MAX_LENGTH:
        raise LogicError(
            _("expression longer than %(n)s characters") % {"n": MAX_LENGTH}, MAX_LENGTH
        )
    node = _Parser(text).parse()
    if _tree_depth(node) > MAX_TREE_DEPTH:
        raise LogicError(_("expression is nested too deeply"))
    return node


def parse(text: str) -> Node:
    """Parse an expression once; raises LogicError naming the position of the problem."""
    if not isinstance(text, str):
        raise LogicError(_("an expression must be text"))
    return _parse(text)


def references(node: Node) -> set[str]:
    """Every question code an expression reads (``m.r1`` reads question ``m``)."""
    found: set[str] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if current[0] == "var":
            found.add(current[1].split(".", 1)[0])
        stack.extend(_children(current))
    return found


def functions_used(node: Node) -> set[str]:
    found: set[str] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if current[0] == "call":
            found.add(current[1])
        stack.extend(_children(current))
    return found


# Printing a tree back to text: the canonical spelling, used by imports so that an
# expression read from another format always comes out the same.
_PRECEDENCE = {"or": 1, "and": 2, "not": 3, "cmp": 4, "arith+": 5, "arith*": 6, "neg": 7}


def _level(node: Node) -> int:
    kind = node[0]
    if kind == "arith":
        return _PRECEDENCE["arith+" if node[1] in "+-" else "arith*"]
    return _PRECEDENCE.get(kind, 8)


def _literal(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if isinstance(value, float):
        # Positional notation only: the grammar has no exponents.
        text = f"{Decimal(repr(value)):f}"
        return text if "." in text else f"{text}.0"
    return repr(value)


def unparse(node: Node) -> str:
    """The canonical text of a tree: ``parse(unparse(t)) == t``."""
    kind = node[0]

    def wrap(child: Node, minimum: int) -> str:
        text = unparse(child)
        return f"({text})" if _level(child) < minimum else text

    if kind == "lit":
        return _literal(node[1])
    if kind == "var":
        return node[1]
    if kind == "list":
        return "[" + ", ".join(unparse(child) for child in node[1:]) + "]"
    if kind == "call":
        return f"{node[1]}(" + ", ".join(unparse(child) for child in node[2:]) + ")"
    if kind == "not":
        return "not " + wrap(node[1], _PRECEDENCE["not"])
    if kind == "neg":
        return "-" + wrap(node[1], _PRECEDENCE["neg"])
    if kind in {"or", "and"}:
        level = _PRECEDENCE[kind]
        return f"{wrap(node[1], level)} {kind} {wrap(node[2], level + 1)}"
    if kind == "cmp":
        level = _PRECEDENCE["cmp"]
        return f"{wrap(node[2], level + 1)} {node[1]} {wrap(node[3], level + 1)}"
    if kind == "arith":
        level = _level(node)
        return f"{wrap(node[2], level)} {node[1]} {wrap(node[3], level + 1)}"
    raise LogicError(_("unknown node %(kind)r") % {"kind": kind})


# --- evaluation -----------------------------------------------------------------------


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _blank(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, list) and not value)


def _numbers(values: tuple[Any, ...] | list[Any]) -> list[int | float]:
    flat: list[Any] = []
    for value in values:
        flat.extend(value if isinstance(value, list) else [value])
    return [v for v in flat if _is_number(v)]


def _equal(left: Any, right: Any) -> bool:
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    if _is_number(left) and _is_number(right):
        return left == right
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(map(_equal, left, right))
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(_equal(left[k], right[k]) for k in left)
    if type(left) is not type(right):
        return False
    return bool(left == right)


def _mean(*values: Any) -> float | None:
    numbers = _numbers(values)
    return _arith_numbers("/", sum(numbers), len(numbers)) if numbers else None


def _round(value: Any, digits: Any = 0) -> float | None:
    if not _is_number(value) or not _is_number(digits) or digits != int(digits):
        return None
    if not 0 <= digits <= 10:
        return None
    # Half away from zero, with the same floating-point steps as the browser.
    scale = float(10 ** int(digits))
    return math.copysign(math.floor(abs(value) * scale + 0.5) / scale, value)


def _count_selected(value: Any) -> int:
    if isinstance(value, list):
        return len(value)
    return 0 if _blank(value) else 1


def _length(value: Any) -> int | None:
    if isinstance(value, str | list):
        return len(value)
    return None


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "count": lambda *values: sum(1 for v in values if not _blank(v)),
    "sum": lambda *values: _sum(_numbers(values)),
    "mean": _mean,
    "min": lambda *values: min(_numbers(values), default=None),
    "max": lambda *values: max(_numbers(values), default=None),
    "selected": lambda value, choice: (
        any(_equal(v, choice) for v in value) if isinstance(value, list) else _equal(value, choice)
    ),
    "answered": lambda value: not _blank(value),
    "count_selected": _count_selected,
    "if": lambda condition, yes, no: yes if truthy(condition) else no,
    "round": _round,
    "abs": lambda value: abs(value) if _is_number(value) else None,
    "coalesce": lambda *values: next((v for v in values if not _blank(v)), None),
    "length": _length,
}


def _sum(numbers: list[int | float]) -> int | float:
    total: int | float = 0
    for number in numbers:
        total = _arith_numbers("+", total, number)
    return total


def _compare(op: str, left: Any, right: Any) -> bool:
    if op in {"in", "not in"}:
        if not isinstance(right, list):
            return False
        if isinstance(left, list):
            found = any(_equal(item, other) for item in left for other in right)
        else:
            found = any(_equal(left, other) for other in right)
        return found if op == "in" else not found
    if left is None or right is None:
        return op == "!=" and not (left is None and right is None)
    if op == "==":
        return _equal(left, right)
    if op == "!=":
        return not _equal(left, right)
    comparable = (_is_number(left) and _is_number(right)) or (
        isinstance(left, str) and isinstance(right, str)
    )
    if not comparable:
        return False
    return {
        "<": left < right,
        "<=": left <= right,
        ">": left > right,
        ">=": left >= right,
    }[op]


def _arith_numbers(op: str, left: int | float, right: int | float) -> int | float | None:
    if op == "/":
        return None if right == 0 else left / right
    result = {"+": lambda: left + right, "-": lambda: left - right, "*": lambda: left * right}[op]()
    if isinstance(result, int) and abs(result) > SAFE_INTEGER:
        # JavaScript numbers are doubles: beyond 2**53 both sides compute in floating point.
        result = {"+": float(left) + right, "-": float(left) - right, "*": float(left) * right}[op]
    if isinstance(result, float) and not math.isfinite(result):
        return None
    return result


def _arith(op: str, left: Any, right: Any) -> Any:
    if not (_is_number(left) and _is_number(right)):
        return None
    return _arith_numbers(op, left, right)


def _lookup(name: str, answers: Mapping[str, Any]) -> Any:
    code, _dot, row = name.partition(".")
    value = answers.get(code)
    if row:
        value = value.get(row) if isinstance(value, Mapping) else None
    return None if value in ("na", "dk") else value


def evaluate_node(node: Node, answers: Mapping[str, Any]) -> Any:
    kind = node[0]
    if kind == "lit":
        return node[1]
    if kind == "var":
        return _lookup(node[1], answers)
    if kind == "list":
        return [evaluate_node(child, answers) for child in node[1:]]
    if kind == "not":
        return not truthy(evaluate_node(node[1], answers))
    if kind == "and":
        return truthy(evaluate_node(node[1], answers)) and truthy(evaluate_node(node[2], answers))
    if kind == "or":
        return truthy(evaluate_node(node[1], answers)) or truthy(evaluate_node(node[2], answers))
    if kind == "cmp":
        return _compare(node[1], evaluate_node(node[2], answers), evaluate_node(node[3], answers))
    if kind == "arith":
        return _arith(node[1], evaluate_node(node[2], answers), evaluate_node(node[3], answers))
    if kind == "neg":
        value = evaluate_node(node[1], answers)
        return -value if _is_number(value) else None
    if kind == "call":
        return FUNCTIONS[node[1]](*(evaluate_node(child, answers) for child in node[2:]))
    raise LogicError(_("unknown node %(kind)r") % {"kind": kind})


def truthy(value: Any) -> bool:
    if value is None or value is False or value == "":
        return False
    if _is_number(value):
        return value != 0
    return not (isinstance(value, list) and not value)


def evaluate(text: str, answers: Mapping[str, Any]) -> Any:
    return evaluate_node(parse(text), answers)


def is_shown(condition: str | None, answers: Mapping[str, Any]) -> bool:
    """Whether a question or section with this ``relevant`` condition is shown."""
    return True if not condition else truthy(evaluate(condition, answers))
