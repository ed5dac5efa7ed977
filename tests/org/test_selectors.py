"""Successors both ways: what an old unit maps to today, what a unit came from."""

import datetime as dt

import pytest

from org.models import AdministrativeUnit, UnitLevel
from org.selectors import unit_current, unit_predecessors_all, unit_successors_all

pytestmark = pytest.mark.django_db

MERGE = dt.date(2025, 7, 1)


def _unit(code: str, *, valid_from: dt.date | None = None, valid_to: dt.date | None = None):
    level, _ = UnitLevel.objects.get_or_create(code="commune", defaults={"name": "Xã", "rank": 2})
    return AdministrativeUnit.objects.create(
        code=code, name=code, level=level, valid_from=valid_from, valid_to=valid_to
    )


@pytest.fixture
def history() -> dict[str, AdministrativeUnit]:
    """A and B merged into AB in 2024; AB and C merged into ABC in 2025; D split into
    D1 and D2 in 2025."""
    units = {
        "A": _unit("A", valid_to=dt.date(2023, 12, 31)),
        "B": _unit("B", valid_to=dt.date(2023, 12, 31)),
        "AB": _unit("AB", valid_from=dt.date(2024, 1, 1), valid_to=dt.date(2025, 6, 30)),
        "C": _unit("C", valid_to=dt.date(2025, 6, 30)),
        "ABC": _unit("ABC", valid_from=MERGE),
        "D": _unit("D", valid_to=dt.date(2025, 6, 30)),
        "D1": _unit("D1", valid_from=MERGE),
        "D2": _unit("D2", valid_from=MERGE),
    }
    units["A"].successors.add(units["AB"])
    units["B"].successors.add(units["AB"])
    units["AB"].successors.add(units["ABC"])
    units["C"].successors.add(units["ABC"])
    units["D"].successors.add(units["D1"], units["D2"])
    return units


def _codes(units) -> list[str]:
    return sorted(u.code for u in units)


def test_an_old_unit_maps_to_todays_unit_through_two_merges(history) -> None:
    assert _codes(unit_current(unit=history["A"], on=dt.date(2026, 1, 1))) == ["ABC"]


def test_on_a_past_day_the_unit_then_valid_is_returned(history) -> None:
    assert _codes(unit_current(unit=history["A"], on=dt.date(2024, 6, 1))) == ["AB"]


def test_a_split_unit_maps_to_every_part(history) -> None:
    assert _codes(unit_current(unit=history["D"], on=dt.date(2026, 1, 1))) == ["D1", "D2"]


def test_a_valid_unit_maps_to_itself(history) -> None:
    assert _codes(unit_current(unit=history["ABC"], on=dt.date(2026, 1, 1))) == ["ABC"]


def test_what_a_unit_came_from_is_followed_back_transitively(history) -> None:
    assert _codes(unit_predecessors_all(unit=history["ABC"])) == ["A", "AB", "B", "C"]
    assert _codes(unit_predecessors_all(unit=history["D2"])) == ["D"]
    assert _codes(unit_predecessors_all(unit=history["A"])) == []


def test_every_later_unit_is_listed_forward(history) -> None:
    assert _codes(unit_successors_all(unit=history["B"])) == ["AB", "ABC"]


def test_successor_walks_take_a_fixed_number_of_queries(history, django_assert_num_queries):
    with django_assert_num_queries(2):  # the edges, then the units
        assert len(list(unit_predecessors_all(unit=history["ABC"]))) == 4
