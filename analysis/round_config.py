"""A round's instrument as the statistician sets it: sample plan, weighting scheme,
estimation spec and publication rule — validated here (field errors for the API and
the pages), with the defaults a transaction-linked SIPAS round starts from."""

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from analysis.estimation import DEFAULT_PUBLICATION, DEFAULT_SPEC
from analysis.weighting import CELL_VARIABLES, DEFAULT_SCHEME

STEPS = ["cell_weights", "nonresponse", "poststratify", "rake", "calibrate", "trim"]
STATISTICS = ["element_index", "item_share", "item_mean", "overall"]
# Variables of the response itself; question codes and firm profile keys come on top.
RESPONSE_VARIABLES = ["sector", "channel", "firm_size", "firm_sector", "ownership"]


class WeightingStep(serializers.Serializer):
    step = serializers.ChoiceField(choices=STEPS)
    by = serializers.ListField(
        child=serializers.ChoiceField(choices=list(CELL_VARIABLES)), required=False
    )
    # nonresponse: the classes' eligible counts — invitations issued, or the frame.
    counts = serializers.ChoiceField(choices=["invitations", "frame"], required=False)
    margin = serializers.CharField(required=False, max_length=130)
    margins = serializers.ListField(
        child=serializers.CharField(max_length=130), required=False, min_length=1
    )
    method = serializers.ChoiceField(choices=["linear", "raking", "logit"], required=False)
    bounds = serializers.ListField(
        child=serializers.FloatField(), required=False, min_length=2, max_length=2
    )
    lower = serializers.FloatField(required=False, min_value=0)
    upper = serializers.FloatField(required=False, min_value=0)
    relative = serializers.BooleanField(required=False)
    strict = serializers.BooleanField(required=False)
    max_iter = serializers.IntegerField(required=False, min_value=1, max_value=10_000)

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        kind = data["step"]
        needs = {
            "poststratify": "margin",
            "rake": "margins",
            "calibrate": "margins",
            "nonresponse": "by",
        }
        if kind in needs and needs[kind] not in data:
            raise serializers.ValidationError({needs[kind]: [_("This step needs it.")]})
        if kind == "calibrate" and data.get("method") == "logit" and "bounds" not in data:
            raise serializers.ValidationError(
                {"bounds": [_("Logit calibration needs bounds on the g-weights.")]}
            )
        if kind == "trim" and "upper" not in data and "lower" not in data:
            raise serializers.ValidationError({"upper": [_("Give a lower or upper bound.")]})
        if "bounds" in data and data["bounds"][0] >= data["bounds"][1]:
            raise serializers.ValidationError({"bounds": [_("The lower bound must be smaller.")]})
        return data


class WeightingScheme(serializers.ListField):
    child = WeightingStep()

    def to_internal_value(self, data: Any) -> list[dict[str, Any]]:
        steps = super().to_internal_value(data)
        kinds = [s["step"] for s in steps]
        if "cell_weights" in kinds[1:]:
            raise serializers.ValidationError(_("Cell weights can only be the first step."))
        for step in steps[1:]:
            if step["step"] == "nonresponse" and step.get("counts", "invitations") == "invitations":
                raise serializers.ValidationError(
                    _(
                        "Nonresponse classes counted by invitations must be the first step "
                        "(every invited case then weighs 1); use the frame's counts after "
                        "other steps."
                    )
                )
        return steps


class OverallRule(serializers.Serializer):
    rule = serializers.ChoiceField(choices=["mean_of_elements", "component"])
    component = serializers.CharField(required=False, max_length=64)
    elements = serializers.ListField(child=serializers.CharField(max_length=64), required=False)


class EstimationSpec(serializers.Serializer):
    statistics = serializers.MultipleChoiceField(choices=STATISTICS)
    overall = OverallRule(required=False)
    profile_domains = serializers.ListField(
        child=serializers.CharField(max_length=64), required=False
    )
    ci_method = serializers.ChoiceField(choices=["logit", "korn_graubard", "wald"])
    confidence = serializers.FloatField(min_value=0.5, max_value=0.999, required=False)
    variance = serializers.ChoiceField(choices=["taylor", "jackknife", "bootstrap"], required=False)
    replicates = serializers.IntegerField(min_value=20, max_value=2000, required=False)
    seed = serializers.IntegerField(min_value=0, required=False)
    # Large rounds as a chord of chunk tasks: "auto" (by size), "always" or "never".
    parallel = serializers.ChoiceField(choices=["auto", "always", "never"], required=False)

    def to_representation(self, instance: Any) -> Any:
        data = super().to_representation(instance)
        data["statistics"] = sorted(data["statistics"])
        return data


class PublicationRule(serializers.Serializer):
    min_n = serializers.IntegerField(min_value=0)
    max_rse = serializers.FloatField(min_value=0, allow_null=True, required=False)
    max_ci_width = serializers.FloatField(min_value=0, allow_null=True, required=False)


class SamplePlan(serializers.Serializer):
    method = serializers.ChoiceField(choices=["yamane", "fixed"])
    margin_of_error = serializers.FloatField(min_value=0.001, max_value=0.5, required=False)
    fixed = serializers.IntegerField(min_value=1, required=False)
    by = serializers.ChoiceField(choices=["unit", "unit_sector"], required=False)

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if data["method"] == "fixed" and "fixed" not in data:
            raise serializers.ValidationError({"fixed": [_("Give the target per cell.")]})
        return data


# More steps than any real scheme has; each one is a pass over every respondent.
MAX_STEPS = 20


class RoundInstrument(serializers.Serializer):
    sample_plan = SamplePlan(required=False)
    weighting = WeightingScheme(required=False, max_length=MAX_STEPS)
    estimation = EstimationSpec(required=False)
    publication = PublicationRule(required=False)

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        # A misspelt part ("weighing") would otherwise be dropped and the PUT answer 200.
        given = self.initial_data if isinstance(self.initial_data, Mapping) else {}
        unknown = sorted(set(given) - set(self.fields) - {"reason", "csrfmiddlewaretoken"})
        if unknown:
            raise serializers.ValidationError(
                {
                    name: [
                        _("Not a part of the instrument (one of: %(parts)s).")
                        % {"parts": ", ".join(self.fields)}
                    ]
                    for name in unknown
                }
            )
        return data


def scheme_of(survey_round: Any) -> list[dict[str, Any]]:
    return list(survey_round.weighting) or [dict(step) for step in DEFAULT_SCHEME]


def spec_of(survey_round: Any) -> dict[str, Any]:
    return {**DEFAULT_SPEC, **(survey_round.estimation or {})}


def publication_of(survey_round: Any) -> dict[str, Any]:
    return {**DEFAULT_PUBLICATION, **(survey_round.publication or {})}


def plan_of(survey_round: Any) -> dict[str, Any]:
    return {
        "method": "yamane",
        "margin_of_error": 0.05,
        "by": "unit",
        **(survey_round.sample_plan or {}),
    }


def variables_needed(scheme: list[dict[str, Any]], spec: dict[str, Any]) -> list[str]:
    """The respondent variables a run reads besides the scored answers."""
    names: list[str] = ["unit", "sector", "channel"]
    for step in scheme:
        for variable in [step.get("margin"), *step.get("margins", []), *step.get("by", [])]:
            for part in str(variable or "").split("+"):
                if part and part not in names:
                    names.append(part)
    for variable in spec.get("profile_domains", []):
        if variable not in names:
            names.append(variable)
    return names
