from django.contrib import admin

from reports.models import ReportJob


@admin.register(ReportJob)
class ReportJobAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "status", "progress", "requested_by", "created_at"]
    list_filter = ["kind", "status"]
    readonly_fields = [f.name for f in ReportJob._meta.fields]
    search_fields = ["title"]

    def has_add_permission(self, request: object) -> bool:
        return False
