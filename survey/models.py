"""Collection: service transactions, invitations and responses.

Personal data of a transaction (names, phone numbers, ID numbers) never enters these
tables: a ServiceTransaction keeps only what weighting needs (unit, procedure, sector,
channel, completion time) and the source system's external id.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from org.models import AdministrativeUnit
from questionnaires.models import QuestionnaireVersion


class Channel(models.TextChoices):
    """How the public service was delivered: one vocabulary for the API, imports, the
    SIPAS "channel" question and the weighting frame. How a respondent reached the
    survey (a firm's e-mail, an open link) is the invitation's kind, not a channel: such
    answers carry the channel they gave in the questionnaire, or none."""

    COUNTER = "counter", _("At the counter")
    ONLINE = "online", _("Fully online")
    PARTLY_ONLINE = "partly_online", _("Partly online")
    POSTAL = "postal", _("By post")


class Source(models.TextChoices):
    FORM = "form", _("Public form")
    API = "api", _("API")
    IMPORT = "import", _("Bulk import")


class Campaign(models.Model):
    """How answers to one questionnaire are collected over a part of the unit tree.

    The survey-side twin of an analysis round: it carries what collection needs and
    analysis does not (token lifetime, reminders, open-link quotas). A transaction
    registered in a unit takes the lifetime of the most specific active transaction
    campaign whose scope contains the unit; without one, SURVEY_TOKEN_TTL_DAYS.
    """

    class Mode(models.TextChoices):
        TRANSACTION = "transaction", _("Transaction-linked links")
        FIRM = "firm", _("Personal invitations to firms")
        OPEN = "open", _("Open link with quotas")
        # The short form counter kiosks in the scope show (survey.kiosks).
        KIOSK = "kiosk", _("Counter kiosks")

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    questionnaire = models.ForeignKey(
        "questionnaires.Questionnaire", on_delete=models.PROTECT, related_name="campaigns"
    )
    scope = models.ForeignKey(
        AdministrativeUnit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="campaigns",
        help_text=_("This unit and every unit below it; empty means everywhere."),
    )
    mode = models.CharField(_("mode"), max_length=16, choices=Mode.choices)
    token_ttl_days = models.PositiveSmallIntegerField(_("link lifetime (days)"), default=30)
    is_active = models.BooleanField(_("active"), default=True)
    open_token = models.CharField(max_length=64, unique=True, null=True, blank=True)
    reminder_interval_days = models.PositiveSmallIntegerField(
        _("days between reminders"), default=7
    )
    max_reminders = models.PositiveSmallIntegerField(_("reminders at most"), default=2)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("collection campaign")
        verbose_name_plural = _("collection campaigns")

    def __str__(self) -> str:
        return self.name


class CampaignQuota(models.Model):
    """How many complete answers an open-link campaign takes for one unit."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="quotas")
    unit = models.ForeignKey(AdministrativeUnit, on_delete=models.PROTECT, related_name="+")
    quota = models.PositiveIntegerField(_("quota"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "unit"], name="campaign_quota_unique")
        ]
        verbose_name = _("quota")
        verbose_name_plural = _("quotas")

    def __str__(self) -> str:
        return f"{self.campaign.code}/{self.unit.code}: {self.quota}"


class ApiClient(models.Model):
    """A one-stop-shop system allowed to register transactions for some units.

    Only a SHA-256 of the key is stored; the key is shown once, when it is created.
    """

    name = models.CharField(_("name"), max_length=200)
    key_prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64)
    units = models.ManyToManyField(
        AdministrativeUnit,
        related_name="api_clients",
        help_text=_("The client may register transactions in these units and below them."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")

    def __str__(self) -> str:
        return self.name

    # DRF treats request.user as authenticated when this is true.
    is_authenticated = True


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
    client = models.ForeignKey(
        ApiClient, on_delete=models.PROTECT, null=True, blank=True, related_name="transactions"
    )

    class Meta:
        indexes = [models.Index(fields=["unit", "sector", "completed_at"])]
        verbose_name = _("service transaction")
        verbose_name_plural = _("service transactions")

    def __str__(self) -> str:
        return self.external_id


class Firm(models.Model):
    """One firm of a business-survey sample list: contact data for sending invitations.

    Kept apart from the answers: a Response never copies any of these fields; only the
    sampling strata (size, sector, ownership) go to the response profile for weighting.
    """

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="firms")
    email = models.EmailField(_("email"))
    name = models.CharField(_("firm name"), max_length=300, blank=True)
    tax_code = models.CharField(_("tax code"), max_length=20, blank=True)
    unit = models.ForeignKey(
        AdministrativeUnit,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The department or district the firm is asked about."),
    )
    size = models.CharField(_("size"), max_length=32, blank=True)
    sector = models.CharField(_("sector"), max_length=64, blank=True)
    ownership = models.CharField(_("ownership"), max_length=32, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "email", "unit"], name="firm_unique_per_campaign_unit"
            )
        ]
        verbose_name = _("firm")
        verbose_name_plural = _("firms")

    def __str__(self) -> str:
        return f"firm {self.pk}"


