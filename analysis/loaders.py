"""Turn a round's rows into numpy arrays. Reads only: answers come from the columnar
extracts (analysis/extracts.py), which the caller refreshes first."""

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db.models import Count, Q, Value

from analysis.extracts import extract_read, number_column
from analysis.models import SurveyRound
from org.models import AdministrativeUnit
from org.permissions import subtree_ids
from questionnaires.definition import scored_items
from questionnaires.models import QuestionnaireVersion
from survey.models import Invitation, ServiceTransaction


@dataclass(frozen=True)
class RoundData:
    """A round's respondents as arrays, one row per response in response-id order.

    satisfied, valid: (n, k) counts of satisfied / valid answers per component.
    items, values: scored items (m,) and their answers (n, m), NaN when not valid;
    item_satisfied: the values counted as satisfied for each item.
    leaf_unit: (n,) id of the unit the response belongs to.
    columns: respondent variables by name (unit, sector, channel, profile and
    question codes), (n,) strings with "" for no answer.
    """

    components: list[str]
    satisfied: np.ndarray
    valid: np.ndarray
    items: list[str]
    values: np.ndarray
    item_satisfied: list[list[float]]
    leaf_unit: np.ndarray
    unit_parent: dict[int, int | None]
    columns: dict[str, np.ndarray]
    fingerprint: str
    # Who answered (n, k) / any overall element (n,), when not valid > 0: rows rebuilt
    # from sufficient statistics (analysis.fanout.rows_from_stats).
    answered: np.ndarray | None = None
    any_answered: np.ndarray | None = None


def round_versions(survey_round: SurveyRound) -> list[QuestionnaireVersion]:
    return list(
        QuestionnaireVersion.objects.filter(questionnaire=survey_round.questionnaire).order_by(
            "number"
        )
    )


def _micros(moment: dt.datetime) -> int:
    return round(moment.timestamp() * 1_000_000)


# Respondent variables that are fields of the response, not answers.
RESPONSE_COLUMNS = {
    "sector": "@sector",
    "channel": "@channel",
    "firm_size": "@firm_size",
    "firm_sector": "@firm_sector",
    "ownership": "@ownership",
}


def round_load(
    survey_round: SurveyRound,
    variables: list[str] | None = None,
    *,
    chunk_ids: list[int] | None = None,
    components: list[str] | None = None,
) -> RoundData:
    """Read a round from the versions' columnar extracts (refresh them first).

    A round's responses: transaction-linked ones by the transaction's completion time,
    the rest (firm invitations, open links, paper imports) by submission time — the
    extract's ``at_us`` column. ``variables``: respondent variables to read as well;
    ``chunk_ids``: only these extract chunks (a parallel run's share); ``components``:
    the component columns, in this order (else those found, sorted).
    """
    wanted = [v for v in (variables or ["unit", "sector"]) if v != "unit"]
    unit_parent = dict(AdministrativeUnit.objects.values_list("id", "parent_id"))
    in_scope = np.fromiter(subtree_ids([survey_round.scope_id]), dtype=np.int64)
    start, end = _micros(survey_round.period_start), _micros(survey_round.period_end)

    parts = []
    for version in round_versions(survey_round):
        items = scored_items(version.definition)
        names = [item.get("answer_path") or item["code"] for item in items]
        present = set(extract_columns_names(version))
        text = [_column_of(v) for v in wanted if _column_of(v) in present]
        table = extract_read(
            version=version,
            columns=["@response_id", "@unit_id", "@at_us", *names, *text],
            dictionary=text,
            chunk_ids=chunk_ids,
        )
        unit = table.column("@unit_id").fill_null(-1).to_numpy()
        at = table.column("@at_us").to_numpy()
        keep = np.isin(unit, in_scope) & (at >= start) & (at <= end)
        if keep.any():
            # Rows are selected column by column below: filtering a wide table is slower.
            parts.append((items, names, table, None if keep.all() else keep))
    if components is None:
        components = sorted({item["scoring"]["component"] for items, *_ in parts for item in items})
    column = {c: j for j, c in enumerate(components)}
    item_names: list[str] = []
    item_satisfied: list[list[float]] = []
    for items, names, *_rest in parts:
        for item, name in zip(items, names, strict=True):
            if name not in item_names:
                item_names.append(name)
                item_satisfied.append(list(item["scoring"].get("satisfied", [4, 5])))

    n = sum(table.num_rows if keep is None else int(keep.sum()) for _i, _n, table, keep in parts)
    satisfied = np.zeros((n, len(components)))
    valid = np.zeros((n, len(components)))
    values = np.full((n, len(item_names)), np.nan)
    offset = 0
    for items, names, table, keep in parts:
        size = table.num_rows if keep is None else int(keep.sum())
        rows = slice(offset, offset + size)
        for item, name in zip(items, names, strict=True):
            answer = _rows(number_column(table, name), keep)
            if item["scoring"]["component"] not in column:
                continue
            j = column[item["scoring"]["component"]]
            valid[rows, j] += ~np.isnan(answer)
            satisfied[rows, j] += np.isin(answer, item["scoring"].get("satisfied", [4, 5]))
            values[rows, item_names.index(name)] = answer
        offset += size
    ids = _concat(parts, "@response_id")
    # Response-id order, whatever the versions: the same answers give the same arrays.
    order = np.argsort(ids, kind="stable")
    satisfied, valid, values = satisfied[order], valid[order], values[order]
    leaf_unit = _concat(parts, "@unit_id")[order]
    columns = {"unit": leaf_unit.astype(str)}
    for variable in wanted:
        columns[variable] = _text(parts, _column_of(variable))[order]

    digest = hashlib.sha256()
    for array in (ids[order], satisfied, valid, values):
        digest.update(np.ascontiguousarray(array).tobytes())
    for name in sorted(columns):
        digest.update(name.encode())
        digest.update(np.ascontiguousarray(columns[name]).tobytes())
    digest.update(repr((components, item_names)).encode())
    return RoundData(
        components=components,
        satisfied=satisfied,
        valid=valid,
        items=item_names,
        values=values,
        item_satisfied=item_satisfied,
        leaf_unit=leaf_unit,
        unit_parent=unit_parent,
        columns=columns,
        fingerprint=digest.hexdigest(),
    )


