"""XLSForm (the KoboToolbox / ODK spreadsheet) to and from our definition.

Import reads the ``survey``, ``choices`` and ``settings`` sheets: groups become sections,
``select_one`` / ``select_multiple`` / ``integer`` / ``decimal`` / ``range`` / ``date`` /
``text`` become questions (a ``likert`` list of consecutive numbers becomes a rating),
``calculate`` becomes a calculated value, and ``relevant``, ``constraint``, ``required``
and ``label::<language>`` / ``hint::<language>`` columns are translated. XPath is read by
a small parser into our logic tree, never evaluated. Everything we cannot represent
(notes, repeats, media, GPS, metadata, choice filters, unknown functions, unknown
columns) is reported row by row, never dropped silently.

Export writes the standard columns (XPath translated back from our expressions) plus
``hailong::*`` columns holding what XLSForm cannot say (scoring, exact expressions,
validation, matrix rows); our import prefers them, so our own files round-trip exactly
and other tools simply ignore them.
"""

import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import openpyxl
from django.utils.text import slugify
from django.utils.translation import gettext as _

from questionnaires.definition import (
    CHOICE_TYPES,
    Definition,
    Question,
    default_language,
    scale_points,
)
from questionnaires.logic import NAME, LogicError, Node, parse, unparse
from questionnaires.validation import ERROR, SKIPPED, WARNING, Problem

EXT = "hailong::"
MAX_EMPTY_ROWS = 200

LANGUAGE_NAMES = {
    "vi": "Vietnamese",
    "en": "English",
    "fr": "French",
    "es": "Spanish",
    "pt": "Portuguese",
    "sw": "Swahili",
    "zh": "Chinese",
    "ar": "Arabic",
    "hi": "Hindi",
    "ru": "Russian",
    "de": "German",
    "ja": "Japanese",
    "ko": "Korean",
    "th": "Thai",
    "km": "Khmer",
    "lo": "Lao",
    "id": "Indonesian",
    "my": "Burmese",
}
_BY_NAME = {name.lower(): code for code, name in LANGUAGE_NAMES.items()}
_BY_NAME.update({"tiếng việt": "vi", "tieng viet": "vi", "kiswahili": "sw"})

METADATA_TYPES = {
    "start",
    "end",
    "today",
    "deviceid",
    "subscriberid",
    "simserial",
    "phonenumber",
    "username",
    "email",
    "audit",
    "start-geopoint",
    "background-geopoint",
    "imei",
    "instanceid",
}
UNSUPPORTED_TYPES = {
    "geopoint",
    "geotrace",
    "geoshape",
    "image",
    "audio",
    "video",
    "file",
    "barcode",
    "time",
    "datetime",
    "acknowledge",
    "rank",
    "trigger",
    "background-audio",
    "xml-external",
    "csv-external",
    "hidden",
    "select_one_from_file",
    "select_multiple_from_file",
    "note",
}
KNOWN_SURVEY_COLUMNS = {
    "type",
    "name",
    "label",
    "hint",
    "required",
    "relevant",
    "constraint",
    "constraint_message",
    "appearance",
    "calculation",
    "parameters",
    "required_message",
}
IGNORED_SURVEY_COLUMNS = {
    "choice_filter",
    "default",
    "read_only",
    "repeat_count",
    "media::image",
    "image",
    "media::audio",
    "audio",
    "media::video",
    "video",
    "guidance_hint",
    "trigger",
    "rows",
    "autoplay",
    "body::accuracythreshold",
    "jr:count",
    "bind::",
    "instance::",
    "note",
    "big-image",
    "media::big-image",
}


@dataclass
class ImportResult:
    definition: Definition | None
    problems: list[Problem] = field(default_factory=list)
    format: str = "xlsform"
    # Question codes whose duplicates the reader already reported, row by row.
    duplicate_codes: set[str] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return self.definition is not None and not any(p.severity == ERROR for p in self.problems)


class _Unsupported(Exception):
    """An XPath construct with no equivalent in our logic language."""


# --- spreadsheet reading -----------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _rows(sheet: Any) -> Iterator[tuple[int, dict[str, str]]]:
    """(Excel row number, {header: text}) for every non-empty row under the header."""
    rows = sheet.iter_rows(values_only=True)
    header: list[str] = []
    for header_row in rows:
        header = [_cell(v) for v in header_row]
        break
    empty = 0
    for number, values in enumerate(rows, start=2):
        data = {
            header[i]: _cell(v)
            for i, v in enumerate(values)
            if i < len(header) and header[i] and _cell(v) != ""
        }
        if not data:
            empty += 1
            if empty > MAX_EMPTY_ROWS:
                return
            continue
        empty = 0
        yield number, data


def _split_header(header: str) -> tuple[str, str | None]:
    """``label::English (en)`` → ("label", "English (en)"); ``label:english`` too."""
    header = header.strip()
    if header.lower().startswith(EXT):
        return header.lower(), None
    for separator in ("::", ":"):
        if separator in header:
            base, language = header.split(separator, 1)
            if base.lower() in {
                "label",
                "hint",
                "constraint_message",
                "required_message",
                "guidance_hint",
                "media",
                "image",
                "audio",
                "video",
            }:
                return base.strip().lower(), language.strip()
    return header.lower(), None


def _language_code(name: str) -> str | None:
    match = re.search(r"\(([A-Za-z]{2,3}(?:-[A-Za-z0-9]+)*)\)\s*$", name)
    if match:
        return match.group(1).lower()
    if re.fullmatch(r"[a-z]{2,3}", name.strip()):
        return name.strip()
    return _BY_NAME.get(name.strip().lower())


def _yes(value: str) -> bool | None:
    text = value.strip().lower()
    if text in {"yes", "true", "true()", "1", "y"}:
        return True
    if text in {"no", "false", "false()", "0", "n", ""}:
        return False
    return None


# --- XPath subset → our logic tree ---------------------------------------------------

