"""Writes for collection: API clients, transactions (→ invitations), drafts, responses."""

import datetime as dt
import functools
import hashlib
import json
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from org.models import AdministrativeUnit
from org.services import Action, audit_record
from outbox.services import outbox_enqueue
from questionnaires.definition import Definition, iter_questions
from questionnaires.models import Questionnaire, QuestionnaireVersion
from questionnaires.selectors import version_current
from survey.answers import (
    CompiledDefinition,
    FieldErrors,
    answers_clean,
    definition_compile,
    definition_compiled,
    value_normalise,
)
from survey.kiosks import kiosk_campaigns, kiosk_show, kiosk_version, kiosks_for
from survey.lookups import (
    api_client_entry,
    transaction_campaigns,
    unit_parents_cached,
    version_current_cached,
)
from survey.models import (
    ApiClient,
    Campaign,
    CampaignQuota,
    Channel,
    Invitation,
    Kiosk,
    Response,
    ResponseDraft,
    ServiceTransaction,
    Source,
)
from survey.privacy import answers_hash, duplicate_claim, duplicate_release, scrub_text
from survey.selectors import campaign_for_unit, unit_ancestors, unit_subtree_ids

logger = logging.getLogger(__name__)

BATCH_LIMIT = 1000
# Tasks an answer triggers, named (not imported: survey.tasks imports this module).
FIRM_RECEIPT_TASK = "survey.tasks.firm_receipt_send"


