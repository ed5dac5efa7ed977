"""Speed of analysis.estimators beside samplics, svy and R survey, and a numpy floor.

    python benchmarks/estimators.py            # 1,000,000 rows x 40 items, 700 domains
    python benchmarks/estimators.py --rows 100000 --competitor-items 2   # quicker

Generates respondents in 20 strata and 500 PSUs with 40 Likert items (1-5, a few
missing) and 700 domains, then times in one run:

* means with Taylor SEs for every item in every domain (and the whole population);
* raking of the weights to 3 margins (sex x age x region).

Beside ours, on the same arrays: the *floor* (one ``np.bincount`` pass per item over
the weights and values: the work no implementation can skip), samplics, its
successor svy, and R's survey when ``Rscript`` is installed. Competitors that are
slow run on the first ``--competitor-items`` items; their time for all items is
extrapolated linearly and marked ``*``. It prints every time, the ratios, and the
largest differences in estimates and SEs against ours.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis.estimators import estimate_mean, make_design, rake

Arrays = dict[str, Any]


def generate(rows: int, items: int, strata: int, psus: int, domains: int, seed: int) -> Arrays:
    rng = np.random.default_rng(seed)
    psu = rng.integers(0, psus, rows)
    stratum = psu % strata  # PSUs nested in strata
    domain = rng.integers(0, domains, rows)
    weights = rng.uniform(50, 150, rows) * (1 + stratum / strata)
    base = rng.normal(size=(rows, 1)) + (domain % 7)[:, None] / 7
    y = np.clip(np.round(3 + base + rng.normal(size=(rows, items))), 1, 5)
    y[rng.random((rows, items)) < 0.02] = np.nan  # "not applicable" answers
    sex = rng.integers(0, 2, rows)
    age = rng.integers(0, 5, rows)
    region = rng.integers(0, 6, rows)
    total = float(weights.sum()) * 1.1
    return {
        "psu": psu,
        "stratum": stratum,
        "domain": domain,
        "weights": weights,
        "y": y,
        "sex": sex,
        "age": age,
        "region": region,
        "margins": {
            "sex": {0: 0.49 * total, 1: 0.51 * total},
            "age": {k: v * total for k, v in enumerate([0.15, 0.25, 0.25, 0.2, 0.15])},
            "region": {k: total / 6 for k in range(6)},
        },
    }


def timed(fn: Callable[[], Any], repeat: int = 1) -> tuple[float, Any]:
    best, out = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


# --- ours and the floor -------------------------------------------------------------


def ours_means(a: Arrays) -> tuple[np.ndarray, np.ndarray]:
    d = make_design(weights=a["weights"], strata=a["stratum"], clusters=[a["psu"]])
    est = estimate_mean(d, a["y"], by=a["domain"])
    return est.estimate, est.se


def floor_means(a: Arrays) -> None:
    w, y, dom = a["weights"], a["y"], a["domain"]
    for j in range(y.shape[1]):
        np.bincount(dom, weights=w * y[:, j])


def ours_rake(a: Arrays, d: Any) -> np.ndarray:
    m = a["margins"]
    out = rake(
        d, [(a["sex"], m["sex"]), (a["age"], m["age"]), (a["region"], m["region"])], tol=1e-10
    )
    return out.weights


def floor_rake(a: Arrays) -> None:
    cell = (a["sex"] * 5 + a["age"]) * 6 + a["region"]
    g = np.bincount(cell, weights=a["weights"], minlength=60)
    _ = a["weights"] * g[cell]


# --- competitors --------------------------------------------------------------------


def samplics_means(a: Arrays, k: int) -> tuple[np.ndarray, np.ndarray]:
    from samplics.estimation import TaylorEstimator
    from samplics.utils.types import PopParam

    d = int(a["domain"].max()) + 1
    est, se = np.full((d, k), np.nan), np.full((d, k), np.nan)
    for j in range(k):
        t = TaylorEstimator(PopParam.mean)
        t.estimate(
            y=a["y"][:, j],
            samp_weight=a["weights"],
            stratum=a["stratum"],
            psu=a["psu"],
            domain=a["domain"],
            remove_nan=True,
        )
        for key, v in t.point_est.items():
            est[int(key), j] = v
        for key, v in t.stderror.items():
            se[int(key), j] = v
    return est, se


def samplics_rake(a: Arrays) -> np.ndarray:
    from samplics.weighting import SampleWeight

    margins = {"sex": a["sex"], "age": a["age"], "region": a["region"]}
    return np.asarray(
        SampleWeight().rake(
            samp_weight=a["weights"],
            margins=margins,
            control=a["margins"],
            tol=1e-10,
            max_iter=1000,
        )
    )


def svy_frame(a: Arrays, k: int) -> Any:
    import polars as pl

    cols = {f"y{j + 1}": a["y"][:, j] for j in range(k)}
    return pl.DataFrame(
        {
            "psu": a["psu"],
            "stratum": a["stratum"],
            "domain": a["domain"],
            "w": a["weights"],
            "sex": a["sex"],
            "age": a["age"],
            "region": a["region"],
            **cols,
        }
    ).with_columns(pl.col(f"y{j + 1}").fill_nan(None) for j in range(k))


def svy_means(frame: Any, k: int, d: int) -> tuple[np.ndarray, np.ndarray]:
    import svy

    s = svy.Sample(frame, svy.Design(stratum="stratum", psu="psu", wgt="w"))
    out = s.estimation.mean([f"y{j + 1}" for j in range(k)], by="domain", drop_nulls=True)
    ests = out if isinstance(out, list) or hasattr(out, "__iter__") else [out]
    est, se = np.full((d, k), np.nan), np.full((d, k), np.nan)
    for j, e in enumerate(ests):
        tab = e.to_polars()
        dom = tab["domain"].to_numpy().astype(int)
        est[dom, j] = tab["est"].to_numpy()
        se[dom, j] = tab["se"].to_numpy()
    return est, se


def svy_rake(frame: Any, a: Arrays) -> np.ndarray:
    import svy

    s = svy.Sample(frame, svy.Design(stratum="stratum", psu="psu", wgt="w"))
    m = a["margins"]
    out = s.weighting.rake(
        controls={k: m[k] for k in ("sex", "age", "region")}, tol=1e-10, max_iter=1000
    )
    return np.asarray(out.data["rk_wgt"].to_numpy())


R_SCRIPT = r"""
suppressMessages(library(survey))
args <- commandArgs(TRUE)
x <- read.csv(args[1])
k <- as.integer(args[2])
ys <- paste0("y", seq_len(k))
t0 <- proc.time()[["elapsed"]]
d <- svydesign(id = ~psu, strata = ~stratum, weights = ~w, data = x)
# one call per item: na.rm drops rows missing *any* of the items of a call
rs <- lapply(ys, function(y) svyby(as.formula(paste("~", y)), ~domain, d, svymean,
                                  na.rm = TRUE))