_XTOKEN = re.compile(
    r"""\s*(?:
        (?P<ref>\$\{\s*(?P<refname>[^}\s]+)\s*\})
      | (?P<number>[0-9]+(?:\.[0-9]+)?|\.[0-9]+)
      | (?P<string>'[^']*'|"[^"]*"|‘[^’]*’|“[^”]*”)
      | (?P<word>and|or|div|mod)(?![A-Za-z0-9_-])
      | (?P<func>[A-Za-z_][A-Za-z0-9_:-]*)(?=\s*\()
      | (?P<op>!=|<=|>=|=|<|>|\+|-|\*|\(|\)|,|\.)
    )""",
    re.VERBOSE,
)

_XFUNCTIONS = {
    "selected": ("selected", 2, 2),
    "count-selected": ("count_selected", 1, 1),
    "string-length": ("length", 1, 1),
    "if": ("if", 3, 3),
    "round": ("round", 1, 2),
    "abs": ("abs", 1, 1),
    "coalesce": ("coalesce", 2, 2),
}


class _XPath:
    def __init__(self, text: str, names: dict[str, str], itself: str | None) -> None:
        self.text = text
        self.names = names
        self.itself = itself
        self.smart_quotes = False
        self.tokens: list[tuple[str, str]] = []
        position = 0
        while position < len(text):
            if not text[position:].strip():
                break
            match = _XTOKEN.match(text, position)
            if not match or match.end() == position:
                raise _Unsupported(
                    _("cannot read %(rest)r") % {"rest": text[position:].strip()[:20]}
                )
            kind = match.lastgroup or ""
            if kind == "refname":
                kind = "ref"
            value = match.group("refname") if kind == "ref" else match.group(kind)
            self.tokens.append((kind, value))
            position = match.end()
        self.tokens.append(("end", ""))
        self.index = 0

    def peek(self, *values: str) -> bool:
        kind, value = self.tokens[self.index]
        return kind in {"op", "word"} and value in values

    def take(self) -> tuple[str, str]:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def expect(self, value: str) -> None:
        _kind, found = self.take()
        if found != value:
            raise _Unsupported(
                _("expected %(expected)r, found %(found)r")
                % {"expected": value, "found": found or "end"}
            )

    def parse(self) -> Node:
        node = self.or_()
        if self.tokens[self.index][0] != "end":
            raise _Unsupported(_("unexpected %(found)r") % {"found": self.tokens[self.index][1]})
        return node

    def or_(self) -> Node:
        node = self.and_()
        while self.peek("or"):
            self.take()
            node = ("or", node, self.and_())
        return node

    def and_(self) -> Node:
        node = self.equality()
        while self.peek("and"):
            self.take()
            node = ("and", node, self.equality())
        return node

    def equality(self) -> Node:
        node = self.relational()
        if self.peek("=", "!="):
            op = "==" if self.take()[1] == "=" else "!="
            right = self.relational()
            if self.peek("=", "!="):
                raise _Unsupported(_("chained comparisons"))
            return _compare_blank(op, node, right)
        return node

    def relational(self) -> Node:
        node = self.additive()
        if self.peek("<", "<=", ">", ">="):
            op = self.take()[1]
            node = ("cmp", op, node, self.additive())
            if self.peek("<", "<=", ">", ">="):
                raise _Unsupported(_("chained comparisons"))
        return node

    def additive(self) -> Node:
        node = self.multiplicative()
        while self.peek("+", "-"):
            node = ("arith", self.take()[1], node, self.multiplicative())
        return node

    def multiplicative(self) -> Node:
        node = self.unary()
        while self.peek("*", "div", "mod"):
            op = self.take()[1]
            if op == "mod":
                raise _Unsupported(_("the mod operator"))
            node = ("arith", "/" if op == "div" else "*", node, self.unary())
        return node

    def unary(self) -> Node:
        if self.peek("-"):
            self.take()
            return ("neg", self.unary())
        return self.primary()

    def primary(self) -> Node:
        kind, value = self.take()
        if kind == "number":
            return ("lit", float(value) if "." in value else int(value))
        if kind == "string":
            if value[0] in "‘“":
                self.smart_quotes = True
            return ("lit", value[1:-1])
        if kind == "ref":
            if value not in self.names:
                raise _Unsupported(
                    _("${%(name)s} is not a question of this form") % {"name": value}
                )
            return ("var", self.names[value])
        if kind == "op" and value == ".":
            if self.itself is None:
                raise _Unsupported(_("'.' outside a constraint"))
            return ("var", self.itself)
        if kind == "op" and value == "(":
            node = self.or_()
            self.expect(")")
            return node
        if kind == "func":
            self.expect("(")
            args: list[Node] = []
            if not self.peek(")"):
                args.append(self.or_())
                while self.peek(","):
                    self.take()
                    args.append(self.or_())
            self.expect(")")
            return self.function(value, args)
        raise _Unsupported(_("unexpected %(found)r") % {"found": value or _("end")})

    def function(self, name: str, args: list[Node]) -> Node:
        if name in {"true", "false"} and not args:
            return ("lit", name == "true")
        if name == "not" and len(args) == 1:
            return ("not", args[0])
        if name == "regex" and len(args) == 2 and args[1][0] == "lit":
            return ("regex", args[0], args[1][1])
        if name in _XFUNCTIONS:
            ours, low, high = _XFUNCTIONS[name]
            if low <= len(args) <= high:
                return ("call", ours, *args)
        raise _Unsupported(_("the function %(name)s()") % {"name": name})


def _compare_blank(op: str, left: Node, right: Node) -> Node:
    """``${x} != ''`` means "answered" in XLSForm; our null never equals ''."""
    for value, other in ((left, right), (right, left)):
        if other == ("lit", "") and value[0] == "var":
            answered = ("call", "answered", value)
            return answered if op == "!=" else ("not", answered)
    return ("cmp", op, left, right)


