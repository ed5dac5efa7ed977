"""The test override: the real settings, a dev key and a fast password hasher."""

import os

os.environ.setdefault("HAILONG_ALLOW_DEV_KEY", "1")

from config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
