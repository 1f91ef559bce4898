// Results import (PUT replaces, POST merges; JSON or CSV) and the CSV exports.
#include <map>

#include "api/request_body.hpp"
#include "api/response.hpp"
#include "api/routes.hpp"
#include "codec/json_parse.hpp"
#include "codec/json_writer.hpp"
#include "codec/results_io.hpp"
#include "codec/results_json.hpp"
#include "domain/ids.hpp"
#include "domain/plausibility.hpp"
#include "domain/time.hpp"
#include "pipeline/pipeline.hpp"

namespace rallyuxr::api {
namespace {

using codec::JsonWriter;
using codec::ParsedUpload;
using codec::UploadRules;

using domain::ApiError;
using domain::ErrorCode;

inline constexpr domain::UnixSeconds kMaxPreDays = 30;

http::Response upload(Context& ctx, const http::Request& req, store::WriteMode mode) {
  auto e = load_experiment(ctx, req.params[0]);
  if (e.data_source != domain::DataSource::kImported)
    throw ApiError(ErrorCode::kConflict, "This experiment's data is simulated; create it with dataSource 'imported' to upload data");
  // Checked again under the experiment's lock when the data are written (pipeline::import_results).
  if (e.status == domain::ExperimentStatus::kArchived)
    throw ApiError(ErrorCode::kConflict, "The experiment is archived");

  UploadRules rules;
  rules.earliest = e.start_date - kMaxPreDays * domain::kSecondsPerDay;
  rules.end = e.end_date;
  rules.start = e.start_date;  // uniqueUsers may not exceed the post-period sample sizes
  rules.metrics.insert(e.metrics.begin(), e.metrics.end());
  // A merge's uniqueUsers are checked against the merged series (cumulative counts sent daily).
  std::optional<store::StoredResults> prior;
  if (mode == store::WriteMode::kMerge) prior = ctx.store.get_results(e.id);
  if (prior) rules.merge_with = &prior->metrics;
  // A merge's segment limits count the stored segments too.
  if (mode == store::WriteMode::kMerge)
    for (const auto& [dimension, names] : ctx.store.segment_names(e.id))
      rules.stored_segments[dimension].insert(names.begin(), names.end());

  ParsedUpload parsed;
  auto media = req.media_type();
  if (media == "text/csv") {
    parsed = codec::parse_results_csv(req.body, rules);
  } else if (media == "application/json") {
    // simdjson for a valid upload; anything else through the general parser and its error paths.
    if (auto fast = codec::parse_results_json_fast(req.body, req.body.capacity(), rules)) {
      parsed = std::move(*fast);
    } else {
      auto body = parse_json_body(req);
      parsed = codec::parse_results_json(body, rules);
    }
  } else {
    throw ApiError(ErrorCode::kUnsupportedMediaType, "Content-Type must be application/json or text/csv");
  }
  if (!parsed.issues.empty()) {
    std::string message = "The upload was rejected; nothing was stored (" + std::to_string(parsed.issues.size()) +
                          (parsed.issues.size() > codec::kMaxReportedIssues ? "+" : "") + " problems)";
    throw ApiError(ErrorCode::kValidation, message, std::move(parsed.issues));
  }

  // Valid numbers that are very likely a unit mistake (a rate sent in percent, values 100x the pre
  // period): stored as sent, but said in the response so that the client can show it.
  std::map<std::string, std::string> units;
  for (const auto& m : ctx.store.list_metric_values())
    if (rules.metrics.count(m.metric_id)) units[m.metric_id] = m.unit;
  static const std::vector<domain::MetricSeries> kNothing;
  auto warnings = domain::plausibility_warnings(units, parsed.metrics, prior ? prior->metrics : kNothing, e.start_date);
  const std::size_t derived = parsed.derived_overall_points;
  if (derived > 0)
    warnings.insert(warnings.begin(),
                    std::to_string(derived) + " overall hourly points were not sent and were derived from the segments: " +
                        "their sum per hour (sample sizes added, values weighted by sample size)");
  std::int64_t segment_points = 0;
  std::map<std::string, std::vector<std::string>> dimensions;
  for (const auto& [dimension, segs] : parsed.segments)
    for (const auto& [name, seg] : segs) {
      dimensions[dimension].push_back(name);
      for (const auto& m : seg.series) segment_points += static_cast<std::int64_t>(m.points.size());
    }

  std::vector<std::pair<std::string, std::int64_t>> counts;
  std::int64_t points = 0;
  for (const auto& m : parsed.metrics) {
    counts.emplace_back(m.metric_id, static_cast<std::int64_t>(m.points.size()));
    points += static_cast<std::int64_t>(m.points.size());
  }
  pipeline::ResultsWrite w;
  w.experiment_id = e.id;
  w.mode = mode;
  w.metrics = std::move(parsed.metrics);
  w.unique_users = parsed.unique_users;  // statistics.md SRM; a merge without it keeps the stored one
  w.segments = std::move(parsed.segments);
  w.now = domain::now_seconds();
  w.request_id = req.request_id;
  w.actor = principal_name(req);
  auto stored = pipeline::import_results(ctx.store, w);
  if (stored.kind == pipeline::ImportOutcome::Kind::kNotFound) throw ApiError(ErrorCode::kNotFound, "Experiment not found");
  if (stored.kind == pipeline::ImportOutcome::Kind::kConflict) throw ApiError(ErrorCode::kConflict, stored.reason);

  return ok_json([&](JsonWriter& w) {
    w.begin_object();
    w.key("experimentId").string(e.id);
    w.key("mode").string(mode == store::WriteMode::kReplace ? "replace" : "merge");
    w.key("rowsReceived").integer(static_cast<std::int64_t>(parsed.rows));
    w.key("pointsStored").integer(points);
    w.key("pointsByMetric").begin_object();
    for (const auto& [id, n] : counts) w.key(id).integer(n);
    w.end_object();
    w.key("segmentPointsStored").integer(segment_points);
    w.key("dimensions").begin_object();  // the dimensions and segments this upload carried
    for (const auto& [dimension, names] : dimensions) {
      w.key(dimension).begin_array();
      for (const auto& n : names) w.string(n);
      w.end_array();
    }
    w.end_object();
    w.key("overallDerivedFromSegments").boolean(derived > 0);
    w.key("totalPoints").integer(stored.info.points);  // as this upload's transaction committed them
    w.key("resultsVersion").integer(stored.info.version);
    w.key("status").string("analysis queued");
    w.key("warnings").begin_array();
    for (const auto& text : warnings) w.string(text);
    w.end_array();
    w.end_object();
  });
}

http::Response put_results(Context& ctx, const http::Request& req) { return upload(ctx, req, store::WriteMode::kReplace); }
http::Response post_results(Context& ctx, const http::Request& req) { return upload(ctx, req, store::WriteMode::kMerge); }

// A simulated experiment's exports say so in the file name (and the analysis CSV on every row), so
// that a download cannot pass for measured results.
http::Response csv_response(std::string body, const domain::Experiment& e, const std::string& what) {
  const bool simulated = e.data_source == domain::DataSource::kSimulated;
  http::Response r;
  r.content_type = "text/csv; charset=utf-8";
  r.body = std::move(body);
  r.headers.emplace_back("Content-Disposition", std::string("attachment; filename=\"") + (simulated ? "SIMULATED-" : "") +
                                                    "experiment-" + e.id + "-" + what + ".csv\"");
  r.headers.emplace_back("X-Data-Source", domain::to_string(e.data_source));
  r.etag_from_body = true;  // If-None-Match: 304 (http/representation.hpp)
  return r;
}

// The stored results and segments of one results version (read again when an upload came between
// the two reads).
std::pair<store::StoredResults, domain::Segments> results_with_segments(Context& ctx, const domain::Experiment& e) {
  for (int attempt = 0;; ++attempt) {
    auto r = ctx.store.get_results(e.id);
    if (!r) throw ApiError(ErrorCode::kNotFound, "The experiment has no results yet");
    auto segs = ctx.store.get_segments(e.id, std::nullopt);
    if (segs.version == r->version || attempt >= 4) return {std::move(*r), std::move(segs.segments)};
  }
}

http::Response results_csv(Context& ctx, const http::Request& req) {
  auto e = load_experiment(ctx, req.params[0]);
  auto [r, segments] = results_with_segments(ctx, e);
  return csv_response(codec::results_to_csv(r.metrics, e.start_date, segments), e, "results");
}

// The JSON export: the upload format with the segments, so that it uploads again unchanged.
http::Response results_json_export(Context& ctx, const http::Request& req) {
  auto e = load_experiment(ctx, req.params[0]);
  auto [r, segments] = results_with_segments(ctx, e);
  http::Response out;  // a file, like the CSV export: the document itself, no envelope
  out.content_type = "application/json";
  codec::append_results_export_json(out.body, e, r.metrics, r.unique_users, segments);
  const bool simulated = e.data_source == domain::DataSource::kSimulated;
  out.headers.emplace_back("Content-Disposition", std::string("attachment; filename=\"") + (simulated ? "SIMULATED-" : "") +
                                                      "experiment-" + e.id + "-results.json\"");
  out.headers.emplace_back("X-Data-Source", domain::to_string(e.data_source));
  return out;
}

http::Response analysis_csv(Context& ctx, const http::Request& req) {
  auto e = load_experiment(ctx, req.params[0]);
  auto a = ctx.store.latest_complete_analysis(e.id);
  if (!a) throw ApiError(ErrorCode::kNotFound, "The experiment has no complete analysis yet");
  boost::system::error_code ec;
  auto doc = codec::parse_json_exact(a->document, ec);
  const boost::json::object none;  // a document that does not parse gives the header only, as before
  const auto& analysis = !ec && doc.is_object() ? doc.get_object() : none;
  // The decision, if any, in four columns after the standard ones (empty while there is none).
  std::vector<std::pair<std::string, std::string>> extra = {
      {"decision", e.decision ? e.decision->decision : ""},
      {"decisionReason", e.decision ? e.decision->reason : ""},
      {"decidedBy", e.decision && e.decision->decided_by ? *e.decision->decided_by : ""},
      {"decidedAt", e.decision ? domain::format_iso8601(e.decision->decided_at) : ""}};
  return csv_response(codec::analysis_to_csv(analysis, domain::to_string(e.data_source), extra), e, "analysis");
}

}  // namespace

void register_results_routes(http::Router& router, Context& ctx) {
  router.add("PUT", "/experiments/{id}/results", bind(ctx, put_results), ctx.max_import_bytes);
  router.add("POST", "/experiments/{id}/results", bind(ctx, post_results), ctx.max_import_bytes);
  router.add("GET", "/experiments/{id}/results.csv", bind(ctx, results_csv));
  router.add("GET", "/experiments/{id}/results.json", bind(ctx, results_json_export));
  router.add("GET", "/experiments/{id}/analysis.csv", bind(ctx, analysis_csv));
}

}  // namespace rallyuxr::api
