"""A round's run at scale on PostgreSQL: load / compute / store, peak memory, an
incremental re-run, each beside a floor measured in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hailong_bench \\
        python benchmarks/pipeline.py                      # 1,000,000 responses
    ... python benchmarks/pipeline.py --responses 100000   # quicker

Fills the database (dropped and re-migrated first: use a database of its own) with a
province of ``--units`` communes, SIPAS answers generated inside PostgreSQL
(``generate_series``, 3 % "not applicable") and twice as many transactions for the
frame. Then, each phase in a fresh process so that its peak memory is its own:

* **floor** — ``COPY`` of the same answer columns (id, unit, sector, the 24 rated
  items) out of PostgreSQL, drained without parsing: the work no loader can skip;
* **full run** — what the Celery task does for a round this large (the default
  scheme — cell weights by unit × sector — and spec: element indices and the overall
  index with SEs, CIs, design effects and unweighted values at every tree depth): the
  extract refresh from nothing, the parallel shares (one per extract chunk of 250,000
  answers; run serially here, so the figure is the sum of the workers' work), then the
  exact combination and the store of the estimate rows;
* **incremental** — after ``--new`` more answers, the same task again: the extract
  reads only the new answers, and only the new chunk's share reads answers (the others'
  sufficient statistics are kept).

``--scheme rake`` weights by cell weights, then rakes to two margins (sex and sector):
the shares keep statistics per weighting cell (unit × sector × channel × sex) and the
combine step rebuilds rows from them and runs the single pass's weighting and
estimation (analysis.fanout.rows_from_stats). ``--chunk-rows`` sets the extract's
chunk size (one share per chunk; 250,000 by default).

Prints seconds, the ratio to the floor, and peak RSS (MB).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("HAILONG_ALLOW_DEV_KEY", "1")

ROUND = "bench"


def _django() -> None:
    import django

    django.setup()


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rating_sql() -> str:
    """A jsonb of every rated SIPAS item, generated per row."""
    from questionnaires.definition import scored_items
    from questionnaires.services import library_definition

    codes = [i["code"] for i in scored_items(library_definition("sipas"))]
    value = (
        "CASE WHEN random() < 0.03 THEN to_jsonb('na'::text) "
        "ELSE to_jsonb(1 + floor(random() * 5)::int) END"
    )
    pairs = ", ".join(f"'{code}', {value}" for code in codes)
    return (
        f"jsonb_build_object({pairs}) || jsonb_build_object('f0', 'yes', 'sex', "
        "(ARRAY['male','female'])[1 + floor(random() * 2)::int], 'channel', 'counter')"
    )


def setup(responses: int, units: int) -> None:
    """Drop, migrate, and fill the database."""
    import datetime as dt

    from django.core.management import call_command
    from django.db import connection

    from analysis.models import SurveyRound
    from org.models import AdministrativeUnit, UnitLevel
    from questionnaires.services import (
        library_definition,
        questionnaire_publish,
        questionnaire_save_draft,
    )

    call_command("flush", interactive=False, verbosity=0)
    call_command("migrate", verbosity=0)
    province_level = UnitLevel.objects.create(code="province", name="Tỉnh", rank=0)
    commune_level = UnitLevel.objects.create(code="commune", name="Xã", rank=2)
    province = AdministrativeUnit.objects.create(code="P", name="Tỉnh", level=province_level)
    AdministrativeUnit.objects.bulk_create(
        AdministrativeUnit(code=f"X{i:04d}", name=f"Xã {i}", level=commune_level, parent=province)
        for i in range(units)
    )
    version = questionnaire_publish(
        questionnaire=questionnaire_save_draft(definition=library_definition("sipas"))
    )
    SurveyRound.objects.create(
        code=ROUND,
        name="Bench",
        questionnaire=version.questionnaire,
        scope=province,
        period_start=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        period_end=dt.datetime(2026, 12, 31, tzinfo=dt.UTC),
    )
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO survey_servicetransaction
                (external_id, unit_id, procedure_code, sector, channel, completed_at,
                 registered_at)
            SELECT 'T' || g, u.id, '1.001', (ARRAY['land','justice','business'])[1 + g %% 3],
                   'counter', '2026-03-01'::timestamptz + (g %% 200) * interval '1 day', now()
            FROM generate_series(1, %s) g
            JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k
                  FROM survey_administrativeunit WHERE parent_id IS NOT NULL) u
              ON u.k = g %% %s
            """,
            [2 * responses, units],
        )
        insert_responses(cursor, version.pk, responses, units, offset=0)
        cursor.execute("ANALYZE")
    print(
        f"setup: {responses:,} responses, {2 * responses:,} transactions, {units} units "
        f"in {time.perf_counter() - started:.0f} s",
        flush=True,
    )