t1 <- proc.time()[["elapsed"]]
pops <- list(data.frame(sex = 0:1, Freq = as.numeric(strsplit(args[3], ",")[[1]])),
             data.frame(age = 0:4, Freq = as.numeric(strsplit(args[4], ",")[[1]])),
             data.frame(region = 0:5, Freq = as.numeric(strsplit(args[5], ",")[[1]])))
t2 <- proc.time()[["elapsed"]]
dr <- rake(d, list(~sex, ~age, ~region), pops, control = list(maxit = 1000, epsilon = 1e-10))
t3 <- proc.time()[["elapsed"]]
cat("TIMES", t1 - t0, t3 - t2, "\n")
write.csv(cbind(domain = rs[[1]]$domain, sapply(rs, coef), sapply(rs, SE)),
          args[6], row.names = FALSE)
write.csv(data.frame(w = weights(dr)), args[7], row.names = FALSE)
"""


def r_survey(a: Arrays, k: int) -> tuple[float, float, np.ndarray, np.ndarray, np.ndarray]:
    tmp = Path(tempfile.mkdtemp())
    data = np.column_stack(
        [
            a["psu"],
            a["stratum"],
            a["domain"],
            a["weights"],
            a["sex"],
            a["age"],
            a["region"],
            a["y"][:, :k],
        ]
    )
    header = "psu,stratum,domain,w,sex,age,region," + ",".join(f"y{j + 1}" for j in range(k))
    np.savetxt(tmp / "x.csv", data, delimiter=",", header=header, comments="", fmt="%.17g")
    (tmp / "bench.R").write_text(R_SCRIPT)
    m = a["margins"]

    def csv_of(key: str) -> str:
        return ",".join(f"{m[key][c]:.17g}" for c in sorted(m[key]))

    proc = subprocess.run(
        [
            "Rscript",
            str(tmp / "bench.R"),
            str(tmp / "x.csv"),
            str(k),
            csv_of("sex"),
            csv_of("age"),
            csv_of("region"),
            str(tmp / "est.csv"),
            str(tmp / "w.csv"),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    line = next(x for x in proc.stdout.splitlines() if x.startswith("TIMES"))
    t_mean, t_rake = (float(v) for v in line.split()[1:3])
    est_tab = np.genfromtxt(tmp / "est.csv", delimiter=",", skip_header=1)
    d = int(a["domain"].max()) + 1
    est, se = np.full((d, k), np.nan), np.full((d, k), np.nan)
    dom = est_tab[:, 0].astype(int)
    est[dom] = est_tab[:, 1 : 1 + k]
    se[dom] = est_tab[:, 1 + k : 1 + 2 * k]
    w = np.genfromtxt(tmp / "w.csv", delimiter=",", skip_header=1)
    shutil.rmtree(tmp, ignore_errors=True)
    return t_mean, t_rake, est, se, w


# --- report -------------------------------------------------------------------------


def rel_diff(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    ok = np.isfinite(a) & np.isfinite(b)
    if not ok.any():
        return float("nan")
    return float(np.max(np.abs(a[ok] - b[ok]) / np.maximum(np.abs(b[ok]), 1e-300)))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--items", type=int, default=40)
    p.add_argument("--strata", type=int, default=20)
    p.add_argument("--psus", type=int, default=500)
    p.add_argument("--domains", type=int, default=700)
    p.add_argument(
        "--competitor-items",
        type=int,
        default=5,
        help="items given to samplics/svy/R (time extrapolated to all items)",
    )
    p.add_argument("--repeat", type=int, default=3, help="best of N for ours and the floor")
    p.add_argument("--seed", type=int, default=20260101)
    p.add_argument("--skip", action="append", default=[], choices=["samplics", "svy", "r"])
    args = p.parse_args()
    warnings.simplefilter("ignore")

    a = generate(args.rows, args.items, args.strata, args.psus, args.domains, args.seed)
    k = min(args.competitor_items, args.items)
    scale = args.items / k
    print(
        f"{args.rows:,} respondents, {args.items} items, {args.strata} strata, "
        f"{args.psus} PSUs, {args.domains} domains; competitors on {k} items (x{scale:g})"
    )

    results: list[tuple[str, str, float | None, bool, str, str]] = []
    t_floor, _ = timed(lambda: floor_means(a), args.repeat)
    t_ours, (our_est, our_se) = timed(lambda: ours_means(a), args.repeat)
    results.append(("means+SE", "floor (bincount/item)", t_floor, False, "", ""))
    results.append(("means+SE", "analysis.estimators", t_ours, False, "0", "0"))
    t_rfloor, _ = timed(lambda: floor_rake(a), args.repeat)
    design = make_design(weights=a["weights"], strata=a["stratum"], clusters=[a["psu"]])
    t_rake, our_w = timed(lambda: ours_rake(a, design), args.repeat)
    results.append(("raking", "floor (cells pass)", t_rfloor, False, "", ""))
    results.append(("raking", "analysis.estimators", t_rake, False, "0", ""))

    def compare(est: np.ndarray, se: np.ndarray) -> tuple[str, str]:
        return (f"{rel_diff(est, our_est[:, :k]):.1e}", f"{rel_diff(se, our_se[:, :k]):.1e}")

    if "samplics" not in args.skip:
        try:
            import samplics  # noqa: F401
        except ImportError:
            results.append(("means+SE", "samplics", None, False, "not installed", ""))
        else:
            t, (e, s) = timed(lambda: samplics_means(a, k))
            results.append(("means+SE", "samplics", t * scale, True, *compare(e, s)))
            try:
                t, w = timed(lambda: samplics_rake(a))
                results.append(("raking", "samplics", t, False, f"{rel_diff(w, our_w):.1e}", ""))
            except Exception as exc:  # report, do not stop the benchmark
                results.append(("raking", "samplics", None, False, f"failed: {exc}"[:40], ""))
    if "svy" not in args.skip:
        try:
            import svy  # noqa: F401
        except ImportError:
            results.append(("means+SE", "svy", None, False, "not installed", ""))
        else:
            frame = svy_frame(a, k)
            d = args.domains
            t, (e, s) = timed(lambda: svy_means(frame, k, d))
            results.append(("means+SE", "svy", t * scale, True, *compare(e, s)))
            try:
                t, w = timed(lambda: svy_rake(frame, a))
                results.append(("raking", "svy", t, False, f"{rel_diff(w, our_w):.1e}", ""))
            except Exception as exc:
                results.append(("raking", "svy", None, False, f"failed: {exc}"[:40], ""))
    if "r" not in args.skip:
        if shutil.which("Rscript") is None:
            results.append(("means+SE", "R survey", None, False, "not installed", ""))
        else:
            try:
                tm, tr, e, s, w = r_survey(a, k)
                results.append(("means+SE", "R survey", tm * scale, True, *compare(e, s)))
                results.append(("raking", "R survey", tr, False, f"{rel_diff(w, our_w):.1e}", ""))
            except subprocess.CalledProcessError as exc:
                msg = (exc.stderr or "").strip().splitlines()[-1:] or ["failed"]
                results.append(("means+SE", "R survey", None, False, msg[0][:40], ""))

    floors = {"means+SE": t_floor, "raking": t_rfloor}
    mine = {"means+SE": t_ours, "raking": t_rake}
    print()
    print(
        f"{'task':<9} {'implementation':<22} {'seconds':>9} {'x floor':>8} {'x ours':>8}"
        f"  {'max rel diff est':>16} {'max rel diff se':>15}"
    )
    for task, name, t, extrapolated, d_est, d_se in results:
        if t is None:
            print(f"{task:<9} {name:<22} {'-':>9} {'-':>8} {'-':>8}  {d_est:>16}")
            continue
        mark = "*" if extrapolated else " "
        print(
            f"{task:<9} {name:<22} {t:>8.3f}{mark} {t / floors[task]:>8.1f} "
            f"{t / mine[task]:>8.1f}  {d_est:>16} {d_se:>15}"
        )
    print("* measured on the competitor items and scaled to all items")


if __name__ == "__main__":
    main()
