from django.contrib import admin

from questionnaires.models import Questionnaire, QuestionnaireVersion


@admin.register(Questionnaire)
class QuestionnaireAdmin(admin.ModelAdmin):
    list_display = ["code", "title", "kind", "updated_at"]
    search_fields = ["code", "title"]


@admin.register(QuestionnaireVersion)
class QuestionnaireVersionAdmin(admin.ModelAdmin):
    list_display = ["questionnaire", "number", "content_hash", "published_at"]
    readonly_fields = ["questionnaire", "number", "definition", "content_hash", "published_at"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False
