#include "stats/multiple_testing.hpp"

#include <algorithm>
#include <cstddef>
#include <numeric>

namespace rallyuxr::stats {

std::vector<double> adjust_p_values(const std::vector<double>& p, domain::Correction method) {
  const std::size_t n = p.size();
  std::vector<double> out(n);
  if (n == 0) return out;
  // Ascending order; tied p-values receive the same adjusted value whatever their order.
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return p[a] < p[b]; });
  std::vector<double> adj(n);
  if (method == domain::Correction::kFdrBh) {
    // p_(i) / (i/n), then the running minimum from the largest p downwards.
    for (std::size_t i = 0; i < n; ++i) {
      const double ecdf = static_cast<double>(i + 1) / static_cast<double>(n);
      adj[i] = p[order[i]] / ecdf;
    }
    for (std::size_t i = n - 1; i-- > 0;) adj[i] = std::min(adj[i], adj[i + 1]);
  } else {
    // p_(i) * (n - i + 1), then the running maximum from the smallest p upwards.
    for (std::size_t i = 0; i < n; ++i) adj[i] = p[order[i]] * static_cast<double>(n - i);
    for (std::size_t i = 1; i < n; ++i) adj[i] = std::max(adj[i], adj[i - 1]);
  }
  for (std::size_t i = 0; i < n; ++i) out[order[i]] = std::min(adj[i], 1.0);
  return out;
}

}  // namespace rallyuxr::stats
