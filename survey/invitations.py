"""Business (DDCI) invitations: a sample list of firms → personal links sent by email,
with reminders and tracking (sent, opened, partial, complete, bounced)."""

import datetime as dt
import logging
import smtplib
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from org.models import AdministrativeUnit
from questionnaires.definition import label
from questionnaires.selectors import version_current
from survey.imports import table_read
from survey.models import Campaign, Firm, Invitation
from survey.services import invitation_url, token_new

logger = logging.getLogger(__name__)

FIRM_COLUMNS = ["email", "unit", "name", "tax_code", "size", "sector", "ownership"]


@dataclass(frozen=True)
class FirmUpload:
    created: int
    existing: int
    errors: list[dict[str, Any]]


@transaction.atomic
def firms_upload(*, campaign: Campaign, file_name: str, content: bytes) -> FirmUpload:
    """Add the firms of a sample list (CSV/XLSX) and make one personal link per firm.

    Columns: email, unit (code of the department/district asked about), and optionally
    name, tax_code, size, sector, ownership. A firm already listed for the same unit is
    kept as it is. Any bad row rejects the whole file (the list is the sample frame: a
    half-loaded frame would bias the response rates).
    """
    if campaign.mode != Campaign.Mode.FIRM:
        raise ValidationError(_("This campaign does not send personal invitations."))
    version = version_current(questionnaire_code=campaign.questionnaire.code)
    if version is None:
        raise ValidationError(_("The questionnaire has no published version."))
    header, rows = table_read(file_name, content)
    header = [h.lower() for h in header]
    errors: list[dict[str, Any]] = []
    for required in ("email", "unit"):
        if required not in header:
            errors.append({"row": 1, "column": required, "message": _("The column is missing.")})
    if errors:
        return FirmUpload(0, 0, errors)
    units = dict(AdministrativeUnit.objects.values_list("code", "id"))
    seen: set[tuple[str, int]] = set()
    firms = []
    for offset, raw in enumerate(rows):
        cells = {h: (raw[i] if i < len(raw) else "") for i, h in enumerate(header)}
        number = offset + 2
        if not any(cells.values()):
            continue
        email = cells.get("email", "").strip().lower()
        try:
            validate_email(email)
        except ValidationError:
            errors.append({"row": number, "column": "email", "message": _("Enter a valid email.")})
            continue
        unit_id = units.get(cells.get("unit", ""))
        if unit_id is None:
            errors.append(
                {
                    "row": number,
                    "column": "unit",
                    "message": _("No administrative unit with code %(code)s.")
                    % {"code": cells.get("unit", "")},
                }
            )
            continue
        if (email, unit_id) in seen:
            continue
        seen.add((email, unit_id))
        firms.append(
            Firm(
                campaign=campaign,
                email=email,
                unit_id=unit_id,
                name=cells.get("name", "")[:300],
                tax_code=cells.get("tax_code", "")[:20],
                size=cells.get("size", "")[:32],
                sector=cells.get("sector", "")[:64],
                ownership=cells.get("ownership", "")[:32],
            )
        )
    if errors:
        return FirmUpload(0, 0, errors)
    before = Firm.objects.filter(campaign=campaign).count()
    Firm.objects.bulk_create(firms, ignore_conflicts=True)
    created = Firm.objects.filter(campaign=campaign).count() - before
    expires = timezone.now() + dt.timedelta(days=campaign.token_ttl_days)
    Invitation.objects.bulk_create(
        [
            Invitation(
                token=token_new(),
                kind=Invitation.Kind.FIRM,
                firm=firm,
                campaign=campaign,
                version=version,
                unit_id=firm.unit_id,
                sector=firm.sector,
                expires_at=expires,
            )
            for firm in Firm.objects.filter(campaign=campaign, invitation__isnull=True)
        ]
    )
    return FirmUpload(created, len(firms) - created, [])


def _message(invitation: Invitation, *, reminder: bool) -> EmailMultiAlternatives:
    firm = invitation.firm
    assert firm is not None
    language = settings.LANGUAGE_CODE
    with translation.override(language):
        context = {
            "firm": firm,
            "unit": invitation.unit,
            "reminder": reminder,
            "url": invitation_url(invitation),
            "pixel_url": settings.PUBLIC_BASE_URL
            + reverse("survey:opened", args=[invitation.token]),
            "title": label(invitation.version.definition.get("title"), language),
            "expires_at": invitation.expires_at,
        }
        subject = (_("Reminder: ") if reminder else "") + _("Business survey: %(unit)s") % {
            "unit": invitation.unit.name if invitation.unit else ""
        }
        text = render_to_string("survey/email/invitation.txt", context)
        html = render_to_string("survey/email/invitation.html", context)
    message = EmailMultiAlternatives(subject, text, settings.SURVEY_EMAIL_FROM, [firm.email])
    message.attach_alternative(html, "text/html")
    return message


