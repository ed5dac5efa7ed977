"""Privacy and abuse controls: keyed hashes instead of addresses, scrubbing of personal
data typed into free text, and rate limits and open-link duplicate checks kept in the
Django cache (short-lived: nothing stored with an answer can lead back to an address)."""

import hashlib
import hmac
import json
import math
import re
import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.locmem import LocMemCache
from django.http import HttpRequest

from outbox.breaker import Breaker

# Vietnamese mobile/landline numbers (+84 or 0 followed by 9–10 digits, spaces/dots
# allowed), 9- or 12-digit ID card numbers, email addresses.
_PHONE = re.compile(r"(?<!\d)(?:\+?84|0)(?:[\s.\-]?\d){8,10}(?!\d)")
_ID_NUMBER = re.compile(r"(?<!\d)(?:\d{12}|\d{9})(?!\d)")
_EMAIL = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")
REDACTED = "[…]"


def keyed_hash(value: str, *, purpose: str) -> str:
    """HMAC-SHA256 with a secret key: stable for matching, useless for recovering ``value``."""
    key = (settings.SURVEY_HASH_KEY or settings.SECRET_KEY).encode()
    return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def client_address(request: HttpRequest) -> str:
    """The sender's address. Behind SURVEY_TRUSTED_PROXIES proxies, the X-Forwarded-For
    entry the outermost of them appended: each proxy appends the address it received
    from, so entries further left are whatever the client chose to send."""
    hops = settings.SURVEY_TRUSTED_PROXIES
    if hops > 0:
        forwarded = [
            a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()
        ]
        if forwarded:
            return forwarded[max(len(forwarded) - hops, 0)]
    return request.META.get("REMOTE_ADDR", "")


def client_hash(request: HttpRequest) -> str:
    return keyed_hash(client_address(request), purpose="client")


def answers_hash(answers: dict[str, Any]) -> str:
    text = json.dumps(answers, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def scrub_text(text: str) -> str:
    """Replace phone numbers, ID numbers and email addresses typed into an answer."""
    text = _EMAIL.sub(REDACTED, text)
    text = _PHONE.sub(REDACTED, text)
    return _ID_NUMBER.sub(REDACTED, text)


# While the shared cache (Redis) is unreachable, limits are counted per process here:
# looser than one count for the whole site, but an answer is never refused for it.
_local_counts = LocMemCache("survey-rate-limits", {"OPTIONS": {"MAX_ENTRIES": 100_000}})
cache_breaker = Breaker("Rate-limit cache (Redis)")


def rate_retry_after(*, scope: str, key: str, limit: int, seconds: int) -> int:
    """Count one hit in a fixed window; 0 when allowed, else the seconds until the window
    ends (the Retry-After a refused caller gets).

    A fixed window is coarse but needs only the cache's atomic ``incr`` (Redis in
    production), and a burst of twice the limit at a window edge is harmless here.
    The limit fails open: a cache error switches to a per-process count for a while.
    """
    if limit <= 0:
        return 0
    now = time.time()
    window = int(now // seconds)
    cache_key = f"survey:rl:{scope}:{key}:{window}"
    count = None
    if not cache_breaker.is_open:
        try:
            count = _count(cache, cache_key, seconds)
        except Exception as error:  # any backend, any failure: the answer goes first
            cache_breaker.trip(error)
    if count is None:
        count = _count(_local_counts, cache_key, seconds)
    if count <= limit:
        return 0
    return max(1, math.ceil((window + 1) * seconds - now))


def _duplicate_key(*, version_id: int, client_hash: str, digest: str) -> str:
    # One keyed hash over all three: the entry holds neither the sender's hash nor the
    # answers' hash, so it cannot be joined to a stored response's answers_hash.
    marker = keyed_hash(f"{version_id}:{client_hash}:{digest}", purpose="duplicate")
    return f"survey:dup:{marker}"


def duplicate_claim(*, version_id: int, client_hash: str, digest: str) -> bool:
    """Note that this sender sent these answers to this version; False when it already
    did within SURVEY_DUPLICATE_WINDOW_HOURS (the entry expires then).

    Fails open: with the cache (Redis) unreachable the answer is taken — a duplicate
    costs less than a lost answer, and the breaker keeps a dead Redis from slowing
    every submission.
    """
    if cache_breaker.is_open:
        return True
    key = _duplicate_key(version_id=version_id, client_hash=client_hash, digest=digest)
    try:
        return bool(cache.add(key, 1, timeout=settings.SURVEY_DUPLICATE_WINDOW_HOURS * 3600))
    except Exception as error:
        cache_breaker.trip(error)
        return True


def duplicate_release(*, version_id: int, client_hash: str, digest: str) -> None:
    """Forget a claim whose answer was not stored after all (its transaction failed)."""
    if cache_breaker.is_open:
        return
    try:
        cache.delete(_duplicate_key(version_id=version_id, client_hash=client_hash, digest=digest))
    except Exception as error:
        cache_breaker.trip(error)


def rate_limited(*, scope: str, key: str, limit: int, seconds: int) -> bool:
    return rate_retry_after(scope=scope, key=key, limit=limit, seconds=seconds) > 0


def _count(store: BaseCache, cache_key: str, seconds: int) -> int:
    if store.add(cache_key, 1, timeout=seconds + 1):
        return 1
    try:
        return store.incr(cache_key)
    except ValueError:  # expired between add and incr
        store.add(cache_key, 1, timeout=seconds + 1)
        return 1


def parse_rate(rate: str) -> tuple[int, int]:
    """'30/m' → (30, 60). Units: s, m, h, d."""
    count, _, unit = rate.partition("/")
    return int(count), {"s": 1, "m": 60, "h": 3600, "d": 86400}[unit[:1] or "m"]


def _scope_retry_after(scope: str, key: str) -> int:
    limit, seconds = parse_rate(settings.SURVEY_RATE_LIMITS.get(scope, "0/m"))
    return rate_retry_after(scope=scope, key=key, limit=limit, seconds=seconds)


def request_retry_after(
    request: HttpRequest, scope: str, *, token: str = "", api_key: str = ""
) -> int:
    """Seconds a caller must wait (0: go ahead), counting this request once per key.

    Who is counted: a system calling with an API key by its key (``api_key``, the rate
    "api_key"), never by its address, so one-stop shops and kiosks behind one office
    address do not share a budget; anyone else by address (the rate ``scope``, loose
    enough for a commune office of people behind one address). A survey link is also
    counted on its own (``token``, the rate "<scope>_token"): that is the tight limit
    against hammering one link, and it does not depend on the address at all.
    """
    waits = []
    if token:
        waits.append(_scope_retry_after(f"{scope}_token", keyed_hash(token, purpose="token")))
    if api_key:
        waits.append(_scope_retry_after("api_key", api_key))
    else:
        waits.append(_scope_retry_after(scope, client_hash(request)))
    return max(waits)


def request_rate_limited(request: HttpRequest, scope: str) -> bool:
    return request_retry_after(request, scope) > 0
