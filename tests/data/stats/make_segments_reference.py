#!/usr/bin/env python3
"""Reference fixtures for the analysis per segment (issue 17; docs/statistics.md "Segments").

Run from the repository root with SciPy/statsmodels/mpmath (see ../shared/tools/scipy-python):

    ../shared/tools/scipy-python tests/data/stats/make_segments_reference.py

Writes tests/data/stats/segments/<case>.json: "input" is an analysis input in the format of
make_reference.py (the overall series) plus "segments" {dimension: {segment: {"metrics": [...],
"uniqueUsers": ...}}}; "expected" is the `segments` and `heterogeneity` objects of the analysis
document. The segment data are generated per segment with make_reference.gen_metric, and the overall
series is their per-hour sum (sample sizes added, values weighted by sample size).

Each segment's figures are make_reference.analyze() (SciPy's Welch / one-sample t on daily blocks,
the sequential interval in mpmath, ...) on the segment's own input:

    traffic share  s = sum (nT + nC) over the usable post hours of the experiment's first metric in
                   the segment / the same summed over the dimension's segments
    dollars        dollarsPerUnit and implementationCost of every metric times s
    metrics        the experiment's metrics that the segment has, in the experiment's order

then, per dimension and metric, across the segments that have a p-value:

    correction     statsmodels.stats.multitest.multipletests(p, method="holm" | "fdr_bh")
    adjusted CI    delta +/- t.isf(gamma/2, df) * se, gamma = alpha * p / adjustedP (alpha/m for p = 0)
    verdict        win / loss / inconclusive / insufficient-data from the corrected significance
    significantImpact  the sum of the counted metrics' dollarImpact that are significant after it

and Cochran's Q per dimension and metric over the segments with a p-value (estimate d_i, standard
error se_i): statsmodels.stats.meta_analysis.combine_effects(d, se**2).q and its
test_homogeneity() p-value (chi-square on k - 1 df), checked against scipy.stats.chi2.sf. With fewer
than 2 such segments: q 0, df 0, pValue null. skippedSegments names the others. "welch" is Welch's
test for equal means under unequal variances on the same estimates with each segment's degrees of
freedom nu_i: statsmodels.stats.oneway.anova_generic(d, se**2 * (nu + 1), nu + 1,
use_var="unequal", welch_correction=True).
"""

import json
import math
import os
import sys

import numpy as np
from scipy import stats
from statsmodels.stats.meta_analysis import combine_effects
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.oneway import anova_generic

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_reference as mr  # noqa: E402  (the overall reference analysis, reused per segment)

OUT = os.path.join(HERE, "segments")
DAY, START = mr.DAY, mr.START


def overall_of(segments, ids):
    """Per hour: sample sizes added, values weighted by sample size (over the segments' rows)."""
    out = []
    for mid in ids:
        by = {}
        for seg in segments.values():
            for m in seg["metrics"]:
                if m["metricId"] != mid:
                    continue
                for ts, tv, cv, tn, cn in m["points"]:
                    acc = by.setdefault(ts, [0.0, 0.0, 0, 0])
                    acc[0] += tv * tn
                    acc[1] += cv * cn
                    acc[2] += tn
                    acc[3] += cn
        rows = []
        for ts in sorted(by):
            st, sc, tn, cn = by[ts]
            rows.append([ts, st / tn if tn else 0.0, sc / cn if cn else 0.0, tn, cn])
        out.append((mid, rows))
    return out


def gen_dimension(rng, ts, start, end, spec, metric_specs, users=False):
    """spec: {segment: (traffic, lift multiplier)}; metric_specs: [(metricId, kind, level, lift, kwargs)]."""
    segs = {}
    for name, (traffic, mult) in spec.items():
        metrics = []
        for mid, kind, level, lift, kw in metric_specs:
            metrics.append({"metricId": mid, "points": mr.gen_metric(rng, ts, start, end, kind, level, lift=lift * mult,
                                                                     traffic=traffic, **kw)})
        uu = None
        if users:
            n = int(traffic * 20)
            uu = {"treatment": int(rng.binomial(n, 0.5)), "control": 0}
            uu["control"] = n - uu["treatment"]
        segs[name] = {"metrics": metrics, "uniqueUsers": uu}
    return segs


def traffic_shares(inp, dimension):
    first = inp["metrics"][0]["metricId"]
    start, end = inp["startDate"], inp["endDate"]
    sizes = {}
    for name, seg in dimension.items():
        n = 0
        for m in seg["metrics"]:
            if m["metricId"] == first:
                n = sum(r[3] + r[4] for r in m["points"] if start <= r[0] < end and mr.usable(r))
                break
        sizes[name] = n
    total = sum(sizes.values())
    return {k: (v / total if total > 0 else 0.0) for k, v in sizes.items()}


