"""The browser engine (static/questionnaires/logic.js) agrees with the server's.

One table of expressions (and a few hundred random texts) goes through Python and
through the JavaScript in Chromium; parse failures and values must match exactly.
"""

import json
import math
import random
from pathlib import Path

import pytest

from questionnaires.logic import LogicError, evaluate, parse
from tests.questionnaires.logic_cases import CASES

LOGIC_JS = Path(__file__).resolve().parents[2] / "static" / "questionnaires" / "logic.js"

RUN_ALL = """
(cases) => cases.map(([text, answers]) => {
  try {
    const value = window.HaiLongLogic.evaluate(text, answers);
    return {value: value === undefined ? null : value};
  } catch (error) {
    return {error: error.name + ": " + error.message};
  }
})
"""


def _python(text: str, answers: dict) -> dict:
    try:
        return {"value": evaluate(text, answers)}
    except LogicError as error:
        return {"error": str(error)}


def _same(python: object, js: object) -> bool:
    if isinstance(python, bool) or isinstance(js, bool):
        return python is js
    if isinstance(python, int | float) and isinstance(js, int | float):
        return python == js or (math.isnan(python) and math.isnan(js))
    if isinstance(python, list) and isinstance(js, list):
        return len(python) == len(js) and all(map(_same, python, js))
    return python == js


def _random_texts(count: int) -> list[str]:
    rng = random.Random(20241123)
    atoms = [
        "q1",
        "q2",
        "q3",
        "name",
        "multi",
        "m.r1",
        "m.r3",
        "missing",
        "flag",
        "1",
        "2.5",
        "0",
        "'online'",
        "'Lan'",
        "null",
        "true",
        "[1, 2]",
        "['a', 'c']",
    ]
    ops = ["+", "-", "*", "/", "==", "!=", "<", ">=", "and", "or", "in", "not in"]
    calls = ["mean", "sum", "count", "min", "max", "coalesce"]
    junk = [*"()[],.'\"=!<>+-*/ ", "not ", "and", "٣", "\xa0", "1e3"]
    texts = []
    for _ in range(count):
        parts = []
        for _ in range(rng.randint(1, 6)):
            roll = rng.random()
            if roll < 0.5:
                parts.append(rng.choice(atoms))
            elif roll < 0.75:
                parts.append(rng.choice(ops))
            elif roll < 0.9:
                parts.append(f"{rng.choice(calls)}({rng.choice(atoms)}, {rng.choice(atoms)})")
            else:
                parts.append(rng.choice(junk))
        texts.append(" ".join(parts))
    return texts


@pytest.mark.browser
def test_python_and_javascript_agree(page) -> None:  # type: ignore[no-untyped-def]
    # given the browser engine on a blank page
    page.goto("about:blank")
    page.add_script_tag(content=LOGIC_JS.read_text(encoding="utf-8"))
    answers = CASES[0][1]
    table = [(text, case_answers) for text, case_answers, _expected in CASES]
    table += [(text, answers) for text in _random_texts(400)]
    # when both engines evaluate every text
    js_results = page.evaluate(RUN_ALL, json.loads(json.dumps(table)))
    # then they agree on every one: both refuse it, or both give the same value
    mismatches = []
    for (text, case_answers), js in zip(table, js_results, strict=True):
        python = _python(text, case_answers)
        if ("error" in python) != ("error" in js) or (
            "value" in python and not _same(python["value"], js["value"])
        ):
            mismatches.append((text, python, js))
    assert mismatches == []
    refused = sum(1 for js in js_results if "error" in js)
    assert 40 < refused < len(table) - 100  # the table exercises both outcomes


@pytest.mark.browser
def test_javascript_parse_gives_the_same_tree(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("about:blank")
    page.add_script_tag(content=LOGIC_JS.read_text(encoding="utf-8"))
    texts = [t for t, _a, e in CASES if e != "<error>"][:60]
    trees = page.evaluate("(texts) => texts.map((t) => window.HaiLongLogic.parse(t))", texts)
    for text, tree in zip(texts, trees, strict=True):
        assert json.loads(json.dumps(parse(text))) == tree, text
