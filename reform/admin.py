"""Read-only views of the reform index in the admin.

Scores, appraisals, rounds and frameworks change only through reform.services, which
check the deadlines and write the audit log; the admin would bypass both. Frameworks are
edited as files (/index/frameworks/), rounds opened at /index/rounds/new/.
"""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from reform.models import Criterion, Evidence, Framework, Score, ScoringRound, SurveyPoints


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class CriterionInline(admin.TabularInline):
    model = Criterion
    fields = ["code", "name", "kind", "maximum", "weight", "leaf", "component", "example"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Framework)
class FrameworkAdmin(ReadOnly):
    list_display = ["code", "name", "year", "level", "kind", "frozen", "example"]
    list_filter = ["kind", "level", "frozen"]
    inlines = [CriterionInline]


@admin.register(ScoringRound)
class ScoringRoundAdmin(ReadOnly):
    list_display = [
        "code", "name", "framework", "scope", "self_score_deadline", "appraisal_deadline",
        "locked_at", "published",
    ]  # fmt: skip
    list_select_related = ["framework", "scope"]


@admin.register(Score)
class ScoreAdmin(ReadOnly):
    list_display = ["round", "unit", "criterion", "self_points", "appraised_points", "status"]
    list_select_related = ["round", "unit", "criterion"]
    list_filter = ["round", "status"]


@admin.register(Evidence)
class EvidenceAdmin(ReadOnly):
    list_display = ["name", "score", "content_type", "size", "sha256", "uploaded_at"]
    list_select_related = ["score__unit", "score__criterion"]


@admin.register(SurveyPoints)
class SurveyPointsAdmin(ReadOnly):
    list_display = ["round", "unit", "criterion", "value", "se", "points", "run"]
    list_select_related = ["round", "unit", "criterion", "run"]
