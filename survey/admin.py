from django.contrib import admin

from survey.models import AdministrativeUnit, Invitation, Response, ServiceTransaction, UnitLevel


@admin.register(UnitLevel)
class UnitLevelAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "rank"]


@admin.register(AdministrativeUnit)
class AdministrativeUnitAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent", "valid_from", "valid_to"]
    list_filter = ["level"]
    search_fields = ["code", "name"]


@admin.register(ServiceTransaction)
class ServiceTransactionAdmin(admin.ModelAdmin):
    list_display = ["external_id", "unit", "procedure_code", "sector", "channel", "completed_at"]
    list_filter = ["channel", "sector"]
    list_select_related = ["unit"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["id", "version", "expires_at", "completed_at"]
    exclude = ["token"]


@admin.register(Response)
class ResponseAdmin(admin.ModelAdmin):
    list_display = ["id", "unit", "sector", "channel", "version", "submitted_at"]
    list_select_related = ["unit", "version__questionnaire"]