def _has_regex(node: Node) -> bool:
    if node[0] == "regex":
        return True
    return any(isinstance(child, tuple) and _has_regex(child) for child in node[1:])


def xpath_to_expression(text: str, names: dict[str, str], itself: str | None = None) -> str:
    """Translate an XLSForm expression into ours; raises _Unsupported."""
    reader = _XPath(text, names, itself)
    node = reader.parse()
    if _has_regex(node):
        raise _Unsupported(_("regex() inside a larger expression"))
    expression = unparse(node)
    try:
        parse(expression)
    except LogicError as error:
        raise _Unsupported(str(error)) from None
    return expression


# --- import --------------------------------------------------------------------------


class _Importer:
    def __init__(self, workbook: Any, fallback_code: str = "") -> None:
        self.workbook = workbook
        # A form without form_id is named after its file, so that two such imports are
        # two questionnaires, not one draft overwriting the other.
        self.fallback_code = fallback_code
        self.problems: list[Problem] = []
        # Names used by two rows (reported with their rows; see import_bytes).
        self.duplicate_names: set[str] = set()
        self.sheets = {name.strip().lower(): workbook[name] for name in workbook.sheetnames}
        self.settings: dict[str, str] = {}
        self.language = "vi"
        self.languages: list[str] = []
        self.unknown_columns: dict[str, int] = {}

    def problem(
        self, sheet: str, row: int | None, where: str, message: str, severity: str = ERROR
    ) -> None:
        self.problems.append(Problem(where, message, severity, row=row, sheet=sheet))

    def texts(self, sheet: str, row: int, data: dict[str, str], column: str) -> dict[str, str]:
        found: dict[str, str] = {}
        for header, value in data.items():
            base, language_name = _split_header(header)
            if base != column:
                continue
            if language_name is None:
                code = self.language
            else:
                code = _language_code(language_name)
                if code is None:
                    self.problem(
                        sheet,
                        row,
                        header,
                        _(
                            "unknown language %(name)r: write it as "
                            "'Name (code)', e.g. 'English (en)'"
                        )
                        % {"name": language_name},
                    )
                    continue
            if code not in self.languages:
                self.languages.append(code)
            found[code] = value
        return found

    def read_settings(self) -> None:
        sheet = self.sheets.get("settings")
        if sheet is None:
            return
        for _number, data in _rows(sheet):
            self.settings = {k.strip().lower(): v for k, v in data.items()}
            break
        name = self.settings.get("default_language", "")
        if name:
            code = _language_code(name)
            if code:
                self.language = code
            else:
                self.problem(
                    "settings",
                    2,
                    "default_language",
                    _("unknown language %(name)r") % {"name": name},
                )

    def read_choices(self) -> dict[str, list[tuple[int, dict[str, str]]]]:
        lists: dict[str, list[tuple[int, dict[str, str]]]] = {}
        sheet = self.sheets.get("choices")
        if sheet is None:
            return lists
        for number, data in _rows(sheet):
            data = {k.strip(): v for k, v in data.items()}
            list_name = data.get("list_name") or data.get("list name") or ""
            if not list_name:
                self.problem("choices", number, "list_name", _("a choice without a list name"))
                continue
            lists.setdefault(list_name, []).append((number, data))
        return lists

    def run(self) -> Definition | None:
        if "survey" not in self.sheets:
            self.problem("survey", None, "workbook", _("the workbook has no 'survey' sheet"))
            return None
        self.read_settings()
        rows = [(n, {k.strip(): v for k, v in d.items()}) for n, d in _rows(self.sheets["survey"])]
        if not self.settings.get("default_language"):
            # No default named: a form whose labels all carry a language is in the first.
            headers = [_split_header(h) for _n, d in rows for h in d]
            label_languages = [lang for base, lang in headers if base == "label"]
            if label_languages and None not in label_languages:
                self.language = _language_code(str(label_languages[0])) or self.language
        self.languages = [self.language]
        choice_lists = self.read_choices()
        if not rows or not any("type" in {k.lower() for k in d} for _n, d in rows):
            self.problem("survey", 1, "type", _("the survey sheet has no 'type' column"))
            return None
        names = self._names(rows)
        sections: list[dict[str, Any]] = []
        calculations: list[dict[str, Any]] = []
        stack: list[dict[str, Any]] = []
        repeat_depth = 0
        current_key: tuple[str, ...] | None = None
        matrix: Question | None = None
        section_codes: set[str] = set()

        def section_for() -> dict[str, Any]:
            nonlocal current_key
            key = tuple(g["name"] for g in stack)
            if current_key == key and sections:
                return sections[-1]
            current_key = key
            base = stack[-1]["name"] if stack else "main"
            code, counter = base, 2
            while code in section_codes:
                code, counter = f"{base}_{counter}", counter + 1
            section_codes.add(code)
            section: dict[str, Any] = {"code": code, "questions": []}
            if stack and stack[-1]["label"]:
                section["title"] = stack[-1]["label"]
            elif not stack:
                section["title"] = {self.language: self.settings.get("form_title") or code}
            if stack and stack[-1].get("hint"):
                section["description"] = stack[-1]["hint"]
            conditions = [g["relevant"] for g in stack if g.get("relevant")]
            if conditions:
                section["relevant"] = (
                    conditions[0]
                    if len(conditions) == 1
                    else " and ".join(f"({c})" for c in conditions)
                )
            sections.append(section)
            return section

        for number, data in rows:
            lower = {k.lower(): v for k, v in data.items()}
            raw_type = re.sub(r"\s+", " ", lower.get("type", "")).strip()
            kind = raw_type.lower().replace("begin_", "begin ").replace("end_", "end ")
            name = names.get(number, "")
            self._check_columns(number, data)
            if not kind:
                self.problem("survey", number, name or "?", _("a row without a type"))
                continue
            if kind.startswith("begin repeat"):
                repeat_depth += 1
                self.problem(
                    "survey",
                    number,
                    name,
                    _("repeats are not supported: the repeat and its questions are skipped"),
                    SKIPPED,
                )
                continue
            if kind.startswith("end repeat"):
                repeat_depth = max(0, repeat_depth - 1)
                continue
            if repeat_depth:
                self.problem(
                    "survey", number, name or raw_type, _("inside a repeat: skipped"), SKIPPED
                )
                continue
            if kind.startswith("begin group"):
                relevant = self._expression(
                    number, name, lower.get("relevant", ""), names, _("condition")
                )
                if lower.get(f"{EXT}type") == "matrix":
                    matrix = self._matrix_start(number, name, data, relevant)
                    continue
                stack.append(
                    {
                        "name": name,
                        "label": self.texts("survey", number, data, "label"),
                        "hint": self.texts("survey", number, data, "hint"),
                        "relevant": lower.get(f"{EXT}relevant") or relevant,
                    }
                )
                if len(stack) > 1:
                    self.problem(
                        "survey",
                        number,
                        name,
                        _("a group inside a group: its questions become their own section"),
                        WARNING,
                    )
                continue
            if kind.startswith("end group"):
                if matrix is not None:
                    section_for()["questions"].append(matrix)
                    matrix = None
                elif stack:
                    stack.pop()
                else:
                    self.problem(
                        "survey", number, "end group", _("'end group' without 'begin group'")
                    )
                continue
            if kind == "calculate":
                calculation = self._calculation(number, name, data, names)
                if calculation:
                    calculations.append(calculation)
                continue
            base_type = kind.split(" ")[0]
            if base_type in METADATA_TYPES:
                self.problem(
                    "survey",
                    number,
                    name or kind,
                    _("metadata (%(type)s) is not collected: skipped") % {"type": raw_type},
                    SKIPPED,
                )
                continue
            if base_type in UNSUPPORTED_TYPES:
                self.problem(
                    "survey",
                    number,
                    name or kind,
                    _("the question type %(type)s is not supported: skipped") % {"type": raw_type},
                    SKIPPED,
                )
                continue
            question = self._question(number, name, raw_type, data, names, choice_lists)
            if question is None:
                continue
            if matrix is not None:
                self._matrix_row(number, matrix, question, lower)
                continue
            section_for()["questions"].append(question)
        if stack:
            self.problem("survey", None, stack[-1]["name"], _("'begin group' without 'end group'"))
        return self._definition(sections, calculations)

    def _names(self, rows: list[tuple[int, dict[str, str]]]) -> dict[int, str]:
        """Each row's code: the XLSForm name, made readable by our logic language."""
        result: dict[int, str] = {}
        self.renamed: dict[str, str] = {}
        first_row: dict[str, int] = {}
        for number, data in rows:
            lower = {k.lower(): v for k, v in data.items()}
            name = lower.get("name", "")
            if not name:
                continue
            kind = lower.get("type", "").strip().lower().replace("_", " ")
            if not kind.startswith("end "):
                # Checked on the rows, before any question is dropped for another
                # problem: a duplicate is reported whatever else is wrong with the file.
                if name in first_row:
                    self.problem(
                        "survey",
                        number,
                        name,
                        _("the name %(name)s is already used on row %(row)s")
                        % {"name": name, "row": first_row[name]},
                    )
                    self.duplicate_names.add(name)
                else:
                    first_row[name] = number
            code = name
            if not NAME.match(name):
                code = re.sub(r"[^A-Za-z0-9_]", "_", name)
                if not re.match(r"[A-Za-z_]", code):
                    code = f"_{code}"
                self.problem(
                    "survey",
                    number,
                    name,
                    _("renamed to %(code)s (codes use letters, digits and _)") % {"code": code},
                    WARNING,
                )
            result[number] = code
            self.renamed[name] = code
        self.xpath_names = dict(self.renamed)
        self.duplicate_names = {self.renamed.get(n, n) for n in self.duplicate_names}
        return result

    def _check_columns(self, number: int, data: dict[str, str]) -> None:
        for header in data:
            base, _language = _split_header(header)
            if base in KNOWN_SURVEY_COLUMNS or base.startswith(EXT):
                continue
            if base in self.unknown_columns:
                continue
            self.unknown_columns[base] = number
            message = _("the column %(column)s is not supported: its values are ignored") % {
                "column": header
            }
            self.problem("survey", number, header, message, SKIPPED)

    def _expression(
        self,
        number: int,
        where: str,
        text: str,
        names: dict[int, str],
        what: str,
        itself: str | None = None,
    ) -> str:
        if not text:
            return ""
        try:
            reader_names = self.xpath_names
            expression = xpath_to_expression(text, reader_names, itself)
        except _Unsupported as error:
            self.problem(
                "survey",
                number,
                where,
                _("the %(what)s %(text)r cannot be imported: %(error)s")
                % {"what": what, "text": text, "error": error},
            )
            return ""
        if any(q in text for q in "‘’“”"):
            self.problem(
                "survey",
                number,
                where,
                _("curly quotes in %(text)r were read as straight quotes") % {"text": text},
                WARNING,
            )
        return expression

    def _calculation(
        self, number: int, name: str, data: dict[str, str], names: dict[int, str]
    ) -> dict[str, Any] | None:
        lower = {k.lower(): v for k, v in data.items()}
        exact = lower.get(f"{EXT}calculation")
        calculation: dict[str, Any] = {"code": name}
        if exact:
            calculation["expression"] = exact
        else:
            try:
                calculation["expression"] = xpath_to_expression(
                    lower.get("calculation", ""), self.xpath_names
                )
            except _Unsupported as error:
                self.problem(
                    "survey",
                    number,
                    name,
                    _("the calculation cannot be imported (%(error)s): skipped") % {"error": error},
                    SKIPPED,
                )
                return None
        label = self.texts("survey", number, data, "label")
        if label:
            calculation["label"] = label
        return calculation

    def _matrix_start(
        self, number: int, name: str, data: dict[str, str], relevant: str
    ) -> Question:
        lower = {k.lower(): v for k, v in data.items()}
        matrix: Question = {
            "code": name,
            "type": "matrix",
            "label": self.texts("survey", number, data, "label"),
            "items": [],
        }
        help_text = self.texts("survey", number, data, "hint")
        if help_text:
            matrix["help"] = help_text
        required = _yes(lower.get("required", ""))
        if lower.get("required", "") != "":
            matrix["required"] = bool(required)
        relevant = lower.get(f"{EXT}relevant") or relevant
        if relevant:
            matrix["relevant"] = relevant
        self._extensions(number, name, lower, matrix)
        return matrix

    def _matrix_row(
        self, number: int, matrix: Question, row: Question, lower: dict[str, str]
    ) -> None:
        code = lower.get(f"{EXT}row") or row["code"]
        if row["type"] != "rating":
            self.problem("survey", number, row["code"], _("a matrix row must be a rating"))
            return
        matrix.setdefault("scale", row.get("scale"))
        item: dict[str, Any] = {"code": code, "label": row["label"]}
        if row.get("scoring"):
            item["scoring"] = row["scoring"]
        matrix["items"].append(item)
        self.xpath_names[row["code"]] = f"{matrix['code']}.{code}"

    def _extensions(
        self, number: int, where: str, lower: dict[str, str], question: Question
    ) -> None:
        for key in ("scoring", "validation", "scale"):
            text = lower.get(f"{EXT}{key}")
            if not text:
                continue
            try:
                question[key] = json.loads(text)
            except json.JSONDecodeError:
                self.problem(
                    "survey",
                    number,
                    where,
                    _("%(column)s is not valid JSON") % {"column": f"{EXT}{key}"},
                )
        if lower.get(f"{EXT}profile"):
            question["profile"] = bool(_yes(lower[f"{EXT}profile"]))
        if lower.get(f"{EXT}prefill"):
            question["prefill"] = lower[f"{EXT}prefill"]

    def _question(
        self,
        number: int,
        name: str,
        raw_type: str,
        data: dict[str, str],
        names: dict[int, str],
        lists: dict[str, Any],
    ) -> Question | None:
        lower = {k.lower(): v for k, v in data.items()}
        if not name:
            self.problem("survey", number, raw_type, _("a question without a name"))
            return None
        parts = raw_type.split()
        kind = parts[0].lower()
        if kind == "select" and len(parts) >= 4 and parts[2].lower() == "from":
            kind = f"select_{parts[1].lower()}"
            parts = [kind, parts[3]]
        appearance = lower.get("appearance", "")
        extension_type = lower.get(f"{EXT}type", "")
        question: Question = {"code": name}
        if kind in {"select_one", "select_multiple"}:
            if len(parts) < 2:
                self.problem(
                    "survey", number, name, _("%(type)s needs a list name") % {"type": kind}
                )
                return None
            list_name = parts[1]
            if list_name not in lists:
                self.problem(
                    "survey",
                    number,
                    name,
                    _("the choice list %(list)s does not exist") % {"list": list_name},
                )
                return None
            if len(parts) > 2 and parts[2].lower() == "or_other":
                self.problem(
                    "survey",
                    number,
                    name,
                    _("'or_other' is not supported: add an 'other' choice and a text question"),
                    SKIPPED,
                )
            self._choices(
                number,
                name,
                kind,
                list_name,
                lists[list_name],
                appearance,
                extension_type,
                question,
            )
        elif kind in {"integer", "decimal"}:
            question["type"] = "number"
            if kind == "integer":
                question["validation"] = {"integer": True}
        elif kind == "range":
            question["type"] = "number"
            params = dict(re.findall(r"(\w+)\s*=\s*([-0-9.]+)", lower.get("parameters", "")))
            start, end = float(params.get("start", 1)), float(params.get("end", 10))
            step = float(params.get("step", 1))
            validation: dict[str, Any] = {"min": _number(start), "max": _number(end)}
            if step.is_integer() and start.is_integer():
                validation["integer"] = True
            question["validation"] = validation
        elif kind == "date":
            question["type"] = "date"
        elif kind == "text":
            multiline = "multiline" in appearance.split() or extension_type == "long_text"
            question["type"] = "long_text" if multiline else "text"
        else:
            self.problem(
                "survey",
                number,
                name,
                _("the question type %(type)s is not supported: skipped") % {"type": raw_type},
                SKIPPED,
            )
            return None
        question["label"] = self.texts("survey", number, data, "label")
        if not question["label"]:
            self.problem("survey", number, name, _("the question has no label"))
        help_text = self.texts("survey", number, data, "hint")
        if help_text:
            question["help"] = help_text
        required_text = lower.get("required", "")
        if required_text:
            required = _yes(required_text)
            if required is None:
                self.problem(
                    "survey",
                    number,
                    name,
                    _("a conditional 'required' (%(text)s) is not supported: taken as required")
                    % {"text": required_text},
                    WARNING,
                )
                required = True
            question["required"] = required
        relevant = lower.get(f"{EXT}relevant") or self._expression(
            number, name, lower.get("relevant", ""), names, _("condition")
        )
        if relevant:
            question["relevant"] = relevant
        self._constraint(number, name, lower, data, question)
        self._extensions(number, name, lower, question)
        if question["type"] == "number" and "validation" in question and not question["validation"]:
            del question["validation"]
        return question

    def _choices(
        self,
        number: int,
        name: str,
        kind: str,
        list_name: str,
        rows: list[tuple[int, dict[str, str]]],
        appearance: str,
        extension_type: str,
        question: Question,
    ) -> None:
        choices = []
        for row_number, data in rows:
            value = data.get("name", "")
            if not value:
                self.problem("choices", row_number, list_name, _("a choice without a name"))
                continue
            if any(
                k.lower() in {"filter", "image", "media::image"} for k in data
            ) and row_number not in getattr(self, "_reported_choice_rows", set()):
                self._reported_choice_rows = getattr(self, "_reported_choice_rows", set())
                self._reported_choice_rows.add(row_number)
            choices.append(
                {"value": value, "label": self.texts("choices", row_number, data, "label")}
            )
        values = [c["value"] for c in choices]
        numeric = [v for v in values if re.fullmatch(r"-?[0-9]+", v)]
        special = [v for v in values if v in {"na", "dk"}]
        points = sorted(int(v) for v in numeric)
        likert = "likert" in appearance.split() or extension_type in {"rating", "nps", "matrix"}
        is_scale = (
            kind == "select_one"
            and likert
            and points
            and len(numeric) + len(special) == len(values)
            and points == list(range(points[0], points[-1] + 1))
            and points[0] >= 0
            and points[-1] <= 10
            and len(points) >= 2
        )
        if is_scale:
            question["type"] = "nps" if extension_type == "nps" else "rating"
            labels = {
                c["value"]: c["label"]
                for c in choices
                if c["value"] in numeric
                and c["label"]
                and c["label"] != {self.language: c["value"]}
            }
            scale: dict[str, Any] = {"min": points[0], "max": points[-1]}
            if question["type"] == "rating" or labels:
                scale["labels"] = labels
            if "na" in special:
                scale["not_applicable"] = True
            if "dk" in special:
                scale["dont_know"] = True
            if question["type"] == "nps":  # always 0–10: only labels and extras are kept
                del scale["min"], scale["max"]
            if scale:
                question["scale"] = scale
            return
        if kind == "select_one" and sorted(values) == ["no", "yes"]:
            question["type"] = "yes_no"
            if extension_type != "yes_no":  # our export of a yes/no without own labels
                question["choices"] = choices
            return
        question["type"] = "single_choice" if kind == "select_one" else "multiple_choice"
        question["choices"] = choices

    def _constraint(
        self,
        number: int,
        name: str,
        lower: dict[str, str],
        data: dict[str, str],
        question: Question,
    ) -> None:
        exact = lower.get(f"{EXT}constraint")
        text = lower.get("constraint", "")
        message = self.texts("survey", number, data, "constraint_message")
        if exact:
            question["constraint"] = exact
        elif text:
            if f"{EXT}validation" in lower:
                return  # our own export: the validation column says it exactly
            try:
                node = _XPath(text, self.xpath_names, name).parse()
            except _Unsupported as error:
                self.problem(
                    "survey",
                    number,
                    name,
                    _("the constraint %(text)r cannot be imported (%(error)s): skipped")
                    % {"text": text, "error": error},
                    SKIPPED,
                )
                return
            own_regex = node[0] == "regex" and node[1] == ("var", name)
            if own_regex and question["type"] in {"text", "long_text"}:
                question.setdefault("validation", {})["pattern"] = node[2]
                return
            if _has_regex(node):
                self.problem(
                    "survey",
                    number,
                    name,
                    _(
                        "the constraint %(text)r cannot be "
                        "imported (regex() inside a larger "
                        "expression): skipped"
                    )
                    % {"text": text},
                    SKIPPED,
                )
                return
            bounds = _bounds(node, name)
            if bounds is not None and question["type"] == "number":
                question.setdefault("validation", {}).update(bounds)
                return
            question["constraint"] = unparse(node)
        if question.get("constraint") and message:
            question["constraint_message"] = message

    def _definition(
        self, sections: list[dict[str, Any]], calculations: list[dict[str, Any]]
    ) -> Definition:
        settings = self.settings
        form_id = (
            settings.get("form_id") or settings.get("id_string") or self.fallback_code or "imported"
        )
        code = slugify(form_id).replace("-", "_")[:64] or "imported"
        definition: Definition = {
            "code": code,
            "kind": settings.get(f"{EXT}kind") or "other",
            "languages": self.languages,
        }
        for key in ("title", "description", "components"):
            text = settings.get(f"{EXT}{key}")
            if text:
                try:
                    definition[key] = json.loads(text)
                except json.JSONDecodeError:
                    self.problem("settings", 2, f"{EXT}{key}", _("not valid JSON"))
        if "title" not in definition:
            definition["title"] = {self.language: settings.get("form_title") or form_id}
        if settings.get(f"{EXT}schema_version"):
            definition["schema_version"] = int(settings[f"{EXT}schema_version"])
        definition["sections"] = sections
        if calculations:
            definition["calculations"] = calculations
        return definition


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def _bounds(node: Node, name: str) -> dict[str, Any] | None:
    """``. >= 1 and . <= 10`` → {"min": 1, "max": 10}; None for anything else."""
    if node[0] == "and":
        left, right = _bounds(node[1], name), _bounds(node[2], name)
        if left is None or right is None or set(left) & set(right):
            return None
        return {**left, **right}
    if node[0] == "cmp" and node[2] == ("var", name) and node[3][0] == "lit":
        value = node[3][1]
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        if node[1] == ">=":
            return {"min": value}
        if node[1] == "<=":
            return {"max": value}
    return None


