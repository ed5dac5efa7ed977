"""Questionnaires and their frozen, published versions.

A Questionnaire holds an editable draft definition. Publishing freezes a copy as a
QuestionnaireVersion: definition + content hash, never changed again. Responses point at
the version they were answered on (PROTECT), so a version with answers cannot be deleted.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Questionnaire(models.Model):
    class Kind(models.TextChoices):
        SIPAS = "sipas", _("Citizen satisfaction (SIPAS)")
        DDCI = "ddci", _("Business competitiveness (DDCI)")
        OTHER = "other", _("Other")

    code = models.SlugField(_("code"), max_length=64, unique=True)
    title = models.CharField(_("title"), max_length=300)
    title_en = models.CharField(_("title (English)"), max_length=300, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.OTHER)
    draft = models.JSONField(_("draft definition"), default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("questionnaire")
        verbose_name_plural = _("questionnaires")

    def __str__(self) -> str:
        return f"{self.code} — {self.title}"


class QuestionnaireVersion(models.Model):
    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.PROTECT, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version"))
    definition = models.JSONField(_("definition"))
    content_hash = models.CharField(_("content hash"), max_length=64, db_index=True)
    published_at = models.DateTimeField(_("published at"))

    class Meta:
        ordering = ["questionnaire", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["questionnaire", "number"], name="questionnaire_version_number_unique"
            )
        ]
        verbose_name = _("questionnaire version")
        verbose_name_plural = _("questionnaire versions")

    def __str__(self) -> str:
        return f"{self.questionnaire.code} v{self.number}"
