"""Writes for collection: register a transaction (→ invitation), submit a response."""

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from questionnaires.selectors import version_current
from survey.answers import FieldErrors, answers_clean
from survey.models import AdministrativeUnit, Invitation, Response, ServiceTransaction


class SurveyClosed(Exception):
    """The link cannot take an answer any more. ``reason``: 'used' or 'expired'."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class AnswersInvalid(Exception):
    def __init__(self, errors: FieldErrors) -> None:
        super().__init__(errors)
        self.errors = errors


def token_new() -> str:
    """192 random bits, URL-safe: unguessable survey tokens."""
    return secrets.token_urlsafe(24)


def invitation_url(invitation: Invitation) -> str:
    return settings.PUBLIC_BASE_URL + reverse("survey:form", args=[invitation.token])


@dataclass(frozen=True)
class Registration:
    transaction: ServiceTransaction
    invitation: Invitation
    created: bool


@transaction.atomic
def transaction_register(
    *,
    external_id: str,
    unit: AdministrativeUnit,
    procedure_code: str,
    sector: str,
    channel: str,
    completed_at: dt.datetime,
    questionnaire_code: str | None = None,
) -> Registration:
    """Record a completed transaction and its one-time survey link; idempotent on external_id.

    A repeated call with an external id already known returns the first registration
    unchanged (``created`` False), whatever the rest of the payload says.
    """
    existing = (
        ServiceTransaction.objects.select_related("invitation")
        .filter(external_id=external_id)
        .first()
    )
    if existing is not None:
        return Registration(existing, existing.invitation, created=False)
    code = questionnaire_code or settings.SURVEY_DEFAULT_QUESTIONNAIRE
    version = version_current(questionnaire_code=code)
    if version is None:
        raise ValidationError(
            {"questionnaire": _("No published version of %(code)s.") % {"code": code}}
        )
    record = ServiceTransaction(
        external_id=external_id,
        unit=unit,
        procedure_code=procedure_code,
        sector=sector,
        channel=channel,
        completed_at=completed_at,
    )
    record.full_clean()
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError:
        # A concurrent call registered the same external id first: return its result.
        existing = ServiceTransaction.objects.select_related("invitation").get(
            external_id=external_id
        )
        return Registration(existing, existing.invitation, created=False)
    invitation = Invitation.objects.create(
        token=token_new(),
        transaction=record,
        version=version,
        expires_at=timezone.now() + dt.timedelta(days=settings.SURVEY_TOKEN_TTL_DAYS),
    )
    return Registration(record, invitation, created=True)


def invitation_check_open(invitation: Invitation, *, now: dt.datetime | None = None) -> None:
    if invitation.completed_at is not None:
        raise SurveyClosed("used")
    if invitation.expires_at <= (now or timezone.now()):
        raise SurveyClosed("expired")


@transaction.atomic
def response_submit(*, token: str, answers: dict[str, Any]) -> Response:
    """Store the one response a link allows. Raises Invitation.DoesNotExist, SurveyClosed,
    AnswersInvalid; on any of them nothing is written."""
    invitation = (
        Invitation.objects.select_for_update()
        .select_related("transaction", "version")
        .get(token=token)
    )
    invitation_check_open(invitation)
    cleaned, errors = answers_clean(invitation.version.definition, answers)
    if errors:
        raise AnswersInvalid(errors)
    now = timezone.now()
    record = invitation.transaction
    response = Response(
        invitation=invitation,
        version=invitation.version,
        unit_id=record.unit_id,
        sector=record.sector,
        channel=record.channel,
        answers=cleaned,
        submitted_at=now,
    )
    try:
        with transaction.atomic():
            response.save()
    except IntegrityError:
        raise SurveyClosed("used") from None
    invitation.completed_at = now
    invitation.save(update_fields=["completed_at"])
    return response
