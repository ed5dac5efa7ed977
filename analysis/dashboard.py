"""Reads of the statistician's round dashboard: estimates of a unit and the units
below it (weighted beside unweighted, with CIs, n, effective n and suppression), the
weights of the latest run (distribution, trimming, margins, balance), response
monitoring, and earlier rounds mapped onto today's units.

Only reads: the run's weights are recomputed from the columnar extract as it stands
(no refresh here) and compared with the run's answer fingerprint, so the page says
when they no longer match the run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.core.cache import cache
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from analysis.diagnostics import (
    BalanceRow,
    Earlier,
    balance_asmd,
    balance_summary,
    estimate_map,
    response_projection,
)
from analysis.extracts import extract_fingerprint
from analysis.loaders import (
    round_eligible,
    round_frame,
    round_load,
    round_margins,
    round_versions,
)
from analysis.models import AnalysisRun, Estimate, SurveyRound
from analysis.round_config import publication_of, scheme_of, spec_of, variables_needed
from analysis.round_inputs import round_monitoring
from analysis.selectors import rounds_for_runs, run_latest
from analysis.weighting import WeightingError, variable_values, weights_compute
from org.models import AdministrativeUnit
from org.permissions import subtree_ids
from questionnaires.definition import label, scored_items
from survey.models import Response

logger = logging.getLogger(__name__)

SHARES = {"element_index", "item_share", "overall"}
VIEWS = ("elements", "item_share", "item_mean")
# The projection rule of the monitoring section (stated on the page).
PROJECTION_WINDOW_DAYS = 14
MAX_SERIES = 6  # lines of the responses-per-day chart; the rest are summed as "others"
EARLIER_ROUNDS = 4
# A run's inputs (analysis.tasks.run_inputs) as the pages name them.
INPUT_LABELS = {
    "answers": gettext_lazy("the answers"),
    "frame": gettext_lazy("the frame"),
    "margins": gettext_lazy("the margins"),
    "scheme": gettext_lazy("the weighting scheme"),
    "spec": gettext_lazy("the estimation spec"),
    "publication": gettext_lazy("the publication rule"),
    "invitations": gettext_lazy("the invitations issued"),
}


# --- scope and labels ---------------------------------------------------------------


def dashboard_round(*, user: Any, code: str) -> SurveyRound | None:
    """The round, if the user may review it (statisticians of its scope)."""
    return (
        rounds_for_runs(user=user)
        .select_related("scope", "questionnaire")
        .filter(code=code)
        .first()
    )


def dashboard_focus(
    *, survey_round: SurveyRound, unit_code: str | None
) -> AdministrativeUnit | None:
    """The unit the dashboard looks at: the round's scope, or a unit below it (None for a
    unit outside the round, which the page answers with 404)."""
    units = AdministrativeUnit.objects.select_related("level", "parent")
    if not unit_code:
        return units.get(pk=survey_round.scope_id)
    return units.filter(code=unit_code, pk__in=subtree_ids([survey_round.scope_id])).first()


def component_labels(survey_round: SurveyRound) -> dict[str, str]:
    """Element and item codes → labels in the active language (latest version wins)."""
    language = get_language() or "vi"
    labels: dict[str, str] = {}
    for version in round_versions(survey_round):
        definition = version.definition
        for component in definition.get("components", []):
            labels[component["code"]] = label(component.get("label"), language)
        for item in scored_items(definition):
            labels[item.get("answer_path") or item["code"]] = label(item.get("label"), language)
    labels["overall"] = _("Overall index")
    return labels


def unit_path(unit: AdministrativeUnit, stop_at: int) -> list[AdministrativeUnit]:
    """The breadcrumb from the round's scope down to ``unit``."""
    path = [unit]
    while path[-1].pk != stop_at and path[-1].parent_id is not None:
        path.append(AdministrativeUnit.objects.select_related("parent").get(pk=path[-1].parent_id))
    return list(reversed(path))


# --- estimates ----------------------------------------------------------------------


@dataclass
class Block:
    """One element (or item): the focus unit and the units below it, sorted."""

    code: str
    label: str
    statistic: str
    focus: Estimate | None
    rows: list[Estimate] = field(default_factory=list)

    @property
    def share(self) -> bool:
        return self.statistic in SHARES


