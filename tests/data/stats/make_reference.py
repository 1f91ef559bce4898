#!/usr/bin/env python3
"""Reference fixtures for the analysis method of shared/spec/statistics.md.

Run from the repository root with SciPy/statsmodels (see ../shared/tools/scipy-python):

    ../shared/tools/scipy-python tests/data/stats/make_reference.py

Each case builds a deterministic hourly dataset with numpy's seeded generator, writes the data
itself into tests/data/stats/<case>.json under "input" (so the C++ test never needs this RNG), and
computes every expected figure under "expected" with the functions statistics.md names:

    DiD       scipy.stats.ttest_ind(d_post, d_pre, equal_var=False)  (Welch; df by Welch-Satterthwaite)
    paired    scipy.stats.ttest_rel(treatment, control)
    p-value   2 * scipy.stats.t.sf(|t|, df)  (what both t-tests return)
    interval  delta +/- scipy.stats.t.ppf(1 - alpha/2, df) * se   (polished, see t_upper_quantile)
    MDE       (t.ppf(1 - alpha/2, df) + t.ppf(0.8, df)) * se
    P(impr.)  scipy.stats.t.cdf(t, df), or t.sf(t, df) for a 'decrease' metric
    trends    scipy.stats.linregress(days, d_pre)
    SRM       scipy.stats.chisquare([nT, nC], [N*share, N*(1-share)])
    multiple  statsmodels.stats.multitest.multipletests(p, method="holm" | "fdr_bh")

"expected" has the shape of the service's analysis JSON (didResults, economicImpact, srm, correction,
alpha), except that didResults[m].warnings lists lower-case key phrases: the C++ test checks that
each phrase occurs in one warning and that there are exactly that many warnings.

Two conventions where SciPy has no answer and the spec says "null with a warning":
  * A series whose values are all equal has variance exactly 0 (numpy's mean of equal values can be
    off by an ulp, which would leave a variance of ~1e-35 and a meaningless t statistic).
  * se == 0, fewer than 2 post hours, or no post hours: t, p, interval etc. are null.

Input "points" rows are [timestamp, treatmentValue, controlValue, treatmentSampleSize,
controlSampleSize]; a NaN value is written as null.
"""

import json
import math
import os
import sys

import mpmath
import numpy as np
from scipy import stats
from statsmodels.stats.multitest import multipletests

HERE = os.path.dirname(os.path.abspath(__file__))
HOUR = 3600
DAY = 86400
START = 1736899200  # 2025-01-15T00:00:00Z
POWER = 0.8

# ---------------------------------------------------------------------------------------------
# Data generation


def hours(start, pre_hours, post_hours, extra_after=0):
    first = start - pre_hours * HOUR
    return [first + i * HOUR for i in range(pre_hours + post_hours + extra_after)]


