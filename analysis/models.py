"""Survey rounds, analysis runs and the estimates they produce."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from org.models import AdministrativeUnit
from questionnaires.models import Questionnaire, QuestionnaireVersion


class SurveyRound(models.Model):
    """One period of a survey (e.g. SIPAS 2026) over a part of the unit tree."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.PROTECT, related_name="rounds"
    )
    scope = models.ForeignKey(
        AdministrativeUnit,
        on_delete=models.PROTECT,
        related_name="rounds",
        help_text=_("The unit whose subtree this round covers."),
    )
    period_start = models.DateTimeField(_("period start"))
    period_end = models.DateTimeField(_("period end"))
    published = models.BooleanField(
        _("published"), default=False, help_text=_("Published results can be read by anyone.")
    )
    # The statistician's instrument, validated by analysis/round_config.py.
    sample_plan = models.JSONField(_("sample plan"), default=dict, blank=True)
    weighting = models.JSONField(_("weighting scheme"), default=list, blank=True)
    estimation = models.JSONField(_("estimation spec"), default=dict, blank=True)
    publication = models.JSONField(_("publication rule"), default=dict, blank=True)

    class Meta:
        ordering = ["-period_start"]
        verbose_name = _("survey round")
        verbose_name_plural = _("survey rounds")

    def __str__(self) -> str:
        return self.name