def insert_responses(cursor, version_id: int, count: int, units: int, *, offset: int) -> None:
    cursor.execute(
        f"""
        INSERT INTO survey_response
            (version_id, unit_id, sector, channel, answers, submitted_at, profile, calculated,
             source, answers_hash)
        SELECT %s, u.id, (ARRAY['land','justice','business'])[1 + g %% 3], 'counter',
               {_rating_sql()}, '2026-03-01'::timestamptz + (g %% 200) * interval '1 day',
               '{{}}', '{{}}', 'import', ''
        FROM generate_series(%s, %s) g
        JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k
              FROM survey_administrativeunit WHERE parent_id IS NOT NULL) u
          ON u.k = g %% %s
        """,
        [version_id, offset + 1, offset + count, units],
    )


def phase_floor() -> dict:
    from django.db import connection

    from questionnaires.definition import scored_items
    from questionnaires.services import library_definition

    items = ", ".join(
        f"answers ->> '{i['code']}'" for i in scored_items(library_definition("sipas"))
    )
    started = time.perf_counter()
    size = 0
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(
            f"COPY (SELECT id, unit_id, sector, {items} FROM survey_response ORDER BY id) "
            "TO STDOUT WITH (FORMAT csv)"
        ) as copy,
    ):
        for block in copy:
            size += len(block)
    return {"seconds": time.perf_counter() - started, "mb_copied": size / 1e6}


def phase_run(*, fresh: bool, scheme: str) -> dict:
    """What analysis.tasks.analysis_run_execute does, stage by stage: a round this large
    takes the parallel path (a chord of chunk tasks); here its shares run one after the
    other in this process, so "compute" is the serial sum of the workers' work."""
    from analysis.extracts import extract_refresh
    from analysis.models import AnalysisRun, MarginTarget, ResponseExtract, SurveyRound
    from analysis.tasks import _components, fanout_plan, fanout_variables, run_chunk, run_combine
    from survey.models import Response

    survey_round = SurveyRound.objects.get(code=ROUND)
    survey_round.estimation = {"parallel": "always"}
    if scheme == "rake":
        survey_round.weighting = [
            {"step": "cell_weights", "by": ["unit", "sector"]},
            {"step": "rake", "margins": ["sex", "sector"]},
        ]
        total = float(2 * Response.objects.count())
        MarginTarget.objects.filter(round=survey_round).delete()
        MarginTarget.objects.bulk_create(
            [
                MarginTarget(round=survey_round, variable="sex", category=c, target=total / 2)
                for c in ("female", "male")
            ]
            + [
                MarginTarget(round=survey_round, variable="sector", category=c, target=total / 3)
                for c in ("land", "justice", "business")
            ]
        )
    else:
        survey_round.weighting = []
    survey_round.save()
    if fresh:
        ResponseExtract.objects.all().delete()
    AnalysisRun.objects.filter(status__in=AnalysisRun.ACTIVE).update(status="failed")
    run = AnalysisRun.objects.create(round=survey_round, status="running")
    times: dict[str, float] = {}
    started = time.perf_counter()
    added = sum(extract_refresh(version=v) for v in survey_round.questionnaire.versions.all())
    times["extract"] = time.perf_counter() - started
    plan = fanout_plan(survey_round)
    if plan is None:
        raise SystemExit("the round did not take the parallel path: raise --responses")
    components, elements = _components(survey_round)
    variables = fanout_variables(survey_round)
    mark = time.perf_counter()
    shares = [run_chunk(run.pk, [chunk], components, elements, variables) for chunk in plan]
    times["compute"] = time.perf_counter() - mark
    times["load"] = times["extract"]  # shares read their own chunks inside "compute"
    mark = time.perf_counter()
    rows = run_combine(shares, run.pk, components, elements, {}, variables)
    run.refresh_from_db()
    if run.status != "succeeded":
        raise SystemExit(f"the run failed: {run.error}")
    times["store"] = time.perf_counter() - mark
    times["total"] = time.perf_counter() - started
    run.refresh_from_db()
    return {
        **times,
        "responses": run.n_responses,
        "extracted": added,
        "estimates": rows,
        "shares": len(plan),
    }


