"""Turn a round's rows into numpy arrays. Reads only: answers come from the columnar
extracts (analysis/extracts.py), which the caller refreshes first."""

import datetime as dt
import hashlib
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from django.db.models import Count

from analysis.extracts import extract_read, number_column
from analysis.models import SurveyRound
from questionnaires.definition import scored_items
from questionnaires.models import QuestionnaireVersion
from survey.models import AdministrativeUnit, ServiceTransaction


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


def round_versions(survey_round: SurveyRound) -> list[QuestionnaireVersion]:
    return list(
        QuestionnaireVersion.objects.filter(questionnaire=survey_round.questionnaire).order_by(
            "number"
        )
    )


def _micros(moment: dt.datetime) -> int:
    return round(moment.timestamp() * 1_000_000)


def round_load(survey_round: SurveyRound) -> RoundData:
    """Read a round from the versions' columnar extracts (refresh them first).

    A round's responses: transaction-linked ones by the transaction's completion time,
    the rest (firm invitations, open links, paper imports) by submission time — the
    extract's ``at_us`` column.
    """
    unit_parent = dict(AdministrativeUnit.objects.values_list("id", "parent_id"))
    in_scope = np.fromiter(_subtree(unit_parent, survey_round.scope_id), dtype=np.int64)
    start, end = _micros(survey_round.period_start), _micros(survey_round.period_end)

    parts = []
    for version in round_versions(survey_round):
        items = scored_items(version.definition)
        names = [item.get("answer_path") or item["code"] for item in items]
        table = extract_read(
            version=version, columns=["@response_id", "@unit_id", "@sector", "@at_us", *names]
        )
        unit = table.column("@unit_id").fill_null(-1).to_numpy()
        at = table.column("@at_us").to_numpy()
        keep = np.isin(unit, in_scope) & (at >= start) & (at <= end)
        if keep.any():
            parts.append((items, names, table.filter(pa.array(keep))))
    components = sorted({item["scoring"]["component"] for items, _n, _t in parts for item in items})
    column = {c: j for j, c in enumerate(components)}

    n = sum(table.num_rows for _i, _n, table in parts)
    satisfied = np.zeros((n, len(components)))
    valid = np.zeros((n, len(components)))
    ids, units, sectors = [], [], []
    offset = 0
    for items, names, table in parts:
        rows = slice(offset, offset + table.num_rows)
        for item, name in zip(items, names, strict=True):
            values = number_column(table, name)
            j = column[item["scoring"]["component"]]
            valid[rows, j] += ~np.isnan(values)
            satisfied[rows, j] += np.isin(values, item["scoring"].get("satisfied", [4, 5]))
        ids.append(table.column("@response_id").to_numpy())
        units.append(table.column("@unit_id").to_numpy())
        sectors.append(np.asarray(table.column("@sector").to_pylist(), dtype=object))
        offset += table.num_rows
    # Response-id order, whatever the versions: the same answers give the same arrays.
    order = np.argsort(np.concatenate(ids) if ids else np.zeros(0, np.int64), kind="stable")
    satisfied, valid = satisfied[order], valid[order]
    leaf_unit = (np.concatenate(units) if units else np.zeros(0, np.int64))[order]
    sector = (np.concatenate(sectors) if sectors else np.zeros(0, object))[order]

    cell_keys = sorted(set(zip(leaf_unit.tolist(), sector.tolist(), strict=True)))
    cell_index = {key: k for k, key in enumerate(cell_keys)}
    frame = (
        ServiceTransaction.objects.filter(
            unit_id__in=in_scope.tolist(),
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
    cell = np.array(
        [cell_index[key] for key in zip(leaf_unit.tolist(), sector.tolist(), strict=True)],
        dtype=np.int64,
    )
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
        leaf_unit=leaf_unit.astype(np.int64),
        unit_parent=unit_parent,
        fingerprint=digest.hexdigest(),
    )


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