def dashboard_estimates(
    *, run: AnalysisRun, focus: AdministrativeUnit, view: str, labels: dict[str, str]
) -> tuple[list[Block], list[AdministrativeUnit]]:
    """Blocks of estimates for ``focus`` and its children; the children with estimates
    (the drill-down). ``view``: "elements" (element indices and the overall index),
    "item_share" or "item_mean"."""
    statistics = ["element_index", "overall"] if view == "elements" else [view]
    children = list(
        AdministrativeUnit.objects.filter(parent=focus).select_related("level").order_by("code")
    )
    estimates = (
        Estimate.objects.filter(
            run=run,
            statistic__in=statistics,
            domain_variable="unit",
            unit__in=[focus, *children],
        )
        .select_related("unit__level")
        .order_by("component")
    )
    blocks: dict[tuple[str, str], Block] = {}
    for e in estimates:
        key = (e.statistic, e.component)
        block = blocks.setdefault(
            key, Block(e.component, labels.get(e.component, e.component), e.statistic, None)
        )
        if e.unit_id == focus.pk:
            block.focus = e
        else:
            block.rows.append(e)
    order = {code: i for i, code in enumerate(labels)}
    ordered = sorted(
        blocks.values(),
        key=lambda b: (b.statistic == "overall", order.get(b.code, len(order)), b.code),
    )
    for block in ordered:
        # Highest first; suppressed cells (not to be read as figures) at the bottom.
        block.rows.sort(key=lambda e: (e.suppressed, -e.estimate, e.unit.code))
    with_data = {e.unit_id for b in ordered for e in b.rows}
    return ordered, [c for c in children if c.pk in with_data]


def dashboard_profiles(*, run: AnalysisRun, labels: dict[str, str]) -> list[dict[str, Any]]:
    """Estimates by profile domain (sex, channel …) over the round's scope, if any."""
    rows = (
        Estimate.objects.filter(run=run, statistic__in=["element_index", "overall"])
        .exclude(domain_variable="unit")
        .order_by("domain_variable", "domain_value", "component")
    )
    return [
        {"estimate": e, "label": labels.get(e.component, e.component)}
        for e in rows.select_related("unit")
    ]


# --- weights ------------------------------------------------------------------------


@dataclass
class WeightsView:
    """What the page shows about a run's weights (recomputed from the extract)."""

    weights: np.ndarray
    changed: list[str]  # the run's inputs that differ today (answers, frame, margins …)
    balance: list[BalanceRow]
    balance_by_variable: dict[str, dict[str, float | None]]
    trim: dict[str, float] | None
    error: str = ""

    @property
    def matches_run(self) -> bool:
        return not self.changed


def round_eligible_of(survey_round: SurveyRound) -> list[tuple[dict[str, Any], float]]:
    """The invitations issued, when the round's scheme has nonresponse classes that
    count them (as analysis.tasks reads them for a run); else none."""
    from analysis.tasks import _counts_invitations

    scheme = scheme_of(survey_round)
    return round_eligible(survey_round) if _counts_invitations(scheme) else []


def inputs_changed(
    *,
    run: AnalysisRun,
    answers: str,
    frame: list[tuple[dict[str, Any], float]],
    margins: dict[str, dict[str, float]],
) -> list[str]:
    """The inputs of ``run`` (analysis.tasks.run_inputs) that differ today; ``answers`` is
    the fingerprint of the answers read with the variables the run reads."""
    from analysis.tasks import run_inputs

    survey_round = run.round
    now = run_inputs(
        answers,
        frame,
        margins,
        scheme_of(survey_round),
        spec_of(survey_round),
        survey_round,
        eligible=round_eligible_of(survey_round),
    )
    return [k for k in now if k != "code" and run.inputs.get(k) != now[k]]


