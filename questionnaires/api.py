from rest_framework import serializers, viewsets

from questionnaires.models import QuestionnaireVersion


class QuestionnaireVersionOutput(serializers.ModelSerializer):
    questionnaire = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = QuestionnaireVersion
        fields = ["id", "questionnaire", "number", "content_hash", "published_at", "definition"]


class QuestionnaireVersionViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = QuestionnaireVersion.objects.select_related("questionnaire")
    serializer_class = QuestionnaireVersionOutput
