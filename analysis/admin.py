from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from analysis.models import AnalysisRun, Estimate, SurveyRound
from analysis.services import RunInProgress, analysis_run_start


@admin.action(description=_("Run the analysis now"))
def run_analysis(modeladmin: admin.ModelAdmin, request: HttpRequest, rounds: QuerySet) -> None:
    count = 0
    for survey_round in rounds:
        try:
            analysis_run_start(survey_round=survey_round, actor=request.user)
            count += 1
        except RunInProgress as busy:
            modeladmin.message_user(
                request,
                _("%(round)s already has a run in progress (run %(run)d).")
                % {"round": survey_round.code, "run": busy.run.pk},
                messages.WARNING,
            )
    modeladmin.message_user(
        request,
        ngettext(
            "An analysis run was started for %(count)d round.",
            "Analysis runs were started for %(count)d rounds.",
            count,
        )
        % {"count": count},
        messages.SUCCESS,
    )


@admin.register(SurveyRound)
class SurveyRoundAdmin(admin.ModelAdmin):
    actions = [run_analysis]
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
    list_display = [
        "id",
        "round",
        "status",
        "stage",
        "progress",
        "attempts",
        "n_responses",
        "created_at",
        "finished_at",
    ]


@admin.register(Estimate)
class EstimateAdmin(admin.ModelAdmin):
    list_display = ["run", "unit", "component", "estimate", "se", "n"]
    list_select_related = ["run", "unit"]
