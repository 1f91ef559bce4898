// Multiple-testing corrections, identical to statsmodels.stats.multitest.multipletests(p, method)
// for method "holm" (Holm-Bonferroni step-down) and "fdr_bh" (Benjamini-Hochberg step-up):
// monotone adjusted p-values, clipped at 1, returned in the order given. Pure; thread-safe.
#pragma once

#include <vector>

#include "domain/types.hpp"

namespace rallyuxr::stats {

// p-values must be finite numbers in [0, 1]; leave missing ones out before calling.
std::vector<double> adjust_p_values(const std::vector<double>& p, domain::Correction method);

}  // namespace rallyuxr::stats
