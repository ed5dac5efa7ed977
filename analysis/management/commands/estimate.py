"""``manage.py estimate DATA.csv``: survey estimates of any CSV, printed as JSON.

A statistician's check outside the web pages; all the work is in
``analysis.estimators.cli`` (no Django there).
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import CommandError, CommandParser

from analysis.estimators.cli import CliError, EstimateRequest, run
from org.management.base import StaffCommand


class Command(StaffCommand):
    help = "Weighted survey estimates (mean, total, proportion, ratio, quantile) of a CSV."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("data", help="CSV file with a header row")
        g = parser.add_argument_group("design")
        g.add_argument("--weights", help="column of sampling weights")
        g.add_argument("--strata", help="column of first-stage strata")
        g.add_argument(
            "--cluster",
            action="append",
            default=[],
            dest="clusters",
            help="column of cluster ids; repeat for each stage",
        )
        g.add_argument(
            "--fpc",
            action="append",
            default=[],
            help="column of population sizes or sampling fractions; one per stage",
        )
        g.add_argument(
            "--lonely-psu",
            default="fail",
            choices=["fail", "remove", "adjust", "average", "certainty"],
        )
        g.add_argument(
            "--replicate",
            choices=["jk1", "jkn", "bootstrap", "brr"],
            help="use replicate weights of this type for the variance",
        )
        g.add_argument("--replicates", type=int, default=50, help="bootstrap replicates")
        g.add_argument("--seed", type=int, help="bootstrap random seed")
        a = parser.add_argument_group("adjustment")
        a.add_argument("--poststratify", metavar="TOTALS", help="JSON/CSV of cell totals")
        a.add_argument("--rake", metavar="MARGINS", help="JSON/CSV of margin totals")
        a.add_argument("--calibrate", metavar="TOTALS", help="JSON/CSV of population totals")
        a.add_argument("--calfun", default="linear", choices=["linear", "raking", "logit"])
        a.add_argument("--bounds", metavar="LO,HI", help="bounds on g-weights for --calibrate")
        a.add_argument("--trim", metavar="LO:HI", help="trim weights to [LO, HI]")
        s = parser.add_argument_group("statistics")
        s.add_argument("--mean", action="append", default=[], dest="means", metavar="VAR")
        s.add_argument("--total", action="append", default=[], dest="totals", metavar="VAR")
        s.add_argument(
            "--proportion", action="append", default=[], dest="proportions", metavar="VAR"
        )
        s.add_argument("--ratio", action="append", default=[], dest="ratios", metavar="NUM/DEN")
        s.add_argument(
            "--quantile", action="append", default=[], dest="quantiles", metavar="VAR:P1,P2"
        )
        s.add_argument("--by", metavar="VAR", help="estimate in each domain of VAR")
        s.add_argument("--level", type=float, default=0.95, help="confidence level")
        s.add_argument(
            "--ci-method",
            default="logit",
            dest="ci_method",
            help="interval for shares (--proportion): logit, korn_graubard or wald",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        fields = set(EstimateRequest.__dataclass_fields__)
        req = EstimateRequest(**{k: v for k, v in options.items() if k in fields})
        try:
            result = run(req)
        except CliError as exc:
            raise CommandError(str(exc).splitlines()[0], returncode=2) from None
        self.stdout.write(json.dumps(result, ensure_ascii=False, indent=2))