def segment_input(inp, seg, share):
    order = []
    for m in inp["metrics"]:
        if m["metricId"] not in order:
            order.append(m["metricId"])
    own = {m["metricId"]: m for m in seg["metrics"]}
    sin = dict(inp)
    sin["metrics"] = [own[mid] for mid in order if mid in own]
    sin["uniqueUsers"] = seg.get("uniqueUsers")
    sin["pricing"] = {k: dict(v, dollarsPerUnit=v["dollarsPerUnit"] * share) for k, v in inp["pricing"].items()}
    sin["implementationCost"] = None if inp["implementationCost"] is None else inp["implementationCost"] * share
    return sin, order


def analyze_segments(inp):
    alpha = (100 - inp["confidenceLevel"]) / 100
    out_segs, out_het = {}, {}
    for dim, dimension in inp["segments"].items():
        shares = traffic_shares(inp, dimension)
        results = {}
        order = []
        for name in sorted(dimension):
            sin, order = segment_input(inp, dimension[name], shares[name])
            a = mr.analyze(sin)
            results[name] = {"didResults": a["didResults"], "economicImpact": a["economicImpact"], "srm": a["srm"],
                             "trafficShare": shares[name]}
        het = {}
        for mid in order:
            direction = inp["pricing"][mid]["direction"] if mid in inp["pricing"] else "increase"
            names = [n for n in sorted(results) if mid in results[n]["didResults"]]
            rs = [results[n]["didResults"][mid] for n in names]
            with_p = [r for r in rs if r["pValue"] is not None]
            for r in rs:  # the within-segment correction (across metrics) is replaced
                r["adjustedPValue"] = None
                r["adjustedConfidenceInterval"] = None
                r["significant"] = False
            if with_p:
                ps = [r["pValue"] for r in with_p]
                _, adj, _, _ = multipletests(ps, method=inp["correction"])
                for r, p, a in zip(with_p, ps, adj):
                    a = float(a)
                    r["adjustedPValue"] = a
                    r["significant"] = bool(a < alpha)
                    gamma = alpha / len(ps) if p == 0 else alpha * (p / a)
                    q = mr.t_upper_quantile(gamma / 2, r["degreesOfFreedom"])
                    d, se = r["absoluteDifference"], r["standardError"]
                    r["adjustedConfidenceInterval"] = mr.interval((d - q * se, d + q * se))
            for r in rs:
                if r["pValue"] is None:
                    r["verdict"] = "insufficient-data"
                elif not r["significant"]:
                    r["verdict"] = "inconclusive"
                else:
                    ch = (-1.0 if direction == "decrease" else 1.0) * r["absoluteDifference"]
                    r["verdict"] = "win" if ch > 0 else "loss" if ch < 0 else "inconclusive"
            # Cochran's Q over the segments with an estimate.
            est = [(n, results[n]["didResults"][mid]) for n in names]
            est = [(n, r) for n, r in est if r["pValue"] is not None and r["standardError"] and r["standardError"] > 0]
            skipped = [n for n in sorted(results) if n not in {e[0] for e in est}]
            k = len(est)
            if k >= 2:
                dd = np.array([r["absoluteDifference"] for _, r in est], float)
                se = np.array([r["standardError"] for _, r in est], float)
                res = combine_effects(dd, se ** 2, use_t=False)
                q = float(res.q)
                p = float(res.test_homogeneity().pvalue)
                p2 = float(stats.chi2.sf(q, k - 1))
                assert abs(p - p2) <= 1e-12 * max(p, 1e-300) or abs(p - p2) < 1e-15, (p, p2)
                # Welch's test for equal means with unequal variances on the segment estimates:
                # anova_generic weighs group i by nobs_i / var_i and uses nobs_i - 1 degrees of
                # freedom, so var_i = se_i^2 * nobs_i with nobs_i = nu_i + 1.
                nu = np.array([r["degreesOfFreedom"] for _, r in est], float)
                wr = anova_generic(dd, se ** 2 * (nu + 1), nu + 1, use_var="unequal", welch_correction=True)
                welch = {"f": float(wr.statistic), "df1": float(wr.df[0]), "df2": float(wr.df[1]),
                         "pValue": float(wr.pvalue)}
                het[mid] = {"q": q, "df": k - 1, "pValue": p2, "significant": bool(p2 < alpha), "segments": k,
                            "skippedSegments": skipped, "welch": welch}
            else:
                het[mid] = {"q": 0.0, "df": 0, "pValue": None, "significant": False, "segments": k,
                            "skippedSegments": skipped, "welch": None}
        # significantImpact from the corrected verdicts.
        for name, r in results.items():
            econ = r["economicImpact"]
            econ["significantImpact"] = math.fsum(
                b["dollarImpact"] for mid, b in econ["metricBreakdown"].items()
                if b["countedInTotal"] and b["dollarImpact"] is not None and r["didResults"][mid]["significant"])
        out_segs[dim] = results
        out_het[dim] = het
    return {"segments": out_segs, "heterogeneity": out_het}


