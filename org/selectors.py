"""Reads of the unit tree (successors both ways) and of the audit log."""

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from org.models import AdministrativeUnit, AuditEntry
from org.permissions import Capability, is_system_admin, may_design, units_in_scope


def _successor_edges() -> list[tuple[int, int]]:
    """(old unit, successor) pairs: one query; the table is small (merges are rare)."""
    through = AdministrativeUnit.successors.through
    return list(
        through.objects.values_list("from_administrativeunit_id", "to_administrativeunit_id")
    )


def _walk(start: int, edges: dict[int, list[int]]) -> set[int]:
    seen: set[int] = set()
    frontier = [start]
    while frontier:
        following = [n for u in frontier for n in edges.get(u, ()) if n not in seen and n != start]
        seen.update(following)
        frontier = following
    return seen


def _valid_on(day: dt.date) -> Q:
    return (Q(valid_from__isnull=True) | Q(valid_from__lte=day)) & (
        Q(valid_to__isnull=True) | Q(valid_to__gte=day)
    )


def unit_current(
    *, unit: AdministrativeUnit, on: dt.date | None = None
) -> QuerySet[AdministrativeUnit]:
    """What this unit maps to today: itself if still valid, else the successors, followed
    transitively, that are valid on ``on`` (today by default). A split gives several."""
    day = on or timezone.localdate()
    if AdministrativeUnit.objects.filter(_valid_on(day), pk=unit.pk).exists():
        return AdministrativeUnit.objects.filter(pk=unit.pk)
    forward: dict[int, list[int]] = {}
    for old, new in _successor_edges():
        forward.setdefault(old, []).append(new)
    return AdministrativeUnit.objects.filter(_valid_on(day), pk__in=_walk(unit.pk, forward))


def unit_successors_all(*, unit: AdministrativeUnit) -> QuerySet[AdministrativeUnit]:
    """Every unit this one became, directly or through later merges and splits."""
    forward: dict[int, list[int]] = {}
    for old, new in _successor_edges():
        forward.setdefault(old, []).append(new)
    return AdministrativeUnit.objects.filter(pk__in=_walk(unit.pk, forward))


def unit_predecessors_all(*, unit: AdministrativeUnit) -> QuerySet[AdministrativeUnit]:
    """What this unit came from: its predecessors, theirs, and so on."""
    backward: dict[int, list[int]] = {}
    for old, new in _successor_edges():
        backward.setdefault(new, []).append(old)
    return AdministrativeUnit.objects.filter(pk__in=_walk(unit.pk, backward))


def audit_entries_visible(*, user: Any) -> QuerySet[AuditEntry]:
    """System administrators read everything; others read the entries about objects they
    may see: those of units in their raw-answer or run scope, and questionnaires for
    designers."""
    entries = AuditEntry.objects.select_related("unit").order_by("-at", "-id")
    if is_system_admin(user):
        return entries
    seen = Q(pk__in=[])
    for capability in (Capability.RAW_ANSWERS, Capability.RUNS):
        scope = units_in_scope(user, capability)
        if scope:
            seen |= scope.q("unit")
    if may_design(user):
        seen |= Q(object_type__startswith="questionnaires.")
    return entries.filter(seen)


def audit_entries_filter(
    *,
    user: Any,
    action: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    actor: str | None = None,
    unit: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[AuditEntry]:
    entries = audit_entries_visible(user=user)
    if action:
        entries = entries.filter(action=action)
    if object_type:
        entries = entries.filter(object_type=object_type)
    if object_id:
        entries = entries.filter(object_id=object_id)
    if actor:
        entries = entries.filter(actor_name=actor)
    if unit:
        entries = entries.filter(unit__code=unit)
    if date_from:
        entries = entries.filter(at__date__gte=date_from)
    if date_to:
        entries = entries.filter(at__date__lte=date_to)
    return entries
