"""Reads for collection."""

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet

from org.models import AdministrativeUnit, Membership, Role
from org.permissions import (
    EVERYTHING,
    NOTHING,
    Capability,
    Scope,
    is_system_admin,
    subtree_ids,
    units_in_scope,
)
from survey.models import Campaign, ImportBatch, Invitation, Response


def unit_parents() -> dict[int, int | None]:
    """Every unit's parent id: one query, small (a province has a few thousand units)."""
    return dict(AdministrativeUnit.objects.order_by().values_list("id", "parent_id"))


def unit_ancestors(unit_id: int, parents: dict[int, int | None]) -> list[int]:
    """The unit itself, then its parent, … up to the root."""
    chain, seen = [], set()
    current: int | None = unit_id
    while current is not None and current not in seen:
        chain.append(current)
        seen.add(current)
        current = parents.get(current)
    return chain


def unit_subtree_ids(unit_ids: Iterable[int], parents: dict[int, int | None]) -> set[int]:
    """The given units and every unit below them."""
    roots = set(unit_ids)
    return {uid for uid in parents if roots.intersection(unit_ancestors(uid, parents))}


def campaign_for_unit(
    *,
    questionnaire_id: int,
    unit_id: int,
    mode: str,
    parents: dict[int, int | None],
    campaigns: list[Campaign] | None = None,
) -> Campaign | None:
    """The active campaign of this mode whose scope is nearest above the unit (or global)."""
    if campaigns is None:
        campaigns = list(
            Campaign.objects.filter(questionnaire_id=questionnaire_id, mode=mode, is_active=True)
        )
    by_scope = {
        c.scope_id: c
        for c in campaigns
        if c.questionnaire_id == questionnaire_id and c.mode == mode
    }
    for ancestor in unit_ancestors(unit_id, parents):
        if ancestor in by_scope:
            return by_scope[ancestor]
    return by_scope.get(None)


def invitation_by_token(token: str) -> Invitation | None:
    if not token or len(token) > 64 or "\x00" in token:  # PostgreSQL refuses NUL
        return None
    return (
        Invitation.objects.select_related("version__questionnaire", "unit", "campaign")
        .filter(token=token)
        .first()
    )


def responses_filter(
    *,
    questionnaire: str | None = None,
    version: int | None = None,
    unit: str | None = None,
    sector: str | None = None,
    channel: str | None = None,
    source: str | None = None,
    submitted_from: dt.datetime | None = None,
    submitted_to: dt.datetime | None = None,
) -> QuerySet[Response]:
    rows = responses_all()
    if questionnaire:
        rows = rows.filter(version__questionnaire__code=questionnaire)
    if version is not None:
        rows = rows.filter(version__number=version)
    if unit:
        rows = responses_in_unit(rows, unit_code=unit)
    if sector:
        rows = rows.filter(sector=sector)
    if channel:
        rows = rows.filter(channel=channel)
    if source:
        rows = rows.filter(source=source)
    if submitted_from:
        rows = rows.filter(submitted_at__gte=submitted_from)
    if submitted_to:
        rows = rows.filter(submitted_at__lt=submitted_to)
    return rows


def import_batches_visible(*, user: Any) -> QuerySet[ImportBatch]:
    """A batch has no unit of its own (a file may span units): full-scope users see every
    batch, others only their own, so nobody sees another unit's imports."""
    if units_in_scope(user, Capability.RAW_ANSWERS).everything:
        return ImportBatch.objects.all()
    return ImportBatch.objects.filter(created_by=user)


def responses_all() -> QuerySet[Response]:
    """Every response, oldest first, with what their listings and exports show."""
    return Response.objects.select_related("version__questionnaire", "unit").order_by("id")


def responses_in_unit(rows: QuerySet[Response], *, unit_code: str) -> QuerySet[Response]:
    """The responses of a unit and of every unit under it (none for an unknown code)."""
    root = AdministrativeUnit.objects.filter(code=unit_code).values_list("id", flat=True).first()
    return rows.filter(unit_id__in=unit_subtree_ids([root], unit_parents()) if root else [])


def kiosk_design_scope(*, user: Any) -> Scope:
    """Where a designer chooses the kiosks' short form: under the units of their designer
    memberships (DESIGN itself is system-wide for questionnaires, but which form a unit's
    counters show is that unit's business); a system administrator everywhere."""
    if not getattr(user, "is_authenticated", False):
        return NOTHING
    if is_system_admin(user):
        return EVERYTHING
    roots = Membership.objects.filter(user=user, role=Role.DESIGNER).values_list(
        "unit_id", flat=True
    )
    ids = subtree_ids(list(roots))
    return Scope(everything=False, unit_ids=ids) if ids else NOTHING


def kiosk_forms_visible(*, scope: Scope) -> QuerySet[Campaign]:
    """The kiosk-form choices in a scope (a choice for everywhere: full scope only)."""
    rows = Campaign.objects.filter(mode=Campaign.Mode.KIOSK).select_related(
        "scope", "questionnaire"
    )
    return scope.filter(rows, "scope").order_by("scope__code", "-is_active")
