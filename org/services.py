"""Writes of org: memberships and the audit log (called explicitly, never by signals)."""

import datetime as dt
import decimal
import uuid
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import models, transaction

from org.models import AdministrativeUnit, AuditEntry, Membership, Role


class Action:
    """The audited actions (strings, so a higher app adds its own without a migration)."""

    QUESTIONNAIRE_PUBLISH = "questionnaire.publish"
    QUESTIONNAIRE_UNPUBLISH = "questionnaire.unpublish"
    QUESTIONNAIRE_VERSION_NEW = "questionnaire.version_new"
    RUN_START = "run.start"
    ROUND_CONFIG = "round.config"  # sample plan, weighting scheme, estimation, publication
    FRAME_CHANGE = "round.frame"
    MARGINS_CHANGE = "round.margins"
    RAW_EXPORT = "responses.export"
    RESULTS_EXPORT = "results.export"
    ROLE_GRANT = "role.grant"
    ROLE_REVOKE = "role.revoke"
    API_KEY_CREATE = "api_key.create"


def _actor(actor: Any) -> tuple[Any, str]:
    """A person (user), a system (anything with ``name``, e.g. survey.ApiClient), a
    command-line label, or nobody."""
    if isinstance(actor, AbstractBaseUser):
        return (actor if actor.pk else None), actor.get_username()
    if actor is None:
        return None, "system"  # a script or task with nobody behind it
    if getattr(actor, "is_anonymous", False):
        return None, "anonymous"
    if isinstance(actor, str):
        return None, actor
    return None, f"api:{getattr(actor, 'name', actor)}"


def _json(value: Any) -> Any:
    """JSON-safe copy of before/after values (dates, decimals, ids …)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dict):
        return {str(k): _json(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_json(v) for v in value]
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    return str(value)


def audit_record(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None,
    before: Any = None,
    after: Any = None,
    reason: str = "",
    unit: AdministrativeUnit | None = None,
    object_type: str | None = None,
    object_label: str | None = None,
) -> AuditEntry:
    """Append one entry. ``obj`` may be None for actions on a set (an export): then give
    ``object_type`` (and a label describing the set)."""
    user, name = _actor(actor)
    entry = AuditEntry(
        actor=user,
        actor_name=name[:200],
        action=action,
        object_type=object_type or (obj._meta.label_lower if obj is not None else ""),
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        object_label=(object_label if object_label is not None else str(obj or ""))[:200],
        unit=unit,
        before=_json(before),
        after=_json(after),
        reason=reason,
    )
    entry.full_clean()
    entry.save()
    return entry


def _membership_state(membership: Membership) -> dict[str, Any]:
    return {
        "user": membership.user.get_username(),
        "role": membership.role,
        "unit": membership.unit.code,
    }


@transaction.atomic
def membership_grant(
    *, user: Any, role: Role | str, unit: AdministrativeUnit, actor: Any, reason: str = ""
) -> tuple[Membership, bool]:
    """Idempotent: a second grant of the same (user, role, unit) changes nothing."""
    membership, created = Membership.objects.get_or_create(user=user, role=role, unit=unit)
    if created:
        audit_record(
            actor=actor,
            action=Action.ROLE_GRANT,
            obj=membership,
            before=None,
            after=_membership_state(membership),
            reason=reason,
            unit=unit,
        )
    return membership, created


@transaction.atomic
def membership_revoke(
    *, user: Any, role: Role | str, unit: AdministrativeUnit, actor: Any, reason: str = ""
) -> bool:
    """Idempotent: revoking a membership nobody holds changes nothing."""
    membership = Membership.objects.filter(user=user, role=role, unit=unit).first()
    if membership is None:
        return False
    audit_record(
        actor=actor,
        action=Action.ROLE_REVOKE,
        obj=membership,
        before=_membership_state(membership),
        after=None,
        reason=reason,
        unit=unit,
    )
    membership.delete()
    return True
