"""The leader dashboard of a scoring round (issue 11): the ranking per block with rank
intervals, the movers against last year, the weakest criteria across units, and every
unit's scorecard one click away. Reads only; the numbers are those of the results API
(reform.results.round_results, same draws and seed)."""

import dataclasses
import itertools
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from org.permissions import Capability, has_capability
from reform.results import RoundResults, UnitResult, round_results
from reform.scoring.overview import criterion_losses, movers, weakest
from reform.scoring.totals import score
from reform.selectors import may_read_results, rounds_visible, survey_history
from reports.charts import Chart, bar_chart, fmt, forest_plot

DRAWS = 1000  # as the ranking page and the results API


@dataclass
class Block:
    """Units ranked together (the units of one level) and their rank-interval chart."""

    name: str
    rows: list[UnitResult]
    chart: Chart | None = None
    totals: Chart | None = None


@dataclass
class WeakCriterion:
    code: str
    name: str
    domain: str
    maximum: float
    share_lost: float  # 0–1, mean over the units
    mean_points: float


@dataclass
class Dashboard:
    results: RoundResults
    blocks: list[Block]
    gains: list[UnitResult] = field(default_factory=list)
    losses: list[UnitResult] = field(default_factory=list)
    weakest: list[WeakCriterion] = field(default_factory=list)
    weakest_chart: Chart | None = None
    compared: bool = False  # some unit has a change against last year


def blocks_of(results: RoundResults) -> list[Block]:
    """The rows grouped by block, in the results' order (level, then rank)."""

    def key(row: UnitResult) -> Any:
        return getattr(row, "block", None) or row.unit.level_id

    out = []
    for _key, group in itertools.groupby(results.rows, key=key):
        rows = list(group)
        name = getattr(rows[0], "block_name", None) or rows[0].unit.level.name
        out.append(Block(name=name, rows=rows))
    return out


def chart_pieces(block: Block, size: int = 40) -> list[Block]:
    """A long block cut into pieces of ``size`` units, each titled with its ranks: a
    printed chart must fit on a page."""
    rows = block.rows
    if len(rows) <= size:
        return [block]
    return [
        Block(
            name=f"{block.name} ({rows[i].rank}–{rows[min(i + size, len(rows)) - 1].rank})",
            rows=rows[i : i + size],
        )
        for i in range(0, len(rows), size)
    ]


