from django.contrib import admin

from survey.models import (
    ApiClient,
    Campaign,
    CampaignQuota,
    Firm,
    ImportBatch,
    Invitation,
    Response,
    ServiceTransaction,
)


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    """Keys are made with ``manage.py survey_api_client`` (shown once); here they are
    scoped, deactivated, audited."""

    list_display = ["name", "key_prefix", "is_active", "last_used_at", "created_at"]
    readonly_fields = ["key_prefix", "key_hash", "last_used_at", "created_at"]
    filter_horizontal = ["units"]

    def has_add_permission(self, request: object) -> bool:
        return False


class CampaignQuotaInline(admin.TabularInline):
    model = CampaignQuota
    extra = 1
    autocomplete_fields = ["unit"]


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "questionnaire", "mode", "scope", "token_ttl_days", "is_active"]
    list_filter = ["mode", "is_active"]
    inlines = [CampaignQuotaInline]


@admin.register(ServiceTransaction)
class ServiceTransactionAdmin(admin.ModelAdmin):
    list_display = ["external_id", "unit", "procedure_code", "sector", "channel", "completed_at"]
    list_filter = ["channel", "sector"]
    list_select_related = ["unit"]


@admin.register(Firm)
class FirmAdmin(admin.ModelAdmin):
    list_display = ["email", "name", "unit", "campaign", "size", "sector", "ownership"]
    list_filter = ["campaign"]
    list_select_related = ["unit", "campaign"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "kind",
        "campaign",
        "unit",
        "version",
        "status",
        "expires_at",
        "completed_at",
    ]
    list_filter = ["kind", "campaign"]
    list_select_related = ["campaign", "unit", "version__questionnaire"]
    exclude = ["token"]


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    list_display = [
        "file_name",
        "version",
        "mode",
        "status",
        "rows_total",
        "rows_imported",
        "rows_invalid",
        "rows_duplicate",
        "created_at",
    ]
    readonly_fields = [f.name for f in ImportBatch._meta.fields]


@admin.register(Response)
class ResponseAdmin(admin.ModelAdmin):
    list_display = ["id", "unit", "sector", "channel", "source", "version", "submitted_at"]
    list_filter = ["source", "channel"]
    list_select_related = ["unit", "version__questionnaire"]
    exclude = ["idempotency_key"]
