#include "simulate/metric_profiles.hpp"

#include <array>

namespace rallyuxr::simulate {
namespace {

struct NamedProfile {
  std::string_view id;
  MetricProfile profile;
};

// Levels from the product brief; user-level spreads chosen so that an hour of the quietest traffic
// (~90 users per group) still stays well clear of zero.
constexpr std::array<NamedProfile, 11> kCatalogue{{
    //                            rate   base    user_cv season peak pay_share
    {"conversion_rate",          {true, 0.032, 0.0, 0.08, 20}},
    {"click_through_rate",       {true, 0.045, 0.0, 0.06, 14}},
    {"bounce_rate",              {true, 0.42, 0.0, 0.04, 3}},
    {"form_completion_rate",     {true, 0.65, 0.0, 0.03, 11}},
    {"cart_abandonment_rate",    {true, 0.70, 0.0, 0.03, 1}},
    {"revenue_per_user",         {false, 2.80, 2.2, 0.08, 20, 0.032}},
    {"average_order_value",      {false, 85.0, 0.45, 0.03, 19}},
    {"time_on_page",             {false, 95.0, 0.75, 0.05, 21}},
    {"engagement_score",         {false, 62.0, 0.30, 0.04, 20}},
    {"page_load_time",           {false, 2.4, 0.45, 0.08, 19}},
    {"customer_lifetime_value",  {false, 240.0, 0.65, 0.02, 20}},
}};

constexpr MetricProfile kFallbackRate{true, 0.10, 0.0, 0.03, 15};
constexpr MetricProfile kFallbackContinuous{false, 100.0, 0.10, 0.03, 15};

}  // namespace

MetricProfile metric_profile(std::string_view metric_id, std::string_view unit) {
  for (const auto& entry : kCatalogue) {
    if (entry.id == metric_id) return entry.profile;
  }
  return unit == "%" ? kFallbackRate : kFallbackContinuous;
}

}  // namespace rallyuxr::simulate
