"""A round's frame and margins: uploaded (CSV/XLSX, checked row by row, all or nothing)
or computed from the registered transactions; and the sample plan's monitoring."""

import json
import math
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from analysis.loaders import round_frame
from analysis.models import FrameCell, MarginTarget, SurveyRound
from analysis.round_config import (
    RESPONSE_VARIABLES,
    EstimationSpec,
    RoundInstrument,
    plan_of,
)
from org.models import AdministrativeUnit
from org.permissions import subtree_ids
from org.services import Action, audit_record
from questionnaires.definition import iter_questions
from survey.imports import table_read
from survey.models import Channel, Invitation, Response, ServiceTransaction

MAX_ROWS = 200_000


@dataclass(frozen=True)
class Upload:
    stored: int
    errors: list[dict[str, Any]]


def _columns(header: list[str], required: list[str]) -> tuple[dict[str, int], list[dict]]:
    index = {name.strip().lower(): i for i, name in enumerate(header)}
    missing = [
        {"row": 1, "column": name, "message": _("The column is missing.")}
        for name in required
        if name not in index
    ]
    return index, missing


def _number(text: str) -> float | None:
    try:
        value = float(text.replace(" ", "").replace(",", ""))
    except ValueError:
        return None
    return value if math.isfinite(value) and value >= 0 else None


def round_units(survey_round: SurveyRound) -> dict[str, int]:
    """Codes → ids of the units the round covers."""
    ids = subtree_ids([survey_round.scope_id])
    return dict(AdministrativeUnit.objects.filter(id__in=ids).values_list("code", "id"))


FIRM_STRATA = ("firm_size", "firm_sector", "ownership")
# key of a frame cell: unit id, sector, channel, firm size, firm sector, ownership
CellKey = tuple[int, str, str, str, str, str]
LENGTHS = {"sector": 64, "channel": 16, "firm_size": 32, "firm_sector": 64, "ownership": 32}


def round_sectors(survey_round: SurveyRound) -> set[str]:
    """Sectors the round's data knows: its units' registered transactions in the period,
    and the sectors of its invitations and answers."""
    units = list(subtree_ids([survey_round.scope_id]))
    period = (survey_round.period_start, survey_round.period_end)
    known = set(
        ServiceTransaction.objects.filter(unit_id__in=units, completed_at__range=period)
        .values_list("sector", flat=True)
        .distinct()
    )
    for model in (Invitation, Response):
        known |= set(
            model.objects.filter(
                unit_id__in=units, version__questionnaire_id=survey_round.questionnaire_id
            )
            .values_list("sector", flat=True)
            .distinct()
        )
    return known - {""}


@transaction.atomic
def frame_upload(
    *, survey_round: SurveyRound, file_name: str, content: bytes, actor: Any = None
) -> Upload:
    """Replace the round's frame by a file with columns unit, count and optionally
    sector and channel (transactions) or firm_size, firm_sector and ownership (a firm
    round's strata: firms per unit × size × sector × ownership). Values are checked:
    units of the round, channels the survey knows, sectors the round's transactions,
    invitations or answers know (any sector while it has none), firm strata among the
    questionnaire's answers. Any bad row stores nothing; every bad row is reported with
    its row number in the file (the header is row 1)."""
    header, rows = table_read(file_name, content)
    index, errors = _columns(header, ["unit", "count"])
    if errors:
        return Upload(0, errors)
    if len(rows) > MAX_ROWS:
        return Upload(0, [{"row": 1, "column": "", "message": _("Too many rows.")}])
    units = round_units(survey_round)
    sectors = round_sectors(survey_round)
    channels = set(Channel.values)
    variables = round_variables(survey_round)
    cells: dict[CellKey, int] = {}
    for number, row in enumerate(rows, start=2):
        value = {k: (row[i] if i < len(row) else "").strip() for k, i in index.items()}
        if not any(value.values()):
            continue  # a blank line in the file
        problems: list[tuple[str, str]] = []
        unit = units.get(value.get("unit", ""))
        if unit is None:
            problems.append(("unit", _("Not a unit of this round.")))
        count = _number(value.get("count", ""))
        if count is None or count != int(count):
            problems.append(("count", _("A whole number, 0 or more.")))
        for column, size in LENGTHS.items():
            if len(value.get(column, "")) > size:
                problems.append((column, _("At most %(n)s characters.") % {"n": size}))
        sector, channel = value.get("sector", ""), value.get("channel", "")
        if sector and sectors and sector not in sectors and len(sector) <= LENGTHS["sector"]:
            problems.append(
                (
                    "sector",
                    _("Not a sector of this round's transactions or answers (%(known)s).")
                    % {"known": ", ".join(sorted(sectors)[:20])},
                )
            )
        if channel and channel not in channels:
            problems.append(
                (
                    "channel",
                    _("Not a channel (one of: %(channels)s).")
                    % {"channels": ", ".join(sorted(channels))},
                )
            )
        for column in FIRM_STRATA:
            allowed = variables.get(column)
            given = value.get(column, "")
            if given and allowed is not None and given not in allowed:
                problems.append(
                    (
                        column,
                        _("Not an answer of %(variable)s (one of: %(answers)s).")
                        % {"variable": column, "answers": ", ".join(sorted(allowed))},
                    )
                )
        key: CellKey = (
            unit or 0,
            sector,
            channel,
            *(value.get(column, "") for column in FIRM_STRATA),
        )  # type: ignore[assignment]
        if not problems and key in cells:
            problems.append(("unit", _("This cell is listed twice.")))
        errors += [{"row": number, "column": c, "message": m} for c, m in problems]
        if not problems and count is not None:
            cells[key] = int(count)
    if errors:
        return Upload(0, errors)
    return Upload(_frame_replace(survey_round, cells, FrameCell.Source.UPLOAD, actor), [])


