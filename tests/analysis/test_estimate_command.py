"""``manage.py estimate``: JSON estimates of a CSV; bad input is one line, exit code 2."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.analysis.estimators.r_reference import REF

API = Path(__file__).parent / "estimators" / "data" / "api"
ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> dict:  # type: ignore[type-arg]
    out = io.StringIO()
    call_command("estimate", *args, stdout=out)
    return json.loads(out.getvalue())  # type: ignore[no-any-return]


def test_stratified_mean_by_domain_matches_r_svyby() -> None:
    result = run(
        str(API / "apistrat.csv"),
        "--weights",
        "pw",
        "--strata",
        "stype",
        "--fpc",
        "fpc",
        "--mean",
        "api00",
        "--by",
        "stype",
    )
    rows = result["statistics"]
    assert [r["domain"] for r in rows] == ["E", "H", "M"]
    # R: SE(svyby(~api00 + api99, ~stype, dstrat, svymean)) (api00 part)
    assert [r["se"] for r in rows] == pytest.approx(REF["dstrat.by.mean.se"][:3], rel=1e-8)
    assert set(rows[0]) >= {"estimate", "se", "ci_low", "ci_high", "deff", "n"}
    assert result["design"]["df"] == 197


def test_two_stage_design_with_repeated_cluster_and_fpc() -> None:
    result = run(
        str(API / "apiclus2.csv"),
        "--cluster",
        "dnum",
        "--cluster",
        "snum",
        "--fpc",
        "fpc1",
        "--fpc",
        "fpc2",
        "--mean",
        "api00",
        "--total",
        "enroll",
    )
    mean, total = result["statistics"]
    assert mean["se"] == pytest.approx(REF["dclus2.mean.se"][0], rel=1e-8)
    assert total["estimate"] == pytest.approx(REF["dclus2.total"][0], rel=1e-8)
    assert total["se"] == pytest.approx(REF["dclus2.total.se"][0], rel=1e-8)


def test_poststratify_rake_and_calibrate_from_json_files(tmp_path: Path) -> None:
    ps = tmp_path / "ps.json"
    ps.write_text(json.dumps({"stype": {"E": 4421, "H": 755, "M": 1018}}))
    common = [str(API / "apiclus1.csv"), "--weights", "pw", "--cluster", "dnum", "--fpc", "fpc"]
    (row,) = run(*common, "--poststratify", str(ps), "--total", "enroll")["statistics"]
    assert row["se"] == pytest.approx(REF["ps1.total.se"][0], rel=1e-8)
    margins = tmp_path / "margins.csv"
    margins.write_text(
        "variable,category,total\nstype,E,4421\nstype,H,755\nstype,M,1018\n"
        "sch.wide,No,1072\nsch.wide,Yes,5122\n"
    )
    (row,) = run(*common, "--rake", str(margins), "--total", "enroll")["statistics"]
    assert row["se"] == pytest.approx(REF["rake.total.se"][0], rel=1e-8)
    cal = tmp_path / "cal.json"
    cal.write_text(json.dumps({"stype": {"E": 4421, "H": 755, "M": 1018}, "api99": 3914069}))
    (row,) = run(*common, "--calibrate", str(cal), "--mean", "api00")["statistics"]
    assert row["estimate"] == pytest.approx(REF["cal.lin.mean"][0], rel=1e-8)
    assert row["se"] == pytest.approx(REF["cal.lin.mean.se"][0], rel=1e-8)


def test_proportion_uses_logit_interval_and_quantiles_woodruff() -> None:
    result = run(
        str(API / "apistrat.csv"),
        "--weights",
        "pw",
        "--strata",
        "stype",
        "--fpc",
        "fpc",
        "--proportion",
        "sch.wide",
        "--quantile",
        "api00:0.25,0.5,0.75",
    )
    yes = next(r for r in result["statistics"] if r.get("category") == "Yes")
    assert [yes["ci_low"], yes["ci_high"]] == pytest.approx(REF["dstrat.ciprop.logit"], rel=1e-8)
    quart = [r for r in result["statistics"] if r["statistic"] == "quantile"]
    assert [r["estimate"] for r in quart] == REF["dstrat.quantile"]
    lows = [r["ci_low"] for r in quart] + [r["ci_high"] for r in quart]
    assert lows == pytest.approx(REF["dstrat.quantile.ci"], rel=1e-8)


def test_jk1_replicates_and_ratio() -> None:
    result = run(
        str(API / "apiclus1.csv"),
        "--weights",
        "pw",
        "--cluster",
        "dnum",
        "--fpc",
        "fpc",
        "--replicate",
        "jk1",
        "--ratio",
        "api.stu/enroll",
    )
    (row,) = result["statistics"]
    assert row["se"] == pytest.approx(REF["jk1.ratio.se"][0], rel=1e-8)


@pytest.mark.parametrize(
    "args",
    [
        ["--weights", "pw", "--mean", "nope"],
        ["--weights", "pw", "--mean", "stype"],
        ["--weights", "pw"],
        ["--weights", "pw", "--ratio", "api00"],
        ["--weights", "pw", "--replicate", "jk1", "--strata", "stype", "--mean", "api00"],
    ],
)
def test_bad_columns_or_options_are_command_errors_with_code_2(args: list[str]) -> None:
    with pytest.raises(CommandError) as info:
        call_command("estimate", str(API / "apistrat.csv"), *args, stdout=io.StringIO())
    assert info.value.returncode == 2
    assert "\n" not in str(info.value)


def test_process_prints_one_line_and_exits_2() -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings_test"}
    proc = subprocess.run(
        [sys.executable, "manage.py", "estimate", str(API / "apistrat.csv"), "--mean", "nope"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0
    assert "nope" in proc.stderr
    proc = subprocess.run(
        [sys.executable, "manage.py", "estimate", str(API / "apistrat.csv"), "--replicate", "x"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 2


def test_ci_method_korn_graubard_for_shares_matches_r_svyciprop_beta() -> None:
    result = run(
        str(API / "apistrat.csv"),
        "--weights",
        "pw",
        "--strata",
        "stype",
        "--fpc",
        "fpc",
        "--proportion",
        "sch.wide",
        "--ci-method",
        "korn_graubard",
    )
    yes = next(r for r in result["statistics"] if r.get("category") == "Yes")
    assert [yes["ci_low"], yes["ci_high"]] == pytest.approx(REF["dstrat.ciprop.beta"], rel=1e-8)


def test_an_unknown_ci_method_is_one_line_and_exit_code_2() -> None:
    with pytest.raises(CommandError) as refused:
        run(str(API / "apistrat.csv"), "--proportion", "sch.wide", "--ci-method", "exact")

    assert refused.value.returncode == 2
    assert "--ci-method" in str(refused.value)