def _cache_key(run: AnalysisRun) -> str:
    survey_round = run.round
    parts = [str(run.pk), json.dumps(run.inputs, sort_keys=True)]
    # today's instrument too: a margin or scheme changed since the run shows at once
    parts.append(
        json.dumps(
            [
                survey_round.weighting,
                survey_round.estimation,
                survey_round.publication,
                list(survey_round.margins.values_list("variable", "category", "target")),
                list(survey_round.frame_cells.values_list("unit_id", "sector", "channel", "count")),
            ],
            sort_keys=True,
            default=str,
        )
    )
    parts += [extract_fingerprint(version=v) for v in round_versions(run.round)]
    return "dashboard-weights:" + hashlib.sha256("|".join(parts).encode()).hexdigest()


def dashboard_weights(*, run: AnalysisRun) -> WeightsView | None:
    """The run's final weights, recomputed from the round's extract with the round's
    scheme, frame and margins; balance of the profile variables that have a population
    (margins, and the frame's sectors and channels) before and after weighting; and what
    the trim steps changed. Kept in the cache per run and extract content."""
    key = _cache_key(run)
    try:
        cached = cache.get(key)
    except Exception:  # a cache that is down only costs the recomputation
        cached = None
    if cached is not None:
        return cached
    view = _weights_compute(run)
    try:
        cache.set(key, view, 3600)
    except Exception:
        logger.warning("dashboard weights not cached (cache unavailable)")
    return view


def _weights_compute(run: AnalysisRun) -> WeightsView | None:
    survey_round = run.round
    scheme, spec = scheme_of(survey_round), spec_of(survey_round)
    margins = round_margins(survey_round)
    frame = round_frame(survey_round)
    needed = variables_needed(scheme, spec)
    variables = list(needed)
    for variable in margins:
        for part in variable.split("+"):
            if part not in variables:
                variables.append(part)
    data = round_load(survey_round, variables)
    n = len(data.leaf_unit)
    if n < 2:
        return None
    # The run fingerprinted the answers read with the variables it needs, no more.
    fingerprint = (
        data.fingerprint if variables == needed else round_load(survey_round, needed).fingerprint
    )
    changed = inputs_changed(run=run, answers=fingerprint, frame=frame, margins=margins)
    eligible = round_eligible_of(survey_round)
    try:
        weighting = weights_compute(
            columns=data.columns, frame=frame, margins=margins, steps=scheme, eligible=eligible
        )
    except WeightingError as error:
        return WeightsView(np.zeros(0), changed, [], {}, None, error=str(error))
    final = weighting.final
    targets: dict[str, dict[str, float]] = {k: dict(v) for k, v in margins.items()}
    for variable in ("sector", "channel"):
        if variable in targets:
            continue
        counts: dict[str, float] = defaultdict(float)
        for keys, count in frame:
            if keys.get(variable):
                counts[str(keys[variable])] += count
        if counts:
            targets[variable] = dict(counts)
    balance: list[BalanceRow] = []
    by_variable = {}
    for variable, target in targets.items():
        try:
            values = variable_values(data.columns, variable)
        except WeightingError:
            continue
        rows = balance_asmd(variable=variable, values=values, weights=final, target=target)
        balance += rows
        by_variable[variable] = balance_summary(rows)
    trim = None
    positions = [i for i, step in enumerate(scheme) if step.get("step") == "trim"]
    if positions:
        before = weights_compute(
            columns=data.columns,
            frame=frame,
            margins=margins,
            steps=scheme[: positions[0]],
            eligible=eligible,
        ).final
        moved = float(np.abs(final - before).sum() / 2)
        trim = {
            "max_before": float(before.max()),
            "max_after": float(final.max()),
            "deff_before": float(1 + np.var(before) / np.mean(before) ** 2),
            "deff_after": float(1 + np.var(final) / np.mean(final) ** 2),
            "moved_share": moved / float(final.sum()) if final.sum() else 0.0,
            "changed": int(np.count_nonzero(~np.isclose(before, final))),
        }
    return WeightsView(final, changed, balance, by_variable, trim)


# --- monitoring ---------------------------------------------------------------------


def _branches(focus: AdministrativeUnit) -> dict[int, int]:
    """Unit ids below ``focus`` → the id of the child of ``focus`` they lie under."""
    parent = dict(AdministrativeUnit.objects.values_list("id", "parent_id"))
    out: dict[int, int] = {focus.pk: focus.pk}
    for unit in subtree_ids([focus.pk]):
        walk, child = unit, unit
        while walk != focus.pk and walk is not None:
            child, walk = walk, parent.get(walk)
        if walk == focus.pk:
            out[unit] = child
    return out


