"""The test override: the real settings, a dev key and a fast password hasher.

Login lockouts use axes' database handler, so each test's rollback resets them.
"""

import os

os.environ.setdefault("HAILONG_ALLOW_DEV_KEY", "1")
# Tests never read a developer's .env (make run's DEBUG=1 would change them).
os.environ.setdefault("HAILONG_ENV_FILE", "")

from config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
