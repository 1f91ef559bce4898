#!/usr/bin/env python3
"""Reference figures for the planner (src/stats/plan.hpp, docs/statistics.md "Planning").

Run from the repository root with SciPy (see ../shared/tools/scipy-python):

    ../shared/tools/scipy-python tests/data/stats/make_plan_reference.py

For each case it builds a deterministic hourly history with make_reference.py's generator, writes
the history under "input" (so the C++ test never needs this RNG), and computes under "expected":

    blocks     b(t) = floor((t - origin) / 86400); x_b = mean of d_t over the block's usable hours
    variance   s^2 = the n-1 sample variance of the block means (before and from `origin`: the two
               periods' variances pooled, sum of squares over (n0 - 1) + (n1 - 1))
    split      s^2 * h(1-h) / (p(1-p)), h the history's treatment share of the sample sizes, p the
               planned split (var(d_t) ~ 1/nT + 1/nC at the same total traffic)
    se, df     did: Welch for D post blocks and preDays pre blocks of variance s^2
               (se^2 = s^2/D + s^2/preDays); paired: se = s/sqrt(D), df = D - 1
    MDE        (t.ppf(1 - alpha'/2, df) + t.ppf(power, df)) * se, polished quantiles;
               alpha' = alpha / m for holm and fdr_bh (m metrics), alpha for none; the total
               (dollar series z_t) at alpha
    dollars    MDE / unitSize * dollarsPerUnit per day, times D over the period
    power      t.cdf(|target| / se - t.ppf(1 - alpha'/2, df), df)

It also checks, for each case, that the planner's MDE at a few durations equals the analysis's
minimum detectable effect (make_reference.estimator) on block series of that length whose sample
variance is s^2: the planner and the analysis are the same estimator.
"""

import json
import math
import os
import sys

import numpy as np
from scipy import stats

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_reference as ref  # noqa: E402

HOUR, DAY = ref.HOUR, ref.DAY
ORIGIN = ref.START

PRICING = {
    "conversion_rate": {"dollarsPerUnit": 1500.0, "unitSize": 0.01, "direction": "increase"},
    "page_load_time": {"dollarsPerUnit": 800.0, "unitSize": 1.0, "direction": "decrease"},
    "aov": {"dollarsPerUnit": 120.0, "unitSize": 1.0, "direction": "increase"},
    "revenue_per_user": {"dollarsPerUnit": 2000.0, "unitSize": 1.0, "direction": "increase"},
    "bounce_rate": {"dollarsPerUnit": 900.0, "unitSize": 0.01, "direction": "decrease"},
}
GROUPS = {"conversion_rate": "orders", "revenue_per_user": "orders", "aov": "orders"}


def q_upper(tail, df):
    return ref.t_upper_quantile(tail, df)


def mde(se, df, alpha, power):
    return (q_upper(alpha / 2, df) + q_upper(1 - power, df)) * se


def se_df(var, did, days, pre_days):
    if did:
        v1, v0 = var / days, var / pre_days
        return math.sqrt(v1 + v0), (v1 + v0) ** 2 / (v1 ** 2 / (days - 1) + v0 ** 2 / (pre_days - 1))
    return math.sqrt(var / days), float(days - 1)


def pooled(pre, post):
    parts = [x for x in (pre, post) if len(x) >= 2]
    if not parts:
        return None
    if len(parts) == 1:
        return ref.var1(parts[0])
    ss = sum(ref.var1(x) * (len(x) - 1) for x in parts)
    return ss / sum(len(x) - 1 for x in parts)


def metric_info(points, origin, end):
    hrs = [(r[0], r[1] - r[2], r[2], 0.0) for r in points if r[0] < end and ref.usable(r)]
    pre, post = ref.blocks_of(hrs, origin)
    nt = math.fsum(r[3] for r in points if r[0] < end and ref.usable(r))
    n = math.fsum(r[3] + r[4] for r in points if r[0] < end and ref.usable(r))
    return {
        "pre": [b["x"] for b in pre], "post": [b["x"] for b in post],
        "baseline": math.fsum(h[2] for h in hrs) / len(hrs), "share": nt / n, "hours": len(hrs),
    }


