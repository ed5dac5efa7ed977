"""Estimates API: anonymous visitors read published rounds only."""

from rest_framework import generics, permissions, serializers
from rest_framework.request import Request

from analysis.models import Estimate
from analysis.selectors import estimates_current


class EstimateOutput(serializers.ModelSerializer):
    round = serializers.CharField(source="run.round.code")
    run = serializers.IntegerField(source="run.id")
    unit = serializers.CharField(source="unit.code")
    unit_name = serializers.CharField(source="unit.name")
    level = serializers.CharField(source="unit.level.code")

    class Meta:
        model = Estimate
        fields = [
            "round",
            "run",
            "unit",
            "unit_name",
            "level",
            "component",
            "estimate",
            "se",
            "ci_low",
            "ci_high",
            "n",
        ]


class EstimateList(generics.ListAPIView):
    """GET /api/v1/estimates/?round=&unit=&component=&level="""

    serializer_class = EstimateOutput
    permission_classes = [permissions.AllowAny]

    def get_queryset(self):
        request: Request = self.request
        estimates = estimates_current(staff=bool(request.user and request.user.is_staff))
        filters = {
            "round": "run__round__code",
            "unit": "unit__code",
            "component": "component",
            "level": "unit__level__code",
        }
        for parameter, field in filters.items():
            value = request.query_params.get(parameter)
            if value:
                estimates = estimates.filter(**{field: value})
        return estimates