class SurveyClosed(Exception):
    """The link cannot take an answer any more.

    ``reason``: 'used', 'expired', 'quota' (open link: the unit has enough answers) or
    'duplicate' (open link: the same answers from the same sender moments ago).
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class AnswersInvalid(Exception):
    def __init__(self, errors: FieldErrors) -> None:
        super().__init__(errors)
        self.errors = errors


class IdempotencyConflict(Exception):
    """An Idempotency-Key already used for another survey link."""


class TransactionConflict(Exception):
    """External ids already registered by another system (or outside the caller's units)."""

    def __init__(self, external_ids: list[str]) -> None:
        super().__init__(external_ids)
        self.external_ids = external_ids


class TransactionsInvalid(Exception):
    """Items of a batch that fail validation: {index: {field: [messages]}}."""

    def __init__(self, errors: dict[int, dict[str, list[str]]]) -> None:
        super().__init__(errors)
        self.errors = errors


def token_new() -> str:
    """192 random bits, URL-safe (32 characters): unguessable survey tokens."""
    return secrets.token_urlsafe(24)


def invitation_url(invitation: Invitation) -> str:
    return settings.PUBLIC_BASE_URL + reverse("survey:form", args=[invitation.token])


# --- API clients -------------------------------------------------------------------------


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def api_client_create(
    *, name: str, units: Sequence[AdministrativeUnit], actor: Any = None
) -> tuple[ApiClient, str]:
    """A new client and its key, ``hl_<prefix>.<secret>``; the key is never stored (nor
    audited: the audit entry keeps the prefix only)."""
    prefix = secrets.token_hex(6)
    key = f"hl_{prefix}.{secrets.token_urlsafe(32)}"
    client = ApiClient(name=name, key_prefix=prefix, key_hash=_key_hash(key))
    client.full_clean()
    client.save()
    client.units.set(units)
    audit_record(
        actor=actor,
        action=Action.API_KEY_CREATE,
        obj=client,
        after={"name": name, "key_prefix": prefix, "units": sorted(u.code for u in units)},
        # A key for one unit is that unit's business; wider keys are system-wide.
        unit=units[0] if len(units) == 1 else None,
    )
    return client, key


def api_client_authenticate(key: str) -> ApiClient | None:
    """The active client holding ``key``, or None. Compares hashes in constant time."""
    if not key.startswith("hl_") or "." not in key:
        return None
    prefix = key[3:].split(".", 1)[0]
    entry = api_client_entry(prefix=prefix)  # cached per process (survey.lookups)
    if entry is None or not secrets.compare_digest(entry.client.key_hash, _key_hash(key)):
        return None
    client = entry.client
    now = timezone.now()
    if client.last_used_at is None or now - client.last_used_at > dt.timedelta(minutes=5):
        ApiClient.objects.filter(pk=client.pk).update(last_used_at=now)
        client.last_used_at = now  # the cached copy too: one UPDATE per 5 minutes
    return client


def api_client_unit_ids(client: ApiClient, parents: dict[int, int | None]) -> set[int]:
    return unit_subtree_ids(_client_roots(client), parents)


def _client_roots(client: ApiClient) -> frozenset[int]:
    """The units a key was given, from the per-process cache when it holds this key."""
    entry = api_client_entry(prefix=client.key_prefix)
    if entry is not None and entry.client.pk == client.pk:
        return entry.unit_ids
    return frozenset(client.units.values_list("id", flat=True))


# --- transactions ------------------------------------------------------------------------


@dataclass(frozen=True)
class TransactionData:
    external_id: str
    unit: AdministrativeUnit
    procedure_code: str
    sector: str
    channel: str
    completed_at: dt.datetime
    questionnaire_code: str | None = None
    # The counter it was completed at: a kiosk paired to it shows the survey.
    counter: str = ""


@dataclass(frozen=True)
class Registration:
    transaction: ServiceTransaction
    invitation: Invitation
    created: bool
    kiosk: bool = False  # the survey is on the counter's kiosk now


def _expiry(
    *,
    version: QuestionnaireVersion,
    unit_id: int,
    parents: dict[int, int | None],
    campaigns: list[Campaign],
    now: dt.datetime,
) -> tuple[Campaign | None, dt.datetime]:
    campaign = campaign_for_unit(
        questionnaire_id=version.questionnaire_id,
        unit_id=unit_id,
        mode=Campaign.Mode.TRANSACTION,
        parents=parents,
        campaigns=campaigns,
    )
    days = campaign.token_ttl_days if campaign else settings.SURVEY_TOKEN_TTL_DAYS
    return campaign, now + dt.timedelta(days=days)


def transactions_register(
    *, items: Sequence[TransactionData], client: ApiClient | None = None
) -> list[Registration]:
    """Register up to BATCH_LIMIT completed transactions, each with a one-time link.

    Idempotent on external_id: a known id returns its first registration unchanged
    (``created`` False), whatever the rest of the item says. A batch is all or nothing:
    a validation error or a conflict writes nothing.

    New ids are the common case, so the first attempt does not look for known ones: it
    inserts, one INSERT per table. A known id (a retry, or a concurrent call that
    registered it first) makes the insert hit the unique constraint, which rolls this
    call's transaction back whole; so does a refused item, which may be a known id whose
    repeated data no longer validates. The second attempt reads the known ids first and
    settles each as before: returned unchanged, or refused if another system owns it.
    """
    if len(items) > BATCH_LIMIT:
        raise ValidationError(_("At most %(n)s transactions per batch.") % {"n": BATCH_LIMIT})
    try:
        return _register(items, client, look_first=False)
    except (IntegrityError, ValidationError, TransactionsInvalid):
        return _register(items, client, look_first=True)


def _stored(ids: list[str]) -> dict[str, ServiceTransaction]:
    # The versions' definitions (and questionnaires' drafts) are large JSON documents
    # that a registration never reads: left out of the join.
    return {
        t.external_id: t
        for t in ServiceTransaction.objects.filter(external_id__in=ids)
        .select_related("invitation__version__questionnaire", "unit")
        .defer("invitation__version__definition", "invitation__version__questionnaire__draft")
    }


def _outside(
    items: Sequence[TransactionData], client: ApiClient, parents: dict[int, int | None]
) -> list[str]:
    """External ids of items whose unit is not in the client's units or below them."""
    roots = _client_roots(client)
    inside: dict[int, bool] = {}
    outside = []
    for item in items:
        unit_id = item.unit.pk
        if unit_id not in inside:
            inside[unit_id] = not roots.isdisjoint(unit_ancestors(unit_id, parents))
        if not inside[unit_id]:
            outside.append(item.external_id)
    return outside


def _register(
    items: Sequence[TransactionData], client: ApiClient | None, *, look_first: bool
) -> list[Registration]:
    ids = [item.external_id for item in items]
    parents = unit_parents_cached()
    outside = _outside(items, client, parents) if client else []
    if outside:
        raise TransactionConflict(outside)

    def foreign(rows: dict[str, ServiceTransaction]) -> list[str]:
        # Staff (no client) may read back any registration; a client only its own.
        if client is None:
            return []
        return sorted(eid for eid, t in rows.items() if t.client_id != client.pk)

    existing = _stored(ids) if look_first else {}
    if foreign(existing):
        raise TransactionConflict(foreign(existing))

    versions: dict[str, QuestionnaireVersion] = {}
    errors: dict[int, dict[str, list[str]]] = {}
    new: dict[str, tuple[ServiceTransaction, QuestionnaireVersion]] = {}
    # An id repeated with the same data is a harmless repeat; repeated with other data,
    # one of the two transactions would be silently dropped, so the batch is refused.
    first: dict[str, tuple[int, TransactionData]] = {}
    for index, item in enumerate(items):
        earlier = first.setdefault(item.external_id, (index, item))
        if earlier[1] != item:
            errors[index] = {
                "external_id": [
                    _("This external id is already used by item %(index)s of this batch.")
                    % {"index": earlier[0]}
                ]
            }
    if errors:
        raise TransactionsInvalid(errors)
    for index, item in enumerate(items):
        if item.external_id in existing or item.external_id in new:
            continue
        code = item.questionnaire_code or settings.SURVEY_DEFAULT_QUESTIONNAIRE
        if code not in versions:
            version = version_current_cached(questionnaire_code=code)
            if version is None:
                raise ValidationError(
                    {"questionnaire": _("No published version of %(code)s.") % {"code": code}}
                )
            versions[code] = version
        record = ServiceTransaction(
            external_id=item.external_id,
            unit=item.unit,
            procedure_code=item.procedure_code,
            sector=item.sector,
            channel=item.channel,
            completed_at=item.completed_at,
            client=client,
        )
        try:
            # Uniqueness is settled by the insert below, not one query per row; the unit
            # and client are objects already read, not looked up again per row.
            record.full_clean(exclude=["unit", "client"], validate_unique=False)
        except ValidationError as error:
            errors[index] = error.message_dict
            continue
        new[item.external_id] = (record, versions[code])
    if errors:
        raise TransactionsInvalid(errors)

    if new:
        now = timezone.now()
        for record, _version in new.values():
            record.registered_at = now
        campaigns = transaction_campaigns()
        kiosks = _kiosks(items, new, parents)
        invitations = []
        for external_id, (record, version) in new.items():
            if external_id in kiosks:
                version = kiosks[external_id][1] or version
            campaign, expires_at = _expiry(
                version=version,
                unit_id=record.unit_id,
                parents=parents,
                campaigns=campaigns,
                now=now,
            )
            invitation = Invitation(
                token=token_new(),
                kind=Invitation.Kind.TRANSACTION,
                transaction=record,
                campaign=campaign,
                version=version,
                unit=record.unit,
                sector=record.sector,
                channel=record.channel,
                expires_at=expires_at,
                created_at=now,
            )
            invitations.append(invitation)
            record.invitation = invitation
        records = [record for record, _version in new.values()]
        # No ignore_conflicts: an id registered meanwhile raises IntegrityError, which
        # undoes everything this call wrote (see transactions_register).
        if connection.vendor == "postgresql" and not kiosks and not connection.in_atomic_block:
            # One statement is one transaction in autocommit: no BEGIN, no COMMIT.
            _insert_pairs(records, invitations)
        else:
            with transaction.atomic():
                _insert_all(records)
                for invitation in invitations:
                    invitation.transaction_id = invitation.transaction.pk
                _insert_all(invitations)
                for external_id, (kiosk, _version) in kiosks.items():
                    kiosk_show(kiosk, new[external_id][0].invitation)
        if not connection.features.can_return_rows_from_bulk_insert:
            # SQLite before 3.35 gives no ids back: read them (tests, the embedded demo).
            stored = _stored([eid for eid in new])
            for eid, (record, _version) in new.items():
                record.pk = stored[eid].pk
                record.invitation.pk = stored[eid].invitation.pk
    else:
        kiosks = {}
    results = []
    seen: set[str] = set()
    for item in items:
        if item.external_id in new and item.external_id not in seen:
            record = new[item.external_id][0]
            shown = item.external_id in kiosks
            results.append(Registration(record, record.invitation, created=True, kiosk=shown))
        else:
            record = existing.get(item.external_id) or new[item.external_id][0]
            results.append(Registration(record, record.invitation, created=False))
        seen.add(item.external_id)
    return results


@functools.cache
def _insert_pairs_sql(rows: int) -> str:
    """The statement of _insert_pairs, built once per process for one row (scalar
    parameters, cheaper to send) and once for many (one array per column)."""
    quote = connection.ops.quote_name
    t_fields = [f for f in ServiceTransaction._meta.concrete_fields if not f.primary_key]
    i_fields = _invitation_fields()
    t_columns = ", ".join(quote(f.column) for f in t_fields)
    i_columns = ", ".join(quote(f.column) for f in i_fields)
    head = f"WITH t AS (INSERT INTO {quote(ServiceTransaction._meta.db_table)} ({t_columns}) "
    tail = f"INSERT INTO {quote(Invitation._meta.db_table)} (transaction_id, {i_columns}) "
    if rows == 1:
        return (
            f"{head}VALUES ({', '.join(['%s'] * len(t_fields))}) RETURNING id) {tail}"
            f"SELECT t.id, {', '.join(['%s'] * len(i_fields))} FROM t "
            f"RETURNING id, transaction_id, token"
        )
    names = ", ".join(f"c{n}" for n in range(len(i_fields)))
    t_arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in t_fields)
    i_arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in i_fields)
    return (
        f"{head}SELECT * FROM UNNEST({t_arrays}) RETURNING id, external_id) {tail}"
        f"SELECT t.id, {names} FROM UNNEST(%s::varchar[], {i_arrays}) "
        f"AS i(external_id, {names}) JOIN t ON t.external_id = i.external_id "
        f"RETURNING id, transaction_id, token"
    )