def invitation_send(
    invitation: Invitation, *, reminder: bool = False, now: dt.datetime | None = None
) -> bool:
    """Send one invitation (or reminder); a refused address marks it bounced."""
    now = now or timezone.now()
    try:
        _message(invitation, reminder=reminder).send(fail_silently=False)
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused) as error:
        invitation.bounced_at, invitation.bounce_reason = now, str(error)[:300]
        invitation.save(update_fields=["bounced_at", "bounce_reason"])
        return False
    fields = ["last_contact_at"]
    invitation.last_contact_at = now
    if reminder:
        invitation.reminders_sent += 1
        fields.append("reminders_sent")
    if invitation.sent_at is None:
        invitation.sent_at = now
        fields.append("sent_at")
    invitation.save(update_fields=fields)
    return True


def receipt_send(*, invitation_id: int) -> bool:
    """E-mail a firm that its answer arrived; once per invitation (safe to retry)."""
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update(of=("self",))
            .select_related("firm", "unit", "version")
            .get(pk=invitation_id)
        )
        firm = invitation.firm
        if (
            invitation.receipt_sent_at
            or invitation.completed_at is None
            or invitation.bounced_at
            or firm is None
            or not firm.email
        ):
            return False
        with translation.override(settings.LANGUAGE_CODE):
            context = {
                "firm": firm,
                "unit": invitation.unit,
                "title": label(invitation.version.definition.get("title"), settings.LANGUAGE_CODE),
                "completed_at": invitation.completed_at,
            }
            subject = _("Thank you: your answer to “%(title)s” was received") % context
            text = render_to_string("survey/email/receipt.txt", context)
            html = render_to_string("survey/email/receipt.html", context)
        message = EmailMultiAlternatives(subject, text, settings.SURVEY_EMAIL_FROM, [firm.email])
        message.attach_alternative(html, "text/html")
        message.send(fail_silently=False)
        invitation.receipt_sent_at = timezone.now()
        invitation.save(update_fields=["receipt_sent_at"])
        return True


def _sendable() -> Any:
    return Invitation.objects.filter(
        kind=Invitation.Kind.FIRM,
        completed_at__isnull=True,
        bounced_at__isnull=True,
        campaign__is_active=True,
    ).select_related("firm", "unit", "version", "campaign")


def invitations_send(*, campaign_id: int) -> int:
    """Send every invitation of a campaign not sent yet; safe to run twice."""
    sent = 0
    for invitation in _sendable().filter(campaign_id=campaign_id, sent_at__isnull=True):
        sent += invitation_send(invitation)
    return sent


def reminders_send(*, now: dt.datetime | None = None) -> int:
    """Remind firms that have not completed, as each campaign's rhythm allows."""
    now = now or timezone.now()
    due = 0
    candidates = _sendable().filter(sent_at__isnull=False, expires_at__gt=now)
    for invitation in candidates.filter(~Q(last_contact_at=None)):
        campaign = invitation.campaign
        assert campaign is not None
        if invitation.reminders_sent >= campaign.max_reminders:
            continue
        if now - invitation.last_contact_at < dt.timedelta(days=campaign.reminder_interval_days):
            continue
        due += invitation_send(invitation, reminder=True, now=now)
    return due


def invitations_mark_bounced(*, campaign: Campaign, emails: list[str], reason: str = "") -> int:
    """Record bounces reported later by the mail system (by address)."""
    addresses = [e.strip().lower() for e in emails if e.strip()]
    return Invitation.objects.filter(
        campaign=campaign, firm__email__in=addresses, bounced_at__isnull=True
    ).update(bounced_at=timezone.now(), bounce_reason=reason[:300])


def campaign_tracking(campaign: Campaign) -> dict[str, int]:
    """How many invitations are in each state."""
    counts = dict.fromkeys(Invitation.Status.values, 0)
    for invitation in Invitation.objects.filter(campaign=campaign).only(
        "completed_at", "bounced_at", "started_at", "opened_at", "sent_at"
    ):
        counts[invitation.status] += 1
    return counts