class Invitation(models.Model):
    """A one-time survey link, bound to the version current when it was made.

    Made for a transaction (citizen surveys), for a firm of a sample list, or for a
    visitor of an open link. ``unit``, ``sector`` and ``channel`` are what the response
    will carry; for transactions they are copied from the transaction.
    """

    class Kind(models.TextChoices):
        TRANSACTION = "transaction", _("Transaction")
        FIRM = "firm", _("Firm invitation")
        OPEN = "open", _("Open link")

    class Status(models.TextChoices):
        CREATED = "created", _("Created")
        SENT = "sent", _("Sent")
        OPENED = "opened", _("Opened")
        PARTIAL = "partial", _("Partly answered")
        COMPLETE = "complete", _("Complete")
        BOUNCED = "bounced", _("Bounced")

    token = models.CharField(max_length=64, unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.TRANSACTION)
    transaction = models.OneToOneField(
        ServiceTransaction,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="invitation",
    )
    firm = models.OneToOneField(
        Firm, on_delete=models.CASCADE, null=True, blank=True, related_name="invitation"
    )
    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, null=True, blank=True, related_name="invitations"
    )
    version = models.ForeignKey(
        QuestionnaireVersion, on_delete=models.PROTECT, related_name="invitations"
    )
    unit = models.ForeignKey(
        AdministrativeUnit, on_delete=models.PROTECT, null=True, related_name="invitations"
    )
    sector = models.CharField(_("sector"), max_length=64, blank=True)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, blank=True)
    expires_at = models.DateTimeField(_("expires at"))
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Tracking (business invitations mostly; opened/started for every kind).
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    bounced_at = models.DateTimeField(_("bounced at"), null=True, blank=True)
    bounce_reason = models.CharField(max_length=300, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    last_contact_at = models.DateTimeField(null=True, blank=True)
    # When the firm was sent the "we received your answer" e-mail (once).
    receipt_sent_at = models.DateTimeField(_("receipt sent at"), null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["campaign", "completed_at"])]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return f"invitation {self.pk}"

    @property
    def status(self) -> str:
        if self.completed_at:
            return self.Status.COMPLETE
        if self.bounced_at:
            return self.Status.BOUNCED
        if self.started_at:
            return self.Status.PARTIAL
        if self.opened_at:
            return self.Status.OPENED
        if self.sent_at:
            return self.Status.SENT
        return self.Status.CREATED


class ResponseDraft(models.Model):
    """Answers saved page by page before the respondent sends them.

    Partial answers live here, never in Response: analysis reads Response only. The draft
    is deleted when the response is stored.
    """

    invitation = models.OneToOneField(Invitation, on_delete=models.CASCADE, related_name="draft")
    answers = models.JSONField(default=dict)
    section = models.CharField(max_length=64, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("draft")
        verbose_name_plural = _("drafts")

    def __str__(self) -> str:
        return f"draft {self.pk}"


class ImportBatch(models.Model):
    """One uploaded file of paper or kiosk answers, its row-by-row report and outcome."""

    class Mode(models.TextChoices):
        ALL_OR_NOTHING = "all", _("All or nothing")
        GOOD_ROWS = "good", _("Good rows only")

    class Status(models.TextChoices):
        VALIDATED = "validated", _("Checked, not imported")
        IMPORTED = "imported", _("Imported")
        REJECTED = "rejected", _("Rejected")

    version = models.ForeignKey(
        QuestionnaireVersion, on_delete=models.PROTECT, related_name="import_batches"
    )
    file_name = models.CharField(max_length=255)
    file_sha256 = models.CharField(max_length=64, db_index=True)
    mode = models.CharField(max_length=8, choices=Mode.choices)
    status = models.CharField(max_length=16, choices=Status.choices)
    rows_total = models.PositiveIntegerField(default=0)
    rows_valid = models.PositiveIntegerField(default=0)
    rows_invalid = models.PositiveIntegerField(default=0)
    rows_duplicate = models.PositiveIntegerField(default=0)
    rows_imported = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("import batch")
        verbose_name_plural = _("import batches")

    def __str__(self) -> str:
        return self.file_name


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
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, blank=True)
    answers = models.JSONField(_("answers"))
    submitted_at = models.DateTimeField(_("submitted at"), db_index=True)
    # Sampling strata that do not come from the answers (firm size, ownership …).
    profile = models.JSONField(_("profile"), default=dict, blank=True)
    # Calculated values of the definition, evaluated once at submission.
    calculated = models.JSONField(_("calculated values"), default=dict, blank=True)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.FORM)
    import_batch = models.ForeignKey(
        ImportBatch, on_delete=models.PROTECT, null=True, blank=True, related_name="responses"
    )
    # SHA-256 of the import row's identity: re-importing a row is a no-op.
    import_key = models.CharField(max_length=64, unique=True, null=True, blank=True)
    idempotency_key = models.CharField(max_length=100, unique=True, null=True, blank=True)
    # SHA-256 of the cleaned answers (import duplicates). Nothing here can lead back to
    # the sender's address: open-link duplicate checks live in the cache for a while.
    answers_hash = models.CharField(max_length=64, blank=True, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["version", "unit"])]
        verbose_name = _("response")
        verbose_name_plural = _("responses")

    def __str__(self) -> str:
        return f"response {self.pk}"


class Kiosk(models.Model):
    """A tablet beside a counter of a one-stop shop, showing the survey of the
    transaction just completed at that counter.

    The device knows only its ``device_token`` (in the kiosk page's address); a staff
    member pairs it to a unit and counter with the short ``pairing_code`` it shows.
    ``invitation`` is the survey on screen, cleared when answered or abandoned.
    """

    device_token = models.CharField(max_length=64, unique=True)
    pairing_code = models.CharField(max_length=8, blank=True, db_index=True)
    code_expires_at = models.DateTimeField(null=True, blank=True)
    unit = models.ForeignKey(
        AdministrativeUnit, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    counter = models.CharField(_("counter"), max_length=32, blank=True)
    paired_at = models.DateTimeField(_("paired at"), null=True, blank=True)
    paired_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    invitation = models.ForeignKey(
        Invitation, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "counter"],
                condition=models.Q(unit__isnull=False),
                name="kiosk_one_per_counter",
            )
        ]
        verbose_name = _("kiosk")
        verbose_name_plural = _("kiosks")

    def __str__(self) -> str:
        return f"kiosk {self.pk}"
