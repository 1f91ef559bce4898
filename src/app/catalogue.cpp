#include "app/catalogue.hpp"

namespace rallyuxr::app {

std::vector<domain::MetricValue> default_catalogue(domain::UnixSeconds now) {
  using domain::Direction;
  struct Row {
    const char* id;
    const char* name;
    const char* unit;
    const char* category;
    double dollars;
    Direction dir;
    const char* description;
  };
  // dollarsPerUnit: dollars per day for a sustained one-unit change at full rollout, for a site
  // of about 20,000 visitors a day with an average order of $85.
  static const Row kRows[] = {
      {"conversion_rate", "Conversion Rate", "%", "conversion", 17000, Direction::kIncrease,
       "Each percentage point of conversion is 200 more orders a day at an $85 average order."},
      {"revenue_per_user", "Revenue per User", "$", "revenue", 20000, Direction::kIncrease,
       "Each extra dollar of revenue per visitor, over about 20,000 visitors a day."},
      {"click_through_rate", "Click-through Rate", "%", "engagement", 1500, Direction::kIncrease,
       "Each percentage point of CTR brings about 200 more product views a day, worth $7.50 each."},
      {"average_order_value", "Average Order Value", "$", "revenue", 640, Direction::kIncrease,
       "Each extra dollar per order, over about 640 orders a day."},
      {"time_on_page", "Time on Page", "seconds", "engagement", 45, Direction::kIncrease,
       "Each extra second of attention is worth about $45 a day in ad and retention value."},
      {"bounce_rate", "Bounce Rate", "%", "engagement", 1200, Direction::kDecrease,
       "Each percentage point fewer bounces keeps about 200 visitors a day, worth $6 each."},
      {"engagement_score", "Engagement Score", "points", "engagement", 300, Direction::kIncrease,
       "Each point of the composite engagement score is worth about $300 a day in retention."},
      {"form_completion_rate", "Form Completion Rate", "%", "conversion", 900, Direction::kIncrease,
       "Each percentage point of completed forms is about 30 more leads a day at $30 each."},
      {"page_load_time", "Page Load Time", "seconds", "other", 6000, Direction::kDecrease,
       "Each second faster lifts conversion; about $6,000 a day per second saved."},
      {"customer_lifetime_value", "Customer Lifetime Value", "$", "retention", 70, Direction::kIncrease,
       "Each extra dollar of lifetime value, over about 70 new customers a day."},
      {"cart_abandonment_rate", "Cart Abandonment Rate", "%", "conversion", 2400, Direction::kDecrease,
       "Each percentage point fewer abandoned carts recovers about 28 orders a day at $85."},
  };
  std::vector<domain::MetricValue> out;
  for (const auto& r : kRows) {
    domain::MetricValue m;
    m.metric_id = r.id;
    m.name = r.name;
    m.unit = r.unit;
    m.category = r.category;
    m.dollars_per_unit = r.dollars;
    m.improvement_direction = r.dir;
    m.unit_size = std::string(r.unit) == "%" ? 0.01 : 1.0;
    m.description = r.description;
    m.last_updated = now;
    m.version = 1;
    m.updated_by = "system";
    // These four price the same orders: only the first of them in an experiment counts toward
    // its totals (statistics.md, economic impact).
    const std::string id = r.id;
    if (id == "conversion_rate" || id == "revenue_per_user" || id == "average_order_value" ||
        id == "cart_abandonment_rate")
      m.value_group = "orders";
    out.push_back(m);
  }
  return out;
}

const std::vector<Template>& demo_templates() {
  using domain::ExpectedOutcome;
  static const std::vector<Template> kTemplates = {
      {"Button Color A/B Test", "Testing a high-contrast call-to-action button against the current one.",
       {"conversion_rate", "click_through_rate"}, ExpectedOutcome::kPositive, 5000},
      {"Checkout Flow Optimization", "A one-page checkout instead of three steps.",
       {"conversion_rate", "cart_abandonment_rate", "average_order_value"}, ExpectedOutcome::kPositive, 60000},
      {"Pricing Page Layout Test", "Plans side by side with the recommended plan highlighted.",
       {"revenue_per_user", "conversion_rate"}, ExpectedOutcome::kNeutral, 15000},
      {"Navigation Menu Test", "A simplified top navigation with five entries instead of nine.",
       {"bounce_rate", "time_on_page", "engagement_score"}, ExpectedOutcome::kPositive, 20000},
      {"Form Fields Validation", "Inline validation on the sign-up form while the user types.",
       {"form_completion_rate", "conversion_rate"}, ExpectedOutcome::kPositive, 8000},
      {"Landing Page Hero Section", "A product video in the hero section instead of a static image.",
       {"bounce_rate", "click_through_rate", "page_load_time"}, ExpectedOutcome::kNegative, 12000},
  };
  return kTemplates;
}

}  // namespace rallyuxr::app
