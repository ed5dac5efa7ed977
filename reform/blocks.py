"""Ranking blocks of a scoring round: units are ranked only against the units of their
block ("Sở, ban, ngành", "UBND cấp xã", or any list of units).

A round without blocks ranks together the units of its framework's level (one block per
level, named after it). With blocks, a unit belongs to the first block (by position)
listing it among its ``units``, else to the first whose ``levels`` hold its level code;
the units scored are then those of the framework's level and of every block, below the
round's scope (``reform.selectors.round_units``). Writes are audited and refused once
the round is locked (ranks are then final).
"""

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from org.models import AdministrativeUnit, UnitLevel
from org.permissions import Capability, may, subtree_ids, unit_children
from org.services import audit_record
from reform.models import RankingBlock, ScoringRound


@dataclass(frozen=True)
class Block:
    code: str
    name: str
    position: int


def _name(name: str, name_en: str) -> str:
    return name_en if name_en and (get_language() or "vi").startswith("en") else name


def round_blocks(*, scoring_round: ScoringRound) -> list[RankingBlock]:
    """The round's blocks in order, their units prefetched: one query, two with blocks."""
    return list(scoring_round.blocks.prefetch_related("units"))


def unit_blocks(
    *,
    scoring_round: ScoringRound,
    units: list[AdministrativeUnit],
    blocks: list[RankingBlock] | None = None,
) -> list[Block]:
    """Each unit's block, in ``units`` order (units carry ``level``); ``blocks`` as
    ``round_blocks`` gives them (read when not given)."""
    defined = round_blocks(scoring_round=scoring_round) if blocks is None else blocks
    listed = [{u.pk for u in b.units.all()} for b in defined]
    out = []
    for unit in units:
        found = next(
            (b for b, ids in zip(defined, listed, strict=True) if unit.pk in ids), None
        ) or next((b for b in defined if unit.level.code in (b.levels or [])), None)
        if found is None:  # the level's own block (also for rounds without blocks)
            level = unit.level
            out.append(Block(f"level:{level.code}", _name(level.name, level.name_en), -1))
        else:
            out.append(Block(found.code, _name(found.name, found.name_en), found.position))
    return out


def _state(block: RankingBlock) -> dict[str, Any]:
    return {
        "code": block.code,
        "name": block.name,
        "position": block.position,
        "levels": list(block.levels or []),
        "units": sorted(block.units.values_list("code", flat=True)) if block.pk else [],
    }


def _guard(scoring_round: ScoringRound, actor: Any) -> None:
    if not may(actor, Capability.APPRAISE, scoring_round.scope_id):
        raise PermissionDenied(_("Only the appraisal council may change the ranking blocks."))
    if scoring_round.locked_at is not None:
        raise ValidationError(_("The scores are locked."))


@transaction.atomic
def ranking_block_set(
    *,
    scoring_round: ScoringRound,
    code: str,
    name: str,
    actor: Any,
    name_en: str = "",
    position: int = 0,
    levels: list[str] | None = None,
    unit_codes: list[str] | None = None,
) -> RankingBlock:
    """Create or replace the block ``code`` of a round (its levels and listed units)."""
    _guard(scoring_round, actor)
    levels, unit_codes = list(levels or []), list(unit_codes or [])
    errors: dict[str, list[str]] = {}
    unknown_levels = sorted(set(levels) - set(UnitLevel.objects.values_list("code", flat=True)))
    if unknown_levels:
        errors["levels"] = [
            _("Unknown unit level: %(codes)s") % {"codes": ", ".join(unknown_levels)}
        ]
    below = subtree_ids([scoring_round.scope_id], unit_children())
    units = list(AdministrativeUnit.objects.filter(code__in=unit_codes, pk__in=below))
    outside = sorted(set(unit_codes) - {u.code for u in units})
    if outside:
        errors["units"] = [
            _("Not a unit below the round's scope: %(codes)s") % {"codes": ", ".join(outside)}
        ]
    if not levels and not unit_codes:
        errors.setdefault("levels", []).append(_("Give unit levels or units for the block."))
    block = RankingBlock.objects.filter(round=scoring_round, code=code).first()
    before = _state(block) if block else None
    block = block or RankingBlock(round=scoring_round, code=code)
    block.name, block.name_en, block.position, block.levels = name, name_en, position, levels
    try:
        block.full_clean(exclude=["round"])
    except ValidationError as invalid:
        for field, messages in invalid.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    block.save()
    block.units.set(units)
    audit_record(
        actor=actor, action="reform.ranking_block", obj=block, unit=scoring_round.scope,
        before=before, after=_state(block),
    )  # fmt: skip
    return block


@transaction.atomic
def ranking_block_remove(*, scoring_round: ScoringRound, code: str, actor: Any) -> None:
    _guard(scoring_round, actor)
    block = RankingBlock.objects.filter(round=scoring_round, code=code).first()
    if block is None:
        raise ValidationError(_("No such block."))
    before = _state(block)
    audit_record(
        actor=actor, action="reform.ranking_block_remove", obj=block, unit=scoring_round.scope,
        before=before,
    )  # fmt: skip
    block.delete()
