"""The size of Welch's t-test (scipy.stats.ttest_ind, equal_var=False) at alpha 0.05 on exactly normal,
independent blocks, for the designs of the calibration benchmark (post blocks, 7 pre blocks), and
with weekend blocks 1.35 times as variable (the simulator's weekend traffic). Quoted in
docs/statistics.md, "Calibration". Run: ../shared/tools/scipy-python bench/calibration_welch_size.py
Printed on 2026-11-30: 14 7 False 0.05051 / 28 7 False 0.05326 / 28 7 True 0.0527
"""
import numpy as np
from scipy import stats
rng=np.random.default_rng(1)
for n1,n0,het in [(14,7,False),(28,7,False),(28,7,True)]:
    R=200000
    a=rng.standard_normal((R,n1)); b=rng.standard_normal((R,n0))
    if het:
        # weekends (2 of 7 days) have 1.35x variance
        wa=np.array([1.35 if (i%7) in (5,6) else 1.0 for i in range(n1)])**0.5
        wb=np.array([1.35 if (i%7) in (5,6) else 1.0 for i in range(n0)])**0.5
        a=a*wa; b=b*wb
    t,p=stats.ttest_ind(a,b,axis=1,equal_var=False)
    print(n1,n0,het,(p<0.05).mean())
