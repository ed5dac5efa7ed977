from django.urls import path

from survey import views

app_name = "survey"
urlpatterns = [
    path("s/<str:token>/", views.survey_form, name="form"),
    path("s/<str:token>/thanks/", views.survey_thanks, name="thanks"),
]