def season(ts, amp):
    hour_of_day = (ts // HOUR) % 24
    return 1.0 + amp * math.sin(2 * math.pi * hour_of_day / 24.0)


def gen_metric(rng, timestamps, start, end, kind, level, lift=0.0, bias=0.0, drift_per_day=0.0,
               traffic=2000, share=0.5, noise=None, amp=0.15):
    """One metric's hourly points.

    kind: 'rate' (binomial proportion of users, rounded to 6 decimals) or 'mean' (a per-user
    average with normal noise of sd `noise`, rounded to 4 decimals).
    level: untreated level; lift: relative lift of treatment in [start, end); bias: relative
    pre-existing difference of the treatment group (constant, removed by DiD); drift_per_day:
    relative treatment-minus-control drift per day before the start (violates parallel trends).
    """
    rows = []
    for ts in timestamps:
        tn = int(rng.poisson(traffic * share))
        cn = int(rng.poisson(traffic * (1 - share)))
        base = level * season(ts, amp)
        treated = start <= ts < end
        tl = base * (1 + bias + (lift if treated else 0.0))
        if ts < start and drift_per_day:
            tl *= 1 + drift_per_day * (ts - start) / DAY
        if kind == "rate":
            tv = round(rng.binomial(tn, min(tl, 1.0)) / tn, 6)
            cv = round(rng.binomial(cn, min(base, 1.0)) / cn, 6)
        else:
            sd = noise if noise is not None else level
            tv = round(tl + rng.normal(0, sd / math.sqrt(tn)), 4)
            cv = round(base + rng.normal(0, sd / math.sqrt(cn)), 4)
        rows.append([ts, tv, cv, tn, cn])
    return rows


# ---------------------------------------------------------------------------------------------
# Reference analysis


def usable(row):
    _, tv, cv, tn, cn = row
    return tn > 0 and cn > 0 and tv is not None and cv is not None and math.isfinite(tv) and math.isfinite(cv)


def var1(a):
    """Sample variance (n-1); exactly 0 for a constant series."""
    a = np.asarray(a, dtype=float)
    if a.size < 2:
        return float("nan")
    if a.min() == a.max():
        return 0.0
    return float(np.var(a, ddof=1))


def fin(x):
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def rel_close(a, b, tol=1e-10):
    return abs(a - b) <= tol * max(abs(a), abs(b), 1e-300)


def estimator(post_t, post_c, pre_t, pre_c, alpha):
    """The estimator of statistics.md on treatment/control arrays (for z_t pass control = 0).

    Returns a dict of the inference figures (None where not computable) and an 'issue'.
    """
    d1 = np.asarray(post_t, float) - np.asarray(post_c, float)
    d0 = np.asarray(pre_t, float) - np.asarray(pre_c, float)
    n1, n0 = d1.size, d0.size
    did = n0 >= 2
    out = dict(did=did, delta=None, se=None, df=None, t=None, p=None, ci=None, mde=None,
               prob_up=None, prob_down=None, issue=None)
    if n1 == 0:
        out["issue"] = "nopost"
        return out
    delta = float(d1.mean() - d0.mean()) if did else float(d1.mean())
    out["delta"] = delta
    if n1 < 2:
        out["issue"] = "onepost"
        return out
    v1 = var1(d1)
    if did:
        v0 = var1(d0)
        vn1, vn0 = v1 / n1, v0 / n0
        se = math.sqrt(vn1 + vn0)
        den = vn1 ** 2 / (n1 - 1) + vn0 ** 2 / (n0 - 1)
        df = (vn1 + vn0) ** 2 / den if den > 0 else None
    else:
        se = math.sqrt(v1 / n1)
        df = float(n1 - 1)
    out["se"], out["df"] = se, df
    if se == 0:
        out["issue"] = "zerose"
        return out
    if did:
        res = stats.ttest_ind(d1, d0, equal_var=False)
    else:
        res = stats.ttest_rel(np.asarray(post_t, float), np.asarray(post_c, float))
    t, p = float(res.statistic), float(res.pvalue)
    assert rel_close(t, delta / se, 1e-9), (t, delta / se)
    assert rel_close(p, 2 * stats.t.sf(abs(t), df), 1e-9), (p, 2 * stats.t.sf(abs(t), df))
    q = t_upper_quantile(alpha / 2, df)
    out.update(t=t, p=p, ci=(delta - q * se, delta + q * se),
               mde=(q + t_upper_quantile(1 - POWER, df)) * se,
               prob_up=float(stats.t.cdf(t, df)), prob_down=float(stats.t.sf(t, df)))
    return out


def t_upper_quantile(tail, df):
    """x with scipy.stats.t.sf(x, df) == tail.

    SciPy 1.10's t.ppf/t.isf (CDFLIB's cdft search) is only accurate to ~1e-9 relative, which is the
    tolerance the tests hold the C++ code to, so it is the starting point of Newton steps on t.sf
    (cephes stdtr via the incomplete beta function, accurate to ~1e-15); the result is checked
    against mpmath at 40 digits.
    """
    x = float(stats.t.isf(tail, df))
    for _ in range(4):
        x = x + (float(stats.t.sf(x, df)) - tail) / float(stats.t.pdf(x, df))
    check_quantile(x, tail, df)
    return x


def check_quantile(x, tail, df):
    with mpmath.workdps(40):
        xm, dfm = mpmath.mpf(x), mpmath.mpf(df)
        # P(T > x) for x > 0, and the density, at 40 digits.
        z = dfm / (dfm + xm * xm)
        sf = mpmath.betainc(dfm / 2, mpmath.mpf(1) / 2, 0, z, regularized=True) / 2
        if xm < 0:
            sf = 1 - sf
        pdf = mpmath.gamma((dfm + 1) / 2) / (mpmath.sqrt(dfm * mpmath.pi) * mpmath.gamma(dfm / 2)) * \
            (1 + xm * xm / dfm) ** (-(dfm + 1) / 2)
        err = abs((sf - mpmath.mpf(tail)) / pdf)  # distance of x from the exact quantile
        assert err <= 1e-13 * abs(xm), (x, tail, df, float(err))


def interval(pair):
    if pair is None:
        return None
    return {"lower": float(pair[0]), "upper": float(pair[1])}


def split(points, start, end):
    pre, post, excluded = [], [], 0
    for row in points:
        ts = row[0]
        if ts >= end:
            continue
        if not usable(row):
            excluded += 1
        elif ts >= start:
            post.append(row)
        else:
            pre.append(row)
    return pre, post, excluded


def analyze(inp):
    start, end = inp["startDate"], inp["endDate"]
    conf = inp["confidenceLevel"]
    alpha = 1 - conf / 100
    duration = (end - start) / DAY
    pricing = inp["pricing"]
    did_results = {}
    estimates = {}
    order = []
    for m in inp["metrics"]:
        mid = m["metricId"]
        order.append(mid)
        pre, post, excluded = split(m["points"], start, end)
        n1, n0 = len(post), len(pre)
        tv1 = np.array([r[1] for r in post], float)
        cv1 = np.array([r[2] for r in post], float)
        tv0 = np.array([r[1] for r in pre], float)
        cv0 = np.array([r[2] for r in pre], float)
        direction = pricing[mid]["direction"] if mid in pricing else "increase"
        e = estimator(tv1, cv1, tv0, cv0, alpha)
        estimates[mid] = e
        warnings = []
        if excluded:
            warnings.append("excluded")
        if n0 == 0:
            warnings.append("no pre-experiment hours")
        elif n0 == 1:
            warnings.append("only one usable pre-experiment hour")
        elif n0 == 2:
            warnings.append("only two usable pre-experiment hours")
        warnings += {"nopost": ["no usable hours in the experiment period"],
                     "onepost": ["only one usable hour in the experiment period"],
                     "zerose": ["standard error is zero"], None: []}[e["issue"]]
        tm = float(tv1.mean()) if n1 else None
        cm = float(cv1.mean()) if n1 else None
        rel = relci = None
        if e["delta"] is not None:
            baseline = tm - e["delta"]
            if baseline == 0:
                warnings.append("baseline is zero")
            else:
                rel = e["delta"] / baseline
                if e["ci"] is not None:
                    relci = (e["ci"][0] / abs(baseline), e["ci"][1] / abs(baseline))
        effect = None
        if n1 >= 2:
            sp = math.sqrt(((n1 - 1) * var1(tv1) + (n1 - 1) * var1(cv1)) / (2 * n1 - 2))
            if sp > 0:
                effect = e["delta"] / sp
            else:
                warnings.append("effect size")
        trends = None
        if n0 >= 3:
            x = np.array([(r[0] - pre[0][0]) / DAY for r in pre], float)
            d0 = tv0 - cv0
            if d0.min() == d0.max():
                trends = {"slope": 0.0, "pValue": 1.0, "violated": False}
            else:
                lr = stats.linregress(x, d0)
                trends = {"slope": float(lr.slope), "pValue": float(lr.pvalue), "violated": bool(lr.pvalue < 0.05)}
            if trends["violated"]:
                warnings.append("drifting apart")
        if mid not in pricing:
            warnings.append("no dollar value")
        did_results[mid] = {
            "treatmentMean": tm,
            "controlMean": cm,
            "absoluteDifference": e["delta"],
            "relativeDifference": rel,
            "pValue": e["p"],
            "confidenceLevel": float(conf),
            "confidenceInterval": interval(e["ci"]),
            "sampleSizeControl": int(sum(r[4] for r in post)),
            "sampleSizeTreatment": int(sum(r[3] for r in post)),
            "effectSize": effect,
            "method": "did" if e["did"] else "paired",
            "preTreatmentMean": float(tv0.mean()) if n0 else None,
            "preControlMean": float(cv0.mean()) if n0 else None,
            "standardError": e["se"],
            "degreesOfFreedom": e["df"],
            "tStatistic": e["t"],
            "relativeConfidenceInterval": interval(relci),
            "adjustedPValue": None,
            "significant": False,
            "probabilityOfImprovement": e["prob_down"] if direction == "decrease" else e["prob_up"],
            "minimumDetectableEffect": e["mde"],
            "postHours": n1,
            "preHours": n0,
            "excludedHours": excluded,
            "parallelTrends": trends,
            "warnings": warnings,
        }

    # Multiple testing over the metrics that have a p-value, in the experiment's order.
    with_p = [mid for mid in order if did_results[mid]["pValue"] is not None]
    if with_p:
        _, adj, _, _ = multipletests([did_results[mid]["pValue"] for mid in with_p], method=inp["correction"])
        for mid, a in zip(with_p, adj):
            did_results[mid]["adjustedPValue"] = float(a)
            did_results[mid]["significant"] = bool(a < alpha)

    # SRM on the first metric.
    share = inp["expectedTreatmentShare"]
    first = did_results[order[0]]
    nt, nc = first["sampleSizeTreatment"], first["sampleSizeControl"]
    total = float(nt) + float(nc)
    chi = stats.chisquare([nt, nc], f_exp=[total * share, total * (1 - share)])
    srm = {"chiSquare": float(chi.statistic), "pValue": float(chi.pvalue), "detected": bool(chi.pvalue < 0.001),
           "expectedTreatmentShare": share, "observedTreatmentShare": nt / total}

    # Economic impact.
    breakdown = {}
    total_impact = significant_impact = daily_sum = 0.0
    priced = [mid for mid in order if mid in pricing]
    for mid in priced:
        pr = pricing[mid]
        sign = -1.0 if pr["direction"] == "decrease" else 1.0
        factor = sign * (pr["dollarsPerUnit"] / pr["unitSize"])
        e = estimates[mid]
        daily = dollars = dint = None
        if e["delta"] is not None:
            daily = factor * e["delta"]
            dollars = daily * duration
            total_impact += dollars
            daily_sum += daily
            if did_results[mid]["significant"]:
                significant_impact += dollars
        if e["ci"] is not None:
            a, b = factor * e["ci"][0] * duration, factor * e["ci"][1] * duration
            dint = (min(a, b), max(a, b))
        breakdown[mid] = {"dollarImpact": dollars, "metricValueUsed": float(pr["dollarsPerUnit"]),
                          "metricChange": e["delta"], "dailyDollarImpact": daily,
                          "dollarImpactInterval": interval(dint), "unitSize": float(pr["unitSize"]),
                          "improvementDirection": pr["direction"]}
    annual = daily_sum * 365
    cost = inp.get("implementationCost")
    roi = (annual - cost) / cost * 100 if cost is not None and cost > 0 else None

    total_interval = prob_pos = None
    if priced:
        # z_t over the hours usable for every priced metric.
        by_ts = []
        for mid in priced:
            m = next(mm for mm in inp["metrics"] if mm["metricId"] == mid)
            by_ts.append({r[0]: r for r in m["points"] if r[0] < end})
        common = sorted(set.intersection(*[set(t) for t in by_ts]))
        z_pre, z_post = [], []
        for ts in common:
            rows = [t[ts] for t in by_ts]
            if not all(usable(r) for r in rows):
                continue
            z = 0.0
            for mid, r in zip(priced, rows):
                pr = pricing[mid]
                sign = -1.0 if pr["direction"] == "decrease" else 1.0
                z += sign * (pr["dollarsPerUnit"] / pr["unitSize"]) * (r[1] - r[2])
            (z_post if ts >= start else z_pre).append(z)
        ez = estimator(z_post, np.zeros(len(z_post)), z_pre, np.zeros(len(z_pre)), alpha)
        if ez["ci"] is not None:
            a, b = ez["ci"][0] * duration, ez["ci"][1] * duration
            total_interval = (min(a, b), max(a, b))
        prob_pos = ez["prob_up"]

    return {
        "didResults": did_results,
        "economicImpact": {
            "totalImpact": total_impact,
            "annualizedImpact": annual,
            "roiPercentage": roi,
            "metricBreakdown": breakdown,
            "totalImpactInterval": interval(total_interval),
            "probabilityOfPositiveImpact": prob_pos,
            "significantImpact": significant_impact,
            "durationDays": duration,
        },
        "srm": srm,
        "correction": inp["correction"],
        "alpha": alpha,
    }


# ---------------------------------------------------------------------------------------------
# Cases

PRICING = {
    "conversion_rate": {"dollarsPerUnit": 1500.0, "unitSize": 0.01, "direction": "increase"},  # unit '%'
    "page_load_time": {"dollarsPerUnit": 800.0, "unitSize": 1.0, "direction": "decrease"},    # seconds
    "aov": {"dollarsPerUnit": 120.0, "unitSize": 1.0, "direction": "increase"},               # dollars
    "bounce_rate": {"dollarsPerUnit": 900.0, "unitSize": 0.01, "direction": "decrease"},      # unit '%'
    "ctr": {"dollarsPerUnit": 400.0, "unitSize": 0.01, "direction": "increase"},              # unit '%'
}


def make_input(start, end, metrics, pricing, confidence=95.0, share=0.5, correction="holm", cost=None):
    return {
        "startDate": start,
        "endDate": end,
        "confidenceLevel": confidence,
        "expectedTreatmentShare": share,
        "correction": correction,
        "implementationCost": cost,
        "metrics": [{"metricId": mid, "points": pts} for mid, pts in metrics],
        "pricing": {k: v for k, v in pricing.items() if k in {mid for mid, _ in metrics}},
    }


def case_did_3metrics(rng):
    start, end = START, START + 7 * DAY
    ts = hours(start, 7 * 24, 7 * 24)
    metrics = [
        ("conversion_rate", gen_metric(rng, ts, start, end, "rate", 0.05, lift=0.06, bias=0.03)),
        ("page_load_time", gen_metric(rng, ts, start, end, "mean", 2.4, lift=-0.01, bias=0.02, noise=1.2)),
        ("aov", gen_metric(rng, ts, start, end, "mean", 85.0, lift=0.002, bias=-0.01, noise=40.0)),
    ]
    return ("DiD, 7-day pre period, 3 metrics (a '%' rate with unitSize 0.01, a 'decrease' metric), "
            "Holm, implementation cost", make_input(start, end, metrics, PRICING, cost=50000.0))


def case_paired(rng):
    start, end = START, START + 3 * DAY
    ts = hours(start, 0, 3 * 24)
    metrics = [
        ("conversion_rate", gen_metric(rng, ts, start, end, "rate", 0.05, lift=0.05)),
        ("aov", gen_metric(rng, ts, start, end, "mean", 85.0, lift=0.01, noise=40.0)),
    ]
    return ("paired test: no pre period, no implementation cost",
            make_input(start, end, metrics, PRICING, cost=None))


def case_confidence_90(rng):
    start, end = START, START + 4 * DAY
    ts = hours(start, 3 * 24, 4 * 24)
    metrics = [
        ("ctr", gen_metric(rng, ts, start, end, "rate", 0.12, lift=0.02, bias=0.01, share=0.3)),
        ("aov", gen_metric(rng, ts, start, end, "mean", 85.0, lift=0.004, noise=40.0, share=0.3)),
    ]
    return ("DiD at confidence 90, 30/70 allocation (expected share 0.3), implementation cost 0 (ROI null)",
            make_input(start, end, metrics, PRICING, confidence=90.0, share=0.3, cost=0.0))


def case_confidence_99(rng):
    start, end = START, START + 4 * DAY
    ts = hours(start, 3 * 24, 4 * 24)
    metrics = [
        ("conversion_rate", gen_metric(rng, ts, start, end, "rate", 0.05, lift=0.04, bias=-0.02)),
        ("bounce_rate", gen_metric(rng, ts, start, end, "rate", 0.40, lift=-0.015)),
    ]
    return ("DiD at confidence 99", make_input(start, end, metrics, PRICING, confidence=99.0, cost=120000.0))


def case_fdr_bh(rng):
    start, end = START, START + 5 * DAY
    ts = hours(start, 4 * 24, 5 * 24)
    metrics = [
        ("conversion_rate", gen_metric(rng, ts, start, end, "rate", 0.05, lift=0.05)),
        ("page_load_time", gen_metric(rng, ts, start, end, "mean", 2.4, lift=-0.015, noise=1.2)),
        ("aov", gen_metric(rng, ts, start, end, "mean", 85.0, lift=0.0, noise=40.0)),
        ("bounce_rate", gen_metric(rng, ts, start, end, "rate", 0.40, lift=-0.01)),
        ("ctr", gen_metric(rng, ts, start, end, "rate", 0.12, lift=0.02)),
    ]
    return ("Benjamini-Hochberg over 5 metrics",
            make_input(start, end, metrics, PRICING, correction="fdr_bh", cost=25000.0))


def case_drifting_pre(rng):
    start, end = START, START + 5 * DAY
    ts = hours(start, 7 * 24, 5 * 24)
    metrics = [
        ("conversion_rate", gen_metric(rng, ts, start, end, "rate", 0.05, lift=0.03, drift_per_day=0.02,
                                       traffic=6000)),
        ("aov", gen_metric(rng, ts, start, end, "mean", 85.0, lift=0.005, noise=40.0)),
    ]
    return ("pre period drifting apart (parallel trends violated on conversion_rate)",
            make_input(start, end, metrics, PRICING, cost=10000.0))


def case_srm(rng):
    start, end = START, START + 4 * DAY
    ts = hours(start, 2 * 24, 4 * 24)
    metrics = [
        ("conversion_rate", gen_metric(rng, ts, start, end, "rate", 0.05, lift=0.02, share=0.505,
                                       traffic=5000)),
        ("aov", gen_metric(rng, ts, start, end, "mean", 85.0, lift=0.0, noise=40.0, share=0.505, traffic=5000)),
    ]
    return ("sample ratio mismatch: 50.5% of traffic in treatment against an expected 50%",
            make_input(start, end, metrics, PRICING, cost=8000.0))


def case_tiny_p(rng):
    start, end = START, START + 4 * DAY
    ts = hours(start, 3 * 24, 4 * 24)
    metrics = [
        ("conversion_rate", gen_metric(rng, ts, start, end, "rate", 0.05, lift=0.33, traffic=4000)),
        ("aov", gen_metric(rng, ts, start, end, "mean", 85.0, lift=0.5, noise=40.0, traffic=4000)),
        ("page_load_time", gen_metric(rng, ts, start, end, "mean", 2.4, lift=-0.07, noise=1.2)),
    ]
    return ("very large effects: p-values far below 1e-30 (survival-function accuracy)",
            make_input(start, end, metrics, PRICING, cost=30000.0))


def case_one_post_hour(rng):
    start, end = START, START + HOUR
    ts = hours(start, 24, 1, extra_after=3)  # three hours after the end, to be ignored
    a = gen_metric(rng, ts, start, end, "rate", 0.05, lift=0.05)
    b = gen_metric(rng, ts, start, end, "mean", 85.0, lift=0.01, noise=40.0)
    b[24][3] = 0  # the only post hour of aov has no treatment users: no usable post hours
    return ("one post hour (conversion_rate) and no usable post hour (aov); hours after endDate ignored",
            make_input(start, end, [("conversion_rate", a), ("aov", b)], PRICING, cost=1000.0))


def case_zero_variance(rng):
    start, end = START, START + DAY
    # Paired, every hour the same treatment and control values: se == 0, no effect size.
    flat = [[t, 0.06, 0.05, 900 + (i % 7), 905 - (i % 5)] for i, t in enumerate(hours(start, 0, 24))]
    # DiD whose differences are constant in both periods (dyadic values: exact): se == 0, df null.
    ts = hours(start, 24, 24)
    const_d = []
    for i, t in enumerate(ts):
        c = (512 + (i * 37) % 101) / 1024.0
        const_d.append([t, c + (0.375 if t >= start else 0.25), c, 1000 + i, 1001 + i])
    normal = gen_metric(rng, ts, start, end, "rate", 0.12, lift=0.05)
    metrics = [("conversion_rate", flat), ("aov", const_d), ("ctr", normal)]
    return ("zero variance: se == 0 (paired and DiD); only ctr has a p-value for the correction",
            make_input(start, end, metrics, PRICING, cost=5000.0))


def case_zero_baseline(rng):
    start, end = START, START + 2 * DAY
    ts = hours(start, 0, 48)
    refunds = []
    for t in ts:
        tn, cn = int(rng.poisson(1000)), int(rng.poisson(1000))
        refunds.append([t, round(float(rng.gamma(2.0, 0.5)), 4), 0.0, tn, cn])
    metrics = [("aov", refunds), ("ctr", gen_metric(rng, ts, start, end, "rate", 0.12, lift=0.03))]
    return ("baseline 0 (control always 0 in a paired test): relative difference null",
            make_input(start, end, metrics, PRICING))


def case_excluded(rng):
    start, end = START, START + 2 * DAY
    ts = hours(start, 48, 48)
    a = gen_metric(rng, ts, start, end, "rate", 0.05, lift=0.05)
    b = gen_metric(rng, ts, start, end, "mean", 85.0, lift=0.01, noise=40.0)
    c = gen_metric(rng, ts, start, end, "rate", 0.12, lift=0.02)
    for i in (3, 17, 50, 71):
        a[i][3] = 0                     # no treatment users
    a[60][4] = 0                        # no control users
    a[30][1] = None                     # NaN treatment value
    for i in (10, 50, 88):
        b[i][2] = None                  # NaN control value
    b[20][3] = 0
    c[5][4] = 0
    del b[70]                           # hours missing altogether from aov: left out of z_t
    del b[12]
    metrics = [("conversion_rate", a), ("aov", b), ("engagement_score", c)]
    return ("excluded hours (zero sample sizes, NaN values), missing hours, a metric without pricing",
            make_input(start, end, metrics, PRICING, cost=20000.0))


def case_short_pre(rng):
    start, end = START, START + 2 * DAY
    one = gen_metric(rng, hours(start, 1, 48), start, end, "rate", 0.05, lift=0.05)
    two = gen_metric(rng, hours(start, 2, 48), start, end, "mean", 85.0, lift=0.01, noise=40.0)
    three = gen_metric(rng, hours(start, 3, 48), start, end, "rate", 0.12, lift=0.02)
    metrics = [("conversion_rate", one), ("aov", two), ("ctr", three)]
    return ("pre periods of 1 hour (paired), 2 hours (DiD, no trends check) and 3 hours (trends check)",
            make_input(start, end, metrics, PRICING, cost=20000.0))


CASES = [
    ("did_3metrics", case_did_3metrics),
    ("paired", case_paired),
    ("confidence_90", case_confidence_90),
    ("confidence_99", case_confidence_99),
    ("fdr_bh", case_fdr_bh),
    ("drifting_pre", case_drifting_pre),
    ("srm", case_srm),
    ("tiny_pvalues", case_tiny_p),
    ("one_post_hour", case_one_post_hour),
    ("zero_variance", case_zero_variance),
    ("zero_baseline", case_zero_baseline),
    ("excluded_hours", case_excluded),
    ("short_pre", case_short_pre),
]


MULTITEST_CASES = [
    [0.01, 0.04, 0.03, 0.005],
    [0.6, 0.6, 0.7],                      # Holm clips at 1
    [0.02, 0.02, 0.02, 0.5],              # ties
    [0.04],
    [1e-30, 3e-12, 0.049, 0.051, 0.9, 0.2, 0.2],
    [0.3, 0.001, 0.999, 0.04, 0.04, 0.7, 0.0],
]


def write_multitest():
    cases = []
    for p in MULTITEST_CASES:
        entry = {"p": p}
        for method in ("holm", "fdr_bh"):
            _, adj, _, _ = multipletests(p, method=method)
            entry[method] = [float(a) for a in adj]
        cases.append(entry)
    with open(os.path.join(HERE, "multitest_reference.json"), "w") as f:
        json.dump({"description": "statsmodels multipletests(p, method) adjusted p-values", "cases": cases},
                  f, allow_nan=False, separators=(",", ":"))
        f.write("\n")


def main():
    write_multitest()
    for i, (name, fn) in enumerate(CASES):
        rng = np.random.default_rng(20250115 + i)
        description, inp = fn(rng)
        expected = analyze(inp)
        doc = {"case": name, "description": description, "input": inp, "expected": expected}
        path = os.path.join(HERE, name + ".json")
        with open(path, "w") as f:
            json.dump(doc, f, allow_nan=False, separators=(",", ":"))
            f.write("\n")
        ps = {m: r["pValue"] for m, r in expected["didResults"].items()}
        print(f"{name:16s} {os.path.getsize(path):7d} B  p={ps}  srm_p={expected['srm']['pValue']:.3g}",
              file=sys.stderr)


if __name__ == "__main__":
    main()
