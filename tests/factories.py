"""Factories for tests: the smallest real objects each test needs."""

import datetime as dt

from django.contrib.auth import get_user_model
from django.test import Client

from analysis.models import SurveyRound
from org.models import AdministrativeUnit, Membership, Role, UnitLevel
from questionnaires.services import (
    library_definition,
    questionnaire_publish,
    questionnaire_save_draft,
)


def sipas_version():
    questionnaire = questionnaire_save_draft(definition=library_definition("sipas"))
    return questionnaire_publish(questionnaire=questionnaire)


def province_with_communes(codes: tuple[str, ...] = ("X1", "X2")) -> AdministrativeUnit:
    province_level, _ = UnitLevel.objects.get_or_create(
        code="province", defaults={"name": "Tỉnh", "rank": 0}
    )
    commune_level, _ = UnitLevel.objects.get_or_create(
        code="commune", defaults={"name": "Xã", "rank": 2}
    )
    province, _ = AdministrativeUnit.objects.get_or_create(
        code="P", defaults={"name": "Tỉnh Thử Nghiệm", "level": province_level}
    )
    for code in codes:
        AdministrativeUnit.objects.get_or_create(
            code=code, defaults={"name": f"Xã {code}", "level": commune_level, "parent": province}
        )
    return province


def member(username: str, role: Role | str, unit: AdministrativeUnit | None = None, **extra):
    """A user holding ``role`` over ``unit`` and its subtree (default: the test province
    P). How a test makes a statistician in scope, an officer of X1, a designer …:
    ``member("stat", Role.STATISTICIAN)``, ``member("o1", Role.OFFICER, x1)``."""
    unit = unit or province_with_communes(())
    user = get_user_model().objects.create_user(username, password="x", **extra)
    Membership.objects.create(user=user, role=role, unit=unit)
    return user


def signed_in(username: str, role: Role | str, unit: AdministrativeUnit | None = None) -> Client:
    """A test client signed in as ``member(username, role, unit)``."""
    client = Client()
    client.force_login(member(username, role, unit))
    return client


def survey_round(province: AdministrativeUnit, version, *, published: bool = True) -> SurveyRound:
    return SurveyRound.objects.create(
        code="r1",
        name="Round 1",
        questionnaire=version.questionnaire,
        scope=province,
        period_start=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        period_end=dt.datetime(2026, 12, 31, tzinfo=dt.UTC),
        published=published,
    )


def sipas_answers(rating: int, *, feedback: bool = False) -> dict:
    """A complete, valid SIPAS answer set with every rated item at ``rating``."""
    from questionnaires.definition import iter_questions

    answers: dict = {}
    for question in iter_questions(library_definition("sipas")):
        if question["type"] == "rating" and (feedback or not question.get("relevant")):
            answers[question["code"]] = rating
    answers.update(
        f0="yes" if feedback else "no",
        sex="female",
        age_group="35-44",
        education="university",
        occupation="business",
        sector="land",
        channel="counter",
    )
    return answers
