"""The reform index: frameworks (criteria trees), scoring rounds, self-scores with
evidence and appraisal, and survey-based points read from published estimates.

The top of the house: reform imports analysis and org; nothing imports reform.
The arithmetic is in reform.scoring (no Django); these rows are its inputs.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from analysis.models import AnalysisRun, Estimate, SurveyRound
from org.models import AdministrativeUnit


class Framework(models.Model):
    """A criteria tree for one year, level and kind; frozen once a scoring round opens."""

    class Kind(models.TextChoices):
        PAR = "par", _("PAR Index")
        DDCI = "ddci", _("DDCI")
        PCI = "pci", _("PCI")

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    year = models.PositiveSmallIntegerField(_("year"))
    level = models.CharField(
        _("level"), max_length=32, help_text=_("The code of the unit level it scores.")
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    total = models.FloatField(_("total"), default=100)
    bands = models.JSONField(_("bands"), default=list, blank=True)
    example = models.BooleanField(
        _("example"), default=False, help_text=_("Not published in full: an example to adapt.")
    )
    note = models.TextField(_("note"), blank=True)
    frozen = models.BooleanField(_("frozen"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-year", "code"]
        verbose_name = _("framework")
        verbose_name_plural = _("frameworks")

    def __str__(self) -> str:
        return self.name


class Criterion(models.Model):
    """A node of the tree: domain → criterion → sub-criterion, or a bonus/penalty item."""

    class Kind(models.TextChoices):
        DOMAIN = "domain", _("domain")
        CRITERION = "criterion", _("criterion")
        SUBCRITERION = "subcriterion", _("sub-criterion")
        BONUS = "bonus", _("bonus")
        PENALTY = "penalty", _("penalty")

    class Leaf(models.TextChoices):
        ASSESSED = "assessed", _("assessed")
        SURVEY = "survey", _("survey-based")

    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="criteria")
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="children"
    )
    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=300)
    name_en = models.CharField(_("name (English)"), max_length=300, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    position = models.PositiveIntegerField(_("position"))
    maximum = models.FloatField(_("maximum points"), null=True, blank=True)
    weight = models.FloatField(_("weight (%)"), null=True, blank=True)
    leaf = models.CharField(_("leaf kind"), max_length=8, choices=Leaf.choices, blank=True)
    rule = models.JSONField(_("conversion rule"), null=True, blank=True)
    component = models.CharField(
        _("survey component"), max_length=64, blank=True, help_text=_("e.g. sipas.access")
    )
    example = models.BooleanField(_("example"), default=False)

    class Meta:
        ordering = ["framework_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["framework", "code"], name="criterion_code_unique")
        ]
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ScoringRound(models.Model):
    """One year's assessment under a framework, over the units of its level in ``scope``."""

    framework = models.ForeignKey(Framework, on_delete=models.PROTECT, related_name="rounds")
    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    year = models.PositiveSmallIntegerField(_("year"))
    scope = models.ForeignKey(
        AdministrativeUnit,
        on_delete=models.PROTECT,
        related_name="scoring_rounds",
        help_text=_("The units of the framework's level below this unit are scored."),
    )
    survey_round = models.ForeignKey(
        SurveyRound,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="scoring_rounds",
        help_text=_("Survey-based points come from its latest successful run, once published."),
    )
    self_score_deadline = models.DateTimeField(_("self-assessment deadline"))
    appraisal_deadline = models.DateTimeField(_("appraisal deadline"))
    publication_date = models.DateTimeField(_("publication date"))
    previous = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Last year's round, for the change in points and ranks."),
    )
    locked_at = models.DateTimeField(_("locked by the council at"), null=True, blank=True)
    published = models.BooleanField(_("published"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-year", "code"]
        verbose_name = _("scoring round")
        verbose_name_plural = _("scoring rounds")

    def __str__(self) -> str:
        return self.name


class Score(models.Model):
    """A unit's points on one assessed leaf: self-score, then the appraisal."""

    class Status(models.TextChoices):
        SELF = "self", _("self-assessed")
        ACCEPTED = "accepted", _("accepted")
        ADJUSTED = "adjusted", _("adjusted")

    round = models.ForeignKey(ScoringRound, on_delete=models.CASCADE, related_name="scores")
    unit = models.ForeignKey(AdministrativeUnit, on_delete=models.PROTECT, related_name="+")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="scores")
    self_points = models.FloatField(_("self-assessed points"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    appraised_points = models.FloatField(_("appraised points"), null=True, blank=True)
    appraisal_reason = models.TextField(_("appraisal reason"), blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SELF)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["round_id", "unit_id", "criterion__position"]
        constraints = [
            models.UniqueConstraint(fields=["round", "unit", "criterion"], name="score_unique")
        ]
        verbose_name = _("score")
        verbose_name_plural = _("scores")

    def __str__(self) -> str:
        return f"{self.unit} · {self.criterion.code}"

    @property
    def points(self) -> float | None:
        """What counts: the appraised points once appraised, else the self-score."""
        return self.appraised_points if self.appraised_points is not None else self.self_points


def evidence_path(instance: "Evidence", filename: str) -> str:
    score = instance.score
    return f"reform/evidence/{score.round_id}/{score.unit_id}/{instance.sha256[:16]}/{filename}"


class Evidence(models.Model):
    """An evidence document (tài liệu kiểm chứng), stored through the default storage."""

    score = models.ForeignKey(Score, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(_("file"), upload_to=evidence_path, max_length=300)
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["score_id", "uploaded_at", "pk"]
        verbose_name = _("evidence document")
        verbose_name_plural = _("evidence documents")

    def __str__(self) -> str:
        return self.name


class SurveyPoints(models.Model):
    """Points of a survey-based leaf for a unit, and where the value came from: an
    estimate of a published run (``run``, ``estimate``), or a published figure entered
    by an appraiser (PCI sub-indices, DDCI raw indicators: ``entered_by``, ``source``)."""

    round = models.ForeignKey(ScoringRound, on_delete=models.CASCADE, related_name="survey_points")
    unit = models.ForeignKey(AdministrativeUnit, on_delete=models.PROTECT, related_name="+")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="+")
    run = models.ForeignKey(
        AnalysisRun, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    estimate = models.ForeignKey(
        Estimate, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    source = models.CharField(_("source"), max_length=300, blank=True)
    value = models.FloatField(_("estimate"))
    se = models.FloatField(_("standard error"))
    points = models.FloatField(_("points"))
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["round_id", "unit_id", "criterion__position"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "unit", "criterion"], name="survey_points_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(estimate__isnull=False) | models.Q(entered_by__isnull=False),
                name="survey_points_have_an_origin",
            ),
        ]
        verbose_name = _("survey-based points")
        verbose_name_plural = _("survey-based points")

    def __str__(self) -> str:
        return f"{self.unit} · {self.criterion.code}"


class Submission(models.Model):
    """Where one unit's self-assessment stands in a round: draft → submitted → appraised
    (→ locked, which the round's lock decides for every unit at once).

    No row means a draft. Submitting ends the officer's changes; an appraiser may return
    it to draft with a reason."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        SUBMITTED = "submitted", _("submitted")
        APPRAISED = "appraised", _("appraised")

    round = models.ForeignKey(ScoringRound, on_delete=models.CASCADE, related_name="submissions")
    unit = models.ForeignKey(AdministrativeUnit, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    appraised_at = models.DateTimeField(_("appraised at"), null=True, blank=True)
    appraised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["round_id", "unit__code"]
        constraints = [models.UniqueConstraint(fields=["round", "unit"], name="submission_unique")]
        verbose_name = _("self-assessment submission")
        verbose_name_plural = _("self-assessment submissions")

    def __str__(self) -> str:
        return f"{self.unit} · {self.status}"


class RankingBlock(models.Model):
    """A named group of units ranked among themselves ("Sở, ban, ngành", "UBND cấp xã").

    A unit belongs to the first block (by position) that lists it in ``units``, else to
    the first whose ``levels`` hold its level code. A round without blocks ranks the
    units of its framework's level together."""

    round = models.ForeignKey(ScoringRound, on_delete=models.CASCADE, related_name="blocks")
    code = models.SlugField(_("code"), max_length=64)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    levels = models.JSONField(
        _("levels"), default=list, blank=True, help_text=_("Unit level codes, e.g. commune.")
    )
    units = models.ManyToManyField(AdministrativeUnit, blank=True, related_name="+")

    class Meta:
        ordering = ["round_id", "position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["round", "code"], name="ranking_block_code_unique")
        ]
        verbose_name = _("ranking block")
        verbose_name_plural = _("ranking blocks")

    def __str__(self) -> str:
        return self.name