# ---------------------------------------------------------------------------------------------
# Cases

RATE = ("conversion_rate", "rate", 0.05)
AOV = ("aov", "mean", 85.0)
PLT = ("page_load_time", "mean", 2.4)
RPU = ("revenue_per_user", "mean", 4.2)


def case_device_did(rng):
    start, end = START, START + 14 * DAY
    ts = mr.hours(start, 14 * 24, 14 * 24)
    metric_specs = [
        ("conversion_rate", "rate", 0.05, 0.06, {"day_shock": 0.01}),
        ("page_load_time", "mean", 2.4, -0.02, {"noise": 1.2}),
        ("aov", "mean", 85.0, 0.01, {"noise": 40.0}),
    ]
    spec = {"desktop": (1100, 1.5), "mobile": (700, 0.3), "tablet": (200, -0.5)}
    segs = {"device": gen_dimension(rng, ts, start, end, spec, metric_specs, users=True)}
    ids = [m[0] for m in metric_specs]
    inp = mr.make_input(start, end, overall_of(segs["device"], ids), cost=50000.0)
    inp["segments"] = segs
    return ("did, 14 pre days, device 55/35/10 with different lifts, 3 metrics (one 'decrease'), Holm, unique "
            "users per segment (SRM on users), implementation cost", inp)


def case_two_dims_paired(rng):
    start, end = START, START + 10 * DAY
    ts = mr.hours(start, 3 * 24, 10 * 24)
    metric_specs = [
        ("conversion_rate", "rate", 0.04, 0.05, {}),
        ("revenue_per_user", "mean", 4.2, 0.03, {"noise": 9.0}),
    ]
    device = gen_dimension(rng, ts, start, end, {"desktop": (900, 1.0), "mobile": (800, 1.0), "tablet": (300, 1.0)},
                           metric_specs)
    country = gen_dimension(rng, ts, start, end, {"de": (500, 1.0), "fr": (400, 1.0), "jp": (150, 1.0),
                                                  "us": (950, 1.0)}, metric_specs)
    # jp: only the first post day has usable hours, so it has no estimate and is left out of Q.
    for m in country["jp"]["metrics"]:
        for row in m["points"]:
            if row[0] >= start + DAY:
                row[3] = 0
    ids = [m[0] for m in metric_specs]
    inp = mr.make_input(start, end, overall_of(device, ids), design="paired", correction="fdr_bh", confidence=90.0,
                        groups=mr.GROUPS)
    inp["segments"] = {"device": device, "country": country}
    return ("paired, BH, 90%, two dimensions with equal lifts, a value group, a country with one usable post "
            "day (no estimate, skipped in Q), daily-share SRM", inp)


def case_many_segments(rng):
    start, end = START, START + 12 * DAY
    ts = mr.hours(start, 7 * 24, 12 * 24)
    metric_specs = [("conversion_rate", "rate", 0.06, 0.04, {"day_shock": 0.015})]
    spec = {f"region_{i:02d}": (int(150 + 90 * i), float(rng.uniform(-1.0, 3.0))) for i in range(12)}
    segs = {"region": gen_dimension(rng, ts, start, end, spec, metric_specs)}
    inp = mr.make_input(start, end, overall_of(segs["region"], ["conversion_rate"]), confidence=99.0)
    inp["segments"] = segs
    return "did, 7 pre days, 12 segments of one dimension with varying lifts, 99%, Holm", inp


CASES = [("seg_device_did", case_device_did), ("seg_two_dims_paired", case_two_dims_paired),
         ("seg_many_segments", case_many_segments)]


def main():
    os.makedirs(OUT, exist_ok=True)
    for i, (name, fn) in enumerate(CASES):
        rng = np.random.default_rng(20261130 + i)
        description, inp = fn(rng)
        expected = analyze_segments(inp)
        doc = {"case": name, "description": description, "input": inp, "expected": expected}
        path = os.path.join(OUT, name + ".json")
        with open(path, "w") as f:
            json.dump(doc, f, allow_nan=False, separators=(",", ":"))
            f.write("\n")
        het = {d: {m: (h["q"], h["pValue"], h["skippedSegments"]) for m, h in hs.items()}
               for d, hs in expected["heterogeneity"].items()}
        print(f"{name:22s} {os.path.getsize(path):8d} B  Q={het}", file=sys.stderr)


if __name__ == "__main__":
    main()
