from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularSwaggerSplitView,
)

from config import accounts, views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    # Browsers ask for /favicon.ico on every page; it was a 404 (and a console error).
    path("favicon.ico", views.favicon),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path(
        "account/logout-everywhere/",
        accounts.logout_everywhere,
        name="logout-everywhere",
    ),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("org.api_urls")),
    path("api/v1/", include("questionnaires.api_urls")),
    path("api/v1/", include("survey.api_urls")),
    path("api/v1/", include("analysis.api_urls")),
    path("api/v1/", include("reform.api_urls")),
    path("questionnaires/", include("questionnaires.urls")),
    path("", include("survey.urls")),
    path("", include("analysis.urls")),
    path("", include("reform.urls")),
    path("", include("reports.urls")),
]

handler400 = "config.views.bad_request"
handler404 = "config.views.page_not_found"
