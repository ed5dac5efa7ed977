"""Fixtures for Redis-down tests: a Celery app and a cache pointing at a private Redis."""

from collections.abc import Iterator
from typing import Any

import pytest
from celery import Celery
from celery._state import get_current_app

from outbox.services import broker_breaker
from survey.privacy import cache_breaker
from tests.conftest import PrivateRedis
from tests.survey.conftest import province, version, x1, x2  # noqa: F401  (shared fixtures)


@pytest.fixture(autouse=True)
def _closed_breakers() -> Iterator[None]:
    broker_breaker.reset()
    cache_breaker.reset()
    yield
    broker_breaker.reset()
    cache_breaker.reset()


@pytest.fixture
def broker(private_redis: PrivateRedis) -> Iterator[Celery]:
    """The current Celery app publishes to the private Redis (never eagerly)."""
    app = Celery("outbox-test", broker=private_redis.url, set_as_current=False)
    app.conf.update(
        broker_connection_timeout=1,
        broker_transport_options={"socket_connect_timeout": 1, "socket_timeout": 2},
        task_default_queue="outbox-test",
    )
    previous = get_current_app()
    app.set_current()
    yield app
    previous.set_current()
    app.close()


@pytest.fixture
def shared_cache(settings: Any, private_redis: PrivateRedis) -> None:
    """Rate limits counted in the private Redis, as in production."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": private_redis.url,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }


def queued(private_redis: PrivateRedis, queue: str = "outbox-test") -> list[str]:
    """Names of the tasks waiting in a queue of the private Redis."""
    import json

    import redis

    client = redis.Redis.from_url(private_redis.url)
    return [json.loads(raw)["headers"]["task"] for raw in client.lrange(queue, 0, -1)]
