"""Counter kiosks: a tablet paired to a counter shows the survey of the transaction just
registered for that counter, then resets for the next citizen.

Flow: the device opens /kiosk/ and gets a kiosk page with a short pairing code; a staff
member of the unit enters the code with the counter (kiosk_pair); when the one-stop-shop
system registers a transaction with that ``counter``, its link is made on the kiosk's
short form and put on screen (kiosk_show, called by transactions_register); the page
polls kiosk_state, shows the form, and resets after the answer or an idle timeout
(kiosk_reset). Without a paired kiosk the citizen keeps the QR receipt.
"""

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from org.models import AdministrativeUnit
from org.services import audit_record
from questionnaires.models import Questionnaire, QuestionnaireVersion
from questionnaires.selectors import version_current_lean
from survey.models import Campaign, Invitation, Kiosk
from survey.selectors import unit_ancestors

PAIRING_MINUTES = 15
# Audited actions (org.services.Action keeps strings: an app adds its own).
KIOSK_PAIR = "kiosk.pair"
KIOSK_UNPAIR = "kiosk.unpair"
KIOSK_FORM = "kiosk.form"


def _free_code() -> str:
    """Six digits no other kiosk shows right now (a code names one tablet)."""
    for _attempt in range(10):
        code = f"{secrets.randbelow(1_000_000):06d}"
        if not Kiosk.objects.filter(pairing_code=code, code_expires_at__gt=timezone.now()).exists():
            return code
    raise RuntimeError("no free pairing code")


def kiosk_start() -> Kiosk:
    """A new, unpaired kiosk with a fresh six-digit pairing code."""
    return Kiosk.objects.create(
        device_token=secrets.token_urlsafe(24),
        pairing_code=_free_code(),
        code_expires_at=timezone.now() + dt.timedelta(minutes=PAIRING_MINUTES),
    )


@transaction.atomic
def kiosk_pair(*, code: str, unit: AdministrativeUnit, counter: str, actor: Any = None) -> Kiosk:
    """Pair the kiosk showing ``code`` to a counter of ``unit``; a kiosk paired to that
    counter before is unpaired (the tablet was replaced)."""
    code, counter = code.strip(), counter.strip()
    kiosk = (
        Kiosk.objects.select_for_update()
        .filter(pairing_code=code, code_expires_at__gt=timezone.now(), unit__isnull=True)
        .first()
    )
    if kiosk is None or not code:
        raise ValidationError({"code": _("No kiosk shows this code (it lasts 15 minutes).")})
    if not counter:
        raise ValidationError({"counter": _("Name the counter, e.g. 3.")})
    for replaced in Kiosk.objects.select_for_update().filter(unit=unit, counter=counter):
        kiosk_unpair(kiosk=replaced, actor=actor, reason=_("Replaced by another tablet."))
    kiosk.unit, kiosk.counter = unit, counter
    kiosk.pairing_code, kiosk.code_expires_at = "", None
    kiosk.paired_at = timezone.now()
    kiosk.paired_by = actor if getattr(actor, "is_authenticated", False) else None
    kiosk.full_clean(exclude=["unit", "paired_by", "invitation"])
    try:
        with transaction.atomic():
            kiosk.save()
    except IntegrityError:  # paired by someone else at the same moment
        raise ValidationError({"counter": _("This counter was just paired.")}) from None
    audit_record(
        actor=actor,
        action=KIOSK_PAIR,
        obj=kiosk,
        after={"unit": unit.code, "counter": counter},
        unit=unit,
    )
    return kiosk


@transaction.atomic
def kiosk_unpair(*, kiosk: Kiosk, actor: Any = None, reason: str = "") -> None:
    """Take a tablet off its counter (it shows a new pairing code); audited."""
    unit, counter = kiosk.unit, kiosk.counter
    Kiosk.objects.filter(pk=kiosk.pk).update(unit=None, counter="", invitation=None)
    kiosk.unit, kiosk.counter, kiosk.invitation = None, "", None
    audit_record(
        actor=actor,
        action=KIOSK_UNPAIR,
        obj=kiosk,
        before={"unit": unit.code if unit else None, "counter": counter},
        reason=reason,
        unit=unit,
    )


@transaction.atomic
def kiosk_form_choose(
    *, scope: AdministrativeUnit, questionnaire: Questionnaire, actor: Any = None
) -> Campaign:
    """The designer's choice: kiosks at ``scope`` and below show ``questionnaire`` (its
    current published version); replaces the form chosen for that scope before. A
    nearer scope's choice wins (kiosk_version)."""
    if not questionnaire.versions.exists():
        raise ValidationError({"questionnaire": _("Publish the questionnaire first.")})
    campaign = (
        Campaign.objects.select_for_update()
        .filter(mode=Campaign.Mode.KIOSK, scope=scope)
        .order_by("-is_active", "pk")
        .first()
    )
    before = (
        {"questionnaire": campaign.questionnaire.code, "active": campaign.is_active}
        if campaign
        else None
    )
    if campaign is None:
        campaign = Campaign(code=_kiosk_campaign_code(scope), mode=Campaign.Mode.KIOSK, scope=scope)
    campaign.name = _("Counter kiosks: %(unit)s") % {"unit": scope.name}
    campaign.questionnaire, campaign.is_active = questionnaire, True
    campaign.full_clean()
    campaign.save()
    audit_record(
        actor=actor,
        action=KIOSK_FORM,
        obj=campaign,
        before=before,
        after={"questionnaire": questionnaire.code, "active": True, "scope": scope.code},
        unit=scope,
    )
    return campaign


