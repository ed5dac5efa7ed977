"""The reform-index demo on top of the analysis demo (manage.py load_demo first):
the shipped frameworks, a commune-level round fed by the demo SIPAS round, self-scores
and a few appraisals, last year's published round to compare with (the leader
dashboard's movers), and an appraiser to try the pages as (thamdinh / hailong-demo)."""

import datetime as dt
import json
from typing import Any

import numpy as np
from django.contrib.auth import get_user_model
from django.utils import timezone

from analysis.demo import DEMO_PASSWORD, DEMO_USER, PROVINCE, ROUND_CODE
from analysis.models import SurveyRound
from org.models import AdministrativeUnit, Role
from org.services import membership_grant
from reform.catalog import SHIPPED_DIR, shipped_codes
from reform.models import Criterion, Framework, Score, ScoringRound
from reform.selectors import round_units
from reform.services import (
    framework_import,
    round_deadlines_set,
    round_lock,
    round_open,
    round_publish,
    score_appraise,
    score_self_set,
    survey_points_refresh,
)

FRAMEWORK_CODE = "par-commune-demo-2026"
ROUND = "cchc-xa-2026"
PREVIOUS_FRAMEWORK_CODE = "par-commune-demo-2025"
PREVIOUS_ROUND = "cchc-xa-2025"
APPRAISER = "thamdinh"


def _demo_framework(*, code: str, year: int, admin: Any) -> Framework:
    framework = Framework.objects.filter(code=code).first()
    if framework is None:
        data = json.loads((SHIPPED_DIR / "par-province-2022.json").read_text(encoding="utf-8"))
        data.update(
            code=code,
            name=f"Chỉ số CCHC cấp xã {year} (minh họa)",
            year=year,
            level="commune",
            example=True,
        )
        framework = framework_import(data=data, actor=admin)
    return framework


def _self_scores(
    scoring_round: ScoringRound, rng: np.random.Generator, admin: Any, appraiser: Any
) -> int:
    """Each unit self-scores around a strength of its own; the appraiser lowers some."""
    leaves = list(
        scoring_round.framework.criteria.filter(children__isnull=True).exclude(
            leaf=Criterion.Leaf.SURVEY
        )
    )
    scored = 0
    for unit in round_units(scoring_round=scoring_round):
        strength = rng.uniform(0.7, 0.98)
        for criterion in leaves:
            if Score.objects.filter(round=scoring_round, unit=unit, criterion=criterion).exists():
                continue
            share = 0.0 if criterion.kind == Criterion.Kind.PENALTY else strength
            value = round(float(np.clip(rng.normal(share, 0.05), 0, 1)) * criterion.maximum * 4) / 4
            score = score_self_set(
                scoring_round=scoring_round, unit=unit, criterion=criterion, points=value,
                comment="Số liệu minh họa", actor=admin,
            )  # fmt: skip
            if rng.uniform() < 0.3 and value >= 0.5:
                score_appraise(
                    score=score, points=value - 0.5, reason="Thiếu tài liệu kiểm chứng",
                    actor=appraiser,
                )  # fmt: skip
            scored += 1
    return scored


def _previous_round(
    province: AdministrativeUnit, admin: Any, appraiser: Any, seed: int
) -> ScoringRound:
    """Last year's round, scored, locked and published: the dashboard's movers compare
    against it (no survey that year: its totals are rescaled to 100)."""
    found = ScoringRound.objects.filter(code=PREVIOUS_ROUND).first()
    if found is not None:
        return found
    now = timezone.now()
    scoring_round = round_open(
        framework=_demo_framework(code=PREVIOUS_FRAMEWORK_CODE, year=2025, admin=admin),
        code=PREVIOUS_ROUND,
        name="Chỉ số CCHC cấp xã năm 2025 (minh họa)",
        year=2025,
        scope=province,
        self_score_deadline=now + dt.timedelta(days=1),
        appraisal_deadline=now + dt.timedelta(days=2),
        publication_date=now + dt.timedelta(days=3),
        actor=admin,
    )
    _self_scores(scoring_round, np.random.default_rng(seed - 1), admin, appraiser)
    round_deadlines_set(
        scoring_round=scoring_round,
        actor=admin,
        reason="Đợt chấm điểm năm 2025 đã kết thúc (minh họa)",
        self_score_deadline=dt.datetime(2025, 10, 31, tzinfo=dt.UTC),
        appraisal_deadline=dt.datetime(2025, 11, 30, tzinfo=dt.UTC),
        publication_date=dt.datetime(2025, 12, 31, tzinfo=dt.UTC),
    )
    round_lock(
        scoring_round=scoring_round,
        reason="Quyết định công bố Chỉ số CCHC năm 2025 (minh họa)",
        actor=admin,
    )
    return round_publish(scoring_round=scoring_round, actor=admin)


def reform_demo_load(*, seed: int = 2026) -> dict[str, int]:
    """Idempotent: what exists is kept. Raises AdministrativeUnit.DoesNotExist without
    the analysis demo."""
    province = AdministrativeUnit.objects.get(code=PROVINCE[0])
    admin = get_user_model().objects.get(username=DEMO_USER)
    for code in shipped_codes():
        if not Framework.objects.filter(code=code).exists():
            data = json.loads((SHIPPED_DIR / f"{code}.json").read_text(encoding="utf-8"))
            framework_import(data=data, actor=admin)
    appraiser = get_user_model().objects.filter(username=APPRAISER).first()
    if appraiser is None:
        appraiser = get_user_model().objects.create_user(APPRAISER, password=DEMO_PASSWORD)
    membership_grant(user=appraiser, role=Role.APPRAISER, unit=province, actor=admin)
    scoring_round = ScoringRound.objects.filter(code=ROUND).first()
    if scoring_round is None:
        previous = _previous_round(province, admin, appraiser, seed)
        now = timezone.now()
        survey = SurveyRound.objects.filter(code=ROUND_CODE, published=True).first()
        scoring_round = round_open(
            framework=_demo_framework(code=FRAMEWORK_CODE, year=2026, admin=admin),
            code=ROUND,
            name="Chỉ số CCHC cấp xã năm 2026 (minh họa)",
            year=2026,
            scope=province,
            self_score_deadline=now + dt.timedelta(days=30),
            appraisal_deadline=now + dt.timedelta(days=60),
            publication_date=now + dt.timedelta(days=90),
            survey_round=survey,
            previous=previous,
            actor=admin,
        )
    points = survey_points_refresh(scoring_round=scoring_round, actor=admin)
    scored = _self_scores(scoring_round, np.random.default_rng(seed), admin, appraiser)
    return {"survey_points": points, "scores": scored}