def round_frame(survey_round: SurveyRound) -> list[tuple[dict[str, Any], float]]:
    """The round's frame: its stored cells (uploaded or computed), else the registered
    transactions of its units and period, by unit × sector × channel."""
    firm = ("firm_size", "firm_sector", "ownership")
    stored = list(
        survey_round.frame_cells.values_list("unit_id", "sector", "channel", *firm, "count")
    )
    if not stored:
        stored = list(
            ServiceTransaction.objects.filter(
                unit_id__in=list(subtree_ids([survey_round.scope_id])),
                completed_at__range=(survey_round.period_start, survey_round.period_end),
            )
            .values("unit_id", "sector", "channel")
            .annotate(count=Count("id"))
            .values_list("unit_id", "sector", "channel", Value(""), Value(""), Value(""), "count")
        )
    return [
        (
            {
                "unit": str(unit),
                "sector": sector,
                "channel": channel,
                **{key: value for key, value in zip(firm, strata, strict=True) if value},
            },
            float(count),
        )
        for unit, sector, channel, *strata, count in stored
    ]


def round_eligible(survey_round: SurveyRound) -> list[tuple[dict[str, Any], float]]:
    """The invitations issued for a round — the eligible sample of its nonresponse
    classes — by unit × sector × channel (× firm size, sector, ownership for firm
    invitations): transaction links whose transaction completed in the period, and
    firm invitations made in it, for the round's questionnaire and units. Open links
    are left out: they are made for whoever opens them, not issued to a sample."""
    period = (survey_round.period_start, survey_round.period_end)
    invitations = Invitation.objects.filter(
        version__questionnaire_id=survey_round.questionnaire_id,
        unit_id__in=list(subtree_ids([survey_round.scope_id])),
    ).filter(
        Q(kind=Invitation.Kind.TRANSACTION, transaction__completed_at__range=period)
        | Q(kind=Invitation.Kind.FIRM, created_at__range=period)
    )
    firm = ("firm__size", "firm__sector", "firm__ownership")
    rows = (
        invitations.values("unit_id", "sector", "channel", *firm)
        .annotate(count=Count("id"))
        .values_list("unit_id", "sector", "channel", *firm, "count")
    )
    keys = ("firm_size", "firm_sector", "ownership")
    return sorted(
        (
            (
                {
                    "unit": str(unit),
                    "sector": sector,
                    "channel": channel,
                    **{key: value for key, value in zip(keys, strata, strict=True) if value},
                },
                float(count),
            )
            for unit, sector, channel, *strata, count in rows
        ),
        key=lambda pair: sorted(pair[0].items()),
    )


def round_margins(survey_round: SurveyRound) -> dict[str, dict[str, float]]:
    margins: dict[str, dict[str, float]] = {}
    for variable, category, target in survey_round.margins.values_list(
        "variable", "category", "target"
    ):
        margins.setdefault(variable, {})[category] = target
    return margins


def extract_columns_names(version: QuestionnaireVersion) -> list[str]:
    from analysis.extracts import FIXED, extract_columns

    return [name for name, _type in FIXED] + [c.name for c in extract_columns(version.definition)]


def _column_of(variable: str) -> str:
    return RESPONSE_COLUMNS.get(variable, variable)


def _text(parts: list, name: str) -> np.ndarray:
    """A text column over every part as strings ("" for missing or absent columns)."""
    out = []
    for _i, _n, table, keep in parts:
        if name not in table.column_names:
            size = table.num_rows if keep is None else int(keep.sum())
            out.append(np.full(size, "", dtype=object))
            continue
        chunks = []
        for chunk in table.column(name).chunks:
            labels = np.asarray([*chunk.dictionary.to_pylist(), ""], dtype=object)
            codes = chunk.indices.fill_null(len(labels) - 1).to_numpy(zero_copy_only=False)
            chunks.append(labels[codes])
        joined = np.concatenate(chunks) if chunks else np.zeros(0, dtype=object)
        out.append(_rows(joined, keep))
    return np.concatenate(out).astype(str) if out else np.zeros(0, dtype=str)


def _concat(parts: list, name: str) -> np.ndarray:
    arrays = [_rows(table.column(name).to_numpy(), keep) for _i, _n, table, keep in parts]
    return np.concatenate(arrays).astype(np.int64) if arrays else np.zeros(0, np.int64)


def _rows(values: np.ndarray, keep: np.ndarray | None) -> np.ndarray:
    return values if keep is None else values[keep]
