"""Ingestion under load: the API a one-stop-shop system and a kiosk call, on gunicorn +
PostgreSQL, beside the same server's ``/healthz`` rate measured in the same run.

    python benchmarks/ingest.py                       # defaults below
    python benchmarks/ingest.py --submissions 2000    # quicker

The script drops and re-creates its own database (``--database-url``, default
``postgres://postgres@127.0.0.1:5432/hailong_ingest``), migrates it, seeds a province
with 20 communes, the published SIPAS questionnaire and an API key, then starts
gunicorn with the production settings (config/gunicorn.py: gthread, a worker per core
and 4 threads each; ``--workers``/``--threads`` override them) and drives it with a
bounded concurrent load
(``--concurrency`` requests in flight) from aiohttp on one asyncio loop:

* **healthz** — ``GET /healthz`` (one ``SELECT 1``): the floor of this server on this
  machine; measured before and after the other phases, the mean is the reference;
* **single** — ``POST /api/v1/transactions/``, one transaction per call;
* **batch** — ``POST /api/v1/transactions/batch/``, 1,000 transactions per call;
* **submit** — ``POST /api/v1/responses/``, a complete SIPAS answer on a fresh token,
  each with an ``Idempotency-Key``.

aiohttp rather than threads: one event loop keeps the generator's own CPU small on a
shared 2-core machine (the load generator competes with the server it measures, which
is why the ratio to ``/healthz`` in the same run is what counts). Every phase is
preceded by a short warm-up so that gunicorn's workers have imported and compiled what
they need. Rate limits are set out of reach (the benchmark comes from one address).

Prints a table: requests/s, items/s, p50/p99 latency (ms), errors, ratio to /healthz,
and the server's CPU time per request (gunicorn workers and PostgreSQL backends, read
from /proc): on a machine shared with other work the rates swing with the load, the CPU
a request costs does not, so the CPU-bound ratio to /healthz is printed too.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import runpy
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
BIN = Path(PYTHON).parent
UNITS = [f"B{i:02d}" for i in range(20)]


def _env(database_url: str, redis_url: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "benchmark-only-" + "x" * 40,
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SURVEY_RATE_SUBMIT": "0/m",
        "SURVEY_RATE_OPEN": "0/m",
        "SURVEY_RATE_TOKEN": "0/m",
        "SURVEY_RATE_API_KEY": "0/m",
        "PYTHONPATH": str(ROOT),
        # whitenoise warns once per worker that collectstatic was not run; not measured here.
        "PYTHONWARNINGS": "ignore::UserWarning",
    }
    env.pop("REDIS_URL", None)
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def database_reset(database_url: str) -> None:
    import psycopg

    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def seed() -> None:
    """Run in a child process with Django set up: prints the API key as JSON."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from org.models import AdministrativeUnit, UnitLevel
    from questionnaires.services import (
        library_definition,
        questionnaire_publish,
        questionnaire_save_draft,
    )
    from survey.services import api_client_create

    province_level = UnitLevel.objects.create(code="province", name="Tỉnh", rank=0)
    commune_level = UnitLevel.objects.create(code="commune", name="Xã", rank=2)
    province = AdministrativeUnit.objects.create(
        code="BP", name="Tỉnh Đo Tải", level=province_level
    )
    for code in UNITS:
        AdministrativeUnit.objects.create(
            code=code, name=f"Xã {code}", level=commune_level, parent=province
        )
    questionnaire = questionnaire_save_draft(definition=library_definition("sipas"))
    questionnaire_publish(questionnaire=questionnaire)
    _client, key = api_client_create(name="benchmark", units=[province])
    print(json.dumps({"key": key, "answers": sipas_answers()}))


def sipas_answers() -> dict[str, Any]:
    from questionnaires.definition import iter_questions
    from questionnaires.services import library_definition

    answers: dict[str, Any] = {}
    for question in iter_questions(library_definition("sipas")):
        if question["type"] == "rating" and not question.get("relevant"):
            answers[question["code"]] = 4
    answers.update(
        f0="no",
        sex="female",
        age_group="35-44",
        education="university",
        occupation="business",
        sector="land",
        channel="counter",
    )
    return answers


