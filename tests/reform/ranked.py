"""A ranked commune round with last year's round, for the reports and the dashboard.

2025 (no survey: appraised points rescaled to 100): X1 40 + 20 → 100 (1st), X2 30 + 15
→ 75 (2nd). 2026: X1 self-scores 38 (appraised 35, with a reason) + 18.5 and X2 36 + 19;
the survey gives X1 0.82 and X2 0.80 (SE 0.03) on the 40-point leaf 2.1: X1 35 + 18.5 +
32.8 = 86.3 (2nd, −13.7 points, −1 rank), X2 36 + 19 + 32 = 87 (1st, +12, +1).
"""

import datetime as dt
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from org.models import Role
from reform.models import Score, ScoringRound
from reform.services import evidence_add, round_open, score_appraise, survey_points_refresh
from tests.factories import member
from tests.reform.test_results import _estimates, _score
from tests.reform.test_services import PDF


def ranked_world(scoring_round: ScoringRound, province: Any, x1: Any, x2: Any) -> dict[str, Any]:
    admin = member("quantri", Role.SYSADMIN, province)
    now = timezone.now()
    previous = round_open(
        framework=scoring_round.framework,
        code="cchc-2025",
        name="Chỉ số CCHC cấp xã 2025",
        year=2025,
        scope=province,
        self_score_deadline=now + dt.timedelta(days=1),
        appraisal_deadline=now + dt.timedelta(days=2),
        publication_date=now + dt.timedelta(days=3),
        actor=admin,
    )
    _score(previous, x1, {"1.1": 40, "1.2": 20}, admin)
    _score(previous, x2, {"1.1": 30, "1.2": 15}, admin)
    survey, run = _estimates(province, {"X1": (0.82, 0.03), "X2": (0.80, 0.03)})
    scoring_round.survey_round = survey
    scoring_round.previous = previous
    scoring_round.save()
    survey_points_refresh(scoring_round=scoring_round, actor=admin)
    _score(scoring_round, x1, {"1.1": 38, "1.2": 18.5}, admin)
    _score(scoring_round, x2, {"1.1": 36, "1.2": 19}, admin)
    plan = Score.objects.get(round=scoring_round, unit=x1, criterion__code="1.1")
    score_appraise(score=plan, points=35, reason="Chưa có báo cáo quý IV", actor=admin)
    upload = SimpleUploadedFile("kế-hoạch-cchc-2026.pdf", PDF, content_type="application/pdf")
    evidence_add(score=plan, upload=upload, actor=admin)
    return {"admin": admin, "previous": previous, "survey": survey, "run": run}
