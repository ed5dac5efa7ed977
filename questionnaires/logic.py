"""The logic language of show/skip conditions and calculated values.

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
    atom    := NUMBER | STRING | NAME | NAME "(" args ")" | "(" or ")" | "[" args "]"
               | "true" | "false" | "null"

A question that was not answered (or was skipped) reads as null; a comparison with null
is false, and arithmetic with null gives null. Answers "na" / "dk" read as null too.
The same semantics are implemented in static/questionnaires/logic.js for the browser.
"""

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

MAX_LENGTH = 2000
MAX_DEPTH = 40

Node = tuple[Any, ...]


class LogicError(ValueError):
    """An expression that cannot be parsed; the message says where and why."""


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<number>\d+(?:\.\d+)?)
      | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
      | (?P<op>==|!=|<=|>=|<|>|\+|-|\*|/|\(|\)|\[|\]|,)
    )""",
    re.VERBOSE,
)
_KEYWORDS = {"and", "or", "not", "in", "true", "false", "null"}


@dataclass(frozen=True)
class _Token:
    kind: str
    value: str
    position: int


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise LogicError(f"unexpected character {text[position:].lstrip()[:1]!r} at {position}")
        kind = match.lastgroup or ""
        value, start = match.group(kind), match.start(kind)
        if kind == "name" and value in _KEYWORDS:
            kind = "keyword"
        tokens.append(_Token(kind, value, start))
        position = match.end()
    tokens.append(_Token("end", "", len(text)))
    return tokens


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
                f"expected {value!r} at {token.position}, found {token.value or 'end'!r}"
            )

    def nested(self, parse: Callable[[], Node]) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise LogicError("expression is nested too deeply")
        try:
            return parse()
        finally:
            self.depth -= 1

    def parse(self) -> Node:
        node = self.or_()
        token = self.tokens[self.index]
        if token.kind != "end":
            raise LogicError(f"unexpected {token.value!r} at {token.position}")
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
            return ("lit", re.sub(r"\\(.)", r"\1", token.value[1:-1]))
        if token.kind == "keyword" and token.value in {"true", "false", "null"}:
            return ("lit", {"true": True, "false": False, "null": None}[token.value])
        if token.kind == "name":
            if self.peek("("):
                self.take()
                if token.value not in FUNCTIONS:
                    raise LogicError(f"unknown function {token.value!r} at {token.position}")
                return ("call", token.value, *self.nested(lambda: self.arguments(")")))
            return ("var", token.value)
        if token.kind == "op" and token.value == "(":
            node = self.nested(self.or_)
            self.expect(")")
            return node
        if token.kind == "op" and token.value == "[":
            return ("list", *self.nested(lambda: self.arguments("]")))
        raise LogicError(f"unexpected {token.value or 'end of expression'!r} at {token.position}")

    def arguments(self, closing: str) -> Node:
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


@lru_cache(maxsize=4096)
def parse(text: str) -> Node:
    """Parse an expression once; raises LogicError naming the position of the problem."""
    if len(text) > MAX_LENGTH:
        raise LogicError(f"expression longer than {MAX_LENGTH} characters")
    return _Parser(text).parse()


def references(node: Node) -> set[str]:
    """Every question code an expression reads."""
    kind = node[0]
    if kind == "var":
        return {node[1]}
    if kind == "lit":
        return set()
    # cmp, arith and call carry an operator or function name before their operands.
    children = node[2:] if kind in {"cmp", "arith", "call"} else node[1:]
    found: set[str] = set()
    for child in children:
        if isinstance(child, tuple):
            found |= references(child)
    return found


def _numbers(values: list[Any]) -> list[float]:
    flat: list[Any] = []
    for value in values:
        flat.extend(value if isinstance(value, list) else [value])
    return [v for v in flat if isinstance(v, int | float) and not isinstance(v, bool)]


def _mean(*values: Any) -> float | None:
    numbers = _numbers(list(values))
    return sum(numbers) / len(numbers) if numbers else None


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "count": lambda *values: sum(1 for v in values if v not in (None, "", [])),
    "sum": lambda *values: sum(_numbers(list(values))),
    "mean": _mean,
    "min": lambda *values: min(_numbers(list(values)), default=None),
    "max": lambda *values: max(_numbers(list(values)), default=None),
    "selected": lambda value, choice: (
        choice in value if isinstance(value, list) else value == choice
    ),
    "answered": lambda value: value not in (None, "", []),
}


def _compare(op: str, left: Any, right: Any) -> bool:
    if op in {"in", "not in"}:
        if not isinstance(right, list):
            return False
        found = any(item in right for item in left) if isinstance(left, list) else left in right
        return found if op == "in" else not found
    if left is None or right is None:
        return op == "!=" and not (left is None and right is None)
    try:
        return {
            "==": lambda: left == right,
            "!=": lambda: left != right,
            "<": lambda: left < right,
            "<=": lambda: left <= right,
            ">": lambda: left > right,
            ">=": lambda: left >= right,
        }[op]()
    except TypeError:
        return False


def _arith(op: str, left: Any, right: Any) -> Any:
    numbers = _numbers([left, right])
    if len(numbers) != 2 or isinstance(left, list) or isinstance(right, list):
        return None
    if op == "/":
        return None if right == 0 else left / right
    return {"+": left + right, "-": left - right, "*": left * right}[op]


def evaluate_node(node: Node, answers: Mapping[str, Any]) -> Any:
    kind = node[0]
    if kind == "lit":
        return node[1]
    if kind == "var":
        value = answers.get(node[1])
        return None if value in ("na", "dk") else value
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
        return -value if _numbers([value]) and not isinstance(value, list) else None
    if kind == "call":
        return FUNCTIONS[node[1]](*(evaluate_node(child, answers) for child in node[2:]))
    raise LogicError(f"unknown node {kind!r}")


def truthy(value: Any) -> bool:
    return value not in (None, False, 0, "", [])


def evaluate(text: str, answers: Mapping[str, Any]) -> Any:
    return evaluate_node(parse(text), answers)


def is_shown(condition: str | None, answers: Mapping[str, Any]) -> bool:
    """Whether a question or section with this ``relevant`` condition is shown."""
    return True if not condition else truthy(evaluate(condition, answers))
