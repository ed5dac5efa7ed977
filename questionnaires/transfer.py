"""Import and export of whole questionnaires: our JSON format and XLSForm.

``import_bytes`` reads a file into a definition plus every problem found (by row for
XLSForm, by question code for both) and saves nothing; ``import_save`` then writes the
draft (and publishes when asked) in one transaction.
"""

import json
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from questionnaires import services
from questionnaires.definition import Definition
from questionnaires.models import Questionnaire, QuestionnaireVersion
from questionnaires.validation import Problem, definition_problems
from questionnaires.xlsform import ImportResult, xlsform_read, xlsform_write

MAX_BYTES = 10 * 1024 * 1024


def export_json(definition: Definition) -> bytes:
    """Our format: the definition as indented UTF-8 JSON (reads back identical)."""
    return (json.dumps(definition, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def export_xlsform(definition: Definition) -> tuple[bytes, list[Problem]]:
    return xlsform_write(definition)


def _read_json(content: bytes) -> ImportResult:
    try:
        definition = json.loads(content.decode("utf-8-sig"))
    except UnicodeDecodeError:
        return ImportResult(None, [Problem("file", _("not UTF-8 text"))], "json")
    except json.JSONDecodeError as error:
        message = _("not valid JSON (line %(line)s, column %(column)s)") % {
            "line": error.lineno,
            "column": error.colno,
        }
        return ImportResult(None, [Problem("file", message)], "json")
    return ImportResult(definition, [], "json")


def import_bytes(content: bytes, filename: str) -> ImportResult:
    """Read a .json or .xlsx file and check the definition it holds; nothing is saved."""
    if len(content) > MAX_BYTES:
        return ImportResult(None, [Problem("file", _("the file is larger than 10 MB"))])
    suffix = Path(filename).suffix.lower()
    if suffix == ".json":
        result = _read_json(content)
    elif suffix in {".xlsx", ".xlsm"}:
        result = xlsform_read(content, fallback_code=Path(filename).stem)
    else:
        return ImportResult(
            None,
            [
                Problem(
                    "file",
                    _("unknown file type %(suffix)s: use .json or .xlsx")
                    % {"suffix": suffix or "?"},
                )
            ],
        )
    if result.definition is not None:
        # Checked even when the reader found errors, so that a file's problems all come
        # in one report (an unknown choice list must not hide a duplicate name). What
        # the reader reported row by row is not repeated without its row.
        duplicate = _("duplicate question code")
        result.problems.extend(
            p
            for p in definition_problems(result.definition)
            if not (p.message == duplicate and p.where in result.duplicate_codes)
        )
    return result


def import_path(path: Path | str) -> ImportResult:
    path = Path(path)
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        return ImportResult(None, [Problem("file", _("no such file: %(path)s") % {"path": path})])
    except IsADirectoryError:
        message = _("%(path)s is a folder, not a file") % {"path": path}
        return ImportResult(None, [Problem("file", message)])
    except PermissionError:
        message = _("%(path)s cannot be read: permission denied") % {"path": path}
        return ImportResult(None, [Problem("file", message)])
    except OSError as error:
        return ImportResult(None, [Problem("file", str(error))])
    return import_bytes(content, path.name)


@transaction.atomic
def import_save(
    result: ImportResult, *, publish: bool = False
) -> tuple[Questionnaire, QuestionnaireVersion | None]:
    """Save an imported definition as the draft (a new questionnaire or a new draft)."""
    assert result.definition is not None and result.ok
    questionnaire = services.questionnaire_save_draft(definition=result.definition)
    version = services.questionnaire_publish(questionnaire=questionnaire) if publish else None
    return questionnaire, version
