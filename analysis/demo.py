"""The demo data set: a province, its communes/wards and departments, a published SIPAS
questionnaire, a few thousand synthetic transactions and responses, a published round.

Deterministic (seeded), and idempotent: loading twice changes nothing.
"""

import datetime as dt
import secrets
from typing import Any

import numpy as np
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from analysis.models import SurveyRound
from org.models import AdministrativeUnit, Role, UnitLevel
from org.services import membership_grant
from questionnaires.definition import Definition, scored_items
from questionnaires.services import (
    library_definition,
    questionnaire_publish,
    questionnaire_save_draft,
)
from survey.models import Invitation, Response, ServiceTransaction

ROUND_CODE = "sipas-2026-h1"
# The same half-year a year earlier, on the old map (districts), so that the dashboard
# compares rounds through the units' successors.
EARLIER_ROUND_CODE = "sipas-2025-h1"
DEMO_USER, DEMO_PASSWORD = "admin", "hailong-demo"

LEVELS = [
    ("province", "Tỉnh, thành phố", "Province", 0),
    ("district", "Huyện, quận (trước 7/2025)", "District (before 7/2025)", 1),
    ("department", "Sở, ban, ngành", "Department", 1),
    ("commune", "Xã, phường, đặc khu", "Commune / ward", 2),
]
PROVINCE = ("P01", "Tỉnh Minh Hòa (minh họa)", "Minh Hoa Province (demo)")
COMMUNES = [
    ("X01", "Phường Thành Công"),
    ("X02", "Phường Hòa Bình"),
    ("X03", "Phường Đông Hải"),
    ("X04", "Xã An Phú"),
    ("X05", "Xã Tân Lập"),
    ("X06", "Xã Phú Mỹ"),
    ("X07", "Xã Quỳnh Lâm"),
    ("X08", "Xã Nghĩa Hưng"),
]
DEPARTMENTS = [
    ("S01", "Sở Tư pháp"),
    ("S02", "Sở Xây dựng"),
    ("S03", "Sở Nông nghiệp và Môi trường"),
    ("S04", "Sở Tài chính"),
]
OLD_DISTRICTS = [("H01", "Huyện An Phú", ["X04", "X05"]), ("H02", "Thị xã Đông Hải", ["X03"])]
SECTORS = ["land", "construction", "justice", "business_registration", "social"]
CHANNELS = ["counter", "online", "partly_online", "postal"]


def demo_load(*, transactions: int = 4000, seed: int = 2026) -> dict[str, int]:
    """Create the demo once; return what exists afterwards."""
    with transaction.atomic():
        questionnaire = questionnaire_save_draft(definition=library_definition("sipas"))
        version = questionnaire_publish(questionnaire=questionnaire)
        province = _units()
        start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        end = dt.datetime(2026, 6, 30, 23, 59, tzinfo=dt.UTC)
        survey_round, created = SurveyRound.objects.get_or_create(
            code=ROUND_CODE,
            defaults={
                "name": "SIPAS 2026 — 6 tháng đầu năm",
                "questionnaire": questionnaire,
                "scope": province,
                "period_start": start,
                "period_end": end,
                "published": True,
            },
        )
        if created:
            _transactions_and_responses(version, transactions, seed, start, end)
            _weighting(survey_round)
        earlier_start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
        earlier_end = dt.datetime(2025, 6, 30, 23, 59, tzinfo=dt.UTC)
        _earlier, created = SurveyRound.objects.get_or_create(
            code=EARLIER_ROUND_CODE,
            defaults={
                "name": "SIPAS 2025 — 6 tháng đầu năm",
                "questionnaire": questionnaire,
                "scope": province,
                "period_start": earlier_start,
                "period_end": earlier_end,
                "published": True,
            },
        )
        if created:
            old_units = list(
                AdministrativeUnit.objects.filter(level__code__in=["district", "department"])
            )
            _transactions_and_responses(
                version,
                max(transactions // 3, 10),
                seed + 1,
                earlier_start,
                earlier_end,
                units=old_units,
                prefix="DEMO25-",
            )
        _demo_user()
    return {
        "units": AdministrativeUnit.objects.count(),
        "transactions": ServiceTransaction.objects.count(),
        "responses": Response.objects.count(),
        "round": survey_round.pk,
    }


def _units() -> AdministrativeUnit:
    levels = {}
    for code, name, name_en, rank in LEVELS:
        levels[code], _ = UnitLevel.objects.get_or_create(
            code=code, defaults={"name": name, "name_en": name_en, "rank": rank}
        )
    province, _ = AdministrativeUnit.objects.get_or_create(
        code=PROVINCE[0],
        defaults={"name": PROVINCE[1], "name_en": PROVINCE[2], "level": levels["province"]},
    )
    reform = dt.date(2025, 7, 1)
    communes = {}
    for code, name in COMMUNES:
        communes[code], _ = AdministrativeUnit.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "level": levels["commune"],
                "parent": province,
                "valid_from": reform,
            },
        )
    for code, name in DEPARTMENTS:
        AdministrativeUnit.objects.get_or_create(
            code=code, defaults={"name": name, "level": levels["department"], "parent": province}
        )
    for code, name, successors in OLD_DISTRICTS:
        district, created = AdministrativeUnit.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "level": levels["district"],
                "parent": province,
                "valid_to": reform - dt.timedelta(days=1),
            },
        )
        if created:
            district.successors.set([communes[c] for c in successors])
    return province


