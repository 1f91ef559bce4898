// JSON mapping of the contract's shapes, and typed reading of request bodies that collects every
// problem as a FieldIssue (Zod-like paths) instead of stopping at the first. Pure; thread-safe.
#pragma once

#include <boost/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "codec/json_text.hpp"
#include "domain/error.hpp"
#include "domain/types.hpp"
#include "http/types.hpp"
#include "store/store.hpp"

namespace rallyuxr::codec {

namespace json = boost::json;

// A finite double or null.
json::value number_or_null(std::optional<double> v);

json::object experiment_to_json(const domain::Experiment& e);
json::object metric_value_to_json(const domain::MetricValue& m);
json::object history_entry_to_json(const domain::MetricValueHistoryEntry& h);
// The contract's ExperimentResult (time series with pre-period hours, per-metric summary).
json::object results_to_json(const domain::Experiment& e, const store::StoredResults& r);
json::object event_to_json(const store::Event& e);
json::object job_to_json(const store::Job& j);
// The stored analysis document (parsed), with its status and ids.
json::value analysis_to_json(const store::StoredAnalysis& a);

// Parses a JSON request body; throws ApiError (415 when the media type is wrong, 400 when
// malformed or not an object).
json::object parse_json_body(const http::Request& req);

// {"success":true,"data":...}
http::Response ok(json::value data, int status = 200);
// The same envelope written as text, without a DOM: start the body with kOkOpen, append the
// data's JSON text (the append_* writers below, append_json_text), and pass the body to ok_text,
// which closes it.
inline constexpr std::string_view kOkOpen = "{\"success\":true,\"data\":";
http::Response ok_text(std::string body, int status = 200);

// Direct JSON text writers: each appends exactly the text to_json_text gives for the DOM function
// of the same name, without building the DOM (several times faster on large documents; see
// docs/performance.md). `economic_impact`, when given, is appended as the object's last member
// "economicImpact" (a number, or null), as the list and details endpoints add it.
void append_experiment_json(std::string& out, const domain::Experiment& e,
                            const std::optional<std::optional<double>>& economic_impact = std::nullopt);
void append_results_json(std::string& out, const domain::Experiment& e, const store::StoredResults& r);

// Collects issues while reading fields of an object.
class FieldReader {
 public:
  FieldReader(const json::object& obj, std::string prefix = "") : obj_(obj), prefix_(std::move(prefix)) {}

  std::optional<std::string> string(const char* key, bool required, std::size_t min_len,
                                    std::size_t max_len);
  std::optional<double> number(const char* key, bool required);
  std::optional<std::int64_t> integer(const char* key, bool required, std::int64_t min, std::int64_t max);
  const json::array* array(const char* key, bool required);
  const json::object* object(const char* key, bool required);
  bool has(const char* key) const;  // present and not null

  void issue(const std::string& key, const std::string& message);
  std::string path(const std::string& key) const { return prefix_.empty() ? key : prefix_ + "." + key; }
  std::vector<domain::FieldIssue>& issues() { return issues_; }
  // Throws a VALIDATION_ERROR with every issue, if there are any.
  void throw_if_any(const std::string& message = "Invalid request body");

 private:
  const json::object& obj_;
  std::string prefix_;
  std::vector<domain::FieldIssue> issues_;
};

}  // namespace rallyuxr::codec