@dataclass
class Monitoring:
    days: list[str]
    series: list[tuple[str, list[int]]]
    rows: list[dict[str, Any]]
    days_left: float
    window: int


def dashboard_monitoring(
    *, survey_round: SurveyRound, focus: AdministrativeUnit, now: dt.datetime | None = None
) -> Monitoring:
    """Responses per day per unit below ``focus``, and per unit: transactions, target,
    responses, response rate, progress and the projection to the period's end."""
    now = now or timezone.now()
    branches = _branches(focus)
    names = dict(
        AdministrativeUnit.objects.filter(pk__in=set(branches.values())).values_list("id", "name")
    )
    codes = dict(
        AdministrativeUnit.objects.filter(pk__in=set(branches.values())).values_list("id", "code")
    )
    responses = (
        Response.objects.filter(
            unit_id__in=list(branches),
            version__questionnaire=survey_round.questionnaire,
            submitted_at__gte=survey_round.period_start,
            submitted_at__lte=survey_round.period_end,
        )
        .annotate(day=TruncDate("submitted_at"))
        .values("unit_id", "day")
        .annotate(n=Count("id"))
    )
    per_day: dict[int, dict[dt.date, int]] = defaultdict(lambda: defaultdict(int))
    for row in responses:
        per_day[branches[row["unit_id"]]][row["day"]] += row["n"]
    all_days = sorted({d for counts in per_day.values() for d in counts})
    days: list[dt.date] = []
    if all_days:
        day = all_days[0]
        while day <= all_days[-1]:
            days.append(day)
            day += dt.timedelta(days=1)
    totals = sorted(per_day, key=lambda u: (-sum(per_day[u].values()), codes.get(u, "")))
    shown, rest = totals[:MAX_SERIES], totals[MAX_SERIES:]
    series = [(names.get(u, str(u)), [per_day[u].get(d, 0) for d in days]) for u in shown]
    if rest:
        series.append((_("Other units"), [sum(per_day[u].get(d, 0) for u in rest) for d in days]))

    # The sample plan per leaf unit (or cell), summed per unit below the focus.
    window_start = now - dt.timedelta(days=PROJECTION_WINDOW_DAYS)
    recent = dict(
        Response.objects.filter(
            unit_id__in=list(branches),
            version__questionnaire=survey_round.questionnaire,
            submitted_at__gte=max(window_start, survey_round.period_start),
            submitted_at__lte=min(now, survey_round.period_end),
        )
        .values("unit_id")
        .annotate(n=Count("id"))
        .values_list("unit_id", "n")
    )
    unit_ids = dict(
        AdministrativeUnit.objects.filter(pk__in=list(branches)).values_list("code", "id")
    )
    sums: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in round_monitoring(survey_round):
        unit = unit_ids.get(row["unit"])
        if unit is None:
            continue
        bucket = sums[branches[unit]]
        for key in ("transactions", "target", "responses"):
            bucket[key] += int(row[key])
    for unit, n in recent.items():
        if unit in branches and branches[unit] in sums:
            sums[branches[unit]]["recent"] += int(n)
    days_left = max((survey_round.period_end - now).total_seconds() / 86400, 0.0)
    rows = []
    for unit in sorted(sums, key=lambda u: codes.get(u, "")):
        s = sums[unit]
        projection = response_projection(
            responses=s["responses"],
            target=s["target"],
            recent=s["recent"],
            window_days=PROJECTION_WINDOW_DAYS,
            days_left=days_left,
        )
        rows.append(
            {
                "unit": names.get(unit, ""),
                "code": codes.get(unit, ""),
                "is_focus": unit == focus.pk,
                "transactions": s["transactions"],
                "target": s["target"],
                "responses": s["responses"],
                "response_rate": s["responses"] / s["transactions"] if s["transactions"] else None,
                "progress": s["responses"] / s["target"] if s["target"] else None,
                "recent": s["recent"],
                "projected": projection.projected,
                "at_risk": projection.at_risk,
            }
        )
    return Monitoring(
        days=[d.isoformat() for d in days],
        series=series,
        rows=rows,
        days_left=days_left,
        window=PROJECTION_WINDOW_DAYS,
    )