@dataclass
class Phase:
    name: str
    items_per_request: int = 1
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    seconds: float = 0.0
    adjacent: float = 0.0  # /healthz req/s measured right before and after this phase
    web_cpu: float = 0.0  # CPU seconds the gunicorn workers spent in this phase
    db_cpu: float = 0.0  # CPU seconds the PostgreSQL backends spent in this phase

    def cpu_ms(self, seconds: float) -> float:
        return seconds * 1000 / len(self.latencies) if self.latencies else 0.0

    @property
    def requests_per_second(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    @property
    def items_per_second(self) -> float:
        ok = len(self.latencies) - self.errors
        return ok * self.items_per_request / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000


async def run_phase(
    session: Any,
    phase: Phase,
    requests: list[tuple[str, str, Any, dict[str, str]]],
    concurrency: int,
    ok: set[int],
    results: list[Any] | None = None,
) -> None:
    """Send ``requests`` (method, path, json, headers) with at most ``concurrency`` in
    flight; record each latency and every reply whose status is not in ``ok``."""
    queue: asyncio.Queue[tuple[int, tuple[str, str, Any, dict[str, str]]]] = asyncio.Queue()
    for item in enumerate(requests):
        queue.put_nowait(item)
    if results is not None:
        results.extend([None] * len(requests))

    async def worker() -> None:
        while True:
            try:
                index, (method, path, body, headers) = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            start = time.perf_counter()
            try:
                async with session.request(method, path, json=body, headers=headers) as reply:
                    data = await reply.read()
                    code = reply.status
            except Exception:
                code, data = 0, b""
            phase.latencies.append(time.perf_counter() - start)
            phase.statuses[code] = phase.statuses.get(code, 0) + 1
            if code not in ok:
                phase.errors += 1
            elif results is not None:
                results[index] = json.loads(data)

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    phase.seconds = time.perf_counter() - start


_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _cpu(pids: set[int]) -> dict[int, float]:
    """CPU seconds (user + system) each of ``pids`` has used so far (Linux /proc)."""
    used = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        used[pid] = (int(fields[11]) + int(fields[12])) / _TICK
    return used


def _children(parent: int) -> set[int]:
    pids = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent:
            pids.add(int(stat.parent.name))
    return pids


class CpuMeter:
    """What one phase cost the server in CPU time, whatever else loads the machine: the
    gunicorn workers' and the database's backends' CPU seconds before and after (a
    backend that appears during the phase counts from zero). On a machine shared with
    other work, requests/s swing with the load; CPU per request does not."""

    def __init__(self, server_pid: int, database_url: str) -> None:
        self.server_pid = server_pid
        self.database = urlsplit(database_url).path.lstrip("/")
        self.admin = urlunsplit(urlsplit(database_url)._replace(path="/postgres"))

    def _backends(self) -> set[int]:
        import psycopg

        with psycopg.connect(self.admin, autocommit=True) as connection:
            rows = connection.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s", [self.database]
            ).fetchall()
        return {row[0] for row in rows}

    def snapshot(self) -> tuple[dict[int, float], dict[int, float]]:
        return _cpu(_children(self.server_pid)), _cpu(self._backends())

    def charge(self, phase: Phase, before: tuple[dict[int, float], dict[int, float]]) -> None:
        after = self.snapshot()
        phase.web_cpu = sum(v - before[0].get(pid, 0.0) for pid, v in after[0].items())
        phase.db_cpu = sum(v - before[1].get(pid, 0.0) for pid, v in after[1].items())


def _transaction(external_id: str, index: int) -> dict[str, Any]:
    return {
        "external_id": external_id,
        "unit": UNITS[index % len(UNITS)],
        "procedure": "1.001",
        "sector": "land",
        "channel": "counter",
        "completed_at": "2026-03-02T09:30:00+07:00",
    }