def dollar_info(series, counted, origin, end):
    by_metric = {m: {r[0]: r for r in series[m] if r[0] < end} for m in counted}
    ts_all = sorted(by_metric[counted[0]])
    hrs = []
    for ts in ts_all:
        z, ok = 0.0, True
        for m in counted:
            r = by_metric[m].get(ts)
            if r is None or not ref.usable(r):
                ok = False
                break
            p = PRICING[m]
            sign = -1.0 if p["direction"] == "decrease" else 1.0
            z += sign * (p["dollarsPerUnit"] / p["unitSize"]) * (r[1] - r[2])
        if ok:
            hrs.append((ts, z, 0.0, 0.0))
    pre, post = ref.blocks_of(hrs, origin)
    return [b["x"] for b in pre], [b["x"] for b in post]


def factor(share, split):
    if split is None or split == share:
        return 1.0
    return share * (1 - share) / (split * (1 - split))


def plan(inp):
    series = {m["metricId"]: m["points"] for m in inp["metrics"]}
    order = [m["metricId"] for m in inp["metrics"]]
    alpha = (100 - inp["confidenceLevel"]) / 100
    m = len(order)
    alpha_m = alpha if inp["correction"] == "none" else alpha / m
    did = inp["design"] == "did"
    pre_days, power, split = inp["preDays"], inp["power"], inp.get("trafficSplit")
    info = {k: metric_info(series[k], inp["origin"], inp["end"]) for k in order}
    var = {}
    for k in order:
        v = pooled(info[k]["pre"], info[k]["post"])
        var[k] = v * factor(info[k]["share"], split)
    counted, groups = [], set()
    for k in order:
        g = GROUPS.get(k)
        if g is not None:
            if g in groups:
                continue
            groups.add(g)
        counted.append(k)
    zpre, zpost = dollar_info(series, counted, inp["origin"], inp["end"])
    zvar = pooled(zpre, zpost) * factor(info[counted[0]]["share"], split)
    targets = inp.get("targetEffects", {})
    tdollars = inp.get("targetDailyDollarImpact")
    durations = []
    reached = None
    for d in range(7, 57):
        entry = {"days": d, "metrics": {}}
        ok = True
        for k in order:
            se, df = se_df(var[k], did, d, pre_days)
            e = mde(se, df, alpha_m, power)
            p = PRICING[k]
            daily = e / p["unitSize"] * p["dollarsPerUnit"]
            r = {"standardError": se, "degreesOfFreedom": df, "mde": e,
                 "relativeMde": e / abs(info[k]["baseline"]), "dailyDollarMde": daily, "periodDollarMde": daily * d}
            if k in targets:
                r["power"] = float(stats.t.cdf(abs(targets[k]) / se - q_upper(alpha_m / 2, df), df))
                ok = ok and e <= abs(targets[k])
            entry["metrics"][k] = r
        se, df = se_df(zvar, did, d, pre_days)
        e = mde(se, df, alpha, power)
        entry.update(totalStandardError=se, totalDegreesOfFreedom=df, totalDailyDollarMde=e,
                     totalPeriodDollarMde=e * d)
        if tdollars is not None:
            entry["totalPower"] = float(stats.t.cdf(abs(tdollars) / se - q_upper(alpha / 2, df), df))
            ok = ok and e <= abs(tdollars)
        if (targets or tdollars is not None) and ok and reached is None:
            reached = d
        durations.append(entry)
    # The planner is the analysis: its MDE at D equals the analysis's on D blocks of variance s^2.
    if inp["correction"] == "none" or m == 1:
        for k in order[:1]:
            for d in (7, 19, 56):
                rng = np.random.default_rng(d)
                post = rng.standard_normal(d)
                post = (post - post.mean()) / post.std(ddof=1) * math.sqrt(var[k]) + 3 * math.sqrt(var[k])
                pre_ = rng.standard_normal(pre_days)
                pre_ = (pre_ - pre_.mean()) / pre_.std(ddof=1) * math.sqrt(var[k])
                a_alpha = alpha
                est = ref.estimator(list(post), list(pre_), did, a_alpha)
                if power == ref.POWER:
                    assert ref.rel_close(est["mde"], durations[d - 7]["metrics"][k]["mde"], 1e-10), (
                        est["mde"], durations[d - 7]["metrics"][k]["mde"])
    out = {
        "alpha": alpha, "metricAlpha": alpha_m, "countedInTotal": counted,
        "variance": {k: {"blockVariance": pooled(info[k]["pre"], info[k]["post"]), "planningVariance": var[k],
                         "historyShare": info[k]["share"], "baseline": info[k]["baseline"],
                         "blocks": len(info[k]["pre"]) + len(info[k]["post"])} for k in order},
        "totalVariance": zvar, "durations": durations,
    }
    if targets or tdollars is not None:
        out["reachedAtDays"] = reached
    return out


