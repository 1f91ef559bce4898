// /experiments: create, list, details, results, pipeline events, analyses, archive.
#include <algorithm>
#include <set>

#include "api/paging.hpp"
#include "api/request_body.hpp"
#include "api/response_cache.hpp"
#include "api/response.hpp"
#include "api/routes.hpp"
#include "api/store_json.hpp"
#include "api/validation.hpp"
#include "codec/events_json.hpp"
#include "codec/json_writer.hpp"
#include "codec/resources_json.hpp"
#include "domain/ids.hpp"
#include "domain/time.hpp"
#include "http/representation.hpp"
#include "pipeline/pipeline.hpp"
#include "store/store_util.hpp"

namespace rallyuxr::api {
namespace {

using codec::append_experiment_json;
using codec::JsonWriter;

using domain::ApiError;
using domain::ErrorCode;

http::Response create(Context& ctx, const http::Request& req) {
  auto body = parse_json_body(req);
  std::set<std::string> known;
  for (const auto& m : ctx.store.list_metric_values()) known.insert(m.metric_id);
  domain::Experiment e = parse_create_experiment(body, known);
  e.id = domain::new_uuid_v7();
  e.status = domain::ExperimentStatus::kDraft;
  e.created_at = e.updated_at = domain::now_seconds();
  e.created_by = principal_name(req);
  store::Event created{domain::new_uuid_v7(), e.id, "EXPERIMENT_CREATED", codec::experiment_created_payload(e, req.request_id),
                       e.created_at};
  std::optional<store::NewJob> job;
  if (e.data_source == domain::DataSource::kSimulated) job = store::NewJob{store::JobKind::kGenerateResults, created.payload};
  if (auto retired = pipeline::create_experiment(ctx.store, e, created, job)) {
    std::size_t i = 0;
    while (i < e.metrics.size() && e.metrics[i] != *retired) ++i;
    throw ApiError(ErrorCode::kValidation, "Invalid experiment",
                   {{"metrics." + std::to_string(i), "Metric '" + *retired + "' is retired"}});
  }

  auto r = ok_json(
      [&](JsonWriter& w) {
        w.begin_object();
        w.key("experimentId").string(e.id);
        w.key("status").string("draft");
        w.key("message").string("Experiment created successfully");
        // Simulated data and its analysis take well under a second; imported data is ready when
        // the experiment's data has been uploaded, expected by its end.
        w.key("estimatedCompletionTime")
            .timestamp(e.data_source == domain::DataSource::kSimulated ? e.created_at + 2 : e.end_date);
        w.key("experiment");
        append_experiment_json(w.slot(), e);
        w.end_object();
      },
      201);
  r.headers.emplace_back("Location", "/api/experiments/" + e.id);
  return r;
}

http::Response list(Context& ctx, const http::Request& req) {
  store::ExperimentListQuery q;
  std::vector<domain::FieldIssue> issues;
  reject_repeated(req, {"limit", "offset", "status", "q"}, issues);
  const Page paging = read_page(req, issues);
  q.limit = paging.limit;
  q.offset = paging.offset;
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
  {
    std::vector<std::string> ids;
    for (const auto& row : page.experiments) ids.push_back(row.experiment.id);
    auto decided = ctx.store.latest_decisions(ids);  // one query per page on PostgreSQL
    for (auto& row : page.experiments)
      for (auto& d : decided)
        if (d.experiment_id == row.experiment.id) row.experiment.decision = d;
  }
  auto sum = ctx.store.summary();
  return ok_json([&](JsonWriter& w) {
    w.begin_object();
    w.key("experiments").begin_array();
    for (const auto& row : page.experiments) append_experiment_json(w.slot(), row.experiment, row.economic_impact);
    w.end_array();
    w.key("pagination");
    write_pagination(w, paging, page.total, static_cast<std::int64_t>(page.experiments.size()));
    w.key("summary").begin_object();
    w.key("totalExperiments").integer(sum.total_experiments);
    w.key("completedExperiments").integer(sum.completed_experiments);
    w.key("totalEconomicImpact").number(sum.total_economic_impact);
    w.end_object();
    w.end_object();
  });
}

http::Response details(Context& ctx, const http::Request& req) {
  auto e = load_experiment(ctx, req.params[0]);
  auto info = ctx.store.results_info(e.id);
  auto analysis = ctx.store.latest_complete_analysis(e.id);
  return ok_json([&](JsonWriter& w) {
    w.begin_object();
    w.key("experiment");
    append_experiment_json(w.slot(), e,
                           std::optional<std::optional<double>>(std::in_place, analysis ? analysis->total_impact : std::nullopt));
    w.key("hasResults").boolean(info.has_value());
    w.key("hasAnalysis").boolean(analysis.has_value());
    if (info) w.key("participantCount").integer(info->participants);
    w.end_object();
  });
}

std::string join_keys(const store::SegmentNames& names) {
  std::string out;
  for (const auto& [k, v] : names) out += (out.empty() ? "" : ", ") + k;
  return out;
}

// The analysis a results response shows: the newest complete one, else a failed newest one (to
// show its error); `with_document` false reads only which one and its state (the cache key).
std::optional<store::StoredAnalysis> shown_analysis(Context& ctx, const std::string& experiment_id, bool with_document) {
  using Lookup = store::Store::AnalysisLookup;
  auto a = ctx.store.find_analysis(with_document ? Lookup::kLatestComplete : Lookup::kLatestCompleteStamp, experiment_id);
  if (a) return a;
  auto latest = ctx.store.find_analysis(with_document ? Lookup::kLatest : Lookup::kLatestStamp, experiment_id);
  if (latest && latest->status == "failed") return latest;
  return std::nullopt;
}

http::Response results(Context& ctx, const http::Request& req) {
  auto e = load_experiment(ctx, req.params[0]);
  // Segments (issue 17): results.dimensions always; ?dimension= adds that dimension's series.
  auto dimensions = ctx.store.segment_names(e.id);
  auto dimension = req.query_param("dimension");
  if (dimension && !dimensions.count(*dimension))
    throw ApiError(ErrorCode::kNotFound, "Dimension '" + *dimension + "' not found: " +
                                             (dimensions.empty() ? std::string("the experiment has no segments")
                                                                 : "its dimensions are " + join_keys(dimensions)));
  auto r = ctx.store.get_results(e.id);
  auto a = shown_analysis(ctx, e.id, true);
  return ok_json([&](JsonWriter& w) {
    w.begin_object();
    w.key("experiment");
    append_experiment_json(w.slot(), e);
    w.key("results");
    if (r)
      codec::append_results_json(w.slot(), e, r->metrics, r->generated_at, r->version, &dimensions);
    else
      w.null();
    if (dimension) {
      auto segs = ctx.store.get_segments(e.id, *dimension);
      w.key("dimension").string(*dimension);
      w.key("segments");
      static const domain::DimensionSegments kNone;
      auto it = segs.segments.find(*dimension);
      codec::append_segments_json(w.slot(), e, it == segs.segments.end() ? kNone : it->second);
    }
    w.key("analysis");
    if (a)
      append_analysis_json(w.slot(), *a);
    else
      w.null();
    w.end_object();
  });
}

http::Response events(Context& ctx, const http::Request& req) {
  auto e = load_experiment(ctx, req.params[0]);
  auto evs = ctx.store.list_events(e.id);
  auto jobs = ctx.store.list_jobs(e.id);
  return ok_json([&](JsonWriter& w) {
    w.begin_object();
    w.key("experimentId").string(e.id);
    w.key("status").string(domain::to_string(e.status));
    w.key("events").begin_array();
    for (const auto& ev : evs) append_event_json(w.slot(), ev);
    w.end_array();
    w.key("jobs").begin_array();
    for (const auto& j : jobs) append_job_json(w.slot(), j);
    w.end_array();
    w.end_object();
  });
}

// Newest first, a page at a time (limit 1-100, default 20), so that a long history cannot make
// one response grow without bound.
http::Response analyses(Context& ctx, const http::Request& req) {
  std::vector<domain::FieldIssue> issues;
  reject_repeated(req, {"limit", "offset"}, issues);
  const Page paging = read_page(req, issues);
  if (!issues.empty()) throw ApiError(ErrorCode::kValidation, "Invalid query parameters", issues);
  auto e = load_experiment(ctx, req.params[0]);
  auto list = ctx.store.list_analyses(e.id);
  const auto total = static_cast<std::int64_t>(list.size());
  const std::int64_t first = std::min(paging.offset, total);
  const std::int64_t last = std::min(first + paging.limit, total);
  return ok_json([&](JsonWriter& w) {
    w.begin_object();
    w.key("experimentId").string(e.id);
    w.key("analyses").begin_array();
    for (std::int64_t i = first; i < last; ++i) append_analysis_json(w.slot(), list[static_cast<std::size_t>(i)]);
    w.end_array();
    w.key("pagination");
    write_pagination(w, paging, total, last - first);
    w.end_object();
  });
}

// POST /experiments/{id}/decision {decision: ship|rollback|iterate, reason}: recorded with who and
// when; a later one revises it and the earlier ones stay (GET /experiments/{id}/decisions).
http::Response decide(Context& ctx, const http::Request& req) {
  auto body = parse_json_body(req);
  FieldReader r(body);
  domain::Decision d;
  if (auto v = r.string("decision", true, 1, 20)) {
    if (*v != "ship" && *v != "rollback" && *v != "iterate")
      r.issue("decision", "Expected 'ship', 'rollback' or 'iterate'");
    else
      d.decision = *v;
  }
  if (auto reason = r.string("reason", true, 1, 2000)) d.reason = *reason;
  r.throw_if_any("Invalid decision");
  auto e = load_experiment(ctx, req.params[0]);
  d.decision_id = domain::new_uuid_v7();
  d.experiment_id = e.id;
  d.decided_by = principal_name(req);
  d.decided_at = domain::now_seconds();
  auto outcome = pipeline::decide_experiment(ctx.store, d);
  using K = pipeline::DecideOutcome::Kind;
  if (outcome.kind == K::kNotFound) throw ApiError(ErrorCode::kNotFound, "Experiment not found");
  if (outcome.kind == K::kConflict) throw ApiError(ErrorCode::kConflict, outcome.reason);
  e.decision = outcome.decision;
  return ok_json(
      [&](JsonWriter& w) {
        w.begin_object();
        w.key("decision");
        codec::append_decision_json(w.slot(), outcome.decision);
        w.key("experiment");
        append_experiment_json(w.slot(), e);
        w.end_object();
      },
      201);
}

http::Response decisions(Context& ctx, const http::Request& req) {
  auto e = load_experiment(ctx, req.params[0]);
  auto all = ctx.store.list_decisions(e.id);
  return ok_json([&](JsonWriter& w) {
    w.begin_object();
    w.key("experimentId").string(e.id);
    w.key("decision");
    if (all.empty())
      w.null();
    else
      codec::append_decision_json(w.slot(), all.front());
    w.key("history").begin_array();
    for (const auto& d : all) codec::append_decision_json(w.slot(), d);
    w.end_array();
    w.end_object();
  });
}

// One frozen analysis, as it was presented: its document keeps the metric values it used
// (metricValuesSnapshot). `current` says whether it is the experiment's newest complete analysis,
// and currentAnalysisId names that one (null while there is none), for a link back to it.
http::Response one_analysis(Context& ctx, const http::Request& req) {
  auto e = load_experiment(ctx, req.params[0]);
  const auto& analysis_id = req.params[1];
  std::optional<store::StoredAnalysis> a;
  if (!analysis_id.empty() && analysis_id.size() <= 64) a = ctx.store.get_analysis(analysis_id);
  if (!a || a->experiment_id != e.id) throw ApiError(ErrorCode::kNotFound, "Analysis not found");
  auto current = ctx.store.latest_complete_analysis(e.id);
  return ok_json([&](JsonWriter& w) {
    w.begin_object();
    w.key("experiment");
    append_experiment_json(w.slot(), e);
    w.key("analysis");
    append_analysis_json(w.slot(), *a);
    w.key("current").boolean(current && current->analysis_id == a->analysis_id);
    w.key("currentAnalysisId");
    if (current)
      w.string(current->analysis_id);
    else
      w.null();
    w.end_object();
  });
}

// Compatibility route for the seed's React frontend (not in the contract): the experiment and its
// current analysis (the newest complete one); 404 in the envelope while there is none.
http::Response current_analysis(Context& ctx, const http::Request& req) {
  auto e = load_experiment(ctx, req.params[0]);
  auto a = ctx.store.latest_complete_analysis(e.id);
  if (!a) throw ApiError(ErrorCode::kNotFound, "The experiment has no complete analysis yet");
  return ok_json([&](JsonWriter& w) {
    w.begin_object();
    w.key("experiment");
    append_experiment_json(w.slot(), e);
    w.key("analysis");
    append_analysis_json(w.slot(), *a);
    w.end_object();
  });
}

http::Response request_analysis(Context& ctx, const http::Request& req) {
  auto e = load_experiment(ctx, req.params[0]);
  // Optional body: {correction: 'holm'|'fdr_bh', confidenceLevel: 80..99.9}.
  // The inside of an object ("\"correction\":\"holm\",\"confidenceLevel\":90"), for the job's payload.
  std::string extra_json;
  JsonWriter extra(extra_json);
  if (!req.body.empty()) {
    auto body = parse_json_body(req);
    FieldReader r(body);
    if (auto c = r.string("correction", false, 1, 20)) {
      if (!domain::parse_correction(*c))
        r.issue("correction", "Expected 'holm' or 'fdr_bh'");
      else
        extra.key("correction").string(*c);
    }
    if (auto cl = read_confidence_level(r)) extra.key("confidenceLevel").number(*cl);
    r.throw_if_any("Invalid analysis request");
  }
  auto queued = pipeline::request_analysis(ctx.store, e.id, extra_json, domain::now_seconds(), principal_name(req));
  using K = pipeline::RequestOutcome::Kind;
  if (queued.kind == K::kNotFound) throw ApiError(ErrorCode::kNotFound, "Experiment not found");
  if (queued.kind == K::kArchived) throw ApiError(ErrorCode::kConflict, "The experiment is archived");
  if (queued.kind == K::kNoResults) throw ApiError(ErrorCode::kConflict, "The experiment has no results to analyse yet");
  return ok_json(
      [&](JsonWriter& w) {
        w.begin_object();
        w.key("experimentId").string(e.id);
        w.key("analysisId").string(queued.analysis_id);
        w.key("status").string("processing");
        w.key("message").string("Analysis queued");
        w.end_object();
      },
      202);
}

http::Response archive(Context& ctx, const http::Request& req) {
  auto id = load_experiment(ctx, req.params[0]).id;
  auto outcome = pipeline::archive_experiment(ctx.store, id, domain::now_seconds(), principal_name(req));
  using K = pipeline::ArchiveOutcome::Kind;
  if (outcome.kind == K::kNotFound) throw ApiError(ErrorCode::kNotFound, "Experiment not found");
  if (outcome.kind == K::kConflict) throw ApiError(ErrorCode::kConflict, outcome.reason);
  auto e = outcome.experiment;
  e.decision = ctx.store.latest_decision(e.id);
  return ok_json([&](JsonWriter& w) {
    w.begin_object();
    w.key("experiment");
    append_experiment_json(w.slot(), e);
    w.end_object();
  });
}

// ---- Cached responses (api/response_cache.hpp): the handlers above, their bytes kept per version.

// A response whose bytes are not kept still gets an ETag of them (304 saves the transfer).
template <ResourceHandler H>
http::Response with_etag(Context& ctx, const http::Request& req) {
  auto r = H(ctx, req);
  r.etag_from_body = true;
  return r;
}

// What an experiment's results response is made of, as versions read from the database: the
// experiment row as it is shown (status, decision, dates, ...), its results version and the
// analysis shown (the newest complete one, else a failed newest one). Any write, on any node,
// changes one of them; the response is made only after they were read, so it is never older.
std::string results_key(Context& ctx, const http::Request& req) {
  auto e = load_experiment(ctx, req.params[0]);
  auto info = ctx.store.results_info(e.id);
  std::string key = "results|" + query_key(req) + "|";
  append_experiment_json(key, e);
  key += info ? "|v" + std::to_string(info->version) : "|none";
  auto a = shown_analysis(ctx, e.id, false);  // which one and its state, not its document
  if (a) key += "|" + a->analysis_id + ":" + a->status + ":" + std::to_string(a->updated_at);
  return key;
}

// The second name of a kept results response, stamped with this process's commit count: while
// no commit has happened since its versions were read, they are still current (where this process
// is the only writer), so the response is answered on the I/O thread without the database.
std::string results_alias(const http::Request& req) { return "results|" + req.params[0] + "|" + query_key(req); }

http::Response cached_results(Context& ctx, const http::Request& req) {
  if (!ctx.responses) return with_etag<results>(ctx, req);
  const auto commits = ctx.store.commits();  // before the versions: a commit in between makes the alias stale
  auto key = results_key(ctx, req);
  auto r = ctx.responses->get_or_make(key, [&] { return results(ctx, req); });
  if (ctx.responses->caches_list_pages()) ctx.responses->alias(results_alias(req), std::to_string(commits), key);
  return r;
}

std::optional<http::Response> results_from_memory(Context& ctx, const http::Request& req) {
  if (!ctx.responses || !ctx.responses->caches_list_pages()) return std::nullopt;
  return ctx.responses->peek_alias(results_alias(req), std::to_string(ctx.store.commits()),
                                   http::accepts_gzip(req.header("accept-encoding")));
}

// A list page depends on every experiment: kept until this process's next commit, and only where
// this process is the only writer (SQLite); elsewhere made each time (with an ETag).
std::string list_key(Context& ctx, const http::Request& req) {
  return "list|" + std::to_string(ctx.store.commits()) + "|" + query_key(req);
}

http::Response cached_list(Context& ctx, const http::Request& req) {
  if (!ctx.responses || !ctx.responses->caches_list_pages()) return with_etag<list>(ctx, req);
  return ctx.responses->get_or_make(list_key(ctx, req), [&] { return list(ctx, req); });
}

// A kept list page needs no database: it is answered on the I/O thread.
std::optional<http::Response> list_from_memory(Context& ctx, const http::Request& req) {
  if (!ctx.responses || !ctx.responses->caches_list_pages()) return std::nullopt;
  return ctx.responses->peek(list_key(ctx, req), http::accepts_gzip(req.header("accept-encoding")));
}

}  // namespace

std::optional<std::string> principal_name(const http::Request& req) {
  return req.principal ? req.principal->name : std::nullopt;
}

void require_role(const http::Request& req, domain::Role role) {
  if (!req.principal)
    throw ApiError(ErrorCode::kUnauthorized, std::string("This request needs a token with the ") +
                                                 domain::to_string(role) + " role: Authorization: Bearer TOKEN");
  if (req.principal->role < role)
    throw ApiError(ErrorCode::kForbidden, std::string("This request needs a token with the ") +
                                              domain::to_string(role) + " role; this one has " +
                                              domain::to_string(req.principal->role));
}

domain::Experiment load_experiment(Context& ctx, const std::string& id) {
  if (!domain::looks_like_uuid(id)) throw ApiError(ErrorCode::kNotFound, "Experiment not found");
  auto e = ctx.store.get_experiment(id);
  if (!e) throw ApiError(ErrorCode::kNotFound, "Experiment not found");
  e->decision = ctx.store.latest_decision(e->id);
  return *e;
}

void register_experiment_routes(http::Router& router, Context& ctx) {
  router.add("POST", "/experiments", bind(ctx, create));
  router.add("GET", "/experiments", bind(ctx, cached_list));
  router.answer_from_memory("GET", "/experiments", [&ctx](const http::Request& r) { return list_from_memory(ctx, r); });
  router.add("GET", "/experiments/{id}", bind(ctx, details));
  router.add("GET", "/experiments/{id}/results", bind(ctx, cached_results));
  router.answer_from_memory("GET", "/experiments/{id}/results",
                            [&ctx](const http::Request& r) { return results_from_memory(ctx, r); });
  router.add("GET", "/experiments/{id}/events", bind(ctx, events));
  router.add("GET", "/experiments/{id}/analyses", bind(ctx, with_etag<analyses>));
  router.add("POST", "/experiments/{id}/analyses", bind(ctx, request_analysis));
  router.add("GET", "/experiments/{id}/analyses/{analysisId}", bind(ctx, with_etag<one_analysis>));
  router.add("GET", "/experiments/{id}/analysis", bind(ctx, with_etag<current_analysis>));
  router.add("POST", "/experiments/{id}/decision", bind(ctx, decide));
  router.add("GET", "/experiments/{id}/decisions", bind(ctx, decisions));
  router.add("POST", "/experiments/{id}/archive", bind(ctx, archive));
}

}  // namespace rallyuxr::api
