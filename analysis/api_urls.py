from django.urls import path

from analysis.api import EstimateList

urlpatterns = [path("estimates/", EstimateList.as_view(), name="api-estimates")]
