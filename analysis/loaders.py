"""Turn a round's rows into numpy arrays. Reads only; one query per table."""

import hashlib
from dataclasses import dataclass

import numpy as np
from django.db.models import Count, Q

from analysis.models import SurveyRound
from org.models import AdministrativeUnit
from questionnaires.definition import scored_items
from survey.models import Response, ServiceTransaction


@dataclass(frozen=True)
class RoundData:
    """Everything the element indices need, one row per response.

    satisfied, valid: (n_responses, n_components) counts of satisfied / valid answers.
    cell: (n_responses,) index into cell_population (unit × sector of the transaction).
    leaf_unit: (n_responses,) id of the unit the response belongs to.
    """

    components: list[str]
    satisfied: np.ndarray
    valid: np.ndarray
    cell: np.ndarray
    cell_population: np.ndarray
    leaf_unit: np.ndarray
    unit_parent: dict[int, int | None]
    fingerprint: str


def _responses(survey_round: SurveyRound):
    """A round's responses: transaction-linked ones by the transaction's completion time,
    the rest (firm invitations, open links, paper imports) by submission time."""
    period = (survey_round.period_start, survey_round.period_end)
    linked = Q(invitation__transaction__completed_at__range=period)
    unlinked = Q(invitation__transaction__isnull=True, submitted_at__range=period)
    return Response.objects.filter(version__questionnaire=survey_round.questionnaire).filter(
        linked | unlinked
    )


def round_load(survey_round: SurveyRound) -> RoundData:
    units = AdministrativeUnit.objects.values_list("id", "parent_id")
    unit_parent = dict(units)
    in_scope = _subtree(unit_parent, survey_round.scope_id)

    rows = list(
        _responses(survey_round)
        .filter(unit_id__in=in_scope)
        .order_by("id")
        .values_list("id", "unit_id", "sector", "answers", "version__definition", "version_id")
    )
    definitions = {row[5]: row[4] for row in rows}
    items_by_version = {v: scored_items(d) for v, d in definitions.items()}
    components = sorted(
        {item["scoring"]["component"] for items in items_by_version.values() for item in items}
    )
    column = {c: j for j, c in enumerate(components)}
    n = len(rows)
    satisfied = np.zeros((n, len(components)))
    valid = np.zeros((n, len(components)))
    for i, (_id, _unit, _sector, answers, _definition, version_id) in enumerate(rows):
        for item in items_by_version[version_id]:
            value = _item_answer(answers, item)
            if isinstance(value, bool) or not isinstance(value, int | float):
                continue  # unanswered, skipped, "not applicable" or "don't know"
            j = column[item["scoring"]["component"]]
            valid[i, j] += 1
            if value in item["scoring"].get("satisfied", [4, 5]):
                satisfied[i, j] += 1

    cell_keys = sorted({(row[1], row[2]) for row in rows})
    cell_index = {key: k for k, key in enumerate(cell_keys)}
    frame = (
        ServiceTransaction.objects.filter(
            unit_id__in=in_scope,
            completed_at__range=(survey_round.period_start, survey_round.period_end),
        )
        .values("unit_id", "sector")
        .annotate(count=Count("id"))
    )
    population = np.zeros(len(cell_keys))
    for entry in frame:
        k = cell_index.get((entry["unit_id"], entry["sector"]))
        if k is not None:
            population[k] = entry["count"]
    cell = np.array([cell_index[(row[1], row[2])] for row in rows], dtype=np.int64)
    digest = hashlib.sha256()
    digest.update(np.ascontiguousarray(satisfied).tobytes())
    digest.update(np.ascontiguousarray(valid).tobytes())
    digest.update(np.ascontiguousarray(population).tobytes())
    digest.update(repr((cell_keys, components)).encode())
    return RoundData(
        components=components,
        satisfied=satisfied,
        valid=valid,
        cell=cell,
        cell_population=population,
        leaf_unit=np.array([row[1] for row in rows], dtype=np.int64),
        unit_parent=unit_parent,
        fingerprint=digest.hexdigest(),
    )


def _item_answer(answers: dict, item: dict) -> object:
    if "." in item.get("answer_path", ""):
        question, row = item["answer_path"].split(".", 1)
        return (answers.get(question) or {}).get(row)
    return answers.get(item["code"])


def _subtree(unit_parent: dict[int, int | None], root: int) -> set[int]:
    children: dict[int | None, list[int]] = {}
    for unit, parent in unit_parent.items():
        children.setdefault(parent, []).append(unit)
    found, stack = set(), [root]
    while stack:
        unit = stack.pop()
        found.add(unit)
        stack.extend(children.get(unit, []))
    return found
