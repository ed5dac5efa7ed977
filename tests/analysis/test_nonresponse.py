"""Nonresponse adjustment classes: f_c = eligible count / respondents' weight in the
class — exact on known numbers, with the invitations issued for a round (its units and
period, no open links) or its frame as the eligible counts; configured through the API
and validated."""

import datetime as dt

import numpy as np
import pytest

from analysis.compute import round_compute
from analysis.extracts import extract_refresh
from analysis.loaders import round_eligible, round_frame, round_load, round_margins, round_versions
from analysis.round_config import publication_of, scheme_of, spec_of, variables_needed
from analysis.tasks import failure_reason
from analysis.weighting import WeightingError, weights_compute
from org.models import AdministrativeUnit, Role
from survey.models import Invitation, Response
from survey.services import transaction_register
from tests.factories import (
    province_with_communes,
    signed_in,
    sipas_answers,
    sipas_version,
    survey_round,
)


def test_invited_over_answered_in_each_class():
    # given 4 respondents in unit A and 2 in B; 10 invitations in A (two sectors), 3 in B
    columns = {
        "unit": np.array(["A", "A", "A", "A", "B", "B"]),
        "sector": np.array(["land", "tax", "land", "land", "land", "tax"]),
    }
    eligible = [
        ({"unit": "A", "sector": "land"}, 6.0),
        ({"unit": "A", "sector": "tax"}, 4.0),
        ({"unit": "B", "sector": "land", "channel": "online"}, 3.0),
    ]

    # when the scheme is nonresponse classes by unit, counted by invitations
    weighting = weights_compute(
        columns=columns,
        frame=[],
        margins={},
        steps=[{"step": "nonresponse", "by": ["unit"]}],
        eligible=eligible,
    )

    # then every respondent of A stands for 10/4 invitations, of B for 3/2
    assert weighting.final.tolist() == [2.5, 2.5, 2.5, 2.5, 1.5, 1.5]
    assert weighting.diagnostics["nonresponse"] == {
        "by": ["unit"],
        "counts": "invitations",
        "classes": [
            {"class": "A", "eligible": 10.0, "respondents": 4, "weight_before": 4.0, "factor": 2.5},
            {"class": "B", "eligible": 3.0, "respondents": 2, "weight_before": 2.0, "factor": 1.5},
        ],
        "without_counts": 0,
    }


def test_frame_counts_after_cell_weights_carry_the_unanswered_cells():
    # given (A, land) N = 30 with 3 respondents, (A, tax) N = 20 with none, (B, land)
    # N = 12 with 2, and a class C with answers but no frame count
    columns = {
        "unit": np.array(["A", "A", "A", "B", "B", "C"]),
        "sector": np.array(["land"] * 6),
    }
    frame = [
        ({"unit": "A", "sector": "land"}, 30.0),
        ({"unit": "A", "sector": "tax"}, 20.0),
        ({"unit": "B", "sector": "land"}, 12.0),
    ]

    weighting = weights_compute(
        columns=columns,
        frame=frame,
        margins={},
        steps=[
            {"step": "cell_weights", "by": ["unit", "sector"]},
            {"step": "nonresponse", "by": ["unit"], "counts": "frame"},
        ],
    )

    # then A's cell weight 10 is multiplied by 50 / 30; B keeps 6; C keeps 1 (no count)
    assert weighting.final == pytest.approx([50 / 3] * 3 + [6.0, 6.0, 1.0], rel=1e-15)
    factors = {c["class"]: c["factor"] for c in weighting.diagnostics["nonresponse"]["classes"]}
    assert factors == {"A": pytest.approx(5 / 3, rel=1e-15), "B": 1.0, "C": 1.0}
    assert weighting.diagnostics["nonresponse"]["without_counts"] == 1
    assert weighting.diagnostics["sum_weights"] == pytest.approx(50 + 12 + 1)


def test_no_counted_class_or_invitations_after_another_step_is_refused():
    columns = {"unit": np.array(["A", "B"]), "sector": np.array(["land", "land"])}

    with pytest.raises(WeightingError) as none:
        weights_compute(
            columns=columns,
            frame=[],
            margins={},
            steps=[{"step": "nonresponse", "by": ["unit"]}],
            eligible=[({"unit": "Z"}, 5.0)],
        )
    with pytest.raises(WeightingError, match="must be the first step"):
        weights_compute(
            columns=columns,
            frame=[({"unit": "A", "sector": "land"}, 5.0)],
            margins={},
            steps=[
                {"step": "cell_weights", "by": ["unit"]},
                {"step": "nonresponse", "by": ["unit"]},
            ],
            eligible=[({"unit": "A"}, 5.0)],
        )

    assert none.value.code == "nonresponse_no_counts"
    assert "2" in failure_reason(none.value) and "unit" in failure_reason(none.value)


@pytest.fixture
def round_(db):
    return survey_round(province_with_communes(("X1", "X2")), sipas_version())


