import csv

from django.core.management.base import CommandParser

from org.management.base import StaffCommand
from reform.management.commands._sources import framework_from
from reform.scoring.framework import tree_rows


class Command(StaffCommand):
    help = (
        "Print a reform-index framework's tree as CSV: code, parent, name, kind, "
        "maximum points or weight. FRAMEWORK is a shipped code, a JSON file or a loaded code."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("framework")

    def handle(self, *args: object, framework: str, **options: object) -> None:
        tree = framework_from(framework, self.stderr)
        writer = csv.writer(self.stdout, lineterminator="\n")
        writer.writerow(["code", "parent", "name", "kind", "maximum_or_weight"])
        writer.writerows(tree_rows(tree))
