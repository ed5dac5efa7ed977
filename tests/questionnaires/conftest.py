"""Playwright's sync API keeps an asyncio loop running in the main thread for the whole
session (the ``browser`` fixture is session-scoped), and Django then refuses every
database call from that thread as "async unsafe". The calls are made synchronously from
test code, which is safe: allow them. (Belongs in tests/conftest.py; asked for.)"""

import os

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
