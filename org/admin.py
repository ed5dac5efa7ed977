from django.contrib import admin

from org.models import AdministrativeUnit, UnitLevel


@admin.register(UnitLevel)
class UnitLevelAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "rank"]


@admin.register(AdministrativeUnit)
class AdministrativeUnitAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent", "valid_from", "valid_to"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