def history(rng, metrics, days, origin, post_days=0, share=0.5, day_shock=0.0, lift=0.0):
    ts = ref.hours(origin, days * 24, post_days * 24)
    end = origin + post_days * DAY
    kinds = {"conversion_rate": ("rate", 0.05), "bounce_rate": ("rate", 0.4), "page_load_time": ("mean", 2.5),
             "aov": ("mean", 80.0), "revenue_per_user": ("mean", 4.0)}
    out = []
    for k in metrics:
        kind, level = kinds[k]
        rows = ref.gen_metric(rng, ts, origin, end, kind, level, lift=lift, traffic=3000, share=share,
                              day_shock=day_shock)
        out.append({"metricId": k, "points": rows})
    return out


def main():
    cases = []
    rng = np.random.default_rng(151)
    # History of 28 days before the (planned) start: all blocks are pre blocks.
    cases.append(("plan_did_holm", "28 days of history, 3 metrics, did with 14 pre days, holm, 95%, power 0.8, "
                  "a dollar target", {
                      "metrics": history(rng, ["conversion_rate", "page_load_time", "aov"], 28, ORIGIN),
                      "origin": ORIGIN, "end": ORIGIN, "confidenceLevel": 95.0, "correction": "holm",
                      "power": 0.8, "design": "did", "preDays": 14, "targetDailyDollarImpact": 230.0}))
    cases.append(("plan_paired_split", "21 days of history with day-level shocks, paired, fdr_bh, 90%, power 0.9, "
                  "planned split 0.3, per-metric targets", {
                      "metrics": history(rng, ["conversion_rate", "bounce_rate", "revenue_per_user"], 21, ORIGIN,
                                         day_shock=0.01),
                      "origin": ORIGIN, "end": ORIGIN, "confidenceLevel": 90.0, "correction": "fdr_bh",
                      "power": 0.9, "design": "paired", "preDays": 14, "trafficSplit": 0.3,
                      "targetEffects": {"conversion_rate": 0.0008, "bounce_rate": -0.002}}))
    # A finished experiment (10 pre days, 20 post days with a lift) as the source: pooled variance.
    cases.append(("plan_experiment_none", "a finished experiment (10 pre, 20 post days, 2% lift), one metric, "
                  "did with 7 pre days, no correction, 99%", {
                      "metrics": history(rng, ["aov"], 10, ORIGIN, post_days=20, lift=0.02),
                      "origin": ORIGIN, "end": ORIGIN + 20 * DAY, "confidenceLevel": 99.0, "correction": "none",
                      "power": 0.8, "design": "did", "preDays": 7, "targetDailyDollarImpact": 125.0}))
    cases.append(("plan_paired_none", "14 days of history, 2 metrics, paired, no correction, 95%, power 0.8", {
        "metrics": history(rng, ["page_load_time", "revenue_per_user"], 14, ORIGIN),
        "origin": ORIGIN, "end": ORIGIN, "confidenceLevel": 95.0, "correction": "none", "power": 0.8,
        "design": "paired", "preDays": 14}))
    docs = []
    for name, description, inp in cases:
        expected = plan(inp)
        docs.append({"case": name, "description": description, "pricing": PRICING, "valueGroups": GROUPS,
                     "input": inp, "expected": expected})
        d14 = expected["durations"][7]
        print(f"{name:22s} total MDE at 14 days ${d14['totalDailyDollarMde']:.2f}/day "
              f"reached={expected.get('reachedAtDays', '-')}", file=sys.stderr)
    with open(os.path.join(HERE, "plan", "reference.json"), "w") as f:
        json.dump({"description": "Planner reference (make_plan_reference.py)", "cases": docs}, f, allow_nan=False,
                  separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
