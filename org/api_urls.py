from django.urls import path

from org import api

urlpatterns = [
    path("audit/", api.AuditList.as_view(), name="api-audit"),
    path("audit/export.csv", api.AuditExport.as_view(), name="api-audit-export"),
]