@transaction.atomic
def frame_from_transactions(*, survey_round: SurveyRound, actor: Any = None) -> int:
    """Store the frame as the round's registered transactions by unit × sector × channel."""
    survey_round.frame_cells.all().delete()
    cells: dict[CellKey, int] = {
        (int(keys["unit"]), keys["sector"], keys["channel"], "", "", ""): int(count)
        for keys, count in round_frame(survey_round)
    }
    return _frame_replace(survey_round, cells, FrameCell.Source.TRANSACTIONS, actor)


def _frame_replace(
    survey_round: SurveyRound, cells: dict[CellKey, int], source: str, actor: Any
) -> int:
    before = survey_round.frame_cells.count()
    survey_round.frame_cells.all().delete()
    FrameCell.objects.bulk_create(
        FrameCell(
            round=survey_round,
            unit_id=u,
            sector=s,
            channel=c,
            firm_size=size,
            firm_sector=firm_sector,
            ownership=ownership,
            count=count,
            source=source,
        )
        for (u, s, c, size, firm_sector, ownership), count in cells.items()
    )
    audit_record(
        actor=actor,
        action=Action.FRAME_CHANGE,
        obj=survey_round,
        before={"cells": before},
        after={"cells": len(cells), "transactions": sum(cells.values()), "source": source},
        unit=survey_round.scope,
    )
    return len(cells)


def round_variables(survey_round: SurveyRound) -> dict[str, set[str] | None]:
    """Variables margins and domains may use → their categories (None: any value)."""
    known: dict[str, set[str] | None] = dict.fromkeys(RESPONSE_VARIABLES)
    known["unit"] = set(round_units(survey_round))
    for version in survey_round.questionnaire.versions.all():
        for question in iter_questions(version.definition):
            if question.get("type") in {"single_choice", "yes_no"}:
                values = {str(c.get("value")) for c in question.get("choices", [])}
                if question.get("type") == "yes_no":
                    values |= {"yes", "no"}
                known[question["code"]] = (known.get(question["code"]) or set()) | values
    return known


@transaction.atomic
def margins_upload(
    *, survey_round: SurveyRound, file_name: str, content: bytes, actor: Any = None
) -> Upload:
    """Replace the round's margins by a file with columns variable, category, target.

    A variable is a question of the questionnaire (single choice, yes/no), a response
    field (sector, channel, firm profile) or a combination ``a+b`` (category ``x+y``);
    categories must be answers the question allows. Each variable's targets must add up
    to the same population total. Any bad row stores nothing.
    """
    header, rows = table_read(file_name, content)
    index, errors = _columns(header, ["variable", "category", "target"])
    if errors:
        return Upload(0, errors)
    known = round_variables(survey_round)
    targets: dict[tuple[str, str], float] = {}
    first_row: dict[str, int] = {}
    for number, row in enumerate(rows, start=2):
        value = {k: (row[i] if i < len(row) else "").strip() for k, i in index.items()}
        if not any(value.values()):
            continue  # a blank line in the file
        variable, category = value.get("variable", ""), value.get("category", "")
        first_row.setdefault(variable, number)
        parts, categories = variable.split("+"), category.split("+")
        unknown = [p for p in parts if p not in known]
        if not variable or unknown:
            errors.append(
                {
                    "row": number,
                    "column": "variable",
                    "message": _("Unknown variable: %(names)s") % {"names": ", ".join(unknown)},
                }
            )
        elif len(parts) != len(categories) or any(
            known[p] is not None and c not in known[p]  # type: ignore[operator]
            for p, c in zip(parts, categories, strict=False)
        ):
            errors.append(
                {
                    "row": number,
                    "column": "category",
                    "message": _("Not an answer of %(variable)s.") % {"variable": variable},
                }
            )
        target = _number(value.get("target", ""))
        if target is None:
            errors.append({"row": number, "column": "target", "message": _("A number, 0 or more.")})
        if (variable, category) in targets:
            errors.append({"row": number, "column": "category", "message": _("Listed twice.")})
        if target is not None:
            targets[(variable, category)] = target
    totals: dict[str, float] = {}
    for (variable, _category), target in targets.items():
        totals[variable] = totals.get(variable, 0.0) + target
    if not errors and len({round(t, 6) for t in totals.values()}) > 1:
        # Reported on the first row of each variable that disagrees with the first one.
        reference = round(next(iter(totals.values())), 6)
        listed = ", ".join(f"{v} = {t:g}" for v, t in sorted(totals.items()))
        errors += [
            {
                "row": first_row[variable],
                "column": "target",
                "message": _("The margins add up to different totals: %(totals)s")
                % {"totals": listed},
            }
            for variable, total in totals.items()
            if round(total, 6) != reference
        ]
    if errors:
        return Upload(0, errors)
    before = survey_round.margins.count()
    survey_round.margins.all().delete()
    MarginTarget.objects.bulk_create(
        MarginTarget(round=survey_round, variable=v, category=c, target=t)
        for (v, c), t in targets.items()
    )
    audit_record(
        actor=actor,
        action=Action.MARGINS_CHANGE,
        obj=survey_round,
        before={"rows": before},
        after={"rows": len(targets), "variables": sorted(totals)},
        unit=survey_round.scope,
    )
    return Upload(len(targets), [])


