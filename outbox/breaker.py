"""A process-local circuit breaker for helpers that may be down (Redis).

After a failure, callers skip the helper for ``cooldown`` seconds instead of paying a
connection timeout on every request, and the warning is logged once per opening.
"""

import logging
import threading
import time

logger = logging.getLogger(__name__)


class Breaker:
    def __init__(self, name: str, *, cooldown: float = 10.0) -> None:
        self.name = name
        self.cooldown = cooldown
        self._open_until = 0.0
        self._lock = threading.Lock()

    @property
    def is_open(self) -> bool:
        return time.monotonic() < self._open_until

    def trip(self, error: BaseException) -> None:
        with self._lock:
            was_closed = not self.is_open
            self._open_until = time.monotonic() + self.cooldown
        if was_closed:
            logger.warning(
                "%s unavailable (%s: %s); skipped for %.0f s",
                self.name,
                type(error).__name__,
                error,
                self.cooldown,
            )

    def reset(self) -> None:
        with self._lock:
            self._open_until = 0.0
