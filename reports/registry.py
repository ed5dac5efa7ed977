"""The kinds of report, registered by the apps whose data they show.

reports/ sits at the bottom of the layout (it imports only org): an app above it
registers its builders in its ``AppConfig.ready()``, so the task can build any kind
without importing the apps that define them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol


class Progress(Protocol):
    def __call__(self, percent: int, stage: str = "") -> None: ...


@dataclass(frozen=True)
class ReportFile:
    filename: str
    content: bytes
    content_type: str


@dataclass(frozen=True)
class ReportKind:
    """How to build one kind, who may ask for it, and what to call it.

    ``allowed(user, params)`` is checked when the report is asked for and again on every
    read of the job, so a membership revoked in between closes the download too.
    ``clean(params)`` validates the parameters and returns them normalised (raise
    ``django.core.exceptions.ValidationError`` for bad ones).
    """

    name: str
    build: Callable[[Mapping[str, Any], Progress], ReportFile]
    allowed: Callable[[Any, Mapping[str, Any]], bool]
    title: Callable[[Mapping[str, Any]], str]
    clean: Callable[[Mapping[str, Any]], dict[str, Any]] = dict


_KINDS: dict[str, ReportKind] = {}


def register(kind: ReportKind) -> ReportKind:
    _KINDS[kind.name] = kind
    return kind


def kind_get(name: str) -> ReportKind:
    try:
        return _KINDS[name]
    except KeyError:
        raise LookupError(f"unknown report kind {name!r}") from None


def kinds() -> list[str]:
    return sorted(_KINDS)
