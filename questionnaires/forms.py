"""Builder forms: a question, a section, the questionnaire settings, in both languages.

Each form turns designer input into the definition's JSON and back; whether the result
is a valid questionnaire is decided by the validator when the service saves it.
"""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from questionnaires.definition import QUESTION_TYPES, SATISFACTION_LABELS
from questionnaires.models import Questionnaire
from questionnaires.validation import TYPE_LABELS

# Django's own message for a bad slug has no Vietnamese translation.
CODE_ERRORS = {"invalid": _("Use only letters without accents, digits, _ and -.")}
ITEM_CODE_ERRORS = {
    "invalid": _("Start with a letter or _, then only letters without accents, digits or _.")
}
LINES_HELP = _("One per line: code | Vietnamese | English")


def _text(vi: str, en: str) -> dict[str, str]:
    return {k: v.strip() for k, v in (("vi", vi), ("en", en)) if v and v.strip()}


def _lines(text: str) -> list[tuple[str, dict[str, str]]]:
    """``value | Vietnamese | English`` lines → [(value, {"vi": ..., "en": ...})]."""
    rows = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        parts += [""] * (3 - len(parts))
        rows.append((parts[0], _text(parts[1], parts[2])))
    return rows


def _unlines(rows: list[tuple[Any, dict[str, str] | None]]) -> str:
    return "\n".join(
        f"{value} | {(text or {}).get('vi', '')} | {(text or {}).get('en', '')}"
        for value, text in rows
    )


def _number(value: Any) -> int | float | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else float(value)


class NewQuestionnaireForm(forms.Form):
    code = forms.SlugField(label=_("Code"), max_length=64, error_messages=CODE_ERRORS)
    title_vi = forms.CharField(label=_("Title (Vietnamese)"), max_length=300)
    title_en = forms.CharField(label=_("Title (English)"), max_length=300, required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=Questionnaire.Kind.choices)


class DuplicateForm(forms.Form):
    code = forms.SlugField(label=_("Code of the copy"), max_length=64, error_messages=CODE_ERRORS)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("JSON or XLSForm (.xlsx) file"))
    publish = forms.BooleanField(label=_("Publish right away"), required=False)


