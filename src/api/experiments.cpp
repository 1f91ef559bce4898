// /experiments: create, list, details, results, pipeline events, analyses, archive.
#include <charconv>
#include <set>

#include "api/json_io.hpp"
#include "api/routes.hpp"
#include "api/validation.hpp"
#include "domain/ids.hpp"
#include "domain/time.hpp"
#include "store/store_util.hpp"

namespace rallyuxr::api {
namespace {

using domain::ApiError;
using domain::ErrorCode;

std::optional<std::int64_t> parse_int(const std::string& s) {
  std::int64_t v = 0;
  if (s.empty() || s.size() > 19) return std::nullopt;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string created_event_payload(const domain::Experiment& e, const std::string& request_id) {
  json::object msg;
  msg["eventType"] = "EXPERIMENT_CREATED";
  msg["experimentId"] = e.id;
  msg["experiment"] = experiment_to_json(e);
  msg["timestamp"] = domain::format_iso8601(e.created_at);
  msg["requestId"] = request_id;
  return to_json_text(msg);
}

http::Response create(Context& ctx, const http::Request& req) {
  auto body = parse_json_body(req);
  std::set<std::string> known;
  for (const auto& m : ctx.store.list_metric_values()) known.insert(m.metric_id);
  domain::Experiment e = parse_create_experiment(body, known);
  e.id = domain::new_uuid_v7();
  e.status = domain::ExperimentStatus::kDraft;
  e.created_at = e.updated_at = domain::now_seconds();
  store::Event created{domain::new_uuid_v7(), e.id, "EXPERIMENT_CREATED", created_event_payload(e, req.request_id),
                       e.created_at};
  std::optional<store::NewJob> job;
  if (e.data_source == domain::DataSource::kSimulated) job = store::NewJob{store::JobKind::kGenerateResults, created.payload};
  ctx.store.create_experiment(e, created, job);

  json::object data;
  data["experimentId"] = e.id;
  data["status"] = "draft";
  data["message"] = "Experiment created successfully";
  // Simulated data and its analysis take well under a second; imported data is ready when the
  // experiment's data has been uploaded, expected by its end.
  data["estimatedCompletionTime"] = domain::format_iso8601(
      e.data_source == domain::DataSource::kSimulated ? e.created_at + 2 : e.end_date);
  data["experiment"] = experiment_to_json(e);
  auto r = ok(std::move(data), 201);
  r.headers.emplace_back("Location", "/api/experiments/" + e.id);
  return r;
}

http::Response list(Context& ctx, const http::Request& req) {
  store::ExperimentListQuery q;
  std::vector<domain::FieldIssue> issues;
  for (const char* name : {"limit", "offset", "status", "q"})
    if (req.query.count(name) > 1) issues.push_back({name, "Given more than once"});
  if (auto limit = req.query_param("limit")) {
    auto v = parse_int(*limit);
    if (!v || *v < 1 || *v > 100)
      issues.push_back({"limit", "Must be an integer from 1 to 100"});
    else
      q.limit = static_cast<int>(*v);
  }
  if (auto offset = req.query_param("offset")) {
    auto v = parse_int(*offset);
    if (!v || *v < 0)
      issues.push_back({"offset", "Must be an integer of 0 or more"});
    else
      q.offset = *v;
  }
  if (auto status = req.query_param("status")) {
    if (!status->empty()) {
      auto s = domain::parse_experiment_status(*status);
      if (!s)
        issues.push_back({"status", "Expected draft, running, complete or archived"});
      else
        q.status = s;
    }
  }
  if (auto name = req.query_param("q")) {
    if (name->size() > 200)
      issues.push_back({"q", "Must be at most 200 characters"});
    else if (!name->empty())
      q.name_contains = *name;
  }
  if (!issues.empty()) throw ApiError(ErrorCode::kValidation, "Invalid query parameters", issues);

  auto page = ctx.store.list_experiments(q);
  auto sum = ctx.store.summary();
  // Written as text directly (the same bytes as the DOM; docs/performance.md).
  std::string out(kOkOpen);
  out += "{\"experiments\":[";
  for (std::size_t i = 0; i < page.experiments.size(); ++i) {
    if (i) out += ',';
    append_experiment_json(out, page.experiments[i].experiment, page.experiments[i].economic_impact);
  }
  json::object pagination;
  pagination["total"] = page.total;
  pagination["limit"] = q.limit;
  pagination["offset"] = q.offset;
  pagination["hasMore"] = q.offset + static_cast<std::int64_t>(page.experiments.size()) < page.total;
  json::object summary;
  summary["totalExperiments"] = sum.total_experiments;
  summary["completedExperiments"] = sum.completed_experiments;
  summary["totalEconomicImpact"] = sum.total_economic_impact;
  out += "],\"pagination\":";
  append_json_text(out, pagination);
  out += ",\"summary\":";
  append_json_text(out, summary);
  out += '}';
  return ok_text(std::move(out));
}

http::Response details(Context& ctx, const http::Request& req) {
  auto e = load_experiment(ctx, req.params[0]);
  auto info = ctx.store.results_info(e.id);
  auto analysis = ctx.store.latest_complete_analysis(e.id);
  json::object data;
  auto exp = experiment_to_json(e);
  exp["economicImpact"] = analysis ? number_or_null(analysis->total_impact) : json::value(nullptr);
  data["experiment"] = std::move(exp);
  data["hasResults"] = info.has_value();
  data["hasAnalysis"] = analysis.has_value();
  if (info) data["participantCount"] = info->participants;
  return ok(std::move(data));
}

http::Response results(Context& ctx, const http::Request& req) {
  auto e = load_experiment(ctx, req.params[0]);
  auto r = ctx.store.get_results(e.id);
  auto a = ctx.store.latest_complete_analysis(e.id);
  if (!a) {
    // Show a failure (with its error) when nothing complete exists yet.
    auto latest = ctx.store.latest_analysis(e.id);
    if (latest && latest->status == "failed") a = latest;
  }
  // Written as text directly (the same bytes as the DOM; docs/performance.md).
  std::string out(kOkOpen);
  out += "{\"experiment\":";
  append_experiment_json(out, e);
  out += ",\"results\":";
  if (r)
    append_results_json(out, e, *r);
  else
    out += "null";
  out += ",\"analysis\":";
  append_json_text(out, a ? analysis_to_json(*a) : json::value(nullptr));
  out += '}';
  return ok_text(std::move(out));
}

http::Response events(Context& ctx, const http::Request& req) {
  auto e = load_experiment(ctx, req.params[0]);
  json::array evs, jobs;
  for (const auto& ev : ctx.store.list_events(e.id)) evs.emplace_back(event_to_json(ev));
  for (const auto& j : ctx.store.list_jobs(e.id)) jobs.emplace_back(job_to_json(j));
  json::object data;
  data["experimentId"] = e.id;
  data["status"] = domain::to_string(e.status);
  data["events"] = std::move(evs);
  data["jobs"] = std::move(jobs);
  return ok(std::move(data));
}

// Newest first, a page at a time (limit 1-100, default 20), so that a long history cannot make
// one response grow without bound.
http::Response analyses(Context& ctx, const http::Request& req) {
  std::int64_t limit = 20, offset = 0;
  std::vector<domain::FieldIssue> issues;
  for (const char* name : {"limit", "offset"})
    if (req.query.count(name) > 1) issues.push_back({name, "Given more than once"});
  if (auto l = req.query_param("limit")) {
    auto v = parse_int(*l);
    if (!v || *v < 1 || *v > 100)
      issues.push_back({"limit", "Must be an integer from 1 to 100"});
    else
      limit = *v;
  }
  if (auto o = req.query_param("offset")) {
    auto v = parse_int(*o);
    if (!v || *v < 0)
      issues.push_back({"offset", "Must be an integer of 0 or more"});
    else
      offset = *v;
  }
  if (!issues.empty()) throw ApiError(ErrorCode::kValidation, "Invalid query parameters", issues);
  auto e = load_experiment(ctx, req.params[0]);
  auto all = ctx.store.list_analyses(e.id);
  auto total = static_cast<std::int64_t>(all.size());
  json::array out;
  for (std::int64_t i = offset; i < total && i < offset + limit; ++i)
    out.emplace_back(analysis_to_json(all[static_cast<std::size_t>(i)]));
  json::object data;
  data["experimentId"] = e.id;
  data["analyses"] = std::move(out);
  json::object pagination;
  pagination["total"] = total;
  pagination["limit"] = limit;
  pagination["offset"] = offset;
  pagination["hasMore"] = offset + limit < total;
  data["pagination"] = std::move(pagination);
  return ok(std::move(data));
}

http::Response request_analysis(Context& ctx, const http::Request& req) {
  auto e = load_experiment(ctx, req.params[0]);
  // Optional body: {correction: 'holm'|'fdr_bh', confidenceLevel: 80..99.9}.
  json::object extra;
  if (!req.body.empty()) {
    auto body = parse_json_body(req);
    FieldReader r(body);
    if (auto c = r.string("correction", false, 1, 20)) {
      if (!domain::parse_correction(*c))
        r.issue("correction", "Expected 'holm' or 'fdr_bh'");
      else
        extra["correction"] = *c;
    }
    if (auto cl = r.number("confidenceLevel", false)) {
      if (*cl < 80 || *cl > 99.9)
        r.issue("confidenceLevel", "Must be between 80 and 99.9");
      else
        extra["confidenceLevel"] = *cl;
    }
    r.throw_if_any("Invalid analysis request");
  }
  if (e.status == domain::ExperimentStatus::kArchived)
    throw ApiError(ErrorCode::kConflict, "The experiment is archived");
  std::string extra_json = to_json_text(extra);
  extra_json = extra_json.substr(1, extra_json.size() - 2);  // the inside of the object
  auto id = ctx.store.request_analysis(e.id, extra_json, domain::now_seconds());
  if (!id) throw ApiError(ErrorCode::kConflict, "The experiment has no results to analyse yet");
  json::object data;
  data["experimentId"] = e.id;
  data["analysisId"] = *id;
  data["status"] = "processing";
  data["message"] = "Analysis queued";
  return ok(std::move(data), 202);
}

http::Response archive(Context& ctx, const http::Request& req) {
  auto e = load_experiment(ctx, req.params[0]);
  if (e.status != domain::ExperimentStatus::kComplete && e.status != domain::ExperimentStatus::kDraft)
    throw ApiError(ErrorCode::kConflict, std::string("Only draft or complete experiments can be archived; this one is ") +
                                             domain::to_string(e.status));
  auto now = domain::now_seconds();
  ctx.store.set_experiment_status(e.id, domain::ExperimentStatus::kArchived, now);
  e.status = domain::ExperimentStatus::kArchived;
  e.updated_at = now;
  json::object data;
  data["experiment"] = experiment_to_json(e);
  return ok(std::move(data));
}

}  // namespace

domain::Experiment load_experiment(Context& ctx, const std::string& id) {
  if (!domain::looks_like_uuid(id)) throw ApiError(ErrorCode::kNotFound, "Experiment not found");
  auto e = ctx.store.get_experiment(id);
  if (!e) throw ApiError(ErrorCode::kNotFound, "Experiment not found");
  return *e;
}

void register_experiment_routes(http::Router& router, Context& ctx) {
  auto bind = [&ctx](http::Response (*fn)(Context&, const http::Request&)) {
    return guarded([&ctx, fn](const http::Request& r) { return fn(ctx, r); });
  };
  router.add("POST", "/experiments", bind(create));
  router.add("GET", "/experiments", bind(list));
  router.add("GET", "/experiments/{id}", bind(details));
  router.add("GET", "/experiments/{id}/results", bind(results));
  router.add("GET", "/experiments/{id}/events", bind(events));
  router.add("GET", "/experiments/{id}/analyses", bind(analyses));
  router.add("POST", "/experiments/{id}/analyses", bind(request_analysis));
  router.add("POST", "/experiments/{id}/archive", bind(archive));
}

}  // namespace rallyuxr::api
