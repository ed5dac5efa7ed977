from rest_framework.routers import SimpleRouter

from questionnaires.api import QuestionnaireVersionViewSet

router = SimpleRouter()
router.register(
    "questionnaire-versions", QuestionnaireVersionViewSet, basename="questionnaire-version"
)
urlpatterns = router.urls