class SettingsForm(forms.Form):
    title_vi = forms.CharField(label=_("Title (Vietnamese)"), max_length=300)
    title_en = forms.CharField(label=_("Title (English)"), max_length=300, required=False)
    description_vi = forms.CharField(
        label=_("Introduction (Vietnamese)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    description_en = forms.CharField(
        label=_("Introduction (English)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=Questionnaire.Kind.choices)
    components = forms.CharField(
        label=_("Index components"),
        help_text=LINES_HELP,
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "class": "mono"}),
    )
    calculations = forms.CharField(
        label=_("Calculated values"),
        required=False,
        help_text=_("One per line: code = expression, e.g. access_mean = mean(a1, a2, a3)"),
        widget=forms.Textarea(attrs={"rows": 4, "class": "mono"}),
    )

    @classmethod
    def initial_from(cls, definition: dict[str, Any]) -> dict[str, Any]:
        title = definition.get("title") or {}
        description = definition.get("description") or {}
        labels = {c.get("code"): c.get("label") for c in definition.get("calculations", [])}
        return {
            "title_vi": title.get("vi", ""),
            "title_en": title.get("en", ""),
            "description_vi": description.get("vi", ""),
            "description_en": description.get("en", ""),
            "kind": definition.get("kind", "other"),
            "components": _unlines(
                [(c["code"], c.get("label")) for c in definition.get("components", [])]
            ),
            "calculations": "\n".join(
                f"{c['code']} = {c['expression']}" for c in definition.get("calculations", [])
            ),
            "_calculation_labels": labels,
        }

    def changes(self, definition: dict[str, Any]) -> dict[str, Any]:
        data = self.cleaned_data
        old_components = {c.get("code"): c for c in definition.get("components", [])}
        old_calculations = {c.get("code"): c for c in definition.get("calculations", [])}
        components = []
        for code, label in _lines(data["components"]):
            component = {**old_components.get(code, {}), "code": code}
            if label:
                component["label"] = label
            components.append(component)
        calculations = []
        for line in (data["calculations"] or "").splitlines():
            if not line.strip():
                continue
            code, _sep, expression = line.partition("=")
            code = code.strip()
            calculations.append(
                {**old_calculations.get(code, {}), "code": code, "expression": expression.strip()}
            )
        return {
            "title": _text(data["title_vi"], data["title_en"]),
            "description": _text(data["description_vi"], data["description_en"]),
            "kind": data["kind"],
            "components": components,
            "calculations": calculations,
        }


class SectionForm(forms.Form):
    code = forms.RegexField(
        label=_("Code"),
        regex=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$",
        max_length=64,
        error_messages=ITEM_CODE_ERRORS,
    )
    title_vi = forms.CharField(label=_("Title (Vietnamese)"), max_length=300)
    title_en = forms.CharField(label=_("Title (English)"), max_length=300, required=False)
    description_vi = forms.CharField(
        label=_("Description (Vietnamese)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    description_en = forms.CharField(
        label=_("Description (English)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    relevant = forms.CharField(
        label=_("Show only if"),
        required=False,
        max_length=2000,
        help_text=_(
            "A condition on earlier questions, e.g. q5 >= 4 and channel in ['online', 'counter']"
        ),
        widget=forms.TextInput(attrs={"class": "mono"}),
    )

    @classmethod
    def initial_from(cls, section: dict[str, Any]) -> dict[str, Any]:
        title, description = section.get("title") or {}, section.get("description") or {}
        return {
            "code": section.get("code", ""),
            "title_vi": title.get("vi", ""),
            "title_en": title.get("en", ""),
            "description_vi": description.get("vi", ""),
            "description_en": description.get("en", ""),
            "relevant": section.get("relevant", ""),
        }

    def section(self, original: dict[str, Any] | None = None) -> dict[str, Any]:
        data = self.cleaned_data
        managed = {"code", "title", "description", "relevant"}
        kept = {k: v for k, v in (original or {}).items() if k not in managed}
        return {
            **kept,
            "code": data["code"],
            "title": _text(data["title_vi"], data["title_en"]),
            "description": _text(data["description_vi"], data["description_en"]),
            "relevant": data["relevant"].strip(),
        }


class QuestionForm(forms.Form):
    """Every setting of a question; the page shows the fields of the chosen type."""

    code = forms.RegexField(
        label=_("Code"),
        regex=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$",
        max_length=64,
        error_messages=ITEM_CODE_ERRORS,
        help_text=_("Stable: answers and analysis are keyed by it."),
    )
    type = forms.ChoiceField(label=_("Type"), choices=[(t, TYPE_LABELS[t]) for t in QUESTION_TYPES])
    label_vi = forms.CharField(
        label=_("Question (Vietnamese)"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )
    label_en = forms.CharField(
        label=_("Question (English)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    help_vi = forms.CharField(label=_("Help text (Vietnamese)"), required=False, max_length=1000)
    help_en = forms.CharField(label=_("Help text (English)"), required=False, max_length=1000)
    required = forms.BooleanField(label=_("An answer is required"), required=False)
    relevant = forms.CharField(
        label=_("Show only if"),
        required=False,
        max_length=2000,
        help_text=_(
            "A condition on earlier questions, e.g. q5 >= 4 and channel in ['online', 'counter']"
        ),
        widget=forms.TextInput(attrs={"class": "mono"}),
    )
    choices = forms.CharField(
        label=_("Choices"),
        required=False,
        help_text=_("One per line: value | Vietnamese | English"),
        widget=forms.Textarea(attrs={"rows": 5, "class": "mono"}),
    )
    scale_min = forms.IntegerField(label=_("Scale from"), required=False, min_value=0, max_value=10)
    scale_max = forms.IntegerField(label=_("Scale to"), required=False, min_value=1, max_value=10)
    scale_labels = forms.CharField(
        label=_("Label of each point"),
        required=False,
        help_text=_("One per line: point | Vietnamese | English"),
        widget=forms.Textarea(attrs={"rows": 5, "class": "mono"}),
    )
    not_applicable = forms.BooleanField(label=_("Offer “not applicable”"), required=False)
    dont_know = forms.BooleanField(label=_("Offer “don't know”"), required=False)
    items = forms.CharField(
        label=_("Rows of the matrix"),
        required=False,
        help_text=LINES_HELP,
        widget=forms.Textarea(attrs={"rows": 4, "class": "mono"}),
    )
    v_min = forms.FloatField(label=_("Minimum"), required=False)
    v_max = forms.FloatField(label=_("Maximum"), required=False)
    v_integer = forms.BooleanField(label=_("Whole numbers only"), required=False)
    v_pattern = forms.CharField(
        label=_("Pattern (regular expression)"),
        required=False,
        max_length=300,
        widget=forms.TextInput(attrs={"class": "mono"}),
    )
    v_max_length = forms.IntegerField(label=_("Maximum length"), required=False, min_value=1)
    v_min_selections = forms.IntegerField(
        label=_("At least … selections"), required=False, min_value=0
    )
    v_max_selections = forms.IntegerField(
        label=_("At most … selections"), required=False, min_value=1
    )
    constraint = forms.CharField(
        label=_("Accept the answer only if"),
        required=False,
        max_length=2000,
        widget=forms.TextInput(attrs={"class": "mono"}),
    )
    constraint_message_vi = forms.CharField(
        label=_("Message when refused (Vietnamese)"), required=False, max_length=300
    )
    constraint_message_en = forms.CharField(
        label=_("Message when refused (English)"), required=False, max_length=300
    )
    scoring_component = forms.ChoiceField(label=_("Feeds the index component"), required=False)
    scoring_satisfied = forms.CharField(
        label=_("Answers that count as satisfied"),
        required=False,
        max_length=200,
        help_text=_("Separated by spaces, e.g. 4 5"),
    )
    scoring_reverse = forms.BooleanField(label=_("Reverse-coded item"), required=False)
    profile = forms.BooleanField(label=_("Respondent profile (used for weighting)"), required=False)

    MANAGED = frozenset(
        {
            "code",
            "type",
            "label",
            "help",
            "required",
            "relevant",
            "choices",
            "scale",
            "items",
            "validation",
            "constraint",
            "constraint_message",
            "scoring",
            "profile",
        }
    )

    def __init__(
        self, *args: Any, components: list[dict[str, Any]] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["scoring_component"].choices = [("", "—")] + [
            (c["code"], c["code"]) for c in components or []
        ]

    @classmethod
    def initial_for_new(cls, kind: str = "rating") -> dict[str, Any]:
        return {
            "type": kind,
            "required": True,
            "scale_min": 1,
            "scale_max": 5,
            "scale_labels": _unlines(list(SATISFACTION_LABELS.items())),
            "not_applicable": True,
        }

    @classmethod
    def initial_from(cls, question: dict[str, Any]) -> dict[str, Any]:
        scale = question.get("scale") or {}
        rules = question.get("validation") or {}
        scoring = question.get("scoring") or {}
        label, help_text = question.get("label") or {}, question.get("help") or {}
        message = question.get("constraint_message") or {}
        return {
            "code": question.get("code", ""),
            "type": question.get("type", "text"),
            "label_vi": label.get("vi", ""),
            "label_en": label.get("en", ""),
            "help_vi": help_text.get("vi", ""),
            "help_en": help_text.get("en", ""),
            "required": question.get("required", False),
            "relevant": question.get("relevant", ""),
            "choices": _unlines(
                [(c["value"], c.get("label")) for c in question.get("choices", [])]
            ),
            "scale_min": scale.get("min", 1 if scale else None),
            "scale_max": scale.get("max", 5 if scale else None),
            "scale_labels": _unlines(
                sorted((scale.get("labels") or {}).items(), key=lambda kv: int(kv[0]))
            ),
            "not_applicable": scale.get("not_applicable", False),
            "dont_know": scale.get("dont_know", False),
            "items": _unlines([(i["code"], i.get("label")) for i in question.get("items", [])]),
            "v_min": rules.get("min"),
            "v_max": rules.get("max"),
            "v_integer": rules.get("integer", False),
            "v_pattern": rules.get("pattern", ""),
            "v_max_length": rules.get("max_length"),
            "v_min_selections": rules.get("min_selections"),
            "v_max_selections": rules.get("max_selections"),
            "constraint": question.get("constraint", ""),
            "constraint_message_vi": message.get("vi", ""),
            "constraint_message_en": message.get("en", ""),
            "scoring_component": scoring.get("component", ""),
            "scoring_satisfied": " ".join(str(v) for v in scoring.get("satisfied", [])),
            "scoring_reverse": scoring.get("reverse", False),
            "profile": question.get("profile", False),
        }

    def question(self, original: dict[str, Any] | None = None) -> dict[str, Any]:
        """The question as JSON; keys the form does not manage are kept from ``original``."""
        data = self.cleaned_data
        kind = data["type"]
        question: dict[str, Any] = {
            k: v for k, v in (original or {}).items() if k not in self.MANAGED
        }
        question.update(
            {
                "code": data["code"],
                "type": kind,
                "label": _text(data["label_vi"], data["label_en"]),
                "required": bool(data["required"]),
            }
        )
        if _text(data["help_vi"], data["help_en"]):
            question["help"] = _text(data["help_vi"], data["help_en"])
        if data["relevant"].strip():
            question["relevant"] = data["relevant"].strip()
        if kind in {"single_choice", "multiple_choice"}:
            question["choices"] = [{"value": v, "label": t} for v, t in _lines(data["choices"])]
        if kind in {"rating", "matrix", "nps"}:
            scale: dict[str, Any] = {}
            if kind != "nps":
                scale["min"] = data["scale_min"] if data["scale_min"] is not None else 1
                scale["max"] = data["scale_max"] if data["scale_max"] is not None else 5
            labels = {str(p): t for p, t in _lines(data["scale_labels"]) if t}
            if labels or kind != "nps":
                scale["labels"] = labels
            if kind != "nps" or data["not_applicable"]:
                scale["not_applicable"] = bool(data["not_applicable"])
            if data["dont_know"]:
                scale["dont_know"] = True
            if scale:
                question["scale"] = scale
        if kind == "matrix":
            old_rows = {i.get("code"): i for i in (original or {}).get("items", [])}
            question["items"] = [
                {**old_rows.get(code, {}), "code": code, "label": text}
                for code, text in _lines(data["items"])
            ]
        rules: dict[str, Any] = {}
        if kind == "number":
            if data["v_min"] is not None:
                rules["min"] = _number(data["v_min"])
            if data["v_max"] is not None:
                rules["max"] = _number(data["v_max"])
            if data["v_integer"]:
                rules["integer"] = True
        if kind in {"text", "long_text"}:
            if data["v_pattern"]:
                rules["pattern"] = data["v_pattern"]
            if data["v_max_length"]:
                rules["max_length"] = data["v_max_length"]
        if kind == "multiple_choice":
            if data["v_min_selections"] is not None:
                rules["min_selections"] = data["v_min_selections"]
            if data["v_max_selections"] is not None:
                rules["max_selections"] = data["v_max_selections"]
        if rules:
            question["validation"] = rules
        if data["constraint"].strip():
            question["constraint"] = data["constraint"].strip()
            message = _text(data["constraint_message_vi"], data["constraint_message_en"])
            if message:
                question["constraint_message"] = message
        if data["scoring_component"]:
            satisfied: list[Any] = [
                int(v) if v.lstrip("-").isdigit() and kind in {"rating", "matrix", "nps"} else v
                for v in data["scoring_satisfied"].split()
            ]
            scoring: dict[str, Any] = {
                "component": data["scoring_component"],
                "reverse": bool(data["scoring_reverse"]),
            }
            if satisfied:
                scoring["satisfied"] = satisfied
            question["scoring"] = scoring
        if data["profile"]:
            question["profile"] = True
        return question
