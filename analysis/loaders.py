"""Turn a round's rows into numpy arrays. Reads only: answers come from the columnar
extracts (analysis/extracts.py), which the caller refreshes first."""

import datetime as dt
import hashlib
from dataclasses import dataclass

import numpy as np
from django.db.models import Count

from analysis.extracts import extract_read, number_column
from analysis.models import SurveyRound
from org.models import AdministrativeUnit
from questionnaires.definition import scored_items
from questionnaires.models import QuestionnaireVersion
from survey.models import ServiceTransaction


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
            version=version,
            columns=["@response_id", "@unit_id", "@sector", "@at_us", *names],
            dictionary=["@sector"],
        )
        unit = table.column("@unit_id").fill_null(-1).to_numpy()
        at = table.column("@at_us").to_numpy()
        keep = np.isin(unit, in_scope) & (at >= start) & (at <= end)
        if keep.any():
            # Rows are selected column by column below: filtering a wide table is slower.
            parts.append((items, names, table, None if keep.all() else keep))
    components = sorted({item["scoring"]["component"] for items, *_ in parts for item in items})
    column = {c: j for j, c in enumerate(components)}

    n = sum(table.num_rows if keep is None else int(keep.sum()) for _i, _n, table, keep in parts)
    satisfied = np.zeros((n, len(components)))
    valid = np.zeros((n, len(components)))
    offset = 0
    for items, names, table, keep in parts:
        size = table.num_rows if keep is None else int(keep.sum())
        rows = slice(offset, offset + size)
        for item, name in zip(items, names, strict=True):
            values = _rows(number_column(table, name), keep)
            j = column[item["scoring"]["component"]]
            valid[rows, j] += ~np.isnan(values)
            satisfied[rows, j] += np.isin(values, item["scoring"].get("satisfied", [4, 5]))
        offset += size
    ids = _concat(parts, "@response_id")
    units = _concat(parts, "@unit_id")
    # Response-id order, whatever the versions: the same answers give the same arrays.
    order = np.argsort(ids, kind="stable")
    satisfied, valid, leaf_unit = satisfied[order], valid[order], units[order]
    sector_names, sector_code = _sector_codes(parts)
    sector_code = sector_code[order]
    width = max(len(sector_names), 1)
    # Cells: unit × sector, coded without a Python loop over respondents.
    keys, cell = np.unique(leaf_unit * width + sector_code, return_inverse=True)
    cell_keys = [(key // width, sector_names[key % width]) for key in keys.tolist()]
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
    cell = cell.astype(np.int64)
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


def _sector_codes(parts: list) -> tuple[list[str], np.ndarray]:
    """Sorted distinct sectors and each row's index among them, from the dictionary-
    encoded chunks (no string per respondent is ever made)."""
    chunks = [
        (chunk, keep) for _i, _n, table, keep in parts for chunk in table.column("@sector").chunks
    ]
    names = sorted({name for chunk, _k in chunks for name in chunk.dictionary.to_pylist()})
    position = {name: k for k, name in enumerate(names)}
    codes, start = [], 0
    for chunk, keep in chunks:
        recode = np.array([position[name] for name in chunk.dictionary.to_pylist()], np.int64)
        chunk_keep = None if keep is None else keep[start : start + len(chunk)]
        codes.append(_rows(recode[chunk.indices.to_numpy(zero_copy_only=False)], chunk_keep))
        start += len(chunk)
    return names, np.concatenate(codes) if codes else np.zeros(0, np.int64)


def _concat(parts: list, name: str) -> np.ndarray:
    arrays = [_rows(table.column(name).to_numpy(), keep) for _i, _n, table, keep in parts]
    return np.concatenate(arrays).astype(np.int64) if arrays else np.zeros(0, np.int64)


def _rows(values: np.ndarray, keep: np.ndarray | None) -> np.ndarray:
    return values if keep is None else values[keep]


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
