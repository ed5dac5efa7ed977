from rest_framework.routers import SimpleRouter

from questionnaires.api import QuestionnaireVersionViewSet, QuestionnaireViewSet

router = SimpleRouter()
router.register("questionnaires", QuestionnaireViewSet, basename="questionnaire")
router.register(
    "questionnaire-versions", QuestionnaireVersionViewSet, basename="questionnaire-version"
)
urlpatterns = router.urls
