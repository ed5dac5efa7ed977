import csv
import json
from pathlib import Path

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from org.management.base import StaffCommand
from reform.management.commands._sources import framework_from
from reform.messages import problem_text
from reform.scoring.problems import Problem
from reform.scoring.table import table_read, table_report


class Command(StaffCommand):
    help = (
        "Score units from a CSV of unit,criterion,value rows (value = what the leaf takes "
        "before its conversion rule) and print JSON: per unit its total, per-domain "
        "points, rank and band. Bad input: one line per problem, exit code 2."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("framework")
        parser.add_argument("scores", help="CSV file with a unit,criterion,value header")

    def handle(self, *args: object, framework: str, scores: str, **options: object) -> None:
        tree = framework_from(framework, self.stderr)
        path = Path(scores)
        if not path.is_file():
            raise CommandError(_("No file %(path)s") % {"path": scores}, returncode=2)
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = [h.strip().lower() for h in next(reader, [])]
            if header != ["unit", "criterion", "value"]:
                found = ",".join(header) or "-"
                self._fail([Problem("bad_header", {"found": found})], scores)
            rows = [
                (line, *(cell.strip() for cell in ([*row, "", "", ""])[:3]))
                for line, row in enumerate(reader, start=2)
                if any(cell.strip() for cell in row)
            ]
        table, problems = table_read(tree, rows)
        if problems:
            self._fail(problems, scores)
        report = {"framework": tree.code, "units": table_report(tree, table)}
        self.stdout.write(json.dumps(report, ensure_ascii=False, indent=2))

    def _fail(self, problems: list[Problem], source: str) -> None:
        for problem in problems:
            self.stderr.write(problem_text(problem))
        raise CommandError(
            _("%(count)d problem(s) in %(source)s") % {"count": len(problems), "source": source},
            returncode=2,
        )