@functools.cache
def _invitation_fields() -> list[Any]:
    return [
        f
        for f in Invitation._meta.concrete_fields
        if not f.primary_key and f.attname != "transaction_id"
    ]


@functools.cache
def _transaction_fields() -> list[Any]:
    return [f for f in ServiceTransaction._meta.concrete_fields if not f.primary_key]


def _insert_pairs(records: list[ServiceTransaction], invitations: list[Invitation]) -> None:
    """New transactions and their links in one statement (PostgreSQL): the transactions
    inserted, their links joined to the new ids by external id."""
    t_fields, i_fields = _transaction_fields(), _invitation_fields()
    if len(records) == 1:
        values: list[Any] = [getattr(records[0], f.attname) for f in t_fields]
        values += [getattr(invitations[0], f.attname) for f in i_fields]
    else:
        values = [[getattr(r, f.attname) for r in records] for f in t_fields]
        values.append([r.external_id for r in records])
        values += [[getattr(i, f.attname) for i in invitations] for f in i_fields]
    with connection.cursor() as cursor:
        cursor.execute(_insert_pairs_sql(1 if len(records) == 1 else 2), values)
        returned = {token: (pk, transaction_id) for pk, transaction_id, token in cursor}
    for record, invitation in zip(records, invitations, strict=True):
        invitation.pk, record.pk = returned[invitation.token]
        invitation.transaction_id = record.pk
        for obj in (record, invitation):
            obj._state.adding = False
            obj._state.db = connection.alias


