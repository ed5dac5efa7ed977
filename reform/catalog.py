"""The shipped frameworks (reform/frameworks/*.json) and framework files. No Django."""

import json
from pathlib import Path

from reform.scoring.framework import Framework, from_dict

SHIPPED_DIR = Path(__file__).resolve().parent / "frameworks"


def shipped_codes() -> list[str]:
    return sorted(p.stem for p in SHIPPED_DIR.glob("*.json"))


def framework_load(*, source: str) -> Framework:
    """A shipped code (``par-province-2017``) or a path to a framework JSON file.

    Raises FileNotFoundError for neither, FrameworkInvalid for a bad tree."""
    path = SHIPPED_DIR / f"{source}.json"
    if not path.exists():
        path = Path(source)
    if not path.is_file():
        raise FileNotFoundError(source)
    return from_dict(json.loads(path.read_text(encoding="utf-8")))