@transaction.atomic
def kiosk_form_stop(*, campaign: Campaign, actor: Any = None) -> None:
    """Kiosks of this scope fall back to a wider scope's form, or to the transaction's
    own questionnaire."""
    Campaign.objects.filter(pk=campaign.pk).update(is_active=False)
    audit_record(
        actor=actor,
        action=KIOSK_FORM,
        obj=campaign,
        before={"questionnaire": campaign.questionnaire.code, "active": True},
        after={"questionnaire": campaign.questionnaire.code, "active": False},
        unit=campaign.scope,
    )
    campaign.is_active = False


def _kiosk_campaign_code(scope: AdministrativeUnit) -> str:
    base = slugify(f"kiosk-{scope.code}")[:56] or "kiosk"
    code, n = base, 1
    while Campaign.objects.filter(code=code).exists():
        n += 1
        code = f"{base}-{n}"
    return code


def kiosk_version(
    *, unit_id: int, parents: dict[int, int | None], campaigns: list[Campaign]
) -> QuestionnaireVersion | None:
    """The current version of the short form of the nearest active kiosk campaign."""
    by_scope = {c.scope_id: c for c in campaigns}
    for ancestor in [*unit_ancestors(unit_id, parents), None]:
        if ancestor in by_scope:
            return version_current_lean(questionnaire_code=by_scope[ancestor].questionnaire.code)
    return None


def kiosks_for(pairs: set[tuple[int, str]]) -> dict[tuple[int, str], Kiosk]:
    """Paired kiosks by (unit id, counter): one query for a whole batch."""
    if not pairs:
        return {}
    units = {unit_id for unit_id, _counter in pairs}
    counters = {counter for _unit, counter in pairs}
    return {
        (k.unit_id, k.counter): k
        for k in Kiosk.objects.filter(unit_id__in=units, counter__in=counters)
        if (k.unit_id, k.counter) in pairs
    }


def kiosk_campaigns() -> list[Campaign]:
    return list(
        Campaign.objects.filter(mode=Campaign.Mode.KIOSK, is_active=True).select_related(
            "questionnaire"
        )
    )


def kiosk_show(kiosk: Kiosk, invitation: Invitation) -> None:
    """Put a citizen's survey on the kiosk (replacing one left unanswered)."""
    Kiosk.objects.filter(pk=kiosk.pk).update(invitation=invitation)


@dataclass(frozen=True)
class KioskState:
    state: str  # 'unpaired', 'waiting', 'survey', 'done'
    code: str = ""
    counter: str = ""
    token: str = ""

    def as_dict(self) -> dict[str, str]:
        return {k: v for k, v in self.__dict__.items() if v}


def kiosk_state(kiosk: Kiosk) -> KioskState:
    """What the kiosk should show now. An answered survey is reported once as 'done' and
    taken off the kiosk; an expired one simply disappears."""
    if kiosk.unit_id is None:
        if kiosk.code_expires_at is None or kiosk.code_expires_at <= timezone.now():
            # A kiosk left unpaired gets a new code rather than a dead one.
            kiosk.pairing_code = _free_code()
            kiosk.code_expires_at = timezone.now() + dt.timedelta(minutes=PAIRING_MINUTES)
            kiosk.save(update_fields=["pairing_code", "code_expires_at"])
        return KioskState("unpaired", code=kiosk.pairing_code)
    invitation = kiosk.invitation
    if invitation is None:
        return KioskState("waiting", counter=kiosk.counter)
    if invitation.completed_at is not None:
        Kiosk.objects.filter(pk=kiosk.pk, invitation=invitation).update(invitation=None)
        return KioskState("done", counter=kiosk.counter)
    if invitation.expires_at <= timezone.now():
        Kiosk.objects.filter(pk=kiosk.pk, invitation=invitation).update(invitation=None)
        return KioskState("waiting", counter=kiosk.counter)
    return KioskState("survey", counter=kiosk.counter, token=invitation.token)


def kiosk_reset(kiosk: Kiosk, token: str) -> None:
    """The citizen walked away (idle timeout): the survey leaves the screen. Their link
    stays valid, so the QR receipt still works at home."""
    Kiosk.objects.filter(pk=kiosk.pk, invitation__token=token).update(invitation=None)


def idle_seconds() -> int:
    return settings.SURVEY_KIOSK_IDLE_SECONDS
