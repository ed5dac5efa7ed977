"""Query-string filters of the collection API (django-filter)."""

import django_filters
from django import forms
from django.db.models import QuerySet

from survey.models import Response, Source
from survey.selectors import responses_in_unit


class IntegerFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField


class ResponseFilter(django_filters.FilterSet):
    """The responses listed by GET /responses/ and exported by /responses/export.*."""

    questionnaire = django_filters.CharFilter(
        field_name="version__questionnaire__code", help_text="Questionnaire code."
    )
    version = IntegerFilter(field_name="version__number", min_value=1, help_text="Version number.")
    unit = django_filters.CharFilter(
        method="filter_unit", help_text="Unit code: that unit and every unit under it."
    )
    sector = django_filters.CharFilter()
    channel = django_filters.CharFilter()
    source = django_filters.ChoiceFilter(choices=Source.choices)
    submitted_from = django_filters.IsoDateTimeFilter(
        field_name="submitted_at", lookup_expr="gte", help_text="Submitted at or after."
    )
    submitted_to = django_filters.IsoDateTimeFilter(
        field_name="submitted_at", lookup_expr="lt", help_text="Submitted before."
    )

    class Meta:
        model = Response
        fields = [
            "questionnaire",
            "version",
            "unit",
            "sector",
            "channel",
            "source",
            "submitted_from",
            "submitted_to",
        ]

    def filter_unit(
        self, queryset: QuerySet[Response], name: str, value: str
    ) -> QuerySet[Response]:
        return responses_in_unit(queryset, unit_code=value)