def rank_chart(block: Block, results: RoundResults) -> Chart | None:
    """A forest plot of ranks: each unit's rank with its 90% rank interval."""
    rows = block.rows
    if not rows or rows[0].rank_low is None:
        return None
    widest = max(rows, key=lambda r: ((r.rank_high or 0) - (r.rank_low or 0), -r.rank))
    title = _("Ranks and 90%% rank intervals: %(block)s") % {"block": block.name}
    summary = _(
        "%(count)s units. First: %(first)s (rank interval %(low)s–%(high)s). The widest "
        "interval: %(widest)s (%(wlow)s–%(whigh)s), from %(draws)s redraws of the survey "
        "results."
    ) % {
        "count": len(rows),
        "first": rows[0].unit.name,
        "low": rows[0].rank_low,
        "high": rows[0].rank_high,
        "widest": widest.unit.name,
        "wlow": widest.rank_low,
        "whigh": widest.rank_high,
        "draws": results.draws,
    }
    low = min(r.rank_low or r.rank for r in rows)
    high = max(r.rank_high or r.rank for r in rows)
    chart = forest_plot(
        title=title,
        labels=[r.unit.name for r in rows],
        estimates=[r.rank for r in rows],
        lows=[r.rank_low for r in rows],
        highs=[r.rank_high for r in rows],
        decimals=0,
        bounds=(low - 0.5, high + 0.5),
        summary=summary,
        ticks=range(low, high + 1, max(1, -(-(high - low + 1) // 10))),
    )
    columns = [_("Unit"), _("Rank"), _("Best rank"), _("Worst rank"), ""]
    return dataclasses.replace(chart, columns=columns[:4], rows=[r[:4] for r in chart.rows])


def totals_chart(block: Block, results: RoundResults) -> Chart:
    maximum = results.framework.total if not results.framework.weighted else None
    return bar_chart(
        title=_("Total points: %(block)s") % {"block": block.name},
        labels=[r.unit.name for r in block.rows],
        values=[r.total for r in block.rows],
        decimals=2,
        maximum=maximum,
        value_header=_("Total"),
    )


def weakest_criteria(results: RoundResults, *, count: int = 10) -> list[WeakCriterion]:
    """The leaves whose maximum the units lose most of, on average (the total's points)."""
    tree = results.framework
    if not results.rows:
        return []
    history = survey_history(scoring_round=results.scoring_round, tree=tree)
    leaf_points = score(tree, results.values, survey=results.survey, history=history).leaf_points
    leaves = tree.leaves
    counted = [not n.is_extra and (results.survey or n.leaf != "survey") for n in leaves]
    shares = criterion_losses(leaf_points, [n.maximum for n in leaves], counted)
    out = []
    for j in weakest(shares, count=count):
        node = leaves[j]
        out.append(
            WeakCriterion(
                code=node.code,
                name=node.name,
                domain=tree.domain_of(node.code).code,
                maximum=float(node.maximum or 0.0),
                share_lost=float(shares[j]),
                mean_points=round(float(leaf_points[:, j].mean()), 2),
            )
        )
    return out


def weakest_chart(items: list[WeakCriterion]) -> Chart | None:
    if not items:
        return None
    return bar_chart(
        title=_("Weakest criteria: share of the maximum lost, mean over the units"),
        labels=[f"{w.code} {w.name}" for w in items],
        values=[round(100 * w.share_lost, 1) for w in items],
        unit="%",
        maximum=100,
        value_header=_("Share of maximum lost"),
        summary=_("Most points lost: %(code)s %(name)s, %(share)s of its maximum.")
        % {
            "code": items[0].code,
            "name": items[0].name,
            "share": fmt(100 * items[0].share_lost, 1, "%"),
        },
    )


def round_dashboard(*, results: RoundResults, count: int = 5) -> Dashboard:
    """Everything the dashboard shows, from the round's results (no query per unit)."""
    blocks = blocks_of(results)
    for block in blocks:
        block.chart = rank_chart(block, results)
        block.totals = totals_chart(block, results)
    rows = results.rows
    points = [None if r.change is None else r.change.points for r in rows]
    ranks = [None if r.change is None else r.change.ranks for r in rows]
    gains, losses = movers(points, ranks, count=count)
    items = weakest_criteria(results)
    return Dashboard(
        results=results,
        blocks=blocks,
        gains=[rows[i] for i in gains],
        losses=[rows[i] for i in losses],
        weakest=items,
        weakest_chart=weakest_chart(items),
        compared=any(p is not None for p in points),
    )


def _readable(request: HttpRequest, code: str) -> Any:
    """A round the user may read the whole ranking of, with DASHBOARDS somewhere."""
    if not has_capability(request.user, Capability.DASHBOARDS):
        raise Http404
    found = rounds_visible(user=request.user).filter(code=code).first()
    if found is None or not may_read_results(user=request.user, scoring_round=found):
        raise Http404
    return found


@login_required
def dashboard(request: HttpRequest, code: str) -> HttpResponse:
    scoring_round = _readable(request, code)
    board = round_dashboard(results=round_results(scoring_round=scoring_round, draws=DRAWS))
    context = {"round": scoring_round, "board": board, "results": board.results}
    return render(request, "reform/dashboard.html", context)


@login_required
def dashboard_latest(request: HttpRequest) -> HttpResponse:
    """The workspace's link: the newest round whose ranking the user may read."""
    if not has_capability(request.user, Capability.DASHBOARDS):
        raise Http404
    for scoring_round in rounds_visible(user=request.user).order_by("-year", "-created_at"):
        if may_read_results(user=request.user, scoring_round=scoring_round):
            return redirect("reform:dashboard", code=scoring_round.code)
    return render(request, "reform/dashboard_none.html")