def _answers(
    definition: Definition, rated: set[str], rng: np.random.Generator, quality: float
) -> dict[str, Any]:
    """One synthetic respondent: ratings drawn around the unit's service quality."""
    answers: dict[str, Any] = {}
    probabilities = np.array([0.03, 0.07, 0.2, 0.45, 0.25]) * np.array([1, 1, 1, quality, quality])
    probabilities /= probabilities.sum()
    gave_feedback = rng.random() < 0.3
    for section in definition["sections"]:
        for question in section["questions"]:
            code = question["code"]
            if code == "f0":
                answers[code] = "yes" if gave_feedback else "no"
            elif code in rated:
                if question.get("relevant") and not gave_feedback:
                    continue
                answers[code] = (
                    "na" if rng.random() < 0.02 else int(rng.choice(5, p=probabilities) + 1)
                )
            elif question["type"] == "single_choice" and question.get("required"):
                answers[code] = question["choices"][int(rng.integers(len(question["choices"])))][
                    "value"
                ]
    return answers


# Population shares of the respondent profile (assumed, for the demo's margins): the
# synthetic answers pick sex and age group uniformly, so weighting has work to do.
SEX_SHARES = {"male": 0.48, "female": 0.51, "other": 0.01}
AGE_SHARES = {"18-24": 0.12, "25-34": 0.22, "35-44": 0.24, "45-54": 0.2, "55-64": 0.14, "65+": 0.08}


def _weighting(survey_round: SurveyRound) -> None:
    """Margins of sex and age group over the round's transactions; a scheme of cell
    weights, raking to those margins and a trim of the largest weights."""
    from analysis.models import MarginTarget

    total = ServiceTransaction.objects.filter(
        completed_at__range=(survey_round.period_start, survey_round.period_end)
    ).count()
    targets = [("sex", k, v) for k, v in SEX_SHARES.items()]
    targets += [("age_group", k, v) for k, v in AGE_SHARES.items()]
    MarginTarget.objects.bulk_create(
        MarginTarget(round=survey_round, variable=v, category=c, target=round(share * total, 3))
        for v, c, share in targets
    )
    survey_round.weighting = [
        {"step": "cell_weights", "by": ["unit", "sector"]},
        {"step": "rake", "margins": ["sex", "age_group"]},
        {"step": "trim", "upper": 3.5, "relative": True},
    ]
    survey_round.save(update_fields=["weighting"])


