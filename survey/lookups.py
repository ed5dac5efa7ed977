"""Per-process caches of what every registration reads and rarely changes: the unit
tree (code → unit, id → parent), API keys with their units, the current version of a
questionnaire and the active transaction campaigns.

Registering a transaction used to read all of these per call (the whole unit tree
included); cached, a registration is its inserts only. A cached value is dropped:

- in this process, as soon as one of its models is saved or deleted here (the signal
  receivers of ``lookups_connect``: cache upkeep, not business logic);
- in every process, within ``SURVEY_LOOKUP_CHECK_SECONDS`` when the Django cache is
  shared (Redis): a change bumps a generation number there, which each process reads at
  most that often;
- at the latest after ``SURVEY_LOOKUP_CACHE_SECONDS`` whatever happened (writes that
  bypass signals, such as ``QuerySet.update``, or a cache that is not shared).

So a revoked key or a moved unit reaches every gunicorn worker within seconds; an
unknown unit code is looked up again at once (new units register without waiting).
"""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from org.models import AdministrativeUnit
from questionnaires.models import Questionnaire, QuestionnaireVersion
from survey.models import ApiClient, Campaign

T = TypeVar("T")
GENERATION_KEY = "survey:lookups:generation"

_lock = threading.Lock()
_values: dict[str, tuple[float, Any]] = {}
_shared_generation: Any = None
_shared_checked = 0.0


def lookups_clear(*, shared: bool = False) -> None:
    """Drop every cached value of this process (and with ``shared``, tell the others)."""
    global _shared_generation
    with _lock:
        _values.clear()
    if shared:
        try:
            if not cache.add(GENERATION_KEY, 1, timeout=None):
                cache.incr(GENERATION_KEY)
            _shared_generation = cache.get(GENERATION_KEY)
        except Exception:  # Redis down: the time limit still applies
            pass


def _check_shared(now: float) -> None:
    """Every SURVEY_LOOKUP_CHECK_SECONDS: another process changed something → clear."""
    global _shared_generation, _shared_checked
    if now - _shared_checked < settings.SURVEY_LOOKUP_CHECK_SECONDS:
        return
    _shared_checked = now
    try:
        generation = cache.get(GENERATION_KEY)
    except Exception:  # Redis down: the time limit still applies
        return
    if generation != _shared_generation:
        _shared_generation = generation
        with _lock:
            _values.clear()


def _cached(name: str, load: Callable[[], T]) -> T:
    now = time.monotonic()
    _check_shared(now)
    found = _values.get(name)
    if found is not None and now - found[0] < settings.SURVEY_LOOKUP_CACHE_SECONDS:
        return found[1]  # type: ignore[no-any-return]
    value = load()
    with _lock:
        _values[name] = (now, value)
    return value


def _forget(name: str) -> None:
    with _lock:
        _values.pop(name, None)


# --- the unit tree ----------------------------------------------------------------------


@dataclass(frozen=True)
class UnitTree:
    by_code: dict[str, AdministrativeUnit]
    parents: dict[int, int | None]


def _load_tree() -> UnitTree:
    units = list(AdministrativeUnit.objects.order_by())
    return UnitTree({u.code: u for u in units}, {u.pk: u.parent_id for u in units})


# An unknown code reloads the tree, at most this often (random codes must not turn every
# call into a full read).
_MISS_RELOAD_SECONDS = 1.0
_last_miss_reload = 0.0


def unit_tree() -> UnitTree:
    return _cached("tree", _load_tree)


def units_by_codes(*, codes: set[str]) -> dict[str, AdministrativeUnit]:
    """The units with these codes (unknown codes are left out); cached, and read again
    once when a code is unknown (a unit created in another process a moment ago)."""
    global _last_miss_reload
    tree = unit_tree()
    if not codes <= tree.by_code.keys():
        now = time.monotonic()
        if now - _last_miss_reload >= _MISS_RELOAD_SECONDS:
            _last_miss_reload = now
            _forget("tree")
            tree = unit_tree()
    return {code: tree.by_code[code] for code in codes if code in tree.by_code}


def unit_parents_cached() -> dict[int, int | None]:
    """Every unit's parent id (see survey.selectors.unit_parents), cached."""
    return unit_tree().parents


# --- API keys, versions, campaigns ------------------------------------------------------


@dataclass
class ClientEntry:
    client: ApiClient
    unit_ids: frozenset[int]  # the units the key was given (their subtrees are in scope)


def api_client_entry(*, prefix: str) -> ClientEntry | None:
    """The active client with this key prefix and its units; None when there is none."""

    def load() -> ClientEntry | None:
        client = ApiClient.objects.filter(key_prefix=prefix, is_active=True).first()
        if client is None:
            return None
        return ClientEntry(client, frozenset(client.units.values_list("id", flat=True)))

    return _cached(f"client:{prefix}", load)


def version_current_cached(*, questionnaire_code: str) -> QuestionnaireVersion | None:
    """The newest published version without its definition (registration points at it)."""
    from questionnaires.selectors import version_current_lean

    return _cached(
        f"version:{questionnaire_code}",
        lambda: version_current_lean(questionnaire_code=questionnaire_code),
    )


def transaction_campaigns() -> list[Campaign]:
    """The active transaction-linked campaigns (their link lifetimes)."""
    return _cached(
        "campaigns",
        lambda: list(Campaign.objects.filter(mode=Campaign.Mode.TRANSACTION, is_active=True)),
    )


# --- upkeep -----------------------------------------------------------------------------


def _changed(sender: Any, **kwargs: Any) -> None:
    # Now, and again once the change is committed: a thread of this process that read
    # the old rows between the two must not keep them.
    lookups_clear(shared=True)
    transaction.on_commit(lambda: lookups_clear(shared=True))


WATCHED = (AdministrativeUnit, ApiClient, Campaign, Questionnaire, QuestionnaireVersion)


def lookups_connect() -> None:
    """Connected once, from SurveyConfig.ready."""
    for model in WATCHED:
        uid = f"survey.lookups.{model._meta.label_lower}"
        post_save.connect(_changed, sender=model, dispatch_uid=uid + ".save")
        post_delete.connect(_changed, sender=model, dispatch_uid=uid + ".delete")
    m2m_changed.connect(
        _changed, sender=ApiClient.units.through, dispatch_uid="survey.lookups.client_units"
    )
