"""Forms of the framework editor (reform.editor validates again)."""

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from reform.models import Criterion

RULE_TYPES = [
    ("", _("— none (assessed) —")),
    ("linear", _("linear: share of the maximum")),
    ("bands", _("threshold bands")),
    ("minmax", _("min–max across the compared units")),
    ("rescale_1_10", _("rescaled to 1–10 (DDCI)")),
    ("as_is", _("the published value as it is (PCI)")),
]


class CriterionForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=32, required=False)
    name = forms.CharField(label=_("Name"), max_length=300)
    name_en = forms.CharField(label=_("Name (English)"), max_length=300, required=False)
    parent = forms.ChoiceField(label=_("Parent"), required=False)
    kind = forms.ChoiceField(
        label=_("Top-level kind"),
        required=False,
        choices=[
            ("domain", _("domain")),
            ("bonus", _("bonus")),
            ("penalty", _("penalty")),
        ],
    )
    maximum = forms.FloatField(label=_("Maximum points"), required=False, min_value=0)
    weight = forms.FloatField(label=_("Weight (%)"), required=False, min_value=0)
    leaf = forms.ChoiceField(
        label=_("Scored as (leaves)"), choices=Criterion.Leaf.choices, required=False
    )
    rule_type = forms.ChoiceField(label=_("Conversion rule"), choices=RULE_TYPES, required=False)
    scale = forms.FloatField(label=_("Scale (linear: the value worth the maximum)"), required=False)
    bands = forms.CharField(
        label=_("Bands (threshold:points; …)"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "0.7:1; 0.8:2; 0.9:3"}),
    )
    direction = forms.ChoiceField(
        label=_("Direction"),
        required=False,
        choices=[("positive", _("positive: higher is better")), ("negative", _("negative"))],
    )
    years = forms.IntegerField(
        label=_("Min and max over the last N years"), required=False, min_value=1, max_value=20
    )
    component = forms.CharField(
        label=_("Survey component (e.g. sipas.overall)"), max_length=64, required=False
    )

    def __init__(self, *args: Any, parents: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].choices = [("", _("— top level —")), *parents]
        for name in ("rule_type", "scale", "bands", "direction", "years", "component"):
            self.fields[name].widget.attrs["data-rule-field"] = name

    def clean_bands(self) -> list[list[float]] | None:
        raw = self.cleaned_data.get("bands", "").strip()
        if not raw:
            return None
        pairs = []
        for part in re.split(r"[;\n]+", raw):
            if not part.strip():
                continue
            match = re.fullmatch(r"\s*([-0-9.,]+)\s*:\s*([-0-9.,]+)\s*", part)
            try:
                if match is None:
                    raise ValueError
                pairs.append([float(match[1].replace(",", ".")), float(match[2].replace(",", "."))])
            except ValueError:
                raise forms.ValidationError(
                    _("Bands are threshold:points pairs, e.g. 0.7:1; 0.8:2; 0.9:3.")
                ) from None
        return pairs

    def rule(self) -> dict[str, Any] | None:
        data = self.cleaned_data
        kind = data.get("rule_type")
        if not kind:
            return None
        if kind == "linear":
            return {"type": kind, "scale": data.get("scale") or 1}
        if kind == "bands":
            return {"type": kind, "bands": data.get("bands") or []}
        if kind in ("minmax", "rescale_1_10"):
            rule: dict[str, Any] = {"type": kind, "direction": data.get("direction") or "positive"}
            if data.get("years"):
                rule["years"] = data["years"]
            return rule
        return {"type": kind}

    def values(self) -> dict[str, Any]:
        """What reform.editor takes (the parent is resolved by the view)."""
        data = self.cleaned_data
        leaf = data.get("leaf") or Criterion.Leaf.ASSESSED
        out = {
            "name": data["name"],
            "name_en": data.get("name_en", ""),
            "maximum": data.get("maximum"),
            "weight": data.get("weight"),
            "leaf": leaf,
            "rule": self.rule() if leaf == Criterion.Leaf.SURVEY else None,
            "component": data.get("component", "") if leaf == Criterion.Leaf.SURVEY else "",
        }
        if not data.get("parent"):
            out["kind"] = data.get("kind") or "domain"
        return out


def initial_of(criterion: Criterion) -> dict[str, Any]:
    rule = criterion.rule or {}
    return {
        "code": criterion.code,
        "name": criterion.name,
        "name_en": criterion.name_en,
        "parent": criterion.parent.code if criterion.parent_id else "",
        "kind": criterion.kind if criterion.parent_id is None else "domain",
        "maximum": criterion.maximum,
        "weight": criterion.weight,
        "leaf": criterion.leaf or Criterion.Leaf.ASSESSED,
        "rule_type": rule.get("type", ""),
        "scale": rule.get("scale"),
        "bands": "; ".join(f"{t:g}:{p:g}" for t, p in rule.get("bands", [])),
        "direction": rule.get("direction", "positive"),
        "years": rule.get("years"),
        "component": criterion.component,
    }