def _transactions_and_responses(
    version: Any,
    count: int,
    seed: int,
    start: dt.datetime,
    end: dt.datetime,
    *,
    units: list[AdministrativeUnit] | None = None,
    prefix: str = "DEMO-",
) -> None:
    rng = np.random.default_rng(seed)
    if units is None:
        units = list(AdministrativeUnit.objects.filter(level__code__in=["commune", "department"]))
    quality = {unit.pk: float(rng.uniform(0.6, 1.6)) for unit in units}
    response_rate = {unit.pk: float(rng.uniform(0.2, 0.5)) for unit in units}
    span = (end - start).total_seconds()
    records = [
        ServiceTransaction(
            external_id=f"{prefix}{i:06d}",
            unit=units[int(rng.integers(len(units)))],
            procedure_code=f"TTHC-{int(rng.integers(1, 60)):03d}",
            sector=SECTORS[int(rng.choice(len(SECTORS), p=[0.3, 0.15, 0.3, 0.1, 0.15]))],
            channel=CHANNELS[int(rng.choice(len(CHANNELS), p=[0.5, 0.3, 0.15, 0.05]))],
            completed_at=start + dt.timedelta(seconds=float(rng.uniform(0, span))),
        )
        for i in range(count)
    ]
    ServiceTransaction.objects.bulk_create(records, batch_size=1000)
    records = list(ServiceTransaction.objects.filter(external_id__startswith=prefix).order_by("id"))
    expires = timezone.now() + dt.timedelta(days=365)
    invitations = [
        Invitation(
            token=secrets.token_urlsafe(24),
            transaction=r,
            version=version,
            expires_at=expires,
            unit_id=r.unit_id,
            sector=r.sector,
            channel=r.channel,
        )
        for r in records
    ]
    Invitation.objects.bulk_create(invitations, batch_size=1000)
    invitations = list(
        Invitation.objects.filter(transaction__in=records).select_related("transaction")
    )
    rated = {item["code"] for item in scored_items(version.definition)}
    responses = []
    for invitation in invitations:
        record = invitation.transaction
        if rng.random() >= response_rate[record.unit_id]:
            continue
        submitted = record.completed_at + dt.timedelta(minutes=float(rng.uniform(2, 600)))
        answers = _answers(version.definition, rated, rng, quality[record.unit_id])
        answers.update(sector=record.sector, channel=record.channel)
        responses.append(
            Response(
                invitation=invitation,
                version=version,
                unit_id=record.unit_id,
                sector=record.sector,
                channel=record.channel,
                answers=answers,
                submitted_at=submitted,
            )
        )
        invitation.completed_at = submitted
    Response.objects.bulk_create(responses, batch_size=1000)
    Invitation.objects.bulk_update(
        [i for i in invitations if i.completed_at], ["completed_at"], batch_size=1000
    )


def _demo_user() -> None:
    user_model = get_user_model()
    if not user_model.objects.filter(username=DEMO_USER).exists():
        user_model.objects.create_superuser(DEMO_USER, "admin@example.org", DEMO_PASSWORD)
    # One person per everyday role, so the workspace can be tried as each of them.
    commune = AdministrativeUnit.objects.get(code=COMMUNES[0][0])
    province = AdministrativeUnit.objects.get(code=PROVINCE[0])
    for username, role, unit in _demo_roles(province, commune):
        user = user_model.objects.filter(username=username).first()
        if user is None:
            user = user_model.objects.create_user(username, password=DEMO_PASSWORD)
        membership_grant(user=user, role=role, unit=unit, actor="manage.py load_demo")


def _demo_roles(
    province: AdministrativeUnit, commune: AdministrativeUnit
) -> list[tuple[str, Role, AdministrativeUnit]]:
    return [
        ("thietke", Role.DESIGNER, province),
        ("thongke", Role.STATISTICIAN, province),
        ("canbo", Role.OFFICER, commune),
        ("lanhdao", Role.LEADER, province),
    ]


def demo_open_link() -> str | None:
    """The path of a demo survey link that has not been answered yet."""
    invitation = (
        Invitation.objects.filter(completed_at__isnull=True, expires_at__gt=timezone.now())
        .order_by("id")
        .first()
    )
    return f"/s/{invitation.token}/" if invitation else None
