from django.contrib import admin

from analysis.models import AnalysisRun, Estimate, SurveyRound


@admin.register(SurveyRound)
class SurveyRoundAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "questionnaire",
        "scope",
        "period_start",
        "period_end",
        "published",
    ]


@admin.register(AnalysisRun)
class AnalysisRunAdmin(admin.ModelAdmin):
    list_display = ["id", "round", "status", "n_responses", "created_at", "finished_at"]


@admin.register(Estimate)
class EstimateAdmin(admin.ModelAdmin):
    list_display = ["run", "unit", "component", "estimate", "se", "n"]
    list_select_related = ["run", "unit"]
