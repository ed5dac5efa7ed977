"""The logic language on the server: values, null semantics, hostile input."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from questionnaires.logic import (
    MAX_LENGTH,
    LogicError,
    evaluate,
    is_shown,
    parse,
    references,
    unparse,
)
from tests.questionnaires.logic_cases import CASES, ERROR


@pytest.mark.parametrize(("text", "answers", "expected"), CASES, ids=[c[0][:40] for c in CASES])
def test_expression_table(text: str, answers: dict, expected: object) -> None:
    if expected == ERROR:
        with pytest.raises(LogicError):
            evaluate(text, answers)
        return
    got = evaluate(text, answers)
    assert got == expected
    assert isinstance(got, bool) == isinstance(expected, bool)


def test_parse_gives_a_tree_of_tuples() -> None:
    assert parse("q5 >= 4 and channel in ['online', 'counter']") == (
        "and",
        ("cmp", ">=", ("var", "q5"), ("lit", 4)),
        ("cmp", "in", ("var", "channel"), ("list", ("lit", "online"), ("lit", "counter"))),
    )


def test_references_names_questions_and_matrix_questions() -> None:
    node = parse("mean(m.r1, m.r2) > 3 and not answered(q2) or q3 in [q4, 'x']")
    assert references(node) == {"m", "q2", "q3", "q4"}


def test_error_names_the_position() -> None:
    with pytest.raises(LogicError) as caught:
        parse("q1 > 4 and ; q2")
    assert caught.value.position == 11
    assert "11" in str(caught.value)


def test_is_shown_without_condition_and_with_one() -> None:
    assert is_shown(None, {}) is True
    assert is_shown("", {}) is True
    assert is_shown("q1 == 'yes'", {"q1": "yes"}) is True
    assert is_shown("q1 == 'yes'", {}) is False


def test_not_text_is_refused() -> None:
    with pytest.raises(LogicError):
        parse(None)  # type: ignore[arg-type]
    with pytest.raises(LogicError):
        parse(b"q1")  # type: ignore[arg-type]


def test_the_longest_allowed_expression_parses() -> None:
    text = "'" + "a" * (MAX_LENGTH - 2) + "'"
    assert evaluate(text, {}) == "a" * (MAX_LENGTH - 2)


@pytest.mark.parametrize(
    "text",
    [
        "q5 >= 4 and channel in ['online', 'counter']",
        "not (a or b) and c",
        "(a + b) * c - d / (e - f)",
        "a - (b - c)",
        "-(a + 1)",
        "if(a > 1, 'x\\'y', null) == 'x'",
        "m.r1 not in [1, 2.5, true, false]",
        "0.00001 + 1.0",
        "not not a",
        "a or b and c",
        "(a or b) and c",
    ],
)
def test_unparse_round_trips(text: str) -> None:
    tree = parse(text)
    assert parse(unparse(tree)) == tree


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(list("ab1 .'\"()[],=!<>+-*/\\ntoairdq_٣\u00a0")), max_size=60)
)
def test_random_text_either_parses_or_raises_logic_error(text: str) -> None:
    try:
        tree = parse(text)
    except LogicError:
        return
    # What parses also evaluates without crashing, and prints back to the same tree.
    evaluate(text, {"a": 1, "b": "x", "q": [1]})
    assert parse(unparse(tree)) == tree


@settings(max_examples=200, deadline=None)
@given(
    st.recursive(
        st.one_of(
            st.integers(-1000, 1000).map(str),
            st.sampled_from(["q1", "q2", "name", "'x'", "null", "true"]),
        ),
        lambda inner: st.one_of(
            st.tuples(
                inner, st.sampled_from(["+", "-", "*", "/", "==", "<", " and ", " or "]), inner
            ).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
            inner.map(lambda x: f"(not {x})"),
            st.lists(inner, max_size=3).map(lambda xs: f"mean({', '.join(xs)})"),
        ),
        max_leaves=8,
    )
)
def test_generated_expressions_never_crash(text: str) -> None:
    try:
        value = evaluate(text, {"q1": 3, "q2": "na", "name": "Lan"})
    except LogicError as error:  # only the size limits may refuse a well-formed text
        assert "deeply" in str(error) or "longer" in str(error)
        return
    if isinstance(value, float):
        assert math.isfinite(value)