def yamane(population: int, margin_of_error: float) -> int:
    """n = N / (1 + N·e²), rounded up (N = 2,000, e = 0.05 → 334)."""
    if population <= 0:
        return 0
    return min(population, math.ceil(population / (1 + population * margin_of_error**2)))


def round_monitoring(survey_round: SurveyRound) -> list[dict[str, Any]]:
    """Per unit (or unit × sector): transactions, target responses, responses so far,
    response rate and progress to the target; units short of it are flagged."""
    plan = plan_of(survey_round)
    by_sector = plan.get("by") == "unit_sector"
    units = round_units(survey_round)
    ids = list(units.values())
    period = (survey_round.period_start, survey_round.period_end)
    keys = ["unit_id", "sector"] if by_sector else ["unit_id"]
    transactions = {
        tuple(row[k] for k in keys): row["n"]
        for row in ServiceTransaction.objects.filter(unit_id__in=ids, completed_at__range=period)
        .values(*keys)
        .annotate(n=Count("id"))
    }
    answered = {
        tuple(row[k] for k in keys): row["n"]
        for row in Response.objects.filter(
            unit_id__in=ids,
            version__questionnaire=survey_round.questionnaire,
            submitted_at__gte=survey_round.period_start,
        )
        .values(*keys)
        .annotate(n=Count("id"))
    }
    code_of = {v: k for k, v in units.items()}
    rows = []
    for key in sorted(set(transactions) | set(answered), key=lambda k: (code_of[k[0]], *k[1:])):
        population = int(transactions.get(key, 0))
        if plan["method"] == "fixed":
            target = min(int(plan["fixed"]), population) if population else int(plan["fixed"])
        else:
            target = yamane(population, float(plan.get("margin_of_error", 0.05)))
        responses = int(answered.get(key, 0))
        rows.append(
            {
                "unit": code_of[key[0]],
                "sector": key[1] if by_sector else None,
                "transactions": population,
                "target": target,
                "responses": responses,
                "response_rate": responses / population if population else None,
                "progress": responses / target if target else None,
                "short": responses < target,
            }
        )
    return rows


def instrument_check(*, survey_round: SurveyRound, data: Any) -> tuple[dict[str, Any], dict]:
    """Validate parts of a round's instrument: the JSON-ready changes, or field errors
    (shapes, then variables the questionnaire does not have)."""
    form = RoundInstrument(data=data)
    if not form.is_valid():
        return {}, dict(form.errors)
    changes = dict(form.validated_data)
    if "estimation" in changes:
        changes["estimation"] = EstimationSpec(changes["estimation"]).data
    changes = json.loads(json.dumps(changes))
    known = round_variables(survey_round)
    errors: dict[str, Any] = {}
    for position, step in enumerate(changes.get("weighting", [])):
        names = [step.get("margin"), *step.get("margins", [])]
        bad = [p for v in names if v for p in str(v).split("+") if p not in known]
        if bad:
            errors.setdefault("weighting", {})[position] = [
                _("Unknown variable: %(names)s") % {"names": ", ".join(bad)}
            ]
    domains = changes.get("estimation", {}).get("profile_domains", [])
    bad = [v for v in domains if v not in known or v == "unit"]
    if bad:
        errors["estimation"] = {
            "profile_domains": [_("Unknown variable: %(names)s") % {"names": ", ".join(bad)}]
        }
    return ({}, errors) if errors else (changes, {})