def _register(round_, code: str, sector: str, count: int, *, when=None, start: int = 0) -> None:
    unit = AdministrativeUnit.objects.get(code=code)
    for i in range(start, start + count):
        transaction_register(
            external_id=f"{code}-{sector}-{i}",
            unit=unit,
            procedure_code="1",
            sector=sector,
            channel="counter",
            completed_at=when or round_.period_start + dt.timedelta(days=1),
        )


def _respond(round_, code: str, sector: str, ratings: list[int]) -> None:
    version = round_.questionnaire.versions.get()
    unit = AdministrativeUnit.objects.get(code=code)
    for rating in ratings:
        Response.objects.create(
            version=version,
            unit=unit,
            sector=sector,
            channel="counter",
            answers=sipas_answers(rating),
            submitted_at=round_.period_start + dt.timedelta(days=2),
        )


@pytest.mark.django_db
def test_a_round_counts_its_invitations_and_weights_by_them(round_):
    # given invitations: X1 land 12, X1 tax 8, X2 land 5 in the period; 7 after it; an
    # open link; and answers: X1 land 3 (two satisfied), X1 tax 1, X2 land 5
    _register(round_, "X1", "land", 12)
    _register(round_, "X1", "tax", 8)
    _register(round_, "X2", "land", 5)
    _register(round_, "X2", "land", 7, when=round_.period_end + dt.timedelta(days=3), start=50)
    Invitation.objects.create(
        token="open-1",
        kind=Invitation.Kind.OPEN,
        version=round_.questionnaire.versions.get(),
        unit=AdministrativeUnit.objects.get(code="X1"),
        sector="land",
        expires_at=round_.period_end,
    )
    _respond(round_, "X1", "land", [5, 4, 2])
    _respond(round_, "X1", "tax", [1])
    _respond(round_, "X2", "land", [5, 5, 5, 5, 5])
    round_.weighting = [{"step": "nonresponse", "by": ["unit", "sector"]}]
    round_.estimation = {"statistics": ["element_index"], "ci_method": "wald"}
    round_.save()

    eligible = round_eligible(round_)
    for version in round_versions(round_):
        extract_refresh(version=version)
    scheme, spec = scheme_of(round_), spec_of(round_)
    computed = round_compute(
        data=round_load(round_, variables_needed(scheme, spec)),
        frame=round_frame(round_),
        margins=round_margins(round_),
        scheme=scheme,
        spec=spec,
        publication=publication_of(round_),
        scope_id=round_.scope_id,
        eligible=eligible,
    )

    x1, x2 = (str(AdministrativeUnit.objects.get(code=c).pk) for c in ("X1", "X2"))
    assert sorted((k["unit"], k["sector"], n) for k, n in eligible) == [
        (x1, "land", 12.0),
        (x1, "tax", 8.0),
        (x2, "land", 5.0),
    ]
    classes = computed.diagnostics["nonresponse"]["classes"]
    assert [(c["class"], c["factor"]) for c in classes] == [
        (f"{x1}+land", 4.0),
        (f"{x1}+tax", 8.0),
        (f"{x2}+land", 1.0),
    ]
    assert computed.diagnostics["sum_weights"] == pytest.approx(25.0)
    # X1's access index: (2 satisfied × 4) / (3 × 4 + 1 × 8) = 8 / 20
    access = {
        r.domain_value: r.estimate
        for r in computed.rows
        if r.item == "sipas.access" and r.domain_variable == "unit"
    }
    assert access[x1] == pytest.approx(0.4, rel=1e-12)
    assert access[x2] == 1.0


@pytest.mark.django_db
def test_the_scheme_api_takes_nonresponse_classes_and_refuses_bad_ones(round_):
    stat = signed_in("stat", Role.STATISTICIAN, round_.scope)
    path = f"/api/v1/rounds/{round_.code}/instrument/"

    good = stat.put(
        path,
        {"weighting": [{"step": "nonresponse", "by": ["unit", "channel"]}]},
        content_type="application/json",
    )
    late = stat.put(
        path,
        {
            "weighting": [
                {"step": "cell_weights", "by": ["unit"]},
                {"step": "nonresponse", "by": ["unit"]},
            ]
        },
        content_type="application/json",
    )
    without_classes = stat.put(
        path, {"weighting": [{"step": "nonresponse"}]}, content_type="application/json"
    )
    bad_counts = stat.put(
        path,
        {"weighting": [{"step": "nonresponse", "by": ["unit"], "counts": "guess"}]},
        content_type="application/json",
    )
    round_.refresh_from_db()

    assert good.status_code == 200, good.json()
    assert [r.status_code for r in (late, without_classes, bad_counts)] == [400, 400, 400]
    assert "weighting" in late.json()
    assert round_.weighting == [{"step": "nonresponse", "by": ["unit", "channel"]}]
