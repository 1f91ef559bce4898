#!/usr/bin/env python3
"""Reference fixtures for the analysis method of shared/spec/statistics.md, method version 2.

Run from the repository root with SciPy/statsmodels/mpmath (see ../shared/tools/scipy-python):

    ../shared/tools/scipy-python tests/data/stats/make_reference.py

Each case builds a deterministic hourly dataset with numpy's seeded generator, writes the data
itself into tests/data/stats/<case>.json under "input" (so the C++ test never needs this RNG), and
computes every expected figure under "expected" with the functions statistics.md names:

    blocks    b(t) = floor((t - startDate) / 86400); x_b = mean of d_t over the block's usable hours
    did       scipy.stats.ttest_ind(x_post, x_pre, equal_var=False)   (Welch on daily blocks)
    paired    scipy.stats.ttest_1samp(x_post, 0)
    p-value   2 * scipy.stats.t.sf(|t|, df)  (what both t-tests return)
    interval  delta +/- t.ppf(1 - alpha/2, df) * se   (polished, see t_upper_quantile)
    relative  delta method on the block moments (numpy, n-1 variances and covariance)
    Cohen's d delta / sigma, sigma^2 = sum w_t (d_t - x_b(t))^2 / (H - m1)
    MDE       (t.ppf(1 - alpha/2, df) + t.ppf(0.8, df)) * se
    P(impr.)  scipy.stats.t.cdf(t, df), or t.sf(t, df) for a 'decrease' metric
    trends    scipy.stats.linregress(block index, x_b) over the pre / the post blocks
    SRM       scipy.stats.chisquare(uniqueUsers, expected split) or
              scipy.stats.ttest_1samp(daily treatment shares, expected share)
    multiple  statsmodels.stats.multitest.multipletests(p, method="holm" | "fdr_bh")
    adjusted  the interval at confidence 1 - gamma, gamma = alpha * p / adjustedP
    sequential  h(N), p(N) of the spec (GrowthBook's SequentialTwoSidedTTest), evaluated here in
              mpmath at 50 digits and rounded once, over the looks k = 7..m1 (2..m1 when m1 < 7)
    totals    the same block estimator on z_t = sum_m sign_m dollarsPerUnit_m / unitSize_m d_{m,t}

"expected" has the shape of the service's analysis JSON (didResults, economicImpact, srm,
correction, alpha, design, guardrails, recommendation, version), except that didResults[m].warnings
lists lower-case key phrases: the C++ test checks that each phrase occurs in one warning and that
there are exactly that many warnings.

Conventions where SciPy has no answer and the spec says "null with a warning":
  * A series whose values are all equal has variance exactly 0 (numpy's mean of equal values can be
    off by an ulp, which would leave a variance of ~1e-35 and a meaningless t statistic), and a
    regression on a constant series has slope 0 and p-value 1.
  * se == 0, fewer than 2 post blocks, or no post blocks: t, p, interval etc. are null.
  * A baseline (treatmentMean - delta) within 1e-12 * |treatmentMean| of zero is zero (hourly and
    daily means of the same values differ in the last bits).
  * Looks of the sequential interval whose se is 0 are skipped (not counted in `looks`).

Readings of the spec where it leaves a choice (the C++ makes the same ones):
  * N* = post days rounded up, plus m0 for did only: N counts the pre blocks only for did, and N*
    is "the planned final number of blocks" of that N.
  * A counted block with fewer than 12 usable hours (pre or post) adds one "partial day" warning
    per metric, however many such days there are.
  * A guardrail without an adjusted interval or a minimum detectable effect is "at-risk" (a
    worsening cannot be ruled out).
  * `recommendation`: a breached guardrail gives do-not-ship; while running, keep-running until
    totalSequential is decisive (a fixed-horizon win looked at early is not yet a win); then
    totalVerdict (win: ship, loss: do-not-ship), keep-running while running, else inconclusive.
  * The parallel-trends warning is given for did only (the pre period does not enter paired).

Input "points" rows are [timestamp, treatmentValue, controlValue, treatmentSampleSize,
controlSampleSize]; a NaN value is written as null.

sequential_vectors.json holds h(N) and p(N) for a grid of (se, N, N*, alpha, delta), including the
spec's test vector, computed in mpmath.
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
START = 1736899200  # 2025-01-15T00:00:00Z (a Wednesday)
POWER = 0.8
VERSION = "did-2.0.0"
PARTIAL_HOURS = 12
FIRST_LOOK = 7

# ---------------------------------------------------------------------------------------------
# Data generation


def hours(start, pre_hours, post_hours, extra_after=0):
    first = start - pre_hours * HOUR
    return [first + i * HOUR for i in range(pre_hours + post_hours + extra_after)]


def season(ts, amp):
    hour_of_day = (ts // HOUR) % 24
    return 1.0 + amp * math.sin(2 * math.pi * hour_of_day / 24.0)


def gen_metric(rng, timestamps, start, end, kind, level, lift=0.0, bias=0.0, drift_per_day=0.0,
               traffic=2000, share=0.5, noise=None, amp=0.15, day_shock=0.0, novelty=0.0):
    """One metric's hourly points.

    kind: 'rate' (binomial proportion of users, rounded to 6 decimals) or 'mean' (a per-user
    average with normal noise of sd `noise`, rounded to 4 decimals).
    level: untreated level; lift: relative lift of treatment in [start, end); bias: relative
    pre-existing difference of the treatment group (constant, removed by DiD); drift_per_day:
    relative treatment-minus-control drift per day before the start (violates parallel trends);
    day_shock: sd of a relative day-level shock that hits the treatment group only (dependence
    between hours of a day); novelty: extra relative lift on the first post day, decaying by half
    each day (a changing effect).
    """
    rows = []
    shocks = {}
    for ts in timestamps:
        day = (ts - start) // DAY
        if day not in shocks:
            shocks[day] = float(rng.normal(0, day_shock)) if day_shock else 0.0
        tn = int(rng.poisson(traffic * share))
        cn = int(rng.poisson(traffic * (1 - share)))
        base = level * season(ts, amp)
        treated = start <= ts < end
        extra = novelty * 0.5 ** day if treated and novelty else 0.0
        tl = base * (1 + bias + shocks[day] + ((lift + extra) if treated else 0.0))
        if ts < start and drift_per_day:
            tl *= 1 + drift_per_day * (ts - start) / DAY
        if kind == "rate":
            tv = round(rng.binomial(tn, min(max(tl, 0.0), 1.0)) / tn, 6) if tn else 0.0
            cv = round(rng.binomial(cn, min(base, 1.0)) / cn, 6) if cn else 0.0
        else:
            sd = noise if noise is not None else level
            tv = round(tl + rng.normal(0, sd / math.sqrt(max(tn, 1))), 4)
            cv = round(base + rng.normal(0, sd / math.sqrt(max(cn, 1))), 4)
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


def rel_close(a, b, tol=1e-10):
    return abs(a - b) <= tol * max(abs(a), abs(b), 1e-300)


def t_upper_quantile(tail, df):
    """x with scipy.stats.t.sf(x, df) == tail.

    SciPy 1.10's t.ppf/t.isf (CDFLIB's cdft search) is only accurate to ~1e-9 relative, which is the
    tolerance the tests hold the C++ code to, so it is the starting point of Newton steps on t.sf
    (cephes stdtr via the incomplete beta function, accurate to ~1e-15); the result is checked
    against mpmath at 40 digits.
    """
    x = float(stats.t.isf(tail, df))
    for _ in range(6):
        x = x + (float(stats.t.sf(x, df)) - tail) / float(stats.t.pdf(x, df))
    check_quantile(x, tail, df)
    return x


def check_quantile(x, tail, df):
    with mpmath.workdps(40):
        xm, dfm = mpmath.mpf(x), mpmath.mpf(df)
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
    lo, hi = float(pair[0]), float(pair[1])
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return None
    return {"lower": min(lo, hi), "upper": max(lo, hi)}


def seq_h(se, n, n_star, alpha):
    with mpmath.workdps(50):
        se, n, n_star, alpha = (mpmath.mpf(v) for v in (se, n, n_star, alpha))
        la = mpmath.log(alpha)
        rho2 = (-2 * la + mpmath.log(1 - 2 * la)) / n_star
        a = n * rho2 + 1
        return float(se * mpmath.sqrt(n) * mpmath.sqrt(2 * a * mpmath.log(mpmath.sqrt(a) / alpha) / (n * n * rho2)))


def seq_p(delta, se, n, n_star, alpha):
    with mpmath.workdps(50):
        delta, se, n, n_star, alpha = (mpmath.mpf(v) for v in (delta, se, n, n_star, alpha))
        la = mpmath.log(alpha)
        rho2 = (-2 * la + mpmath.log(1 - 2 * la)) / n_star
        a = n * rho2 + 1
        return float(min(mpmath.mpf(1), mpmath.sqrt(a) * mpmath.exp(-rho2 * n * delta ** 2 / (2 * se ** 2 * a))))


def blocks_of(hours_, start):
    """hours_: list of (ts, d, c, w) usable hours. Returns pre and post block lists of dicts, in order."""
    by = {}
    for h in sorted(hours_, key=lambda r: r[0]):
        by.setdefault((h[0] - start) // DAY, []).append(h)
    pre, post = [], []
    for b in sorted(by):
        hs = by[b]
        blk = {"b": b, "x": math.fsum(h[1] for h in hs) / len(hs), "c": math.fsum(h[2] for h in hs) / len(hs),
               "n": len(hs), "hours": hs}
        (post if b >= 0 else pre).append(blk)
    return pre, post


def estimator(x_post, x_pre, did, alpha, full=True):
    """The block estimator: did (Welch) or paired (one-sample t). full=False: delta and se only."""
    x1 = np.asarray(x_post, float)
    x0 = np.asarray(x_pre, float)
    m1, m0 = x1.size, x0.size
    out = dict(did=did, delta=None, se=None, df=None, t=None, p=None, q=None, ci=None, mde=None,
               prob_up=None, prob_down=None, v0=None, issue=None)
    if m1 == 0:
        out["issue"] = "nopost"
        return out
    delta = math.fsum(x1) / m1 - (math.fsum(x0) / m0 if did else 0.0)
    out["delta"] = delta
    if m1 < 2:
        out["issue"] = "onepost"
        return out
    v1 = var1(x1) / m1
    if did:
        v0 = var1(x0) / m0
        out["v0"] = v0
        se = math.sqrt(v1 + v0)
        den = v1 ** 2 / (m1 - 1) + v0 ** 2 / (m0 - 1)
        df = (v1 + v0) ** 2 / den if den > 0 else None
    else:
        se = math.sqrt(v1)
        df = float(m1 - 1)
    out["se"], out["df"] = se, df
    if se == 0:
        out["issue"] = "zerose"
        return out
    if not full:
        return out
    if did:
        res = stats.ttest_ind(x1, x0, equal_var=False)
    else:
        res = stats.ttest_1samp(x1, 0.0)
    t, p = float(res.statistic), float(res.pvalue)
    assert rel_close(t, delta / se, 1e-9), (t, delta / se)
    assert rel_close(p, 2 * stats.t.sf(abs(t), df), 1e-9) or abs(p - 2 * stats.t.sf(abs(t), df)) < 1e-14
    t = delta / se
    p = float(2 * stats.t.sf(abs(t), df))
    q = t_upper_quantile(alpha / 2, df)
    out.update(t=t, p=p, q=q, ci=(delta - q * se, delta + q * se),
               mde=(q + t_upper_quantile(1 - POWER, df)) * se,
               prob_up=float(stats.t.cdf(t, df)), prob_down=float(stats.t.sf(t, df)))
    return out


def trend(blocks):
    if len(blocks) < 3:
        return None
    b = np.array([blk["b"] for blk in blocks], float)
    x = np.array([blk["x"] for blk in blocks], float)
    if x.min() == x.max():
        return (0.0, 1.0)
    lr = stats.linregress(b, x)
    return (float(lr.slope), float(lr.pvalue))


def sequential(x_post, x_pre, did, alpha, post_days):
    m1 = len(x_post)
    if m1 < 2:
        return None, False
    m0 = len(x_pre) if did else 0
    n_star = max(post_days + m0, m1 + m0)
    first = FIRST_LOOK if m1 >= FIRST_LOOK else 2
    iv = None
    pmin = None
    looks = 0
    empty = False
    for k in range(first, m1 + 1):
        e = estimator(x_post[:k], x_pre, did, alpha, full=False)
        if e["delta"] is None or e["se"] is None or not e["se"] > 0:
            continue
        n = k + m0
        h = seq_h(e["se"], n, n_star, alpha)
        p = seq_p(e["delta"], e["se"], n, n_star, alpha)
        lo, hi = e["delta"] - h, e["delta"] + h
        looks += 1
        if iv is None:
            iv = (lo, hi)
        else:
            a, bb = max(iv[0], lo), min(iv[1], hi)
            if a > bb:
                iv = (lo, hi)
                empty = True
            else:
                iv = (a, bb)
        pmin = p if pmin is None else min(pmin, p)
    return {"interval": interval(iv), "pValue": pmin,
            "decisive": bool(m1 >= FIRST_LOOK and pmin is not None and pmin <= alpha),
            "looks": looks, "plannedBlocks": n_star}, empty


def split(points, start, end):
    usable_hours, excluded = [], 0
    for row in points:
        if row[0] >= end:
            continue
        if not usable(row):
            excluded += 1
        else:
            usable_hours.append(row)
    return usable_hours, excluded


def analyze(inp):
    start, end = inp["startDate"], inp["endDate"]
    conf = inp["confidenceLevel"]
    alpha = (100 - conf) / 100
    duration = (end - start) / DAY
    post_days = math.ceil((end - start) / DAY) if end > start else 0
    design = inp["design"]
    pricing = inp["pricing"]
    groups = inp["valueGroups"]
    did_results = {}
    estimates = {}
    directions = {}
    order = []
    for m in inp["metrics"]:
        mid = m["metricId"]
        if mid in did_results:
            continue
        order.append(mid)
        rows, excluded = split(m["points"], start, end)
        post_rows = [r for r in rows if r[0] >= start]
        pre_rows = [r for r in rows if r[0] < start]
        hrs = [(r[0], r[1] - r[2], r[2], r[3] * r[4] / (r[3] + r[4])) for r in rows]
        pre, post = blocks_of(hrs, start)
        m1, m0 = len(post), len(pre)
        direction = pricing[mid]["direction"] if mid in pricing else "increase"
        directions[mid] = direction
        did = design == "did" and m0 >= 2
        x_post = [b["x"] for b in post]
        x_pre = [b["x"] for b in pre]
        e = estimator(x_post, x_pre, did, alpha)
        estimates[mid] = e
        warnings = []
        if excluded:
            warnings.append("excluded")
        partial = sum(1 for b in pre + post if b["n"] < PARTIAL_HOURS)
        if partial:
            warnings.append("partial day")
        if design == "did" and not did:
            warnings.append("fell back to the paired design")
        elif did and m0 == 2:
            warnings.append("parallel-trends check needs three")
        warnings += {"nopost": ["no usable hours in the experiment period"],
                     "onepost": ["only one day of the experiment period"],
                     "zerose": ["standard error is zero"], None: []}[e["issue"]]
        H = len(post_rows)
        tm = math.fsum(r[1] for r in post_rows) / H if H else None
        cm = math.fsum(r[2] for r in post_rows) / H if H else None
        rel = relci = None
        if e["delta"] is not None and tm is not None:
            baseline = tm - e["delta"]
            if abs(baseline) <= 1e-12 * abs(tm):  # zero up to rounding
                warnings.append("baseline is zero")
            else:
                rel = e["delta"] / baseline
        if e["ci"] is not None:
            xs = np.array(x_post, float)
            cs = np.array([b["c"] for b in post], float)
            cov = float(np.cov(xs, cs, ddof=1)[0, 1])
            v0 = e["v0"] if did else 0.0
            B = math.fsum(cs) / m1 + (math.fsum(x_pre) / m0 if did else 0.0)
            var_d = e["se"] ** 2
            var_b = var1(cs) / m1 + v0
            cov_db = cov / m1 - v0
            d = e["delta"]
            if B != 0:
                r = d / B
                var_r = var_d / B ** 2 + d ** 2 * var_b / B ** 4 - 2 * d * cov_db / B ** 3
                if var_r >= 0:
                    w = e["q"] * math.sqrt(var_r)
                    relci = (r - w, r + w)
        effect = None
        if e["delta"] is not None and H - m1 >= 1:
            num = math.fsum(h[3] * (h[1] - b["x"]) ** 2 for b in post for h in b["hours"])
            sigma = math.sqrt(num / (H - m1))
            if sigma > 0:
                effect = e["delta"] / sigma
            else:
                warnings.append("effect size")
        pt = trend(pre)
        parallel = None
        if pt is not None:
            parallel = {"slope": pt[0], "pValue": pt[1], "violated": bool(pt[1] < 0.05)}
            if parallel["violated"] and did:
                warnings.append("drifting apart")
        et = trend(post)
        effect_trend = None
        if et is not None:
            effect_trend = {"slope": et[0], "pValue": et[1], "changing": bool(et[1] < 0.05)}
            if effect_trend["changing"]:
                warnings.append("effect is changing")
        seq, empty = sequential(x_post, x_pre, did, alpha, post_days)
        if empty:
            warnings.append("did not overlap")
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
            "sampleSizeControl": int(sum(r[4] for r in post_rows)),
            "sampleSizeTreatment": int(sum(r[3] for r in post_rows)),
            "effectSize": effect,
            "method": "did" if did else "paired",
            "preTreatmentMean": math.fsum(r[1] for r in pre_rows) / len(pre_rows) if pre_rows else None,
            "preControlMean": math.fsum(r[2] for r in pre_rows) / len(pre_rows) if pre_rows else None,
            "standardError": e["se"],
            "degreesOfFreedom": e["df"],
            "tStatistic": e["t"],
            "relativeConfidenceInterval": interval(relci),
            "adjustedPValue": None,
            "adjustedConfidenceInterval": None,
            "significant": False,
            "verdict": "insufficient-data",
            "probabilityOfImprovement": e["prob_down"] if direction == "decrease" else e["prob_up"],
            "minimumDetectableEffect": e["mde"],
            "postHours": H,
            "preHours": len(pre_rows),
            "excludedHours": excluded,
            "postBlocks": m1,
            "preBlocks": m0,
            "parallelTrends": parallel,
            "effectTrend": effect_trend,
            "sequential": seq,
            "warnings": warnings,
        }

    # Multiple testing over the metrics that have a p-value, in the experiment's order; intervals
    # at 1 - gamma that agree with `significant`.
    with_p = [mid for mid in order if did_results[mid]["pValue"] is not None]
    if with_p:
        ps = [did_results[mid]["pValue"] for mid in with_p]
        _, adj, _, _ = multipletests(ps, method=inp["correction"])
        for mid, p, a in zip(with_p, ps, adj):
            r = did_results[mid]
            e = estimates[mid]
            a = float(a)
            r["adjustedPValue"] = a
            r["significant"] = bool(a < alpha)
            gamma = alpha / len(ps) if p == 0 else alpha * (p / a)
            q = e["q"] if gamma == alpha else t_upper_quantile(gamma / 2, e["df"])
            r["adjustedConfidenceInterval"] = interval((e["delta"] - q * e["se"], e["delta"] + q * e["se"]))
            # The adjusted interval excludes zero exactly when the metric is significant.
            lo, hi = r["adjustedConfidenceInterval"]["lower"], r["adjustedConfidenceInterval"]["upper"]
            assert (lo > 0 or hi < 0) == r["significant"] or abs(a - alpha) < 1e-12, (mid, lo, hi, a)
    for mid in order:
        r = did_results[mid]
        if r["pValue"] is None:
            r["verdict"] = "insufficient-data"
        elif not r["significant"]:
            r["verdict"] = "inconclusive"
        else:
            sign = -1.0 if directions[mid] == "decrease" else 1.0
            ch = sign * r["absoluteDifference"]
            r["verdict"] = "win" if ch > 0 else "loss" if ch < 0 else "inconclusive"

    # SRM.
    share = inp["expectedTreatmentShare"]
    uu = inp.get("uniqueUsers")
    if uu is not None:
        ot, oc = uu["treatment"], uu["control"]
        total = float(ot) + float(oc)
        chi = stats.chisquare([ot, oc], f_exp=[total * share, total * (1 - share)])
        srm = {"method": "users", "statistic": float(chi.statistic), "chiSquare": float(chi.statistic),
               "pValue": float(chi.pvalue), "detected": bool(chi.pvalue < 0.001),
               "expectedTreatmentShare": share, "observedTreatmentShare": ot / total}
    else:
        first = next(m for m in inp["metrics"] if m["metricId"] == order[0])
        rows = [r for r in first["points"] if start <= r[0] < end and usable(r)]
        by = {}
        for r in rows:
            by.setdefault((r[0] - start) // DAY, []).append(r)
        shares = [sum(r[3] for r in v) / (sum(r[3] for r in v) + sum(r[4] for r in v)) for _, v in sorted(by.items())]
        nt, nc = sum(r[3] for r in rows), sum(r[4] for r in rows)
        srm = {"method": "daily-share", "statistic": None, "chiSquare": None, "pValue": None, "detected": False,
               "expectedTreatmentShare": share, "observedTreatmentShare": nt / (nt + nc) if nt + nc else None}
        if len(shares) >= 2 and var1(shares) > 0:
            res = stats.ttest_1samp(shares, share)
            srm.update(statistic=float(res.statistic), pValue=float(res.pvalue), detected=bool(res.pvalue < 0.001))

    # Guardrails.
    guardrails = {}
    for g in inp["guardrailMetrics"]:
        if g not in did_results or g in guardrails:
            continue
        r = did_results[g]
        if r["verdict"] == "loss":
            guardrails[g] = "breached"
        elif r["adjustedConfidenceInterval"] is None or r["minimumDetectableEffect"] is None:
            guardrails[g] = "at-risk"
        else:
            mde = r["minimumDetectableEffect"]
            ci = r["adjustedConfidenceInterval"]
            worse = ci["upper"] > mde if directions[g] == "decrease" else ci["lower"] < -mde
            guardrails[g] = "at-risk" if worse else "ok"

    # Economic impact.
    breakdown = {}
    significant_impact = 0.0
    counted = []
    owner = {}
    for mid in order:
        if mid not in pricing:
            continue
        pr = pricing[mid]
        sign = -1.0 if pr["direction"] == "decrease" else 1.0
        factor = sign * (pr["dollarsPerUnit"] / pr["unitSize"])
        e = estimates[mid]
        group = groups.get(mid)
        is_counted = True
        if group:
            if group in owner:
                is_counted = False
                did_results[mid]["warnings"].append("overlaps with")
            else:
                owner[group] = mid
        daily = dollars = dint = None
        if e["delta"] is not None:
            daily = factor * e["delta"]
            dollars = daily * duration
        if e["ci"] is not None:
            dint = (factor * e["ci"][0] * duration, factor * e["ci"][1] * duration)
        if is_counted:
            counted.append(mid)
            if dollars is not None and did_results[mid]["significant"]:
                significant_impact += dollars
        breakdown[mid] = {"dollarImpact": dollars, "metricValueUsed": float(pr["dollarsPerUnit"]),
                          "metricChange": e["delta"], "dailyDollarImpact": daily,
                          "dollarImpactInterval": interval(dint), "unitSize": float(pr["unitSize"]),
                          "improvementDirection": pr["direction"], "valueGroup": group,
                          "countedInTotal": is_counted}

    total = annual = total_iv = annual_iv = prob_pos = total_seq = roi = roi_iv = None
    total_verdict = "insufficient-data"
    if counted:
        by_ts = []
        for mid in counted:
            m = next(mm for mm in inp["metrics"] if mm["metricId"] == mid)
            by_ts.append({r[0]: r for r in m["points"] if r[0] < end})
        common = sorted(set.intersection(*[set(t) for t in by_ts]))
        zh = []
        for ts in common:
            rows = [t[ts] for t in by_ts]
            if not all(usable(r) for r in rows):
                continue
            z = 0.0
            for mid, r in zip(counted, rows):
                pr = pricing[mid]
                sign = -1.0 if pr["direction"] == "decrease" else 1.0
                z += sign * (pr["dollarsPerUnit"] / pr["unitSize"]) * (r[1] - r[2])
            zh.append((ts, z, 0.0, 0.0))
        zpre, zpost = blocks_of(zh, start)
        zdid = design == "did" and len(zpre) >= 2
        xz1 = [b["x"] for b in zpost]
        xz0 = [b["x"] for b in zpre]
        ez = estimator(xz1, xz0, zdid, alpha)
        if ez["delta"] is not None:
            total = ez["delta"] * duration
            annual = ez["delta"] * 365
        if ez["ci"] is not None:
            total_iv = (ez["ci"][0] * duration, ez["ci"][1] * duration)
            annual_iv = (ez["ci"][0] * 365, ez["ci"][1] * 365)
            total_verdict = "win" if ez["ci"][0] > 0 else "loss" if ez["ci"][1] < 0 else "inconclusive"
        prob_pos = ez["prob_up"]
        total_seq, _ = sequential(xz1, xz0, zdid, alpha, post_days)
    cost = inp.get("implementationCost")
    if cost is not None and cost > 0 and annual is not None:
        roi = (annual - cost) / cost * 100
        if annual_iv is not None:
            roi_iv = ((annual_iv[0] - cost) / cost * 100, (annual_iv[1] - cost) / cost * 100)

    if "breached" in guardrails.values():
        recommendation = "do-not-ship"
    elif inp["running"] and not (total_seq is not None and total_seq["decisive"]):
        recommendation = "keep-running"
    elif total_verdict == "win":
        recommendation = "ship"
    elif total_verdict == "loss":
        recommendation = "do-not-ship"
    elif inp["running"]:
        recommendation = "keep-running"
    else:
        recommendation = "inconclusive"

    return {
        "didResults": did_results,
        "economicImpact": {
            "totalImpact": total,
            "annualizedImpact": annual,
            "roiPercentage": roi,
            "metricBreakdown": breakdown,
            "totalImpactInterval": interval(total_iv),
            "probabilityOfPositiveImpact": prob_pos,
            "totalVerdict": total_verdict,
            "totalSequential": total_seq,
            "annualizedImpactInterval": interval(annual_iv),
            "roiInterval": interval(roi_iv),
            "significantImpact": significant_impact,
            "durationDays": duration,
        },
        "srm": srm,
        "correction": inp["correction"],
        "alpha": alpha,
        "design": design,
        "guardrails": guardrails,
        "recommendation": recommendation,
        "version": VERSION,
        # The analysis per segment (make_segments_reference.py); these inputs have no segments.
        "segments": {},
        "heterogeneity": {},
    }


# ---------------------------------------------------------------------------------------------
# Cases

PRICING = {
    "conversion_rate": {"dollarsPerUnit": 1500.0, "unitSize": 0.01, "direction": "increase"},  # unit '%'
    "page_load_time": {"dollarsPerUnit": 800.0, "unitSize": 1.0, "direction": "decrease"},    # seconds
    "aov": {"dollarsPerUnit": 120.0, "unitSize": 1.0, "direction": "increase"},               # dollars
    "revenue_per_user": {"dollarsPerUnit": 2000.0, "unitSize": 1.0, "direction": "increase"},
    "bounce_rate": {"dollarsPerUnit": 900.0, "unitSize": 0.01, "direction": "decrease"},      # unit '%'
    "ctr": {"dollarsPerUnit": 400.0, "unitSize": 0.01, "direction": "increase"},              # unit '%'
}
GROUPS = {"conversion_rate": "orders", "revenue_per_user": "orders", "aov": "orders"}


def make_input(start, end, metrics, pricing=PRICING, confidence=95.0, share=0.5, correction="holm", cost=None,
               design="did", guardrails=(), unique_users=None, running=False, groups=None):
    ids = {mid for mid, _ in metrics}
    return {
        "startDate": start,
        "endDate": end,
        "confidenceLevel": confidence,
        "expectedTreatmentShare": share,
        "correction": correction,
        "design": design,
        "implementationCost": cost,
        "guardrailMetrics": list(guardrails),
        "uniqueUsers": unique_users,
        "running": running,
        "metrics": [{"metricId": mid, "points": pts} for mid, pts in metrics],
        "pricing": {k: v for k, v in pricing.items() if k in ids},
        "valueGroups": {k: v for k, v in (groups or {}).items() if k in ids},
    }


def case_did_3metrics(rng):
    start, end = START, START + 14 * DAY
    ts = hours(start, 14 * 24, 14 * 24)
    metrics = [
        ("conversion_rate", gen_metric(rng, ts, start, end, "rate", 0.05, lift=0.06, bias=0.03, day_shock=0.02)),
        ("page_load_time", gen_metric(rng, ts, start, end, "mean", 2.4, lift=-0.01, bias=0.02, noise=1.2)),
        ("aov", gen_metric(rng, ts, start, end, "mean", 85.0, lift=0.002, bias=-0.01, noise=40.0, day_shock=0.01)),
    ]
    return ("did, 14-day pre period, 3 metrics (a '%' rate with unitSize 0.01, a 'decrease' metric), Holm, "
            "implementation cost, day-level shocks", make_input(start, end, metrics, cost=50000.0))


def case_paired(rng):
    start, end = START, START + 10 * DAY
    ts = hours(start, 5 * 24, 10 * 24)
    metrics = [
        ("conversion_rate", gen_metric(rng, ts, start, end, "rate", 0.05, lift=0.05)),
        ("aov", gen_metric(rng, ts, start, end, "mean", 85.0, lift=0.01, noise=40.0)),
    ]
    return ("pre-registered paired design with a pre period present (pre means reported, not used); "
            "no implementation cost", make_input(start, end, metrics, design="paired"))


def case_did_fallback(rng):
    start, end = START, START + 8 * DAY
    one_day = gen_metric(rng, hours(start, 24, 8 * 24), start, end, "rate", 0.05, lift=0.05)
    no_pre = gen_metric(rng, hours(start, 0, 8 * 24), start, end, "mean", 85.0, lift=0.01, noise=40.0)
    two_days = gen_metric(rng, hours(start, 48, 8 * 24), start, end, "rate", 0.12, lift=0.02)
    metrics = [("conversion_rate", one_day), ("aov", no_pre), ("ctr", two_days)]
    return ("did asked: 1 pre day and no pre day fall back to paired (warning), 2 pre days run did without "
            "the trends check", make_input(start, end, metrics, cost=20000.0))


def case_confidence_90(rng):
    start, end = START, START + 9 * DAY
    ts = hours(start, 6 * 24, 9 * 24)
    metrics = [
        ("ctr", gen_metric(rng, ts, start, end, "rate", 0.12, lift=0.02, bias=0.01, share=0.3)),
        ("aov", gen_metric(rng, ts, start, end, "mean", 85.0, lift=0.004, noise=40.0, share=0.3)),
    ]
    return ("did at confidence 90, 30/70 allocation (expected share 0.3), implementation cost 0 (ROI null)",
            make_input(start, end, metrics, confidence=90.0, share=0.3, cost=0.0))


def case_confidence_99(rng):
    start, end = START, START + 12 * DAY
    ts = hours(start, 7 * 24, 12 * 24)
    metrics = [
        ("conversion_rate", gen_metric(rng, ts, start, end, "rate", 0.05, lift=0.04, bias=-0.02)),
        ("bounce_rate", gen_metric(rng, ts, start, end, "rate", 0.40, lift=-0.015)),
    ]
    return ("did at confidence 99", make_input(start, end, metrics, confidence=99.0, cost=120000.0))


def case_fdr_bh(rng):
    start, end = START, START + 14 * DAY
    ts = hours(start, 7 * 24, 14 * 24)
    metrics = [
        ("conversion_rate", gen_metric(rng, ts, start, end, "rate", 0.05, lift=0.08, traffic=6000)),
        ("page_load_time", gen_metric(rng, ts, start, end, "mean", 2.4, lift=-0.03, noise=1.2)),
        ("aov", gen_metric(rng, ts, start, end, "mean", 85.0, lift=0.0, noise=40.0)),
        ("bounce_rate", gen_metric(rng, ts, start, end, "rate", 0.40, lift=-0.01)),
        ("ctr", gen_metric(rng, ts, start, end, "rate", 0.12, lift=0.02)),
    ]
    return ("Benjamini-Hochberg over 5 metrics, paired design",
            make_input(start, end, metrics, correction="fdr_bh", cost=25000.0, design="paired"))


def case_drifting_pre(rng):
    start, end = START, START + 10 * DAY
    ts = hours(start, 10 * 24, 10 * 24)
    metrics = [
        ("conversion_rate", gen_metric(rng, ts, start, end, "rate", 0.05, lift=0.03, drift_per_day=0.03,
                                       traffic=20000)),
        ("aov", gen_metric(rng, ts, start, end, "mean", 85.0, lift=0.02, noise=10.0, novelty=0.4, traffic=8000)),
    ]
    return ("pre period drifting apart (parallel trends violated on conversion_rate); a novelty effect wearing "
            "off (effect trend changing on aov)", make_input(start, end, metrics, cost=10000.0))


def case_srm_users(rng):
    start, end = START, START + 14 * DAY
    ts = hours(start, 7 * 24, 14 * 24)
    metrics = [
        ("conversion_rate", gen_metric(rng, ts, start, end, "rate", 0.05, lift=0.02, traffic=5000)),
        ("aov", gen_metric(rng, ts, start, end, "mean", 85.0, lift=0.0, noise=40.0, traffic=5000)),
    ]
    return ("SRM on unique users: 50,800 against 49,200 with an expected 50/50 split",
            make_input(start, end, metrics, cost=8000.0, unique_users={"treatment": 50800, "control": 49200}))


def case_srm_daily(rng):
    start, end = START, START + 14 * DAY
    ts = hours(start, 7 * 24, 14 * 24)
    metrics = [
        ("conversion_rate", gen_metric(rng, ts, start, end, "rate", 0.05, lift=0.02, share=0.51, traffic=5000)),
        ("aov", gen_metric(rng, ts, start, end, "mean", 85.0, lift=0.0, noise=40.0, share=0.51, traffic=5000)),
    ]
    return ("SRM on daily shares (no unique users): 51% of traffic in treatment against an expected 50%",
            make_input(start, end, metrics, cost=8000.0))


def case_tiny_p(rng):
    start, end = START, START + 28 * DAY
    ts = hours(start, 7 * 24, 28 * 24)
    metrics = [
        ("conversion_rate", gen_metric(rng, ts, start, end, "rate", 0.05, lift=0.5, traffic=8000, amp=0.0)),
        ("aov", gen_metric(rng, ts, start, end, "mean", 85.0, lift=0.6, noise=20.0, traffic=8000, amp=0.0)),
    ]
    return ("very large effects over 28 days, paired: p-values far below 1e-30 (survival-function accuracy), "
            "decisive sequential intervals",
            make_input(start, end, metrics, cost=30000.0, design="paired"))


def case_one_block(rng):
    start, end = START, START + DAY
    ts = hours(start, 48, 24, extra_after=3)  # three hours after the end, to be ignored
    a = gen_metric(rng, ts, start, end, "rate", 0.05, lift=0.05)
    b = gen_metric(rng, ts, start, end, "mean", 85.0, lift=0.01, noise=40.0)
    for i in range(48, 72):
        b[i][3] = 0  # no treatment users in the whole post day of aov: no usable post hours
    return ("one post day (conversion_rate: delta only) and no usable post hour (aov); hours after endDate ignored",
            make_input(start, end, [("conversion_rate", a), ("aov", b)], cost=1000.0))


def case_zero_variance(rng):
    start, end = START, START + 3 * DAY
    # Paired, every hour the same treatment and control values: se == 0, no effect size.
    flat = [[t, 0.06, 0.05, 900 + (i % 7), 905 - (i % 5)] for i, t in enumerate(hours(start, 0, 72))]
    # did whose daily differences are constant in both periods (dyadic values: exact): se == 0, df null.
    ts = hours(start, 72, 72)
    const_d = []
    for i, t in enumerate(ts):
        c = (512 + (i * 37) % 101) / 1024.0
        const_d.append([t, c + (0.375 if t >= start else 0.25), c, 1000 + i, 1001 + i])
    normal = gen_metric(rng, ts, start, end, "rate", 0.12, lift=0.05)
    metrics = [("conversion_rate", flat), ("aov", const_d), ("ctr", normal)]
    return ("zero variance: se == 0 (paired and did); only ctr has a p-value for the correction",
            make_input(start, end, metrics, cost=5000.0))


def case_zero_baseline(rng):
    start, end = START, START + 5 * DAY
    ts = hours(start, 0, 5 * 24)
    refunds = []
    for t in ts:
        tn, cn = int(rng.poisson(1000)), int(rng.poisson(1000))
        refunds.append([t, round(float(rng.gamma(2.0, 0.5)), 4), 0.0, tn, cn])
    metrics = [("aov", refunds), ("ctr", gen_metric(rng, ts, start, end, "rate", 0.12, lift=0.03))]
    return ("baseline 0 (control always 0 in a paired test): relative difference null",
            make_input(start, end, metrics, design="paired"))


def case_excluded(rng):
    start, end = START, START + 7 * DAY
    ts = hours(start, 4 * 24, 7 * 24)
    a = gen_metric(rng, ts, start, end, "rate", 0.05, lift=0.05)
    b = gen_metric(rng, ts, start, end, "mean", 85.0, lift=0.01, noise=40.0)
    c = gen_metric(rng, ts, start, end, "rate", 0.12, lift=0.02)
    for i in (3, 17, 50, 71, 130):
        a[i][3] = 0                     # no treatment users
    a[60][4] = 0                        # no control users
    a[30][1] = None                     # NaN treatment value
    for i in (10, 50, 88, 140):
        b[i][2] = None                  # NaN control value
    b[20][3] = 0
    c[5][4] = 0
    for i in sorted([150, 151, 152, 153, 154, 155, 156, 157, 158, 159, 160, 161, 162, 70, 12], reverse=True):
        del b[i]                        # hours missing altogether from aov: a partial day, left out of z_t
    metrics = [("conversion_rate", a), ("aov", b), ("engagement_score", c)]
    return ("excluded hours (zero sample sizes, NaN values), missing hours making a partial day, a metric "
            "without pricing", make_input(start, end, metrics, cost=20000.0))


def case_partial_days(rng):
    # The period starts and ends mid-day: the first pre block and the last post block are partial.
    start, end = START, START + 9 * DAY + 6 * HOUR
    ts = hours(start, 3 * 24 + 5, 9 * 24 + 6)
    metrics = [
        ("conversion_rate", gen_metric(rng, ts, start, end, "rate", 0.05, lift=0.04)),
        ("ctr", gen_metric(rng, ts, start, end, "rate", 0.12, lift=0.01)),
    ]
    return ("partial days at both ends (a 5-hour pre day, a 6-hour last post day); N* rounds 9.25 days up",
            make_input(start, end, metrics, cost=15000.0))


def case_running(rng):
    # Planned 28 days; the data reach day 10: the experiment is running.
    start, end = START, START + 28 * DAY
    ts = hours(start, 7 * 24, 10 * 24)
    metrics = [
        ("conversion_rate", gen_metric(rng, ts, start, end, "rate", 0.05, lift=0.01)),
        ("aov", gen_metric(rng, ts, start, end, "mean", 85.0, lift=0.0, noise=40.0)),
    ]
    return ("running: 10 of 28 planned days, N* = 28 + 7, recommendation keep-running",
            make_input(start, end, metrics, cost=12000.0, running=True))


def case_short_running(rng):
    start, end = START, START + 21 * DAY
    ts = hours(start, 3 * 24, 4 * 24)
    metrics = [
        ("conversion_rate", gen_metric(rng, ts, start, end, "rate", 0.05, lift=0.30, traffic=8000)),
        ("ctr", gen_metric(rng, ts, start, end, "rate", 0.12, lift=0.0)),
    ]
    return ("running with 4 post days (< 7): looks 2..4, never decisive",
            make_input(start, end, metrics, cost=12000.0, running=True))


def case_guardrails(rng):
    start, end = START, START + 14 * DAY
    ts = hours(start, 7 * 24, 14 * 24)
    metrics = [
        ("conversion_rate", gen_metric(rng, ts, start, end, "rate", 0.05, lift=0.06, traffic=8000)),
        ("page_load_time", gen_metric(rng, ts, start, end, "mean", 2.4, lift=0.06, noise=1.2, traffic=8000)),
        ("bounce_rate", gen_metric(rng, ts, start, end, "rate", 0.40, lift=0.012, traffic=400)),
        ("ctr", gen_metric(rng, ts, start, end, "rate", 0.12, lift=0.0, traffic=8000)),
    ]
    return ("guardrails: page_load_time (a decrease metric) significantly worse -> breached -> do-not-ship; "
            "bounce_rate noisy -> at-risk; ctr ok",
            make_input(start, end, metrics, cost=40000.0, design="paired",
                       guardrails=["page_load_time", "bounce_rate", "ctr"]))


def case_value_groups(rng):
    start, end = START, START + 14 * DAY
    ts = hours(start, 7 * 24, 14 * 24)
    metrics = [
        ("ctr", gen_metric(rng, ts, start, end, "rate", 0.12, lift=0.02)),
        ("revenue_per_user", gen_metric(rng, ts, start, end, "mean", 4.25, lift=0.03, noise=30.0, traffic=6000)),
        ("conversion_rate", gen_metric(rng, ts, start, end, "rate", 0.05, lift=0.03, traffic=6000)),
        ("aov", gen_metric(rng, ts, start, end, "mean", 85.0, lift=0.0, noise=40.0, traffic=6000)),
    ]
    return ("value groups: revenue_per_user, conversion_rate and aov price the same orders; only the first "
            "(revenue_per_user) counts toward the totals, the others carry a warning",
            make_input(start, end, metrics, cost=60000.0, groups=GROUPS))


def case_sequential_overlap(rng):
    # A strong early effect that reverses: the late looks' intervals miss the early intersection.
    start, end = START, START + 20 * DAY
    ts = hours(start, 0, 20 * 24)
    rows = []
    for t in ts:
        day = (t - start) // DAY
        eff = 0.02 if day < 7 else -0.02
        c = 0.10 + float(rng.normal(0, 0.0005))
        rows.append([t, round(c + eff + float(rng.normal(0, 0.0005)), 6), round(c, 6), 1000, 1000])
    metrics = [("ctr", rows)]
    return ("an effect that reverses after a week: sequential intervals that do not overlap (warning)",
            make_input(start, end, metrics, design="paired"))


def case_ties(rng):
    # Integer-valued metrics with many ties and days whose means coincide.
    start, end = START, START + 8 * DAY
    ts = hours(start, 4 * 24, 8 * 24)
    rows = []
    for t in ts:
        tv = float(rng.integers(0, 3))
        cv = float(rng.integers(0, 3))
        rows.append([t, tv, cv, 50, 50])
    metrics = [("engagement_score", rows), ("ctr", gen_metric(rng, ts, start, end, "rate", 0.12, lift=0.01))]
    return ("ties: small integer values, many equal hourly differences", make_input(start, end, metrics))


METRIC_KINDS = {
    "conversion_rate": ("rate", 0.05, None),
    "page_load_time": ("mean", 2.4, 1.2),
    "aov": ("mean", 85.0, 40.0),
    "revenue_per_user": ("mean", 4.25, 30.0),
    "bounce_rate": ("rate", 0.40, None),
    "ctr": ("rate", 0.12, None),
    "engagement_score": ("mean", 50.0, 25.0),  # no pricing
}


def case_sweep(rng):
    """A random combination of every knob: design, period (whole or partial days), pre days,
    confidence, correction, traffic and split, effects, shocks, drifts, unusable and missing hours,
    value groups, guardrails, unique users, running."""
    days = int(rng.integers(2, 17))
    extra_hours = int(rng.choice([0, 0, 0, 5, 13]))
    pre_days = int(rng.choice([0, 1, 2, 3, 5, 7]))
    pre_extra = int(rng.choice([0, 0, 7]))
    start = START + int(rng.integers(0, 3)) * DAY
    end = start + days * DAY + extra_hours * HOUR
    running = bool(rng.random() < 0.25)
    covered = (days * 24 + extra_hours) if not running else max(24, int((days * 24 + extra_hours) * 0.6))
    ts = hours(start, pre_days * 24 + pre_extra, covered)
    ids = list(rng.choice(sorted(METRIC_KINDS), size=int(rng.integers(1, 5)), replace=False))
    share = float(rng.choice([0.5, 0.5, 0.3, 0.7]))
    skew = float(rng.choice([0.0, 0.0, 0.01]))
    metrics = []
    for mid in ids:
        kind, level, noise = METRIC_KINDS[mid]
        rows = gen_metric(rng, ts, start, end, kind, level, lift=float(rng.normal(0, 0.04)),
                          bias=float(rng.normal(0, 0.02)), traffic=int(rng.choice([300, 2000, 8000])),
                          share=share + skew, noise=noise, day_shock=float(rng.choice([0.0, 0.0, 0.02])),
                          drift_per_day=float(rng.choice([0.0, 0.0, 0.02])), novelty=float(rng.choice([0.0, 0.3])))
        for _ in range(int(rng.integers(0, 6))):          # unusable hours
            i = int(rng.integers(0, len(rows)))
            rows[i][int(rng.integers(3, 5))] = 0
        if rng.random() < 0.3:
            rows[int(rng.integers(0, len(rows)))][1] = None
        for _ in range(int(rng.choice([0, 0, 3, 14]))):   # missing hours
            if len(rows) > 30:
                del rows[int(rng.integers(0, len(rows)))]
        metrics.append((mid, rows))
    post_t = max(sum(r[3] for r in rows if r[0] >= start) for _, rows in metrics)
    post_c = max(sum(r[4] for r in rows if r[0] >= start) for _, rows in metrics)
    unique = None
    if rng.random() < 0.4 and post_t > 100 and post_c > 100:
        f = float(rng.uniform(0.05, 0.5))
        unique = {"treatment": int(post_t * f), "control": int(post_c * f * float(rng.choice([1.0, 1.0, 1.03])))}
        unique["control"] = min(unique["control"], post_c)
    guard = [m for m in ids if rng.random() < 0.3]
    return ("random sweep", make_input(start, end, metrics, confidence=float(rng.choice([90.0, 95.0, 95.0, 99.0])),
                                       share=share, correction=str(rng.choice(["holm", "fdr_bh"])),
                                       cost=float(rng.choice([0.0, 25000.0])) if rng.random() < 0.7 else None,
                                       design=str(rng.choice(["did", "paired"])), guardrails=guard,
                                       unique_users=unique, running=running, groups=GROUPS))


SWEEP = 24

CASES = [
    ("did_3metrics", case_did_3metrics),
    ("paired", case_paired),
    ("did_fallback", case_did_fallback),
    ("confidence_90", case_confidence_90),
    ("confidence_99", case_confidence_99),
    ("fdr_bh", case_fdr_bh),
    ("drifting_pre", case_drifting_pre),
    ("srm_users", case_srm_users),
    ("srm_daily", case_srm_daily),
    ("tiny_pvalues", case_tiny_p),
    ("one_block", case_one_block),
    ("zero_variance", case_zero_variance),
    ("zero_baseline", case_zero_baseline),
    ("excluded_hours", case_excluded),
    ("partial_days", case_partial_days),
    ("running", case_running),
    ("short_running", case_short_running),
    ("guardrails", case_guardrails),
    ("value_groups", case_value_groups),
    ("sequential_overlap", case_sequential_overlap),
    ("ties", case_ties),
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


def write_sequential_vectors():
    # The spec's test vector first, then a grid.
    h = seq_h(0.0012, 21, 35, 0.05)
    p = seq_p(0.003, 0.0012, 21, 35, 0.05)
    assert abs(h - 0.0036730066038058845) <= 1e-15 * h, h
    assert abs(p - 0.18140756924313682) <= 1e-15 * p, p
    vectors = [{"se": 0.0012, "n": 21, "nStar": 35, "alpha": 0.05, "delta": 0.003, "h": h, "p": p}]
    for se in (1e-6, 0.0012, 0.37, 250.0):
        for n, n_star in ((2, 2), (2, 30), (7, 21), (21, 35), (35, 35), (40, 35), (365, 400)):
            for alpha in (0.001, 0.05, 0.1, 0.2):
                for delta in (0.0, 0.5 * se, 3 * se, -8 * se, 40 * se):
                    vectors.append({"se": se, "n": n, "nStar": n_star, "alpha": alpha, "delta": delta,
                                    "h": seq_h(se, n, n_star, alpha), "p": seq_p(delta, se, n, n_star, alpha)})
    with open(os.path.join(HERE, "sequential_vectors.json"), "w") as f:
        json.dump({"description": "h(N) and p(N) of statistics.md (sequential), mpmath at 50 digits",
                   "vectors": vectors}, f, allow_nan=False, separators=(",", ":"))
        f.write("\n")


def main():
    write_multitest()
    write_sequential_vectors()
    cases = CASES + [(f"sweep_{k:02d}", case_sweep) for k in range(SWEEP)]
    for i, (name, fn) in enumerate(cases):
        rng = np.random.default_rng(20250115 + i)
        description, inp = fn(rng)
        expected = analyze(inp)
        doc = {"case": name, "description": description, "input": inp, "expected": expected}
        path = os.path.join(HERE, name + ".json")
        with open(path, "w") as f:
            json.dump(doc, f, allow_nan=False, separators=(",", ":"))
            f.write("\n")
        ps = {m: (None if r["pValue"] is None else float(f"{r['pValue']:.3g}")) for m, r in expected["didResults"].items()}
        print(f"{name:20s} {os.path.getsize(path):8d} B  p={ps}  srm={expected['srm']['method']}:"
              f"{expected['srm']['pValue']}  rec={expected['recommendation']}  guard={expected['guardrails']}",
              file=sys.stderr)


if __name__ == "__main__":
    main()