class AnalysisRun(models.Model):
    """One computation of a round: queued → running (stage, percent) → succeeded or
    failed; "retrying" while a task redelivered after its worker died runs again."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        RETRYING = "retrying", _("Retrying")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    ACTIVE = (Status.QUEUED, Status.RUNNING, Status.RETRYING)

    round = models.ForeignKey(SurveyRound, on_delete=models.CASCADE, related_name="runs")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    stage = models.CharField(_("stage"), max_length=32, blank=True)
    progress = models.PositiveSmallIntegerField(_("percent done"), default=0)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # Seconds spent in each finished stage of the last attempt: {"extract": 1.2, …}.
    timings = models.JSONField(_("stage timings"), default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    n_responses = models.PositiveIntegerField(default=0)
    fingerprint = models.CharField(
        max_length=64,
        blank=True,
        help_text=_("Hash of the inputs: the same inputs give the same run."),
    )
    error = models.TextField(blank=True)
    # A hash of each input (answers, frame, margins, scheme, spec, publication, code).
    inputs = models.JSONField(_("inputs"), default=dict, blank=True)
    # Weight diagnostics: Kish deff, effective n, quantiles, g-range, trimmed, margins.
    diagnostics = models.JSONField(_("weight diagnostics"), default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # At most one run of a round at a time (the database decides, not a check).
            models.UniqueConstraint(
                fields=["round"],
                condition=models.Q(status__in=["queued", "running", "retrying"]),
                name="analysis_run_one_active_per_round",
            )
        ]
        verbose_name = _("analysis run")
        verbose_name_plural = _("analysis runs")

    def __str__(self) -> str:
        return f"{self.round.code} run {self.pk} ({self.status})"


class Estimate(models.Model):
    """A weighted estimate of one statistic of one item in one domain, with its
    design-based standard error, CI, design effect and publication flag."""

    run = models.ForeignKey(AnalysisRun, on_delete=models.CASCADE, related_name="estimates")
    statistic = models.CharField(_("statistic"), max_length=32, default="element_index")
    # The element (component) or item the statistic is about.
    component = models.CharField(_("component"), max_length=64)
    # Domain: a unit of the tree ("unit"), or a profile variable's category over the
    # round's scope unit (e.g. "sex" = "female").
    unit = models.ForeignKey(AdministrativeUnit, on_delete=models.PROTECT, related_name="estimates")
    domain_variable = models.CharField(_("domain variable"), max_length=64, default="unit")
    domain_value = models.CharField(_("domain value"), max_length=200, blank=True)
    estimate = models.FloatField(_("estimate"))
    se = models.FloatField(_("standard error"))
    ci_low = models.FloatField(_("95% CI low"))
    ci_high = models.FloatField(_("95% CI high"))
    ci_method = models.CharField(_("CI method"), max_length=16, default="wald")
    df = models.FloatField(_("degrees of freedom"), null=True, blank=True)
    n = models.PositiveIntegerField(_("respondents"))
    n_effective = models.FloatField(_("effective n"), null=True, blank=True)
    deff = models.FloatField(_("design effect"), null=True, blank=True)
    unweighted = models.FloatField(_("unweighted estimate"), null=True, blank=True)
    suppressed = models.BooleanField(_("suppressed"), default=False)
    suppressed_reason = models.CharField(_("why suppressed"), max_length=200, blank=True)

    class Meta:
        ordering = [
            "run",
            "statistic",
            "unit__code",
            "domain_variable",
            "domain_value",
            "component",
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "statistic", "component", "unit", "domain_variable", "domain_value"],
                name="estimate_run_statistic_item_domain_unique",
            )
        ]
        verbose_name = _("estimate")
        verbose_name_plural = _("estimates")

    def __str__(self) -> str:
        return f"{self.unit_id} {self.statistic} {self.component} {self.estimate:.3f}"


class FrameCell(models.Model):
    """Transactions of a round's frame in one unit × sector × channel cell — or, for a
    firm (DDCI) round, firms in one unit × firm size × firm sector × ownership stratum."""

    class Source(models.TextChoices):
        TRANSACTIONS = "transactions", _("Registered transactions")
        UPLOAD = "upload", _("Uploaded")

    round = models.ForeignKey(SurveyRound, on_delete=models.CASCADE, related_name="frame_cells")
    unit = models.ForeignKey(AdministrativeUnit, on_delete=models.PROTECT, related_name="+")
    sector = models.CharField(_("sector"), max_length=64, blank=True)
    channel = models.CharField(_("channel"), max_length=16, blank=True)
    firm_size = models.CharField(_("firm size"), max_length=32, blank=True, default="")
    firm_sector = models.CharField(_("firm sector"), max_length=64, blank=True, default="")
    ownership = models.CharField(_("ownership"), max_length=32, blank=True, default="")
    count = models.PositiveIntegerField(_("transactions"))
    source = models.CharField(max_length=16, choices=Source.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "round",
                    "unit",
                    "sector",
                    "channel",
                    "firm_size",
                    "firm_sector",
                    "ownership",
                ],
                name="frame_cell_unique",
            )
        ]
        verbose_name = _("frame cell")
        verbose_name_plural = _("frame cells")

    def __str__(self) -> str:
        return f"{self.unit_id} {self.sector} {self.channel}: {self.count}"


class MarginTarget(models.Model):
    """A population total of one category of a margin (e.g. sex = female: 51,200)."""

    round = models.ForeignKey(SurveyRound, on_delete=models.CASCADE, related_name="margins")
    variable = models.CharField(_("variable"), max_length=130)
    category = models.CharField(_("category"), max_length=200)
    target = models.FloatField(_("population total"))

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["round", "variable", "category"], name="margin_target_unique"
            )
        ]
        verbose_name = _("margin target")
        verbose_name_plural = _("margin targets")

    def __str__(self) -> str:
        return f"{self.variable}={self.category}: {self.target:g}"


class ResponseExtract(models.Model):
    """A Parquet chunk of one version's answers as columns (analysis/extracts.py).

    Chunks of a version cover disjoint response-id ranges; the largest
    ``last_response_id`` is the extract's high-water mark.
    """

    version = models.ForeignKey(
        QuestionnaireVersion, on_delete=models.CASCADE, related_name="extract_chunks"
    )
    layout = models.CharField(max_length=64, help_text=_("Column layout the chunk was made with."))
    first_response_id = models.BigIntegerField()
    last_response_id = models.BigIntegerField()
    rows = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    data = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["version", "last_response_id"])]
        verbose_name = _("response extract chunk")
        verbose_name_plural = _("response extract chunks")

    def __str__(self) -> str:
        return f"extract {self.version_id} ({self.first_response_id}–{self.last_response_id})"


class ChunkStatistics(models.Model):
    """Sufficient statistics of one extract chunk for one round context (its components,
    overall elements, units and period): a parallel re-run reads these instead of the
    chunk's answers. Chunks never change, so neither do these; a rebuilt extract drops
    them with its chunks."""

    chunk = models.ForeignKey(ResponseExtract, on_delete=models.CASCADE, related_name="stats")
    context = models.CharField(max_length=64)
    stats = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["chunk", "context"], name="chunk_statistics_unique")
        ]

    def __str__(self) -> str:
        return f"stats of chunk {self.chunk_id} ({self.context[:8]})"