async def drive(
    args: argparse.Namespace, base: str, key: str, answers: dict[str, Any], meter: CpuMeter
) -> None:
    import aiohttp

    auth = {"Authorization": f"Api-Key {key}"}
    run = uuid.uuid4().hex[:8]
    connector = aiohttp.TCPConnector(limit=args.concurrency, force_close=True)
    async with aiohttp.ClientSession(base, connector=connector) as session:

        async def healthz(name: str, n: int = 0) -> Phase:
            phase = Phase(name)
            requests = [("GET", "/healthz", None, {})] * (n or args.healthz)
            start = meter.snapshot()
            await run_phase(session, phase, requests, args.concurrency, {200})
            meter.charge(phase, start)
            return phase

        def singles(prefix: str, n: int) -> list[tuple[str, str, Any, dict[str, str]]]:
            return [
                ("POST", "/api/v1/transactions/", _transaction(f"{prefix}-{i}", i), auth)
                for i in range(n)
            ]

        def batches(prefix: str, n: int) -> list[tuple[str, str, Any, dict[str, str]]]:
            return [
                (
                    "POST",
                    "/api/v1/transactions/batch/",
                    {
                        "transactions": [
                            _transaction(f"{prefix}-{b}-{i}", i) for i in range(args.batch_size)
                        ]
                    },
                    auth,
                )
                for b in range(n)
            ]

        # Warm-up: every worker imports, connects and compiles before anything counts.
        await run_phase(session, Phase("warm"), [("GET", "/healthz", None, {})] * 200, 8, {200})
        await run_phase(session, Phase("warm"), singles(f"w{run}", 40), 8, {201})
        warm_tokens: list[Any] = []
        await run_phase(session, Phase("warm"), batches(f"wb{run}", 4), 4, {201}, warm_tokens)
        submits = [
            (
                "POST",
                "/api/v1/responses/",
                {"token": r["token"], "answers": answers},
                {"Idempotency-Key": uuid.uuid4().hex},
            )
            for reply in warm_tokens
            if reply
            for r in reply["results"][:100]
        ]
        await run_phase(session, Phase("warm"), submits, 8, {201})

        async def next_to(phase: Phase) -> None:
            """A short /healthz run next to a phase: the load on a shared machine drifts,
            so each phase is also compared with the floor measured around it."""
            burst = await healthz("adjacent", max(200, args.healthz // 4))
            phase.adjacent += burst.requests_per_second / 2

        before = await healthz("healthz (before)")
        single = Phase("single registration")
        await next_to(single)
        start = meter.snapshot()
        await run_phase(session, single, singles(f"s{run}", args.singles), args.concurrency, {201})
        meter.charge(single, start)
        await next_to(single)
        batch = Phase("batch registration", items_per_request=args.batch_size)
        registered: list[Any] = []
        needed = -(-args.submissions // args.batch_size)
        await next_to(batch)
        start = meter.snapshot()
        await run_phase(
            session,
            batch,
            batches(f"b{run}", max(args.batches, needed)),
            args.batch_concurrency,
            {201},
            registered,
        )
        meter.charge(batch, start)
        await next_to(batch)
        tokens = [r["token"] for reply in registered if reply for r in reply["results"]]
        submit = Phase("submit (complete SIPAS)")
        requests = [
            (
                "POST",
                "/api/v1/responses/",
                {"token": token, "answers": answers},
                {"Idempotency-Key": uuid.uuid4().hex},
            )
            for token in tokens[: args.submissions]
        ]
        await next_to(submit)
        start = meter.snapshot()
        await run_phase(session, submit, requests, args.concurrency, {201})
        meter.charge(submit, start)
        await next_to(submit)
        after = await healthz("healthz (after)")

    reference = (before.requests_per_second + after.requests_per_second) / 2
    print()
    print(
        f"gunicorn {args.workers} workers × {args.threads} threads, "
        f"concurrency {args.concurrency} "
        f"(batches {args.batch_concurrency}), {os.cpu_count()} cores, "
        f"database {urlsplit(args.database_url).path.lstrip('/')}, "
        f"cache {'Redis' if args.redis_url else 'local memory'}"
    )
    header = (
        f"{'phase':<26}{'requests':>9}{'req/s':>9}{'items/s':>10}"
        f"{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}{'÷ healthz':>11}{'÷ adjacent':>12}"
        f"{'web CPU ms':>12}{'db CPU ms':>11}"
    )
    print(header)
    print("-" * len(header))
    for phase in (before, single, batch, submit, after):
        ratio = phase.requests_per_second / reference if reference else 0.0
        print(
            f"{phase.name:<26}{len(phase.latencies):>9}{phase.requests_per_second:>9.0f}"
            f"{phase.items_per_second:>10.0f}{phase.percentile(0.5):>9.1f}"
            f"{phase.percentile(0.99):>9.1f}{phase.errors:>8}{ratio:>11.2f}"
            f"{(phase.requests_per_second / phase.adjacent if phase.adjacent else 0):>12.2f}"
            f"{phase.cpu_ms(phase.web_cpu):>12.2f}{phase.cpu_ms(phase.db_cpu):>11.2f}"
        )
        if phase.errors:
            print(f"{'':<26}statuses: {phase.statuses}")
    print(f"\n/healthz reference (mean of before and after): {reference:.0f} req/s")
    # Server CPU per request (web + database), healthz over the phase: the rate the
    # phase would reach beside healthz on a machine where the server is CPU-bound and
    # nothing else runs — the ratio that the machine's other load cannot move.
    health_cpu = sum(p.web_cpu + p.db_cpu for p in (before, after)) / max(
        1, len(before.latencies) + len(after.latencies)
    )
    for phase in (single, batch, submit):
        cost = (phase.web_cpu + phase.db_cpu) / max(1, len(phase.latencies))
        if cost:
            print(
                f"{phase.name}: server CPU {cost * 1000:.2f} ms per request "
                f"(healthz {health_cpu * 1000:.2f}) → CPU-bound ratio {health_cpu / cost:.2f}"
            )
    print(
        f"targets: submit ≥ 0.5 × healthz → {submit.items_per_second / reference:.2f} "
        f"(adjacent {submit.items_per_second / submit.adjacent:.2f}); "
        f"batch ≥ 5,000/s → {batch.items_per_second:.0f}; "
        f"single ≥ 500/s → {single.items_per_second:.0f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/hailong_ingest"
    )
    parser.add_argument("--redis-url", default="", help="cache for rate limits (default: none)")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--workers", type=int, default=0, help="gunicorn workers (default: config/gunicorn.py)"
    )
    parser.add_argument(
        "--threads", type=int, default=0, help="threads per worker (default: config/gunicorn.py)"
    )
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--batch-concurrency", type=int, default=4)
    parser.add_argument("--healthz", type=int, default=4000, help="requests per healthz phase")
    parser.add_argument("--singles", type=int, default=2000)
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--submissions", type=int, default=5000)
    parser.add_argument("--seed", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seed:
        seed()
        return

    env = _env(args.database_url, args.redis_url)
    # The production gunicorn settings decide what the options leave open.
    production = runpy.run_path(str(ROOT / "config" / "gunicorn.py"))
    args.workers = args.workers or production["workers"]
    args.threads = args.threads or production["threads"]
    print(f"resetting {args.database_url} …", flush=True)
    database_reset(args.database_url)
    subprocess.run(
        [PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    seeded = json.loads(
        subprocess.run(
            [PYTHON, __file__, "--seed"], cwd=ROOT, env=env, check=True, capture_output=True
        ).stdout.decode()
    )
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            # The production settings (docker compose uses the same file).
            "-c",
            str(ROOT / "config" / "gunicorn.py"),
            "config.wsgi",
            "--workers",
            str(args.workers),
            "--threads",
            str(args.threads),
            "--bind",
            f"127.0.0.1:{args.port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{args.port}"
    try:
        _wait_ready(base)
        meter = CpuMeter(server.pid, args.database_url)
        asyncio.run(drive(args, base, seeded["key"], seeded["answers"], meter))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def _wait_ready(base: str) -> None:
    import urllib.request

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as reply:
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("gunicorn did not answer /healthz within 60 s")


if __name__ == "__main__":
    main()