def xlsform_read(content: bytes, fallback_code: str = "") -> ImportResult:
    """Read an XLSForm workbook; problems say row by row what was not imported.
    ``fallback_code`` names a form whose settings give no form_id (its file name)."""
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a file that is not xlsx
        return ImportResult(
            None, [Problem("file", _("not an .xlsx workbook: %(error)s") % {"error": error})]
        )
    importer = _Importer(workbook, fallback_code)
    try:
        definition = importer.run()
    finally:
        workbook.close()
    problems = sorted(importer.problems, key=lambda p: (p.sheet != "survey", p.sheet, p.row or 0))
    return ImportResult(definition, problems, duplicate_codes=importer.duplicate_names)


# --- export --------------------------------------------------------------------------


def _language_header(code: str) -> str:
    return f"{LANGUAGE_NAMES.get(code, code)} ({code})"


class _XPathWriter:
    def __init__(self, multiple: set[str]) -> None:
        self.multiple = multiple

    def write(self, node: Node, itself: str | None = None) -> str:
        kind = node[0]
        if kind == "lit":
            value = node[1]
            if value is True:
                return "true()"
            if value is False:
                return "false()"
            if value is None:
                return "''"
            if isinstance(value, str):
                if "'" not in value:
                    return f"'{value}'"
                if '"' not in value:
                    return f'"{value}"'
                raise _Unsupported(_("a text with both kinds of quotes"))
            return unparse(node)
        if kind == "var":
            if node[1] == itself:
                return "."
            return "${" + node[1].replace(".", "_") + "}"
        if kind in {"and", "or"}:
            return f"({self.write(node[1], itself)} {kind} {self.write(node[2], itself)})"
        if kind == "not":
            return f"not({self.write(node[1], itself)})"
        if kind == "neg":
            return f"-{self.write(node[1], itself)}"
        if kind == "arith":
            op = "div" if node[1] == "/" else node[1]
            return f"({self.write(node[2], itself)} {op} {self.write(node[3], itself)})"
        if kind == "cmp":
            op, left, right = node[1], node[2], node[3]
            if op in {"in", "not in"}:
                if right[0] != "list":
                    raise _Unsupported(_("'in' with something else than a list"))
                if left[0] == "var" and left[1] in self.multiple:
                    parts = [
                        f"selected({self.write(left, itself)}, {self.write(item, itself)})"
                        for item in right[1:]
                    ]
                else:
                    parts = [
                        f"{self.write(left, itself)} = {self.write(item, itself)}"
                        for item in right[1:]
                    ]
                text = "(" + " or ".join(parts or ["false()"]) + ")"
                return text if op == "in" else f"not{text}"
            xop = "=" if op == "==" else op
            return f"{self.write(left, itself)} {xop} {self.write(right, itself)}"
        if kind == "call":
            name, args = node[1], node[2:]
            if name == "answered":
                return f"{self.write(args[0], itself)} != ''"
            mapping = {
                "selected": "selected",
                "count_selected": "count-selected",
                "length": "string-length",
                "if": "if",
                "round": "round",
                "abs": "abs",
            }
            if name == "coalesce" and len(args) == 2:
                return f"coalesce({self.write(args[0], itself)}, {self.write(args[1], itself)})"
            if name in mapping:
                return f"{mapping[name]}(" + ", ".join(self.write(a, itself) for a in args) + ")"
            raise _Unsupported(
                _("the function %(name)s() has no XLSForm equivalent") % {"name": name}
            )
        if kind == "list":
            raise _Unsupported(_("a list outside 'in'"))
        raise _Unsupported(kind)


