"""Privacy and abuse controls: keyed hashes instead of addresses, scrubbing of personal
data typed into free text, and rate limits kept in the Django cache."""

import hashlib
import hmac
import json
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
    """The sender's address; behind a trusted proxy, the left-most forwarded one."""
    if settings.SURVEY_TRUST_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip()
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


def rate_limited(*, scope: str, key: str, limit: int, seconds: int) -> bool:
    """Count one hit in a fixed window; True when the window already had ``limit`` hits.

    A fixed window is coarse but needs only the cache's atomic ``incr`` (Redis in
    production), and a burst of twice the limit at a window edge is harmless here.
    The limit fails open: a cache error switches to a per-process count for a while.
    """
    if limit <= 0:
        return False
    window = int(time.time() // seconds)
    cache_key = f"survey:rl:{scope}:{key}:{window}"
    if not cache_breaker.is_open:
        try:
            return _count(cache, cache_key, seconds) > limit
        except Exception as error:  # any backend, any failure: the answer goes first
            cache_breaker.trip(error)
    return _count(_local_counts, cache_key, seconds) > limit


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


def request_rate_limited(request: HttpRequest, scope: str) -> bool:
    limit, seconds = parse_rate(settings.SURVEY_RATE_LIMITS.get(scope, "0/m"))
    return rate_limited(scope=scope, key=client_hash(request), limit=limit, seconds=seconds)
