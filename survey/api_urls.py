from django.urls import path

from survey import api

urlpatterns = [
    path("transactions/", api.TransactionRegisterView.as_view(), name="api-transactions"),
    path("transactions/batch/", api.TransactionBatchView.as_view(), name="api-transactions-batch"),
    path("links/<str:token>/", api.LinkView.as_view(), name="api-link"),
    path("responses/", api.ResponsesView.as_view(), name="api-responses"),
    path(
        "responses/export.<str:extension>",
        api.ResponseExportView.as_view(),
        name="api-responses-export",
    ),
    path("imports/", api.ImportView.as_view(), name="api-imports"),
    path(
        "campaigns/<slug:code>/firms/", api.CampaignFirmsView.as_view(), name="api-campaign-firms"
    ),
]