def _insert_all(objects: Sequence[Any]) -> None:
    """Insert model instances of one model and give them their ids.

    On PostgreSQL one ``INSERT … SELECT * FROM UNNEST(<one array per column>) RETURNING
    id``: the statement bulk_create sends, without its per-value preparation, which cost
    more than the insert itself for a batch of 1,000 (the values here are plain strings,
    numbers and aware datetimes that psycopg adapts as they are). Elsewhere bulk_create.
    Rows come back in the order of the arrays, as bulk_create relies on too.
    """
    if not objects:
        return
    model = type(objects[0])
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objects)
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in fields)
    sql = (
        f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({columns}) "
        f"SELECT * FROM UNNEST({arrays}) RETURNING {model._meta.pk.column}"
    )
    for obj in objects:  # a related object saved after it was assigned: take its id
        obj._prepare_related_fields_for_save(operation_name="bulk_create")
    values = [[getattr(o, f.attname) for o in objects] for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        ids = [row[0] for row in cursor.fetchall()]
    for obj, pk in zip(objects, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias


def _kiosks(
    items: Sequence[TransactionData],
    new: dict[str, tuple[ServiceTransaction, QuestionnaireVersion]],
    parents: dict[int, int | None],
) -> dict[str, tuple[Kiosk, QuestionnaireVersion | None]]:
    """New transactions completed at a counter with a paired kiosk: the kiosk and the
    short form it shows (None: the transaction's own questionnaire)."""
    counters = {i.external_id: i.counter for i in items if i.counter and i.external_id in new}
    paired = kiosks_for({(new[eid][0].unit_id, c) for eid, c in counters.items()})
    if not paired:
        return {}
    campaigns = kiosk_campaigns()
    found = {}
    for external_id, counter in counters.items():
        kiosk = paired.get((new[external_id][0].unit_id, counter))
        if kiosk is not None:
            version = kiosk_version(unit_id=kiosk.unit_id, parents=parents, campaigns=campaigns)
            found[external_id] = (kiosk, version)
    return found


def transaction_register(
    *,
    external_id: str,
    unit: AdministrativeUnit,
    procedure_code: str,
    sector: str,
    channel: str,
    completed_at: dt.datetime,
    questionnaire_code: str | None = None,
    client: ApiClient | None = None,
    counter: str = "",
) -> Registration:
    """Record one completed transaction and its one-time link; idempotent on external_id."""
    item = TransactionData(
        external_id=external_id,
        unit=unit,
        procedure_code=procedure_code,
        sector=sector,
        channel=channel,
        completed_at=completed_at,
        questionnaire_code=questionnaire_code,
        counter=counter,
    )
    try:
        return transactions_register(items=[item], client=client)[0]
    except TransactionsInvalid as invalid:
        raise ValidationError(invalid.errors[0]) from None


# --- links ------------------------------------------------------------------------------


def invitation_check_open(invitation: Invitation, *, now: dt.datetime | None = None) -> None:
    if invitation.completed_at is not None:
        raise SurveyClosed("used")
    if invitation.expires_at <= (now or timezone.now()):
        raise SurveyClosed("expired")


def invitation_mark_opened(invitation: Invitation) -> None:
    """Note the first visit (tracking); idempotent, one UPDATE at most."""
    if invitation.opened_at is None:
        now = timezone.now()
        Invitation.objects.filter(pk=invitation.pk, opened_at__isnull=True).update(opened_at=now)
        invitation.opened_at = now


def quota_reached(campaign: Campaign, unit_id: int) -> bool:
    quota = CampaignQuota.objects.filter(campaign=campaign, unit_id=unit_id).first()
    if quota is None:
        return campaign.quotas.exists()  # quotas listed, this unit not among them
    done = Invitation.objects.filter(
        campaign=campaign, unit_id=unit_id, completed_at__isnull=False
    ).count()
    return done >= quota.quota


def open_units(campaign: Campaign) -> list[dict[str, Any]]:
    """Units of an open-link campaign with their remaining quota."""
    done = dict(
        Invitation.objects.filter(campaign=campaign, completed_at__isnull=False)
        .values_list("unit_id")
        .annotate(n=Count("id"))
    )
    return [
        {"unit": q.unit, "remaining": max(q.quota - done.get(q.unit_id, 0), 0)}
        for q in campaign.quotas.select_related("unit").order_by("unit__name")
    ]


@transaction.atomic
def open_invitation_create(*, campaign: Campaign, unit: AdministrativeUnit) -> Invitation:
    """A personal link for one visitor of an open link. Raises SurveyClosed('quota')."""
    if not campaign.is_active or campaign.mode != Campaign.Mode.OPEN:
        raise SurveyClosed("expired")
    if quota_reached(campaign, unit.pk):
        raise SurveyClosed("quota")
    version = version_current(questionnaire_code=campaign.questionnaire.code)
    if version is None:
        raise SurveyClosed("expired")
    return Invitation.objects.create(
        token=token_new(),
        kind=Invitation.Kind.OPEN,
        campaign=campaign,
        version=version,
        unit=unit,
        expires_at=timezone.now() + dt.timedelta(days=campaign.token_ttl_days),
    )


# --- drafts and responses ---------------------------------------------------------------


@transaction.atomic
def draft_save(*, invitation: Invitation, answers: dict[str, Any], section: str) -> ResponseDraft:
    """Keep partial answers on the link (never in Response) so the respondent can resume."""
    invitation_check_open(invitation)
    draft, _created = ResponseDraft.objects.update_or_create(
        invitation=invitation,
        defaults={"answers": value_normalise(answers), "section": section},
    )
    if invitation.started_at is None:
        invitation.started_at = timezone.now()
        Invitation.objects.filter(pk=invitation.pk).update(started_at=invitation.started_at)
    return draft


def answers_scrub(
    definition: Definition | CompiledDefinition, answers: dict[str, Any]
) -> dict[str, Any]:
    """Free text with phone numbers, ID numbers or emails typed in is redacted."""
    text_codes = (
        definition.text_codes
        if isinstance(definition, CompiledDefinition)
        else {
            q["code"] for q in iter_questions(definition) if q.get("type") in {"text", "long_text"}
        }
    )
    return {
        code: scrub_text(value) if code in text_codes and isinstance(value, str) else value
        for code, value in answers.items()
    }


def calculated_values(
    definition: Definition | CompiledDefinition, answers: dict[str, Any]
) -> dict[str, Any]:
    """The definition's calculated values; empty when a formula fails."""
    plan = (
        definition if isinstance(definition, CompiledDefinition) else definition_compile(definition)
    )
    try:
        return plan.calculated(answers)
    except Exception:  # a broken formula must not lose the citizen's answer
        logger.exception("calculated values failed")
        return {}


def answered_channel(answers: dict[str, Any]) -> str:
    """The service channel a respondent gave (SIPAS asks it), for links that do not come
    from a transaction; "" when the questionnaire does not ask it."""
    value = answers.get("channel")
    return value if value in Channel.values else ""


def version_compiled(version: QuestionnaireVersion) -> CompiledDefinition:
    """The version's compiled definition; the definition column is read on a miss only
    (callers may defer it: published versions are immutable, keyed by content hash)."""

    def load() -> Definition:
        if "definition" in version.__dict__:
            return version.definition
        return QuestionnaireVersion.objects.values_list("definition", flat=True).get(pk=version.pk)

    return definition_compiled(version.content_hash, load)


@dataclass(frozen=True)
class Submission:
    response: Response
    replayed: bool


def _replay(token: str, idempotency_key: str | None) -> Submission | None:
    if not idempotency_key:
        return None
    earlier = (
        Response.objects.select_related("invitation", "version__questionnaire", "unit")
        .defer("version__definition", "version__questionnaire__draft")
        .filter(idempotency_key=idempotency_key)
        .first()
    )
    if earlier is None:
        return None
    if earlier.invitation is None or earlier.invitation.token != token:
        raise IdempotencyConflict(idempotency_key)
    return Submission(earlier, replayed=True)


def response_submit_idempotent(
    *,
    token: str,
    answers: dict[str, Any],
    source: str = Source.FORM,
    idempotency_key: str | None = None,
    client_hash: str = "",
) -> Submission:
    """Store the one response a link allows.

    Raises Invitation.DoesNotExist, SurveyClosed, AnswersInvalid, IdempotencyConflict; on
    any of them nothing is written. The invitation row is locked (SELECT … FOR UPDATE) so
    two concurrent submissions on one link are serialised: the second sees it used. A
    retry with the Idempotency-Key of a stored response returns that response.

    The common path is five statements (BEGIN, the locked link joined with its version
    and unit, INSERT, UPDATE, COMMIT). An Idempotency-Key is looked up only when it is
    needed: when the link is already answered (a retry), or when the insert hits the
    key's unique constraint (a key used for another link) — then the whole transaction
    has rolled back, so the rejected call wrote nothing.
    """
    try:
        lean = _submit_lean(
            token=token,
            answers=answers,
            source=source,
            idempotency_key=idempotency_key,
        )
        if lean is not None:
            return lean
        return _submit(
            token=token,
            answers=answers,
            source=source,
            idempotency_key=idempotency_key,
            client_hash=client_hash,
        )
    except IntegrityError:
        replay = _replay(token, idempotency_key)
        if replay:
            return replay
        raise SurveyClosed("used") from None


def _lean_sql() -> tuple[str, str]:
    """The two statements of a lean submission, with this project's table names."""
    invitation = Invitation._meta.db_table
    version = QuestionnaireVersion._meta.db_table
    questionnaire = QuestionnaireVersion._meta.get_field("questionnaire").related_model
    unit = AdministrativeUnit._meta.db_table
    read = (
        f"SELECT i.id, i.kind, i.unit_id, u.code, i.sector, i.channel, i.expires_at, "
        f"i.completed_at, i.started_at, v.id, v.number, v.content_hash, q.code "
        f"FROM {invitation} i JOIN {version} v ON v.id = i.version_id "
        f"JOIN {questionnaire._meta.db_table} q ON q.id = v.questionnaire_id "
        f"LEFT JOIN {unit} u ON u.id = i.unit_id WHERE i.token = %s"
    )
    # One statement, so one transaction even in autocommit: the link is claimed (only if
    # still open: a concurrent answer or expiry makes the claim return nothing) and the
    # response inserted on the claim; a unique-constraint error undoes both.
    write = (
        f"WITH claimed AS (UPDATE {invitation} SET completed_at = %(now)s "
        f"WHERE id = %(invitation)s AND completed_at IS NULL AND expires_at > %(now)s "
        f"RETURNING id) "
        f"INSERT INTO {Response._meta.db_table} (invitation_id, version_id, unit_id, sector, "
        f"channel, answers, submitted_at, profile, calculated, source, idempotency_key, "
        f"answers_hash) SELECT id, %(version)s, %(unit)s, %(sector)s, %(channel)s, "
        f"%(answers)s::jsonb, %(now)s, '{{}}'::jsonb, %(calculated)s::jsonb, %(source)s, "
        f"%(key)s, %(hash)s FROM claimed RETURNING id"
    )
    return read, write


_LEAN_SQL: tuple[str, str] | None = None


def _submit_lean(
    *,
    token: str,
    answers: dict[str, Any],
    source: str,
    idempotency_key: str | None,
) -> Submission | None:
    """A transaction link's answer in two statements on PostgreSQL: read the link with
    its version and unit, then claim it and insert the response in one statement.

    The guarantees of _submit hold without a lock or an explicit transaction: the claim
    re-checks, under the row lock the UPDATE takes, that the link is unanswered and
    unexpired, so of two concurrent answers exactly one is stored; a failed insert
    (Idempotency-Key or link already used) undoes the claim, and the caller sorts out
    why. None: this link takes the full path (open or firm links, a saved draft to
    delete, a link without a unit, an answered or expired link, SQLite) — nothing was
    written.
    """
    global _LEAN_SQL
    if connection.vendor != "postgresql":
        return None
    if _LEAN_SQL is None:
        _LEAN_SQL = _lean_sql()
    read, write = _LEAN_SQL
    with connection.cursor() as cursor:
        cursor.execute(read, [token])
        row = cursor.fetchone()
    if row is None:
        return None
    (
        invitation_id,
        kind,
        unit_id,
        unit_code,
        sector,
        channel,
        expires_at,
        completed_at,
        started_at,
        version_id,
        number,
        content_hash,
        questionnaire_code,
    ) = row
    now = timezone.now()
    if (
        kind != Invitation.Kind.TRANSACTION
        or unit_id is None
        or started_at is not None
        or completed_at is not None
        or expires_at <= now
    ):
        return None
    plan = definition_compiled(
        content_hash,
        lambda: QuestionnaireVersion.objects.values_list("definition", flat=True).get(
            pk=version_id
        ),
    )
    version = QuestionnaireVersion(id=version_id, number=number, content_hash=content_hash)
    version.questionnaire = Questionnaire(code=questionnaire_code)
    cleaned, errors = answers_clean(plan, answers)
    if errors:
        raise AnswersInvalid(errors)
    cleaned = answers_scrub(plan, cleaned)
    digest = answers_hash(cleaned)
    calculated = calculated_values(plan, cleaned)
    channel = channel or answered_channel(cleaned)
    params = {
        "now": now,
        "invitation": invitation_id,
        "version": version_id,
        "unit": unit_id,
        "sector": sector,
        "channel": channel,
        "answers": json.dumps(cleaned, ensure_ascii=False),
        "calculated": json.dumps(calculated, ensure_ascii=False),
        "source": source,
        "key": idempotency_key or None,
        "hash": digest,
    }
    if connection.in_atomic_block:
        # Inside a caller's transaction a failed insert must not abort it: a savepoint.
        # In autocommit (a request) the one statement is its own transaction.
        with transaction.atomic():
            stored = _lean_write(write, params)
    else:
        stored = _lean_write(write, params)
    if stored is None:
        return None  # answered or expired a moment ago: the full path says which
    invitation = Invitation(
        id=invitation_id,
        token=token,
        kind=kind,
        version=version,
        unit_id=unit_id,
        sector=sector,
        channel=channel,
        expires_at=expires_at,
        completed_at=now,
    )
    response = Response(
        id=stored,
        invitation=invitation,
        version=version,
        unit=AdministrativeUnit(id=unit_id, code=unit_code),
        sector=sector,
        channel=channel,
        answers=cleaned,
        calculated=calculated,
        profile={},
        submitted_at=now,
        source=source,
        idempotency_key=idempotency_key or None,
        answers_hash=digest,
    )
    return Submission(response, replayed=False)


def _lean_write(write: str, params: dict[str, Any]) -> int | None:
    with connection.cursor() as cursor:
        cursor.execute(write, params)
        row = cursor.fetchone()
    return row[0] if row else None


# What a submission reads of the link, its version and unit; the version's definition
# comes from the compiled cache (and the questionnaire's draft is never needed).
_SUBMIT_FIELDS = (
    "token",
    "kind",
    "transaction_id",
    "firm_id",
    "campaign_id",
    "unit__code",
    "sector",
    "channel",
    "expires_at",
    "completed_at",
    "started_at",
    "version__number",
    "version__content_hash",
    "version__questionnaire__code",
)


@transaction.atomic
def _submit(
    *,
    token: str,
    answers: dict[str, Any],
    source: str,
    idempotency_key: str | None,
    client_hash: str,
) -> Submission:
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("version__questionnaire", "unit")
        .only(*_SUBMIT_FIELDS)
        .get(token=token)
    )
    if invitation.completed_at is not None:
        # A retry that lost the race against its own first attempt.
        replay = _replay(token, idempotency_key)
        if replay:
            return replay
    invitation_check_open(invitation)
    if invitation.kind == Invitation.Kind.OPEN and invitation.campaign_id:
        campaign = Campaign.objects.select_for_update().get(pk=invitation.campaign_id)
        if quota_reached(campaign, invitation.unit_id):
            raise SurveyClosed("quota")
    version = invitation.version
    plan = version_compiled(version)
    cleaned, errors = answers_clean(plan, answers)
    if errors:
        raise AnswersInvalid(errors)
    cleaned = answers_scrub(plan, cleaned)
    digest = answers_hash(cleaned)
    now = timezone.now()
    # Open links: the same answers from the same sender within the window are refused.
    # The check lives in the cache, never on the response (survey.privacy).
    claim = (
        {"version_id": version.pk, "client_hash": client_hash, "digest": digest}
        if invitation.kind == Invitation.Kind.OPEN and client_hash
        else None
    )
    if claim and not duplicate_claim(**claim):
        raise SurveyClosed("duplicate")
    try:
        return _store(
            invitation=invitation,
            plan=plan,
            cleaned=cleaned,
            digest=digest,
            now=now,
            source=source,
            idempotency_key=idempotency_key,
        )
    except BaseException:
        if claim:
            duplicate_release(**claim)
        raise


def _store(
    *,
    invitation: Invitation,
    plan: CompiledDefinition,
    cleaned: dict[str, Any],
    digest: str,
    now: dt.datetime,
    source: str,
    idempotency_key: str | None,
) -> Submission:
    version = invitation.version
    profile: dict[str, str] = {}
    if invitation.firm_id:
        firm = invitation.firm
        profile = {
            k: v
            for k, v in {
                "firm_size": firm.size,
                "firm_sector": firm.sector,
                "ownership": firm.ownership,
            }.items()
            if v
        }
    unit, sector, channel = invitation.unit, invitation.sector, invitation.channel
    if unit is None and invitation.transaction_id:  # links made before 0002
        record = ServiceTransaction.objects.select_related("unit").get(pk=invitation.transaction_id)
        unit, sector, channel = record.unit, record.sector, record.channel
    response = Response(
        invitation=invitation,
        version=version,
        unit=unit,
        sector=sector,
        channel=channel or answered_channel(cleaned),
        answers=cleaned,
        calculated=calculated_values(plan, cleaned),
        profile=profile,
        submitted_at=now,
        source=source,
        idempotency_key=idempotency_key or None,
        answers_hash=digest,
    )
    # No savepoint: a unique-constraint error aborts this whole transaction (nothing was
    # written before the insert) and response_submit_idempotent sorts out why.
    response.save(force_insert=True)
    invitation.completed_at = now
    Invitation.objects.filter(pk=invitation.pk).update(completed_at=now)
    if invitation.started_at is not None:
        # draft_save stamps started_at with the draft's first save: no stamp, no draft.
        ResponseDraft.objects.filter(invitation=invitation).delete()
    if invitation.kind == Invitation.Kind.FIRM and source in {Source.FORM, Source.API}:
        # In this transaction: the receipt goes out even if the broker is down right now.
        outbox_enqueue(FIRM_RECEIPT_TASK, invitation.pk)
    return Submission(response, replayed=False)


def response_submit(
    *,
    token: str,
    answers: dict[str, Any],
    source: str = Source.FORM,
    idempotency_key: str | None = None,
    client_hash: str = "",
) -> Response:
    """Store the one response a link allows (see response_submit_idempotent)."""
    return response_submit_idempotent(
        token=token,
        answers=answers,
        source=source,
        idempotency_key=idempotency_key,
        client_hash=client_hash,
    ).response


__all__ = [
    "AnswersInvalid",
    "IdempotencyConflict",
    "Registration",
    "Submission",
    "SurveyClosed",
    "TransactionConflict",
    "TransactionData",
    "api_client_authenticate",
    "api_client_create",
    "draft_save",
    "invitation_check_open",
    "invitation_url",
    "response_submit",
    "transaction_register",
    "transactions_register",
    "unit_ancestors",
]