def expression_to_xpath(
    text: str, multiple: set[str] | None = None, itself: str | None = None
) -> str:
    """Our expression as XLSForm XPath; raises _Unsupported when there is none."""
    return _XPathWriter(multiple or set()).write(parse(text), itself)


def _validation_xpath(question: Question) -> str:
    rules = question.get("validation") or {}
    parts = []
    if question.get("type") == "number":
        if "min" in rules:
            parts.append(f". >= {rules['min']}")
        if "max" in rules:
            parts.append(f". <= {rules['max']}")
    if rules.get("pattern") and "'" not in rules["pattern"]:
        parts.append(f"regex(., '{rules['pattern']}')")
    if rules.get("min_selections") is not None:
        parts.append(f"count-selected(.) >= {rules['min_selections']}")
    if rules.get("max_selections") is not None:
        parts.append(f"count-selected(.) <= {rules['max_selections']}")
    if rules.get("max_length") is not None:
        parts.append(f"string-length(.) <= {rules['max_length']}")
    return " and ".join(parts)


def xlsform_write(definition: Definition) -> tuple[bytes, list[Problem]]:
    """The definition as an XLSForm workbook, and notes on what only hailong:: keeps."""
    notes: list[Problem] = []
    languages = list(definition.get("languages") or ["vi"])
    language = default_language(definition)
    multiple = {
        q["code"]
        for s in definition.get("sections", [])
        for q in s.get("questions", [])
        if q.get("type") == "multiple_choice"
    }
    writer = _XPathWriter(multiple)
    texts = ["label", "hint", "constraint_message"]
    columns = ["type", "name"]
    columns += [f"{t}::{_language_header(code)}" for t in texts for code in languages]
    columns += [
        "required",
        "relevant",
        "constraint",
        "appearance",
        "calculation",
        f"{EXT}type",
        f"{EXT}row",
        f"{EXT}relevant",
        f"{EXT}constraint",
        f"{EXT}calculation",
        f"{EXT}validation",
        f"{EXT}scale",
        f"{EXT}scoring",
        f"{EXT}profile",
        f"{EXT}prefill",
    ]
    survey: list[dict[str, Any]] = []
    choices: list[dict[str, Any]] = []

    def put_texts(row: dict[str, Any], column: str, text: dict[str, str] | None) -> None:
        for code, value in (text or {}).items():
            if code in languages:
                row[f"{column}::{_language_header(code)}"] = value

    def xpath(where: str, text: str, itself: str | None = None) -> str:
        try:
            return writer.write(parse(text), itself)
        except _Unsupported as error:
            notes.append(
                Problem(
                    where,
                    _(
                        "%(text)r has no XLSForm equivalent (%(error)s); "
                        "kept in the hailong:: column only"
                    )
                    % {"text": text, "error": error},
                    WARNING,
                )
            )
            return ""

    def conditions(row: dict[str, Any], item: dict[str, Any], code: str) -> None:
        if item.get("relevant"):
            row["relevant"] = xpath(code, item["relevant"])
            row[f"{EXT}relevant"] = item["relevant"]

    def add_list(list_name: str, items: list[tuple[Any, dict[str, str] | None]]) -> None:
        for value, label in items:
            row: dict[str, Any] = {"list_name": list_name, "name": str(value)}
            put_texts(row, "label", label or {language: str(value)})
            choices.append(row)

    def scale_list(question: Question, list_name: str) -> None:
        scale = question.get("scale") or {}
        labels = scale.get("labels") or {}
        items: list[tuple[Any, dict[str, str] | None]] = [
            (p, labels.get(str(p))) for p in scale_points(question)
        ]
        if scale.get("not_applicable"):
            items.append(("na", {"vi": "Không áp dụng", "en": "Not applicable"}))
        if scale.get("dont_know"):
            items.append(("dk", {"vi": "Không biết", "en": "Don't know"}))
        add_list(list_name, items)

    for section in definition.get("sections", []):
        group: dict[str, Any] = {"type": "begin group", "name": section["code"]}
        put_texts(group, "label", section.get("title"))
        put_texts(group, "hint", section.get("description"))
        conditions(group, section, section["code"])
        survey.append(group)
        for question in section.get("questions", []):
            code, kind = question["code"], question["type"]
            row: dict[str, Any] = {"name": code}
            put_texts(row, "label", question.get("label"))
            put_texts(row, "hint", question.get("help"))
            if "required" in question:
                row["required"] = "yes" if question["required"] else "no"
            conditions(row, question, code)
            if question.get("constraint"):
                row["constraint"] = xpath(code, question["constraint"], itself=code)
                row[f"{EXT}constraint"] = question["constraint"]
                put_texts(row, "constraint_message", question.get("constraint_message"))
            if question.get("validation"):
                row[f"{EXT}validation"] = json.dumps(question["validation"], ensure_ascii=False)
                if not question.get("constraint"):
                    row["constraint"] = _validation_xpath(question)
            if question.get("scoring"):
                row[f"{EXT}scoring"] = json.dumps(question["scoring"], ensure_ascii=False)
            if "profile" in question:
                row[f"{EXT}profile"] = "yes" if question["profile"] else "no"
            if question.get("prefill"):
                row[f"{EXT}prefill"] = question["prefill"]
            if kind in CHOICE_TYPES or kind == "yes_no":
                row["type"] = (
                    f"{'select_multiple' if kind == 'multiple_choice' else 'select_one'} {code}"
                )
                items = [(c["value"], c.get("label")) for c in question.get("choices", [])]
                if kind == "yes_no" and not items:
                    items = [
                        ("yes", {"vi": "Có", "en": "Yes"}),
                        ("no", {"vi": "Không", "en": "No"}),
                    ]
                    row[f"{EXT}type"] = "yes_no"
                add_list(code, items)
            elif kind in {"rating", "nps"}:
                row["type"] = f"select_one {code}"
                row["appearance"] = "likert"
                row[f"{EXT}type"] = kind
                if question.get("scale"):
                    row[f"{EXT}scale"] = json.dumps(question["scale"], ensure_ascii=False)
                scale_list(question, code)
            elif kind == "matrix":
                row["type"] = "begin group"
                row["appearance"] = "field-list"
                row[f"{EXT}type"] = "matrix"
                survey.append(row)
                scale_list(question, code)
                for item in question.get("items", []):
                    item_row: dict[str, Any] = {
                        "type": f"select_one {code}",
                        "name": f"{code}_{item['code']}",
                        "appearance": "likert",
                        f"{EXT}type": "rating",
                        f"{EXT}row": item["code"],
                        f"{EXT}scale": json.dumps(question.get("scale") or {}, ensure_ascii=False),
                    }
                    put_texts(item_row, "label", item.get("label"))
                    if item.get("scoring"):
                        item_row[f"{EXT}scoring"] = json.dumps(item["scoring"], ensure_ascii=False)
                    survey.append(item_row)
                survey.append({"type": "end group", "name": code})
                continue
            elif kind == "number":
                integer = (question.get("validation") or {}).get("integer")
                row["type"] = "integer" if integer else "decimal"
            elif kind == "date":
                row["type"] = "date"
            elif kind in {"text", "long_text"}:
                row["type"] = "text"
                if kind == "long_text":
                    row["appearance"] = "multiline"
                    row[f"{EXT}type"] = "long_text"
            survey.append(row)
        survey.append({"type": "end group", "name": section["code"]})
    for calculation in definition.get("calculations", []):
        row = {
            "type": "calculate",
            "name": calculation["code"],
            "calculation": xpath(calculation["code"], calculation["expression"]),
            f"{EXT}calculation": calculation["expression"],
        }
        put_texts(row, "label", calculation.get("label"))
        survey.append(row)
    if any(key.startswith("x-") for key in definition):
        notes.append(Problem("definition", _("x- keys are not exported to XLSForm"), WARNING))

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "survey"
    used = [c for c in columns if any(c in row for row in survey)]
    sheet.append(used)
    for row in survey:
        sheet.append([row.get(c, "") for c in used])
    choice_columns = ["list_name", "name"] + [
        f"label::{_language_header(code)}" for code in languages
    ]
    choice_sheet = workbook.create_sheet("choices")
    choice_sheet.append(choice_columns)
    for row in choices:
        choice_sheet.append([row.get(c, "") for c in choice_columns])
    settings_sheet = workbook.create_sheet("settings")
    settings = {
        "form_title": (definition.get("title") or {}).get(language, definition["code"]),
        "form_id": definition["code"],
        "default_language": _language_header(language),
        f"{EXT}kind": definition.get("kind", "other"),
        f"{EXT}title": json.dumps(definition.get("title") or {}, ensure_ascii=False),
    }
    if "schema_version" in definition:
        settings[f"{EXT}schema_version"] = str(definition["schema_version"])
    for key in ("description", "components"):
        if key in definition:
            settings[f"{EXT}{key}"] = json.dumps(definition[key], ensure_ascii=False)
    settings_sheet.append(list(settings))
    settings_sheet.append(list(settings.values()))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue(), notes


__all__ = [
    "SKIPPED",
    "ImportResult",
    "expression_to_xpath",
    "xlsform_read",
    "xlsform_write",
    "xpath_to_expression",
]
