"""Staff commands speak the staff's language (Vietnamese first), errors included.

Django prints a refused command as "CommandError: …" and argparse as "usage: … error:
the following arguments are required: …", both in English whatever the language. A
``StaffCommand`` prints "Lỗi: …" instead, through the project's catalogue, and keeps the
exit code (2 for bad input, as argparse does). Called from code (``call_command``), it
raises CommandError as any command does.
"""

import re
import sys
from typing import Any, NoReturn

from django.core.management.base import (
    BaseCommand,
    CommandError,
    CommandParser,
    SystemCheckError,
)
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# argparse's own messages (Python's catalogue has no Vietnamese), by their English text.
_ARGPARSE_MESSAGES: list[tuple[re.Pattern[str], Promise]] = [
    (
        re.compile(r"the following arguments are required: (?P<names>.+)"),
        gettext_lazy("missing arguments: %(names)s"),
    ),
    (
        re.compile(r"unrecognized arguments: (?P<names>.+)"),
        gettext_lazy("unknown arguments: %(names)s"),
    ),
    (
        re.compile(r"argument (?P<name>[^:]+): expected one argument"),
        gettext_lazy("%(name)s needs a value"),
    ),
    (
        re.compile(
            r"argument (?P<name>[^:]+): invalid choice: (?P<value>.+?) "
            r"\(choose from (?P<choices>.+)\)"
        ),
        gettext_lazy("%(name)s: %(value)s is not one of %(choices)s"),
    ),
    (
        re.compile(r"argument (?P<name>[^:]+): invalid \S+ value: (?P<value>.+)"),
        gettext_lazy("%(name)s: %(value)s is not a valid value"),
    ),
]


def argparse_message(message: str) -> str:
    for pattern, translated in _ARGPARSE_MESSAGES:
        match = pattern.fullmatch(message)
        if match:
            return str(translated) % match.groupdict()
    return message


class StaffCommandParser(CommandParser):
    def _get_formatter(self) -> Any:
        formatter = super()._get_formatter()
        add_usage = formatter.add_usage

        def usage_in_our_language(usage: Any, actions: Any, groups: Any, prefix: Any = None) -> Any:
            return add_usage(usage, actions, groups, prefix or _("usage: "))

        formatter.add_usage = usage_in_our_language
        return formatter

    def error(self, message: str) -> NoReturn:
        message = argparse_message(message)
        if not self.called_from_command_line:
            raise CommandError(message, returncode=2)
        self.print_usage(sys.stderr)
        self.exit(2, _("Error: %(message)s") % {"message": message} + "\n")


class StaffCommand(BaseCommand):
    """A management command for staff: refusals in their language, exit code kept."""

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        # Django builds a CommandParser itself; ours only changes how it complains.
        parser.__class__ = StaffCommandParser
        parser._positionals.title = _("arguments")
        parser._optionals.title = _("options")
        for action in parser._actions:
            if action.dest == "help":
                action.help = _("show this help and exit")
        return parser

    def execute(self, *args: Any, **options: Any) -> Any:
        try:
            return super().execute(*args, **options)
        except CommandError as error:
            from_shell = getattr(self, "_called_from_command_line", False)
            if not from_shell or options.get("traceback") or isinstance(error, SystemCheckError):
                raise
            self.stderr.write(_("Error: %(message)s") % {"message": error})
            sys.exit(error.returncode)
