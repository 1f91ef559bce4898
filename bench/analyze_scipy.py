"""The short SciPy script `rallyuxr analyze` is compared with (issue 18; scripts/bench-parse.py):
reads the same results JSON ({"metrics": {id: {"timeSeries": [...]}}}) and, per metric, the
difference-in-differences of the hourly means with a Welch t-test on the post-period differences.
Run: python3 bench/analyze_scipy.py FILE START  (START: ISO date of the first post-period hour)."""
import json
import sys

import numpy as np
from scipy import stats


def main():
    path, start = sys.argv[1], sys.argv[2]
    with open(path) as f:
        doc = json.load(f)
    out = {}
    for metric, m in doc["metrics"].items():
        pts = m["timeSeries"]
        post = np.array([p["timestamp"] >= start for p in pts])
        t = np.array([p["treatmentValue"] for p in pts], dtype=float)
        c = np.array([p["controlValue"] for p in pts], dtype=float)
        d = t - c
        effect = d[post].mean() - (d[~post].mean() if (~post).any() else 0.0)
        res = stats.ttest_ind(t[post], c[post], equal_var=False)
        ci = stats.t.interval(0.95, len(d[post]) - 1, loc=effect, scale=stats.sem(d[post]))
        out[metric] = {"effect": effect, "pValue": float(res.pvalue), "ci": [float(ci[0]), float(ci[1])]}
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    main()
