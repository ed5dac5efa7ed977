from django.urls import path

from survey.api import TransactionRegisterView

urlpatterns = [
    path("transactions/", TransactionRegisterView.as_view(), name="api-transactions"),
]