# --- earlier rounds -----------------------------------------------------------------


@dataclass
class Comparison:
    rounds: list[SurveyRound]
    component: str
    rows: list[dict[str, Any]]


def _predecessors(unit_ids: Iterable[int]) -> dict[int, list[int]]:
    """Each unit → every unit it came from (transitively), from one query of the edges."""
    through = AdministrativeUnit.successors.through
    backward: dict[int, list[int]] = defaultdict(list)
    for old, new in through.objects.values_list(
        "from_administrativeunit_id", "to_administrativeunit_id"
    ):
        backward[new].append(old)
    out = {}
    for unit in unit_ids:
        seen: list[int] = []
        frontier = [unit]
        while frontier:
            following = [p for u in frontier for p in backward.get(u, ()) if p not in seen]
            seen += following
            frontier = following
        out[unit] = seen
    return out


def dashboard_comparison(
    *,
    user: Any,
    survey_round: SurveyRound,
    run: AnalysisRun,
    focus: AdministrativeUnit,
    units: list[AdministrativeUnit],
    component: str = "overall",
) -> Comparison:
    """``component``'s estimate for the focus and its units in this round and in the
    earlier rounds the user may review (newest first, at most EARLIER_ROUNDS), each
    unit mapped through its predecessors when an earlier round had the old map."""
    statistic = "overall" if component == "overall" else "element_index"
    earlier = list(
        rounds_for_runs(user=user)
        .filter(period_start__lt=survey_round.period_start)
        .exclude(pk=survey_round.pk)
        .order_by("-period_start")[:EARLIER_ROUNDS]
    )
    runs = [(r, run_latest(survey_round=r)) for r in earlier]
    runs = [(r, x) for r, x in runs if x is not None]
    shown = [focus, *units]
    predecessors = _predecessors(u.pk for u in shown)
    codes = dict(AdministrativeUnit.objects.values_list("id", "code"))
    figures: list[dict[str, tuple[float, int, bool]]] = []
    for _round, earlier_run in [(survey_round, run), *runs]:
        figures.append(
            {
                code: (estimate, n, suppressed)
                for code, estimate, n, suppressed in Estimate.objects.filter(
                    run=earlier_run,
                    statistic=statistic,
                    component=component,
                    domain_variable="unit",
                ).values_list("unit__code", "estimate", "n", "suppressed")
            }
        )
    rows = []
    for unit in shown:
        old = [codes[p] for p in predecessors.get(unit.pk, [])]
        cells: list[Earlier] = [
            estimate_map(unit=unit.code, predecessors=old, earlier=f) for f in figures
        ]
        rows.append({"unit": unit, "is_focus": unit.pk == focus.pk, "cells": cells})
    return Comparison([survey_round, *[r for r, _x in runs]], component, rows)


def dashboard_publication(survey_round: SurveyRound) -> dict[str, Any]:
    return publication_of(survey_round)


def variable_labels(survey_round: SurveyRound) -> dict[str, tuple[str, dict[str, str]]]:
    """Question codes → (label, {value: value label}) in the active language, for the
    choice questions of the round's versions (the latest version wins)."""
    from questionnaires.definition import iter_questions

    language = get_language() or "vi"
    out: dict[str, tuple[str, dict[str, str]]] = {
        "unit": (_("Unit"), {}),
        "sector": (_("Sector"), {}),
        "channel": (_("Channel"), {}),
    }
    for version in round_versions(survey_round):
        for question in iter_questions(version.definition):
            values = {
                str(c.get("value")): label(c.get("label"), language)
                for c in question.get("choices", [])
            }
            if question.get("type") == "yes_no":
                values = {"yes": _("Yes"), "no": _("No")}
            out[question["code"]] = (label(question.get("label"), language), values)
    # The questions' texts are sentences; charts and tables need a short name.
    for code, short in (("sector", _("Sector")), ("channel", _("Channel"))):
        out[code] = (short, out[code][1])
    return out
