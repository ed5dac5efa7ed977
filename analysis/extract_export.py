"""The extract of a round for R, Stata and SPSS users: one ZIP holding

* ``answers.csv`` — one row per respondent of the round (UTF-8 with a BOM for Excel):
  the design variables (unit, stratum = the weighting cell, fpc = the cell's frame
  size), the base and final weights of the run's scheme, the profile and the scored
  answers;
* ``codebook.csv`` and ``codebook.html`` — every variable with its label, type, role and
  value labels;
* ``design.R`` (``survey::svydesign``) and ``design.do`` (``svyset``), ready to run
  beside the CSV;
* ``answers.sav`` and ``answers.dta`` with variable and value labels, written by
  pyreadstat (ReadStat, MIT-licensed, maintained since 2018): categories become numeric
  codes with their labels, as SPSS and Stata expect.

Respondents are numbered 1…n in response order; no database id or personal data leaves.
"""

from __future__ import annotations

import csv
import io
import math
import re
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from analysis.loaders import round_frame, round_load, round_margins, round_versions
from analysis.models import AnalysisRun
from analysis.round_config import scheme_of, spec_of, variables_needed
from analysis.weighting import variable_values, weights_compute
from org.models import AdministrativeUnit
from questionnaires.definition import iter_questions, label, scored_items

CHOICE_TYPES = {"single_choice", "yes_no"}


@dataclass
class Variable:
    name: str
    label: str
    kind: str  # "numeric" or "string"
    role: str
    values: dict[str, str] = field(default_factory=dict)  # value → label
    data: list[Any] = field(default_factory=list)


def _safe(name: str) -> str:
    """A name R, Stata and SPSS all accept: letters, digits, underscore, ≤ 32 chars."""
    out = re.sub(r"[^A-Za-z0-9_]", "_", name)
    if not out or not out[0].isalpha():
        out = f"v_{out}"
    return out[:32]


def _definitions(run: AnalysisRun) -> tuple[list[dict], list[dict]]:
    """The choice questions and scored items of the round's versions (latest wins)."""
    choices: dict[str, dict] = {}
    items: dict[str, dict] = {}
    for version in round_versions(run.round):
        for question in iter_questions(version.definition):
            if question.get("type") in CHOICE_TYPES:
                choices[question["code"]] = question
        for item in scored_items(version.definition):
            items[item.get("answer_path") or item["code"]] = item
    return list(choices.values()), list(items.values())


def extract_variables(*, run: AnalysisRun) -> list[Variable]:
    """The extract's columns, in order, with their codebook entries."""
    survey_round = run.round
    language = get_language() or "vi"
    scheme, spec = scheme_of(survey_round), spec_of(survey_round)
    choice_questions, items = _definitions(run)
    wanted = variables_needed(scheme, spec)
    for question in choice_questions:
        if question["code"] not in wanted:
            wanted.append(question["code"])
    data = round_load(survey_round, wanted)
    n = len(data.leaf_unit)
    units = dict(AdministrativeUnit.objects.values_list("id", "code"))
    unit_names = dict(AdministrativeUnit.objects.values_list("code", "name"))
    unit_codes = [units.get(int(u), "") for u in data.leaf_unit]
    first = scheme[0] if scheme and scheme[0].get("step") == "cell_weights" else None
    if first is not None:
        by = list(first.get("by", ["unit"]))
        cells = variable_values({**data.columns, "unit": np.array(unit_codes)}, "+".join(by))
    else:
        by, cells = [], np.full(n, "all")
    if n >= 2:
        from analysis.dashboard import round_eligible_of

        weighting = weights_compute(
            columns=data.columns,
            frame=round_frame(survey_round),
            margins=round_margins(survey_round),
            steps=scheme,
            eligible=round_eligible_of(survey_round),
        )
        base, final, design = weighting.base, weighting.final, weighting.design
        fpc = design.stages[0].unit_popsize[design.psu] if design.has_fpc else np.full(n, np.inf)
    else:  # no design with fewer than two respondents (analysis.compute does the same)
        base = final = np.ones(n)
        fpc = np.full(n, np.inf)

    variables = [
        Variable("respondent", _("Respondent number"), "numeric", "id", data=list(range(1, n + 1))),
        Variable(
            "unit",
            _("Administrative unit (code)"),
            "string",
            "design",
            {code: unit_names.get(code, "") for code in sorted(set(unit_codes))},
            unit_codes,
        ),
        Variable(
            "stratum",
            _("Stratum: the weighting cell (%(by)s)") % {"by": " × ".join(by) or "—"},
            "string",
            "design",
            data=[str(c) for c in cells],
        ),
        Variable(
            "fpc",
            _("Population size of the stratum (frame transactions)"),
            "numeric",
            "design",
            data=[float(x) if math.isfinite(x) else None for x in fpc],
        ),
        Variable(
            "base_weight",
            _("Base weight (frame / respondents of the cell)"),
            "numeric",
            "weight",
            data=[float(x) for x in base],
        ),
        Variable(
            "weight",
            _("Final weight (run %(run)s)") % {"run": run.pk},
            "numeric",
            "weight",
            data=[float(x) for x in final],
        ),
    ]
    for name in ("sector", "channel"):
        question = next((q for q in choice_questions if q["code"] == name), None)
        if question is None and name in data.columns:
            variables.append(
                Variable(name, name, "string", "design", data=list(data.columns[name]))
            )
    for question in choice_questions:
        code = question["code"]
        if code not in data.columns:
            continue
        values = {
            str(c.get("value")): label(c.get("label"), language)
            for c in question.get("choices", [])
        }
        if question.get("type") == "yes_no":
            values = {"yes": _("Yes"), "no": _("No")}
        variables.append(
            Variable(
                _safe(code),
                label(question.get("label"), language),
                "string",
                "profile",
                values,
                [str(v) for v in data.columns[code]],
            )
        )
    for j, name in enumerate(data.items):
        item = next((i for i in items if (i.get("answer_path") or i["code"]) == name), {})
        scale = item.get("scale") or {}
        values = {str(k): label(v, language) for k, v in (scale.get("labels") or {}).items()}
        column = data.values[:, j]
        variables.append(
            Variable(
                _safe(name),
                label(item.get("label"), language),
                "numeric",
                "answer",
                values,
                [None if np.isnan(x) else float(x) for x in column],
            )
        )
    return variables


