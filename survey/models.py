"""Collection: administrative units, service transactions, invitations and responses.

Personal data of a transaction (names, phone numbers, ID numbers) never enters these
tables: a ServiceTransaction keeps only what weighting needs (unit, procedure, sector,
channel, completion time) and the source system's external id.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from questionnaires.models import QuestionnaireVersion


class UnitLevel(models.Model):
    """A tier of the administrative map (province, district, commune/ward, department).

    Levels are data: the 2025 reform removed the district tier, older rounds keep it.
    """

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    rank = models.PositiveSmallIntegerField(_("rank"), help_text=_("0 = top of the tree"))

    class Meta:
        ordering = ["rank", "code"]
        verbose_name = _("unit level")
        verbose_name_plural = _("unit levels")

    def __str__(self) -> str:
        return self.name


class AdministrativeUnit(models.Model):
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    level = models.ForeignKey(UnitLevel, on_delete=models.PROTECT, related_name="units")
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    successors = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="predecessors"
    )

    class Meta:
        ordering = ["level__rank", "code"]
        verbose_name = _("administrative unit")
        verbose_name_plural = _("administrative units")

    def __str__(self) -> str:
        return self.name


class Channel(models.TextChoices):
    COUNTER = "counter", _("At the counter")
    ONLINE = "online", _("Fully online")
    PARTLY_ONLINE = "partly_online", _("Partly online")
    POSTAL = "postal", _("By post")


class ServiceTransaction(models.Model):
    """A completed public-service transaction reported by a one-stop-shop system."""

    external_id = models.CharField(_("external id"), max_length=100, unique=True)
    unit = models.ForeignKey(
        AdministrativeUnit, on_delete=models.PROTECT, related_name="transactions"
    )
    procedure_code = models.CharField(_("procedure"), max_length=64)
    sector = models.CharField(_("sector"), max_length=64, db_index=True)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    completed_at = models.DateTimeField(_("completed at"), db_index=True)
    registered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["unit", "sector", "completed_at"])]
        verbose_name = _("service transaction")
        verbose_name_plural = _("service transactions")

    def __str__(self) -> str:
        return self.external_id


class Invitation(models.Model):
    """A one-time survey link tied to one transaction and the version current at the time."""

    token = models.CharField(max_length=64, unique=True)
    transaction = models.OneToOneField(
        ServiceTransaction, on_delete=models.CASCADE, related_name="invitation"
    )
    version = models.ForeignKey(
        QuestionnaireVersion, on_delete=models.PROTECT, related_name="invitations"
    )
    expires_at = models.DateTimeField(_("expires at"))
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return f"invitation {self.pk}"


class Response(models.Model):
    """A citizen's answers, keyed by question code. The source of truth for analysis."""

    invitation = models.OneToOneField(
        Invitation, on_delete=models.PROTECT, null=True, blank=True, related_name="response"
    )
    version = models.ForeignKey(
        QuestionnaireVersion, on_delete=models.PROTECT, related_name="responses"
    )
    unit = models.ForeignKey(AdministrativeUnit, on_delete=models.PROTECT, related_name="responses")
    sector = models.CharField(_("sector"), max_length=64)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    answers = models.JSONField(_("answers"))
    submitted_at = models.DateTimeField(_("submitted at"), db_index=True)

    class Meta:
        indexes = [models.Index(fields=["version", "unit"])]
        verbose_name = _("response")
        verbose_name_plural = _("responses")

    def __str__(self) -> str:
        return f"response {self.pk}"
