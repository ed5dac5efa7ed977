"""Input forms of the pages (the services validate again)."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from analysis.models import SurveyRound
from org.models import AdministrativeUnit
from org.permissions import Capability, units_in_scope
from reform.models import Framework, ScoringRound


class FrameworkImportForm(forms.Form):
    file = forms.FileField(label=_("Framework file (JSON or XLSX)"))


class FrameworkCopyForm(forms.Form):
    code = forms.SlugField(label=_("New code"), max_length=64)
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)


class RoundOpenForm(forms.Form):
    framework = forms.ModelChoiceField(Framework.objects.all(), label=_("Framework"))
    code = forms.SlugField(label=_("Code"), max_length=64)
    name = forms.CharField(label=_("Name"), max_length=200)
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    scope = forms.ModelChoiceField(AdministrativeUnit.objects.none(), label=_("Units below"))
    survey_round = forms.ModelChoiceField(
        SurveyRound.objects.all(), required=False, label=_("Survey round")
    )
    previous = forms.ModelChoiceField(
        ScoringRound.objects.all(), required=False, label=_("Last year's round")
    )
    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    self_score_deadline = forms.DateTimeField(label=_("Self-assessment deadline"), widget=widget)
    appraisal_deadline = forms.DateTimeField(label=_("Appraisal deadline"), widget=widget)
    publication_date = forms.DateTimeField(label=_("Publication date"), widget=widget)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        scope = units_in_scope(user, Capability.APPRAISE)
        self.fields["scope"].queryset = scope.filter(AdministrativeUnit.objects.all(), "pk")

    def clean_code(self) -> str:
        code = self.cleaned_data["code"]
        if ScoringRound.objects.filter(code=code).exists():
            raise forms.ValidationError(_("A scoring round with this code exists."))
        return code