def phase_add(new: int, units: int) -> dict:
    from django.db import connection

    from questionnaires.models import QuestionnaireVersion
    from survey.models import Response

    version = QuestionnaireVersion.objects.get()
    with connection.cursor() as cursor:
        insert_responses(cursor, version.pk, new, units, offset=Response.objects.count() + 7)
    return {}


def child(phase: str, args: argparse.Namespace) -> dict:
    """Run one phase in a fresh interpreter; its peak RSS is the phase's own."""
    command = [
        sys.executable,
        __file__,
        "--phase",
        phase,
        "--responses",
        str(args.responses),
        "--units",
        str(args.units),
        "--new",
        str(args.new),
        "--scheme",
        args.scheme,
        "--chunk-rows",
        str(args.chunk_rows),
    ]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    if done.returncode:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"phase {phase} failed")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--units", type=int, default=200)
    parser.add_argument("--new", type=int, default=10_000)
    parser.add_argument("--phase", choices=["setup", "floor", "full", "add", "incremental"])
    parser.add_argument("--scheme", choices=["cells", "rake"], default="cells")
    parser.add_argument("--chunk-rows", type=int, default=250_000)
    args = parser.parse_args()
    if "postgres" not in os.environ.get("DATABASE_URL", ""):
        raise SystemExit("set DATABASE_URL to a PostgreSQL database of the benchmark's own")
    if args.phase:
        _django()
        from analysis import extracts

        extracts.CHUNK_ROWS = args.chunk_rows
        if args.phase == "setup":
            setup(args.responses, args.units)
            result: dict = {}
        elif args.phase == "floor":
            result = phase_floor()
        elif args.phase == "add":
            result = phase_add(args.new, args.units)
        else:
            result = phase_run(fresh=args.phase == "full", scheme=args.scheme)
        print(json.dumps({**result, "peak_mb": _peak_mb()}))
        return

    child("setup", args)
    floor = child("floor", args)
    full = child("full", args)
    child("add", args)
    incremental = child("incremental", args)
    base = floor["seconds"]
    print(
        f"\n{full['responses']:,} responses in the round ({args.scheme} scheme); floor "
        f"copied {floor['mb_copied']:.0f} MB\n"
    )
    print("| step | seconds | × floor | peak MB |")
    print("|---|---|---|---|")
    print(f"| floor: COPY of the answer columns | {base:.2f} | 1.0 | {floor['peak_mb']:.0f} |")
    for name, result in (("full run", full), (f"incremental (+{args.new:,})", incremental)):
        print(
            f"| {name} | {result['total']:.2f} | {result['total'] / base:.1f} | "
            f"{result['peak_mb']:.0f} |"
        )
        print(
            f"| … extract ({result['extracted']:,} rows) | {result['extract']:.2f} | "
            f"{result['extract'] / base:.1f} | |"
        )
        print(
            f"| … {result['shares']} shares, serially (read + reduce) | "
            f"{result['compute']:.2f} | {result['compute'] / base:.1f} | |"
        )
        print(
            f"| … combine + store ({result['estimates']:,} estimates) | "
            f"{result['store']:.2f} | {result['store'] / base:.1f} | |"
        )


if __name__ == "__main__":
    main()