def _csv(variables: list[Variable]) -> bytes:
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow([v.name for v in variables])
    n = len(variables[0].data) if variables else 0
    for i in range(n):
        writer.writerow(["" if (x := v.data[i]) is None else _number(x) for v in variables])
    return buffer.getvalue().encode("utf-8")


def _number(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    return value


def _codebook_csv(variables: list[Variable]) -> bytes:
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(
        [_("Variable"), _("Variable label"), _("Data type"), _("Role"), _("Value labels")]
    )
    for v in variables:
        writer.writerow(
            [
                v.name,
                v.label,
                v.kind,
                v.role,
                "; ".join(f"{value} = {text}" for value, text in v.values.items()),
            ]
        )
    return buffer.getvalue().encode("utf-8")


def _r_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _r_population(variable: str, targets: dict[str, float]) -> str:
    categories = ", ".join(_r_string(c) for c in sorted(targets))
    totals = ", ".join(f"{targets[c]:g}" for c in sorted(targets))
    name = _safe(variable)
    return f"pop_{name} <- data.frame({name} = c({categories}), Freq = c({totals}))"


def _r_scheme(scheme: list[dict[str, Any]], margins: dict[str, dict[str, float]]) -> list[str]:
    """The scheme's adjustments redone in R on the base weights (survey's rake,
    postStratify and trimWeights), so that the variances account for them; steps R
    cannot be given from answers.csv alone are left as comments."""
    lines: list[str] = []
    current = "base"
    for step in scheme[1:] if scheme and scheme[0].get("step") == "cell_weights" else scheme:
        kind = step.get("step")
        names = [step["margin"]] if kind == "poststratify" else list(step.get("margins", []))
        if kind in {"rake", "poststratify"} and all("+" not in v and v in margins for v in names):
            lines += [_r_population(v, margins[v]) for v in names]
            if kind == "rake":
                formulas = ", ".join(f"~{_safe(v)}" for v in names)
                tables = ", ".join(f"pop_{_safe(v)}" for v in names)
                lines.append(f"adjusted <- rake({current}, list({formulas}), list({tables}))")
            else:
                v = names[0]
                lines.append(f"adjusted <- postStratify({current}, ~{_safe(v)}, pop_{_safe(v)})")
            current = "adjusted"
        elif kind == "trim":
            scale = f" * mean(weights({current}))" if step.get("relative", True) else ""
            bounds = []
            if "upper" in step:
                bounds.append(f"upper = {step['upper']:g}{scale}")
            if "lower" in step:
                bounds.append(f"lower = {step['lower']:g}{scale}")
            strict = "TRUE" if step.get("strict") else "FALSE"
            lines.append(
                f"adjusted <- trimWeights({current}, {', '.join(bounds)}, strict = {strict})"
            )
            current = "adjusted"
        else:
            lines.append(f"# step {kind} ({', '.join(names)}): see the round's weighting scheme")
    return lines


def _r_snippet(
    run: AnalysisRun,
    has_fpc: bool,
    scheme: list[dict[str, Any]] | None = None,
    margins: dict[str, dict[str, float]] | None = None,
) -> str:
    fpc = ", fpc = ~fpc" if has_fpc else ""
    text = (
        f"# {run.round.name} — run {run.pk}: the design of answers.csv (R, package survey)\n"
        "library(survey)\n"
        'answers <- read.csv("answers.csv", fileEncoding = "UTF-8-BOM", stringsAsFactors = FALSE)\n'
        'options(survey.lonely.psu = "remove")\n'
        "# The final weights as they are:\n"
        f"design <- svydesign(ids = ~1, strata = ~stratum, weights = ~weight{fpc},\n"
        "                    data = answers)\n"
        "# e.g. the share of satisfied answers (4 or 5) to question a1, by unit:\n"
        "# svyby(~I(a1 >= 4), ~unit, subset(design, !is.na(a1)), svymean)\n"
    )
    adjustments = _r_scheme(scheme or [], margins or {})
    if adjustments:
        text += (
            "\n# The scheme redone from the base weights, so that the standard errors account\n"
            "# for the adjustments as the run's do:\n"
            f"base <- svydesign(ids = ~1, strata = ~stratum, weights = ~base_weight{fpc},\n"
            "                  data = answers)\n" + "\n".join(adjustments) + "\n"
        )
    return text


def _stata_snippet(run: AnalysisRun, has_fpc: bool) -> str:
    fpc = " fpc(fpc)" if has_fpc else ""
    return (
        f"* {run.round.name} — run {run.pk}: the design of answers.csv (Stata)\n"
        'import delimited using "answers.csv", encoding("utf-8") varnames(1) clear\n'
        "encode stratum, generate(stratum_id)\n"
        f"svyset _n [pweight = weight], strata(stratum_id){fpc} singleunit(certainty)\n"
        "* or: use answers.dta, clear (with variable and value labels)\n"
        "* e.g. svy: mean a1, over(unit)\n"
    )


def _coded(variable: Variable) -> tuple[list[float | None], dict[float, str]]:
    """A categorical string column as numeric codes 1…k with value labels."""
    order = list(variable.values) + sorted(
        {x for x in variable.data if x and x not in variable.values}
    )
    codes = {value: float(i) for i, value in enumerate(order, start=1)}
    labels = {codes[value]: variable.values.get(value, value) for value in order}
    return [codes.get(x) if x else None for x in variable.data], labels


def _spss_stata(variables: list[Variable], title: str) -> dict[str, bytes]:
    """answers.sav and answers.dta with variable and value labels (pyreadstat)."""
    import pandas as pd
    import pyreadstat

    columns: dict[str, Any] = {}
    value_labels: dict[str, dict[float, str]] = {}
    for v in variables:
        if v.kind == "string" and (v.role == "profile" or v.name == "unit"):
            codes, value_labels[v.name] = _coded(v)
            columns[v.name] = np.array([np.nan if x is None else x for x in codes], dtype=float)
        elif v.kind == "string":
            columns[v.name] = ["" if x is None else str(x) for x in v.data]
        else:
            columns[v.name] = np.array([np.nan if x is None else x for x in v.data], dtype=float)
            if v.values:
                value_labels[v.name] = {float(k): text for k, text in v.values.items()}
    frame = pd.DataFrame(columns)
    labels = {v.name: v.label[:80] for v in variables}
    out = {}
    with tempfile.TemporaryDirectory() as directory:
        sav, dta = Path(directory) / "answers.sav", Path(directory) / "answers.dta"
        pyreadstat.write_sav(
            frame,
            str(sav),
            file_label=title[:64],
            column_labels=labels,
            variable_value_labels=value_labels,
        )
        stata_labels = {
            name: {int(k): text for k, text in mapping.items()}
            for name, mapping in value_labels.items()
        }
        pyreadstat.write_dta(
            frame,
            str(dta),
            file_label=title[:80],
            column_labels=labels,
            variable_value_labels=stata_labels,
        )
        out["answers.sav"] = sav.read_bytes()
        out["answers.dta"] = dta.read_bytes()
    return out


def round_extract_zip(*, run: AnalysisRun) -> tuple[bytes, int]:
    """The ZIP's bytes and the number of respondents in it."""
    variables = extract_variables(run=run)
    n = len(variables[0].data)
    has_fpc = any(x is not None for x in next(v for v in variables if v.name == "fpc").data)
    survey_round = run.round
    from analysis.dashboard import INPUT_LABELS, dashboard_weights  # cached per run

    weights = dashboard_weights(run=run)
    html = render_to_string(
        "analysis/codebook.html",
        {
            "round": survey_round,
            "run": run,
            "changed": [str(INPUT_LABELS.get(k, k)) for k in (weights.changed if weights else [])],
            "variables": variables,
            "n": n,
            "generated_at": timezone.now(),
        },
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("answers.csv", _csv(variables))
        archive.writestr("codebook.csv", _codebook_csv(variables))
        archive.writestr("codebook.html", html.encode("utf-8"))
        r_code = _r_snippet(run, has_fpc, scheme_of(survey_round), round_margins(survey_round))
        archive.writestr("design.R", r_code.encode("utf-8"))
        archive.writestr("design.do", _stata_snippet(run, has_fpc).encode("utf-8"))
        for name, content in _spss_stata(variables, survey_round.name).items():
            archive.writestr(name, content)
    return buffer.getvalue(), n
