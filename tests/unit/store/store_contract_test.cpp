// The store contract (store/store.hpp): one suite of behaviour that every backend must show, run
// against each backend URL. SQLite always runs, on a fresh database file per test; PostgreSQL runs
// when RALLYUXR_TEST_POSTGRES_URL names a database the suite may wipe (its `public` schema is
// dropped and recreated before each test).
#include "store/store.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "domain/ids.hpp"
#include "domain/types.hpp"
#include "pipeline/pipeline.hpp"
#include "pipeline/tokens.hpp"
#include "pipeline/webhooks.hpp"
#include "store/postgres/schema.hpp"
#include "store/sqlite/schema.hpp"

#include <sqlite3.h>

#if defined(RALLYUXR_HAVE_POSTGRES) && __has_include(<libpq-fe.h>)
#include <libpq-fe.h>
#define RALLYUXR_TEST_CAN_RESET_POSTGRES 1
#endif

namespace rallyuxr::store {
namespace {

namespace json = boost::json;
using domain::ExperimentStatus;
using domain::UnixSeconds;
using ::testing::ElementsAre;

constexpr UnixSeconds kT0 = 1736899200;  // 2025-01-15T00:00:00Z
constexpr UnixSeconds kHour = domain::kSecondsPerHour;
constexpr UnixSeconds kDay = domain::kSecondsPerDay;

// ---------------------------------------------------------------------------- backends

struct Backend {
  std::string name;
  std::string postgres_url;  // empty: SQLite on a fresh file
};

void PrintTo(const Backend& b, std::ostream* os) { *os << b.name; }

std::vector<Backend> backends() {
  std::vector<Backend> out{{"sqlite", ""}};
  if (const char* pg = std::getenv("RALLYUXR_TEST_POSTGRES_URL"); pg && *pg) out.push_back({"postgres", pg});
  return out;
}

void reset_postgres(const std::string& url) {
#ifdef RALLYUXR_TEST_CAN_RESET_POSTGRES
  PGconn* conn = PQconnectdb(url.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string msg = PQerrorMessage(conn);
    PQfinish(conn);
    throw std::runtime_error("cannot connect to RALLYUXR_TEST_POSTGRES_URL: " + msg);
  }
  PGresult* r = PQexec(conn, "SET client_min_messages = warning; DROP SCHEMA IF EXISTS public CASCADE; "
                             "CREATE SCHEMA public;");
  bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  std::string msg = PQerrorMessage(conn);
  PQclear(r);
  PQfinish(conn);
  if (!ok) throw std::runtime_error("cannot reset the PostgreSQL test database: " + msg);
#else
  (void)url;  // without libpq make_store cannot open it either, and says so
#endif
}

// ---------------------------------------------------------------------------- test data

domain::MetricValue metric(const std::string& id, double dollars, UnixSeconds at = kT0) {
  domain::MetricValue m;
  m.metric_id = id;
  m.name = "Metric " + id;
  m.description = "Dollars per day for one unit of " + id;
  m.unit = "%";
  m.category = "conversion";
  m.dollars_per_unit = dollars;
  m.improvement_direction = domain::Direction::kIncrease;
  m.unit_size = 0.01;
  m.last_updated = at;
  m.version = 1;
  return m;
}

domain::Experiment experiment(const std::string& name, std::vector<std::string> metrics = {"conversion_rate"},
                              ExperimentStatus status = ExperimentStatus::kDraft, UnixSeconds created = kT0) {
  domain::Experiment e;
  e.id = domain::new_uuid_v7();
  e.name = name;
  e.description = "About " + name;
  e.status = status;
  e.metrics = std::move(metrics);
  e.start_date = kT0;
  e.end_date = kT0 + 14 * kDay;
  e.expected_outcome = domain::ExpectedOutcome::kPositive;
  e.created_at = created;
  e.updated_at = created;
  e.data_source = domain::DataSource::kImported;  // so that the suite may upload to it
  return e;
}

domain::MetricSeries series(const std::string& metric_id, UnixSeconds first, int hours, double base) {
  domain::MetricSeries s{metric_id, {}};
  for (int i = 0; i < hours; ++i)
    s.points.push_back(domain::HourlyPoint{first + i * kHour, base + 0.001 * i, base - 0.0005 * i, 100 + i, 90 + i});
  return s;
}

json::object parse_object(const std::string& text) { return json::parse(text).as_object(); }

std::vector<std::string> event_types(const std::vector<Event>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(e.event_type);
  return out;
}

std::vector<std::string> names(const ExperimentPage& page) {
  std::vector<std::string> out;
  for (const auto& r : page.experiments) out.push_back(r.experiment.name);
  return out;
}

const std::vector<domain::HourlyPoint>* points_of(const StoredResults& r, const std::string& metric_id) {
  for (const auto& m : r.metrics)
    if (m.metric_id == metric_id) return &m.points;
  return nullptr;
}

void expect_same_points(const std::vector<domain::HourlyPoint>& a, const std::vector<domain::HourlyPoint>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].timestamp, b[i].timestamp) << i;
    EXPECT_EQ(a[i].treatment_value, b[i].treatment_value) << i;
    EXPECT_EQ(a[i].control_value, b[i].control_value) << i;
    EXPECT_EQ(a[i].treatment_sample_size, b[i].treatment_sample_size) << i;
    EXPECT_EQ(a[i].control_sample_size, b[i].control_sample_size) << i;
  }
}

// ---------------------------------------------------------------------------- a database written
// at the schema version before the packed series (issue 18): the old DDL, applied as the binary
// before it did, and its rows written with plain SQL.

// Hourly points whose numbers exercise every bit: random finite doubles of any exponent
// (denormals included), integers up to 2^40 (beyond 32 bits; their sums over a series stay
// within 64), and the hours in the order given.
std::vector<domain::HourlyPoint> odd_points(std::mt19937_64& rng, UnixSeconds first, int hours) {
  auto any_double = [&rng] {
    for (;;) {
      double v = std::bit_cast<double>(rng());
      // -0.0 is left out: SQLite keeps an integral REAL as an integer, so result_points never
      // held a negative zero either.
      if (std::isfinite(v) && !(v == 0 && std::signbit(v))) return v;
    }
  };
  std::vector<domain::HourlyPoint> out;
  for (int i = 0; i < hours; ++i)
    out.push_back({first + i * kHour, i % 3 == 0 ? 0.1 + 0.2 : any_double(), any_double(),
                   static_cast<std::int64_t>(rng() >> 24), static_cast<std::int64_t>(rng() % 1000)});
  return out;
}

struct OldExperiment {
  std::string id;
  std::vector<std::string> metrics;                // the experiment's metrics
  std::vector<domain::MetricSeries> stored;        // what result_points holds (any metric)
};

std::string sql_text(const std::string& s) { return "'" + s + "'"; }  // ids and names without quotes

// The statements that write one experiment at the old schema (both backends take the same SQL),
// with its points when `with_points` (doubles as %.17g: PostgreSQL reads them back exactly;
// SQLite's text-to-double conversion can be one unit off in the last place, so there the points
// are bound, as the binary wrote them).
std::vector<std::string> old_rows_sql(const OldExperiment& e, bool with_points) {
  std::vector<std::string> out;
  out.push_back("INSERT INTO experiments (id, name, description, status, start_date, end_date, expected_outcome, "
                "created_at, updated_at, confidence_level, traffic_split, data_source) VALUES (" +
                sql_text(e.id) + ", 'Old', 'Written before the packed series', 'complete', " +
                std::to_string(kT0) + ", " + std::to_string(kT0 + 14 * kDay) + ", 'positive', " +
                std::to_string(kT0) + ", " + std::to_string(kT0) + ", 0.95, 0.5, 'imported')");
  for (std::size_t i = 0; i < e.metrics.size(); ++i)
    out.push_back("INSERT INTO experiment_metrics (experiment_id, position, metric_id) VALUES (" + sql_text(e.id) +
                  ", " + std::to_string(i) + ", " + sql_text(e.metrics[i]) + ")");
  out.push_back("INSERT INTO results_meta (experiment_id, version, generated_at) VALUES (" + sql_text(e.id) +
                ", 3, " + std::to_string(kT0 + 5) + ")");
  for (const auto& m : e.stored) {
    if (!with_points) break;
    // Rows in reverse hour order: the migration must not rely on the order they were written in.
    for (auto p = m.points.rbegin(); p != m.points.rend(); ++p) {
      char tv[40], cv[40];
      std::snprintf(tv, sizeof tv, "%.17g", p->treatment_value);
      std::snprintf(cv, sizeof cv, "%.17g", p->control_value);
      out.push_back("INSERT INTO result_points (experiment_id, metric_id, ts, tv, cv, tn, cn) VALUES (" +
                    sql_text(e.id) + ", " + sql_text(m.metric_id) + ", " + std::to_string(p->timestamp) + ", " +
                    tv + ", " + cv + ", " + std::to_string(p->treatment_sample_size) + ", " +
                    std::to_string(p->control_sample_size) + ")");
    }
  }
  return out;
}

void write_old_sqlite(const std::string& path, const std::vector<OldExperiment>& experiments) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  auto exec = [db](const std::string& sql) {
    char* err = nullptr;
    int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
    std::string msg = err ? err : "";
    sqlite3_free(err);
    ASSERT_EQ(rc, SQLITE_OK) << msg << "\n" << sql.substr(0, 300);
  };
  exec("PRAGMA journal_mode=WAL");
  exec("BEGIN");
  exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)");
  for (std::size_t v = 1; v < sqlite::kPackPointsMigration; ++v) {
    exec(sqlite::kMigrations[v - 1]);
    exec("INSERT INTO schema_migrations VALUES (" + std::to_string(v) + ", 0)");
  }
  sqlite3_stmt* insert = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "INSERT INTO result_points (experiment_id, metric_id, ts, tv, cv, tn, cn) "
                                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", -1, &insert, nullptr), SQLITE_OK);
  for (const auto& e : experiments) {
    for (const auto& sql : old_rows_sql(e, false)) exec(sql);
    for (const auto& m : e.stored)
      for (auto p = m.points.rbegin(); p != m.points.rend(); ++p) {  // the migration may not rely on the order
        sqlite3_bind_text(insert, 1, e.id.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(insert, 2, m.metric_id.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(insert, 3, p->timestamp);
        sqlite3_bind_double(insert, 4, p->treatment_value);
        sqlite3_bind_double(insert, 5, p->control_value);
        sqlite3_bind_int64(insert, 6, p->treatment_sample_size);
        sqlite3_bind_int64(insert, 7, p->control_sample_size);
        ASSERT_EQ(sqlite3_step(insert), SQLITE_DONE);
        sqlite3_reset(insert);
      }
  }
  sqlite3_finalize(insert);
  exec("COMMIT");
  sqlite3_close(db);
}

#ifdef RALLYUXR_TEST_CAN_RESET_POSTGRES
void write_old_postgres(const std::string& url, const std::vector<OldExperiment>& experiments) {
  PGconn* conn = PQconnectdb(url.c_str());
  ASSERT_EQ(PQstatus(conn), CONNECTION_OK) << PQerrorMessage(conn);
  auto exec = [conn](const std::string& sql) {
    PGresult* r = PQexec(conn, sql.c_str());
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
    PQclear(r);
    ASSERT_TRUE(ok) << PQerrorMessage(conn) << "\n" << sql.substr(0, 300);
  };
  exec("SET client_min_messages = warning");
  exec("BEGIN");
  exec(postgres::kCreateMigrationsTable);
  for (std::size_t v = 1; v < postgres::kPackPointsMigration; ++v) {
    exec(postgres::kMigrations[v - 1]);
    exec("INSERT INTO schema_migrations VALUES (" + std::to_string(v) + ", 0)");
  }
  for (const auto& e : experiments)
    for (const auto& sql : old_rows_sql(e, true)) exec(sql);
  exec("COMMIT");
  PQfinish(conn);
}
#endif

// Whether the old table is still there, asked of the database itself.
bool has_result_points(const std::string& url) {
  if (url.rfind("sqlite:", 0) == 0) {
    sqlite3* db = nullptr;
    sqlite3_open(url.substr(7).c_str(), &db);
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master WHERE name = 'result_points'", -1, &st, nullptr);
    bool found = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) > 0;
    sqlite3_finalize(st);
    sqlite3_close(db);
    return found;
  }
#ifdef RALLYUXR_TEST_CAN_RESET_POSTGRES
  PGconn* conn = PQconnectdb(url.c_str());
  PGresult* r = PQexec(conn, "SELECT to_regclass('result_points') IS NOT NULL");
  bool found = PQresultStatus(r) == PGRES_TUPLES_OK && std::string(PQgetvalue(r, 0, 0)) == "t";
  PQclear(r);
  PQfinish(conn);
  return found;
#else
  return true;
#endif
}

void expect_same_experiment(const domain::Experiment& a, const domain::Experiment& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.description, b.description);
  EXPECT_EQ(a.status, b.status);
  EXPECT_EQ(a.metrics, b.metrics);
  EXPECT_EQ(a.start_date, b.start_date);
  EXPECT_EQ(a.end_date, b.end_date);
  EXPECT_EQ(a.expected_outcome, b.expected_outcome);
  EXPECT_EQ(a.created_at, b.created_at);
  EXPECT_EQ(a.updated_at, b.updated_at);
  EXPECT_EQ(a.created_by, b.created_by);
  EXPECT_EQ(a.implementation_cost, b.implementation_cost);
  EXPECT_EQ(a.confidence_level, b.confidence_level);
  EXPECT_EQ(a.traffic_split, b.traffic_split);
  EXPECT_EQ(a.data_source, b.data_source);
  ASSERT_EQ(a.simulation.has_value(), b.simulation.has_value());
  if (a.simulation) {
    EXPECT_EQ(a.simulation->seed, b.simulation->seed);
    EXPECT_EQ(a.simulation->pre_period_days, b.simulation->pre_period_days);
    EXPECT_EQ(a.simulation->daily_traffic, b.simulation->daily_traffic);
    EXPECT_EQ(a.simulation->true_lift, b.simulation->true_lift);
  }
}

void expect_same_metric(const domain::MetricValue& a, const domain::MetricValue& b) {
  EXPECT_EQ(a.metric_id, b.metric_id);
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.description, b.description);
  EXPECT_EQ(a.unit, b.unit);
  EXPECT_EQ(a.category, b.category);
  EXPECT_EQ(a.dollars_per_unit, b.dollars_per_unit);
  EXPECT_EQ(a.improvement_direction, b.improvement_direction);
  EXPECT_EQ(a.unit_size, b.unit_size);
  EXPECT_EQ(a.last_updated, b.last_updated);
  EXPECT_EQ(a.updated_by, b.updated_by);
  EXPECT_EQ(a.version, b.version);
  ASSERT_EQ(a.validation_rules.has_value(), b.validation_rules.has_value());
  if (a.validation_rules) {
    EXPECT_EQ(a.validation_rules->min_value, b.validation_rules->min_value);
    EXPECT_EQ(a.validation_rules->max_value, b.validation_rules->max_value);
    EXPECT_EQ(a.validation_rules->decimal_places, b.validation_rules->decimal_places);
  }
}

// ---------------------------------------------------------------------------- workflows
// The workflows live in pipeline/ (over Store::begin()); the suite drives them through these thin
// shims, shaped like the store methods they replaced, so each test reads as before.

struct ResultsWrite {
  std::string experiment_id;
  WriteMode mode = WriteMode::kReplace;
  std::vector<domain::MetricSeries> metrics;
  UnixSeconds now = 0;
  std::string request_id;
  std::optional<std::string> completing_job;  // a generate job: pipeline::store_generated_results
  std::optional<std::string> job_result;
};

struct AnalysisFinish {
  std::string analysis_id;
  std::string job_id;
  bool ok = true;
  std::string document;
  std::optional<double> total_impact;
  std::optional<ExperimentStatus> experiment_status;  // complete: covers the end; running: not
  UnixSeconds now = 0;
  std::string experiment_id;
  std::string error;  // !ok: the failure the processor hands over
};

class Flow {
 public:
  explicit Flow(Store& s) : s_(s) {}
  bool seed_metric_values(const std::vector<domain::MetricValue>& c) { return pipeline::seed_catalogue(s_, c); }
  bool create_metric_value(const domain::MetricValue& m) { return pipeline::create_metric_value(s_, m); }
  std::optional<MetricValueUpdated> update_metric_value(const std::string& id, const MetricValueUpdate& u,
                                                        UnixSeconds now) {
    auto o = pipeline::update_metric_value(s_, id, u, now);
    if (o.kind != pipeline::MetricUpdateOutcome::Kind::kUpdated) return std::nullopt;
    return o.updated;
  }
  std::optional<std::string> request_analysis(const std::string& id, const std::string& extra, UnixSeconds now) {
    auto o = pipeline::request_analysis(s_, id, extra, now);
    if (o.kind != pipeline::RequestOutcome::Kind::kQueued) return std::nullopt;
    return o.analysis_id;
  }
  void create_experiment(const domain::Experiment& e, const Event& created, const std::optional<NewJob>& job) {
    pipeline::create_experiment(s_, e, created, job);
  }
  // A raw status write through the transaction primitives (compare-and-set over what it read).
  bool set_experiment_status(const std::string& id, ExperimentStatus status, UnixSeconds now) {
    auto tx = s_.begin();
    auto e = tx->lock_experiment(id);
    if (!e) return false;
    bool applied = tx->compare_and_set_status(id, e->status, status, now);
    tx->commit();
    return applied;
  }
  std::int64_t write_results(const ResultsWrite& w) {
    if (w.completing_job) {
      auto job = s_.get_job(*w.completing_job);
      if (!job) throw std::runtime_error("no such job");
      pipeline::store_generated_results(s_, *job, w.metrics, w.job_result.value_or(""), w.now);
      auto r = s_.results_info(w.experiment_id);
      return r ? r->version : 0;
    }
    pipeline::ResultsWrite pw;
    pw.experiment_id = w.experiment_id;
    pw.mode = w.mode;
    pw.metrics = w.metrics;
    pw.now = w.now;
    pw.request_id = w.request_id;
    auto o = pipeline::import_results(s_, pw);
    if (o.kind != pipeline::ImportOutcome::Kind::kStored) throw std::runtime_error("import refused: " + o.reason);
    return o.info.version;
  }
  void finish_analysis(const AnalysisFinish& f) {
    pipeline::AnalysisFinish pf;
    pf.analysis_id = f.analysis_id;
    pf.job_id = f.job_id;
    pf.experiment_id = f.experiment_id;
    pf.ok = f.ok;
    pf.document = f.document;
    pf.error = f.error;
    pf.total_impact = f.total_impact;
    pf.covers_end = f.experiment_status == ExperimentStatus::kComplete;
    pf.now = f.now;
    pipeline::finish_analysis(s_, pf);
  }

 private:
  Store& s_;
};

// ---------------------------------------------------------------------------- fixture

class StoreContract : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam().postgres_url.empty()) {
      dir_ = std::filesystem::temp_directory_path() / ("rallyuxr-store-test-" + domain::new_uuid_v7());
      url_ = "sqlite:" + (dir_ / "x.db").string();
    } else {
      url_ = GetParam().postgres_url;
      reset_postgres(url_);
    }
    store_ = make_store(url_, 4);
    ASSERT_NE(store_, nullptr);
  }

  void TearDown() override {
    store_.reset();
    if (!dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }

  void reopen() {
    store_.reset();
    store_ = make_store(url_, 4);
  }

  Store& s() { return *store_; }
  Flow flow() { return Flow(*store_); }

  // Creates the experiment with its EXPERIMENT_CREATED event and, optionally, a generate job.
  void create(const domain::Experiment& e, bool with_job = false) {
    Event created{domain::new_uuid_v7(), e.id, "EXPERIMENT_CREATED",
                  R"({"eventType":"EXPERIMENT_CREATED","experimentId":")" + e.id + "\"}", e.created_at};
    std::optional<NewJob> job;
    if (with_job) job = NewJob{JobKind::kGenerateResults, R"({"experimentId":")" + e.id + "\"}"};
    flow().create_experiment(e, created, job);
  }

  std::int64_t write(const std::string& exp_id, WriteMode mode, std::vector<domain::MetricSeries> metrics,
                     UnixSeconds now) {
    ResultsWrite w;
    w.experiment_id = exp_id;
    w.mode = mode;
    w.metrics = std::move(metrics);
    w.now = now;
    w.request_id = "req-" + std::to_string(now);
    return flow().write_results(w);
  }

  // Ends a leased job as the pipeline does, in a transaction: done (with `result`) or, with
  // `error`, failed for good.
  void end_job(const std::string& job_id, const std::optional<std::string>& result, UnixSeconds now,
               const std::optional<std::string>& error = std::nullopt) {
    auto tx = s().begin();
    if (error)
      tx->mark_job_failed(job_id, *error, now);
    else
      tx->mark_job_done(job_id, result, now);
    tx->commit();
  }

  // The analyze job that fills `analysis_id`.
  std::optional<Job> analyze_job_for(const std::string& exp_id, const std::string& analysis_id) {
    for (const auto& j : s().list_jobs(exp_id)) {
      if (j.kind != JobKind::kAnalyze) continue;
      auto payload = parse_object(j.payload);
      if (payload.contains("analysisId") && payload.at("analysisId").as_string() == analysis_id) return j;
    }
    return std::nullopt;
  }

  // Writes results and completes the analysis they queue with `impact`; returns the analysis id.
  std::string analysed(const std::string& exp_id, double impact, UnixSeconds now,
                       std::optional<ExperimentStatus> status = ExperimentStatus::kComplete) {
    write(exp_id, WriteMode::kReplace, {series("conversion_rate", kT0, 3, 0.03)}, now);
    auto a = s().latest_analysis(exp_id);
    EXPECT_TRUE(a.has_value());
    if (!a) return {};
    auto job = analyze_job_for(exp_id, a->analysis_id);
    EXPECT_TRUE(job.has_value());
    AnalysisFinish f;
    f.analysis_id = a->analysis_id;
    f.job_id = job ? job->job_id : "";
    f.ok = true;
    f.document = R"({"status":"complete","economicImpact":{"totalImpact":)" + std::to_string(impact) + "}}";
    f.total_impact = impact;
    f.experiment_status = status;
    f.now = now;
    flow().finish_analysis(f);
    return a->analysis_id;
  }

  std::filesystem::path dir_;
  std::string url_;
  std::unique_ptr<Store> store_;
};

// ---------------------------------------------------------------------------- basics

TEST_P(StoreContract, Pings) { EXPECT_TRUE(s().ping()); }

TEST_P(StoreContract, SeedMetricValuesOnlySeedsAnEmptyCatalogue) {
  EXPECT_TRUE(s().list_metric_values().empty());
  auto a = metric("aov", 12.5), b = metric("bounce_rate", 300);
  b.improvement_direction = domain::Direction::kDecrease;
  EXPECT_TRUE(flow().seed_metric_values({b, a}));
  auto listed = s().list_metric_values();
  ASSERT_EQ(listed.size(), 2u);
  expect_same_metric(listed[0], a);  // listed by id
  expect_same_metric(listed[1], b);
  auto history = s().metric_value_history("aov");
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(history[0].version, 1);
  EXPECT_EQ(history[0].dollars_per_unit, 12.5);
  EXPECT_EQ(history[0].updated_at, kT0);

  // A second seed, even of other metrics, changes nothing.
  auto c = metric("aov", 999);
  EXPECT_FALSE(flow().seed_metric_values({c, metric("ctr", 1)}));
  listed = s().list_metric_values();
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].dollars_per_unit, 12.5);
  EXPECT_FALSE(s().get_metric_value("ctr").has_value());
  EXPECT_EQ(s().metric_value_history("aov").size(), 1u);
}

TEST_P(StoreContract, SeedDoesNothingWhenTheCatalogueHasAnyMetric) {
  ASSERT_TRUE(flow().create_metric_value(metric("custom_metric", 5)));
  EXPECT_FALSE(flow().seed_metric_values({metric("aov", 1), metric("ctr", 2)}));
  auto listed = s().list_metric_values();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].metric_id, "custom_metric");
}

TEST_P(StoreContract, MakeStoreRejectsBadUrls) {
  EXPECT_THROW(make_store("mysql://localhost/db", 1), std::invalid_argument);
  EXPECT_THROW(make_store("sqlite:", 1), std::invalid_argument);
  EXPECT_THROW(make_store("", 1), std::invalid_argument);
}

// ---------------------------------------------------------------------------- experiments

TEST_P(StoreContract, CreateAndGetExperimentKeepsEveryField) {
  auto e = experiment("Full", {"revenue_per_user", "conversion_rate", "bounce_rate"}, ExperimentStatus::kRunning,
                      kT0 - 100);
  e.updated_at = kT0 - 50;
  e.created_by = "alice";
  e.implementation_cost = 2500.75;
  e.confidence_level = 90;
  e.traffic_split = 0.3;
  e.expected_outcome = domain::ExpectedOutcome::kNegative;
  domain::SimulationConfig sim;
  sim.seed = 18446744073709551615ULL;  // the largest seed validation accepts
  sim.pre_period_days = 10;
  sim.daily_traffic = 12345.5;
  sim.true_lift = {{"conversion_rate", 0.05}, {"revenue_per_user", -0.1234567890123}};
  e.simulation = sim;
  create(e);

  auto got = s().get_experiment(e.id);
  ASSERT_TRUE(got.has_value());
  expect_same_experiment(*got, e);

  auto plain = experiment("Plain", {"aov"});
  plain.data_source = domain::DataSource::kImported;
  plain.expected_outcome = domain::ExpectedOutcome::kNeutral;
  create(plain);
  got = s().get_experiment(plain.id);
  ASSERT_TRUE(got.has_value());
  expect_same_experiment(*got, plain);
  EXPECT_FALSE(got->simulation.has_value());
  EXPECT_FALSE(got->implementation_cost.has_value());
  EXPECT_FALSE(got->created_by.has_value());

  EXPECT_FALSE(s().get_experiment("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b").has_value());
}

TEST_P(StoreContract, CreateExperimentRecordsItsEventAndOptionalJob) {
  auto with_job = experiment("With job");
  create(with_job, true);
  auto events = s().list_events(with_job.id);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].event_type, "EXPERIMENT_CREATED");
  EXPECT_EQ(events[0].experiment_id, with_job.id);
  EXPECT_EQ(events[0].created_at, kT0);
  EXPECT_EQ(parse_object(events[0].payload).at("experimentId").as_string(), with_job.id);
  EXPECT_TRUE(domain::looks_like_uuid(events[0].event_id));
  auto jobs = s().list_jobs(with_job.id);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].kind, JobKind::kGenerateResults);
  EXPECT_EQ(jobs[0].status, JobStatus::kQueued);
  EXPECT_EQ(jobs[0].experiment_id, with_job.id);
  EXPECT_EQ(jobs[0].payload, R"({"experimentId":")" + with_job.id + "\"}");
  EXPECT_EQ(jobs[0].attempts, 0);
  EXPECT_FALSE(jobs[0].last_error.has_value());
  EXPECT_FALSE(jobs[0].result.has_value());
  EXPECT_EQ(jobs[0].created_at, kT0);
  auto fetched = s().get_job(jobs[0].job_id);
  ASSERT_TRUE(fetched.has_value());
  EXPECT_EQ(fetched->payload, jobs[0].payload);

  auto without = experiment("Without job");
  create(without, false);
  EXPECT_EQ(s().list_events(without.id).size(), 1u);
  EXPECT_TRUE(s().list_jobs(without.id).empty());
  EXPECT_FALSE(s().get_job("no-such-job").has_value());
}

TEST_P(StoreContract, SetExperimentStatus) {
  auto e = experiment("Status");
  create(e);
  EXPECT_TRUE(flow().set_experiment_status(e.id, ExperimentStatus::kRunning, kT0 + 60));
  auto got = s().get_experiment(e.id);
  EXPECT_EQ(got->status, ExperimentStatus::kRunning);
  EXPECT_EQ(got->updated_at, kT0 + 60);
  EXPECT_EQ(got->created_at, kT0);
  EXPECT_FALSE(flow().set_experiment_status("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", ExperimentStatus::kRunning, kT0));
}

TEST_P(StoreContract, ListIsNewestFirstWithLimitAndOffset) {
  for (int i = 0; i < 5; ++i) create(experiment("Exp " + std::to_string(i), {"aov"}, ExperimentStatus::kDraft, kT0 + i));
  ExperimentListQuery q;
  auto page = s().list_experiments(q);
  EXPECT_THAT(names(page), ElementsAre("Exp 4", "Exp 3", "Exp 2", "Exp 1", "Exp 0"));
  EXPECT_EQ(page.total, 5);
  EXPECT_EQ(page.experiments[0].experiment.metrics, std::vector<std::string>{"aov"});

  q.limit = 2;
  q.offset = 1;
  page = s().list_experiments(q);
  EXPECT_THAT(names(page), ElementsAre("Exp 3", "Exp 2"));
  EXPECT_EQ(page.total, 5);

  q.offset = 4;
  EXPECT_THAT(names(s().list_experiments(q)), ElementsAre("Exp 0"));
  q.offset = 5;
  page = s().list_experiments(q);
  EXPECT_TRUE(page.experiments.empty());
  EXPECT_EQ(page.total, 5);
}

TEST_P(StoreContract, ListFiltersByStatusAndHidesArchivedByDefault) {
  create(experiment("Draft", {"aov"}, ExperimentStatus::kDraft, kT0 + 1));
  create(experiment("Running", {"aov"}, ExperimentStatus::kRunning, kT0 + 2));
  create(experiment("Complete", {"aov"}, ExperimentStatus::kComplete, kT0 + 3));
  create(experiment("Archived", {"aov"}, ExperimentStatus::kArchived, kT0 + 4));
  auto later = experiment("Later archived", {"aov"}, ExperimentStatus::kDraft, kT0 + 5);
  create(later);
  ASSERT_TRUE(flow().set_experiment_status(later.id, ExperimentStatus::kArchived, kT0 + 6));

  ExperimentListQuery q;
  auto page = s().list_experiments(q);
  EXPECT_THAT(names(page), ElementsAre("Complete", "Running", "Draft"));
  EXPECT_EQ(page.total, 3);

  q.status = ExperimentStatus::kArchived;
  page = s().list_experiments(q);
  EXPECT_THAT(names(page), ElementsAre("Later archived", "Archived"));
  EXPECT_EQ(page.total, 2);
  q.status = ExperimentStatus::kRunning;
  page = s().list_experiments(q);
  EXPECT_THAT(names(page), ElementsAre("Running"));
  EXPECT_EQ(page.total, 1);
  EXPECT_EQ(page.experiments[0].experiment.status, ExperimentStatus::kRunning);
  q.status = ExperimentStatus::kComplete;
  q.limit = 1;
  q.offset = 1;
  page = s().list_experiments(q);
  EXPECT_TRUE(page.experiments.empty());
  EXPECT_EQ(page.total, 1);
}

TEST_P(StoreContract, ListNameContainsIsCaseInsensitiveAndLiteral) {
  create(experiment("Checkout Button", {"aov"}, ExperimentStatus::kDraft, kT0 + 1));
  create(experiment("checkout flow", {"aov"}, ExperimentStatus::kRunning, kT0 + 2));
  create(experiment("Pricing page", {"aov"}, ExperimentStatus::kDraft, kT0 + 3));
  create(experiment("Old CHECKOUT test", {"aov"}, ExperimentStatus::kArchived, kT0 + 4));
  create(experiment("50% off banner", {"aov"}, ExperimentStatus::kDraft, kT0 + 5));
  create(experiment("snake_case name", {"aov"}, ExperimentStatus::kDraft, kT0 + 6));

  ExperimentListQuery q;
  q.name_contains = "CHECKOUT";
  auto page = s().list_experiments(q);
  EXPECT_THAT(names(page), ElementsAre("checkout flow", "Checkout Button"));
  EXPECT_EQ(page.total, 2);

  q.limit = 1;
  page = s().list_experiments(q);
  EXPECT_THAT(names(page), ElementsAre("checkout flow"));
  EXPECT_EQ(page.total, 2);

  q.limit = 20;
  q.status = ExperimentStatus::kArchived;
  q.name_contains = "checkout";
  page = s().list_experiments(q);
  EXPECT_THAT(names(page), ElementsAre("Old CHECKOUT test"));
  EXPECT_EQ(page.total, 1);
  q.status = ExperimentStatus::kDraft;
  page = s().list_experiments(q);
  EXPECT_THAT(names(page), ElementsAre("Checkout Button"));
  EXPECT_EQ(page.total, 1);

  // Pattern characters are matched literally.
  q.status.reset();
  q.name_contains = "%";
  page = s().list_experiments(q);
  EXPECT_THAT(names(page), ElementsAre("50% off banner"));
  EXPECT_EQ(page.total, 1);
  q.name_contains = "_";
  page = s().list_experiments(q);
  EXPECT_THAT(names(page), ElementsAre("snake_case name"));
  EXPECT_EQ(page.total, 1);

  q.name_contains = "zzz";
  page = s().list_experiments(q);
  EXPECT_TRUE(page.experiments.empty());
  EXPECT_EQ(page.total, 0);
}

TEST_P(StoreContract, SummaryCountsAllButArchived) {
  auto empty = s().summary();
  EXPECT_EQ(empty.total_experiments, 0);
  EXPECT_EQ(empty.completed_experiments, 0);
  EXPECT_EQ(empty.total_economic_impact, 0);

  create(experiment("d", {"aov"}, ExperimentStatus::kDraft));
  create(experiment("r", {"aov"}, ExperimentStatus::kRunning));
  create(experiment("c1", {"aov"}, ExperimentStatus::kComplete));
  auto c2 = experiment("c2", {"aov"}, ExperimentStatus::kComplete);
  create(c2);
  create(experiment("a", {"aov"}, ExperimentStatus::kArchived));
  auto sum = s().summary();
  EXPECT_EQ(sum.total_experiments, 4);
  EXPECT_EQ(sum.completed_experiments, 2);
  EXPECT_EQ(sum.total_economic_impact, 0);

  ASSERT_TRUE(flow().set_experiment_status(c2.id, ExperimentStatus::kArchived, kT0 + 1));
  sum = s().summary();
  EXPECT_EQ(sum.total_experiments, 3);
  EXPECT_EQ(sum.completed_experiments, 1);
}

TEST_P(StoreContract, EconomicImpactComesFromTheNewestCompleteAnalysis) {
  auto a = experiment("A", {"conversion_rate"}, ExperimentStatus::kRunning, kT0 + 1);
  auto b = experiment("B", {"conversion_rate"}, ExperimentStatus::kRunning, kT0 + 2);
  auto c = experiment("C", {"conversion_rate"}, ExperimentStatus::kRunning, kT0 + 3);
  auto d = experiment("D", {"conversion_rate"}, ExperimentStatus::kDraft, kT0 + 4);
  for (const auto& e : {a, b, c, d}) create(e);

  analysed(a.id, 1000.5, kT0 + 10);
  analysed(b.id, -200.25, kT0 + 11);
  analysed(c.id, 5000, kT0 + 12);
  auto sum = s().summary();
  EXPECT_EQ(sum.total_experiments, 4);
  EXPECT_EQ(sum.completed_experiments, 3);
  EXPECT_DOUBLE_EQ(sum.total_economic_impact, 5800.25);

  // Archived experiments do not count.
  ASSERT_TRUE(flow().set_experiment_status(c.id, ExperimentStatus::kArchived, kT0 + 13));
  sum = s().summary();
  EXPECT_EQ(sum.total_experiments, 3);
  EXPECT_EQ(sum.completed_experiments, 2);
  EXPECT_DOUBLE_EQ(sum.total_economic_impact, 800.25);

  auto page = s().list_experiments({});
  std::map<std::string, std::optional<double>> impact;
  for (const auto& row : page.experiments) impact[row.experiment.name] = row.economic_impact;
  EXPECT_EQ(impact.at("A"), std::optional<double>(1000.5));
  EXPECT_EQ(impact.at("B"), std::optional<double>(-200.25));
  EXPECT_EQ(impact.at("D"), std::nullopt);
  EXPECT_EQ(s().get_experiment(a.id)->status, ExperimentStatus::kComplete);

  // A newer complete analysis replaces the impact; a failed one leaves it.
  analysed(a.id, 300, kT0 + 20);
  EXPECT_DOUBLE_EQ(s().summary().total_economic_impact, 99.75);
  write(a.id, WriteMode::kReplace, {series("conversion_rate", kT0, 2, 0.02)}, kT0 + 30);
  auto pending = s().latest_analysis(a.id);
  ASSERT_TRUE(pending.has_value());
  auto job = analyze_job_for(a.id, pending->analysis_id);
  ASSERT_TRUE(job.has_value());
  flow().finish_analysis({pending->analysis_id, job->job_id, false, R"({"status":"failed","error":"boom"})",
                       std::nullopt, std::nullopt, kT0 + 31, "", "boom"});
  sum = s().summary();
  EXPECT_DOUBLE_EQ(sum.total_economic_impact, 99.75);
  ExperimentListQuery q;
  q.name_contains = "A";
  q.status = ExperimentStatus::kComplete;
  page = s().list_experiments(q);
  ASSERT_EQ(page.experiments.size(), 1u);
  EXPECT_EQ(page.experiments[0].economic_impact, std::optional<double>(300));
}

// ---------------------------------------------------------------------------- metric values

TEST_P(StoreContract, MetricValueCreateAndConflict) {
  auto m = metric("signup_rate", 1200.5, kT0 + 5);
  m.improvement_direction = domain::Direction::kDecrease;
  m.unit = "seconds";
  m.unit_size = 60;
  m.category = "engagement";
  m.updated_by = "ops";
  m.validation_rules = domain::ValidationRules{1.0, 5000.0, 2};
  EXPECT_TRUE(flow().create_metric_value(m));
  auto got = s().get_metric_value("signup_rate");
  ASSERT_TRUE(got.has_value());
  expect_same_metric(*got, m);

  auto other = metric("signup_rate", 7);
  EXPECT_FALSE(flow().create_metric_value(other));
  got = s().get_metric_value("signup_rate");
  ASSERT_TRUE(got.has_value());
  expect_same_metric(*got, m);
  auto history = s().metric_value_history("signup_rate");
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(history[0].version, 1);
  EXPECT_EQ(history[0].dollars_per_unit, 1200.5);
  EXPECT_EQ(history[0].updated_at, kT0 + 5);
  EXPECT_EQ(history[0].updated_by, std::optional<std::string>("ops"));
  EXPECT_FALSE(history[0].change_reason.has_value());

  // Partial rules and no rules survive as they were.
  auto partial = metric("partial_rules", 3);
  partial.validation_rules = domain::ValidationRules{std::nullopt, 10.0, std::nullopt};
  ASSERT_TRUE(flow().create_metric_value(partial));
  expect_same_metric(*s().get_metric_value("partial_rules"), partial);
  auto none = metric("no_rules", 4);
  ASSERT_TRUE(flow().create_metric_value(none));
  EXPECT_FALSE(s().get_metric_value("no_rules")->validation_rules.has_value());

  EXPECT_FALSE(s().get_metric_value("missing").has_value());
  EXPECT_TRUE(s().metric_value_history("missing").empty());
  EXPECT_EQ(s().list_metric_values().size(), 3u);
}

TEST_P(StoreContract, MetricValueUpdateBumpsVersionAndRecordsHistory) {
  ASSERT_TRUE(flow().create_metric_value(metric("aov", 10)));
  MetricValueUpdate u1;
  u1.dollars_per_unit = 12;
  u1.change_reason = "Q1 review";
  u1.updated_by = "alice";
  auto r1 = flow().update_metric_value("aov", u1, kT0 + 100);
  ASSERT_TRUE(r1.has_value());
  EXPECT_EQ(r1->metric.version, 2);
  EXPECT_EQ(r1->metric.dollars_per_unit, 12);
  EXPECT_EQ(r1->previous_value, 10);
  EXPECT_EQ(r1->metric.last_updated, kT0 + 100);
  EXPECT_EQ(r1->metric.updated_by, std::optional<std::string>("alice"));
  EXPECT_EQ(r1->metric.description, "Dollars per day for one unit of aov");
  EXPECT_EQ(r1->impacted_experiments, 0);

  MetricValueUpdate u2;
  u2.dollars_per_unit = 15;
  u2.description = "A new description of the value";
  u2.category = "revenue";
  u2.unit = "$";
  u2.unit_size = 1;
  u2.improvement_direction = domain::Direction::kDecrease;
  u2.validation_rules = domain::ValidationRules{1.0, 100.0, 2};
  auto r2 = flow().update_metric_value("aov", u2, kT0 + 200);
  ASSERT_TRUE(r2.has_value());
  EXPECT_EQ(r2->metric.version, 3);
  EXPECT_EQ(r2->previous_value, 12);

  auto got = s().get_metric_value("aov");
  ASSERT_TRUE(got.has_value());
  expect_same_metric(*got, r2->metric);
  EXPECT_EQ(got->version, 3);
  EXPECT_EQ(got->dollars_per_unit, 15);
  EXPECT_EQ(got->description, "A new description of the value");
  EXPECT_EQ(got->category, "revenue");
  EXPECT_EQ(got->unit, "$");
  EXPECT_EQ(got->unit_size, 1);
  EXPECT_EQ(got->improvement_direction, domain::Direction::kDecrease);
  EXPECT_EQ(got->name, "Metric aov");
  EXPECT_FALSE(got->updated_by.has_value());  // who made this version: nobody was named

  auto history = s().metric_value_history("aov");
  ASSERT_EQ(history.size(), 3u);
  EXPECT_EQ(history[0].version, 3);
  EXPECT_EQ(history[0].dollars_per_unit, 15);
  EXPECT_EQ(history[0].updated_at, kT0 + 200);
  EXPECT_FALSE(history[0].change_reason.has_value());
  EXPECT_FALSE(history[0].updated_by.has_value());
  EXPECT_EQ(history[1].version, 2);
  EXPECT_EQ(history[1].dollars_per_unit, 12);
  EXPECT_EQ(history[1].updated_at, kT0 + 100);
  EXPECT_EQ(history[1].change_reason, std::optional<std::string>("Q1 review"));
  EXPECT_EQ(history[1].updated_by, std::optional<std::string>("alice"));
  EXPECT_EQ(history[2].version, 1);
  EXPECT_EQ(history[2].dollars_per_unit, 10);

  // An update without rules keeps the current ones.
  MetricValueUpdate u3;
  u3.dollars_per_unit = 16;
  auto r3 = flow().update_metric_value("aov", u3, kT0 + 300);
  ASSERT_TRUE(r3.has_value());
  ASSERT_TRUE(s().get_metric_value("aov")->validation_rules.has_value());
  EXPECT_EQ(s().get_metric_value("aov")->validation_rules->max_value, std::optional<double>(100));
  EXPECT_EQ(s().get_metric_value("aov")->validation_rules->decimal_places, std::optional<int>(2));

  EXPECT_FALSE(flow().update_metric_value("missing", u1, kT0).has_value());
  EXPECT_FALSE(s().get_metric_value("missing").has_value());
}

TEST_P(StoreContract, MetricValueUpdateCountsAndReanalysesImpactedExperiments) {
  ASSERT_TRUE(flow().create_metric_value(metric("conversion_rate", 100)));
  ASSERT_TRUE(flow().create_metric_value(metric("aov", 5)));
  auto draft_no_results = experiment("A", {"aov", "conversion_rate"}, ExperimentStatus::kDraft, kT0 + 1);
  auto running = experiment("B", {"conversion_rate"}, ExperimentStatus::kRunning, kT0 + 2);
  auto complete = experiment("C", {"conversion_rate"}, ExperimentStatus::kComplete, kT0 + 3);
  auto archived = experiment("D", {"conversion_rate"}, ExperimentStatus::kComplete, kT0 + 4);  // archived below
  auto other_metric = experiment("E", {"aov"}, ExperimentStatus::kDraft, kT0 + 5);
  auto draft_results = experiment("F", {"conversion_rate"}, ExperimentStatus::kDraft, kT0 + 6);
  for (const auto& e : {draft_no_results, running, complete, archived, other_metric, draft_results}) create(e);
  for (const auto& e : {running, complete, archived, other_metric, draft_results})
    write(e.id, WriteMode::kReplace, {series(e.metrics[0], kT0, 2, 0.1)}, kT0 + 10);
  ASSERT_TRUE(flow().set_experiment_status(archived.id, ExperimentStatus::kArchived, kT0 + 11));  // archived is final

  MetricValueUpdate u;
  u.dollars_per_unit = 120;
  auto r = flow().update_metric_value("conversion_rate", u, kT0 + 20);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->impacted_experiments, 3);  // A, B and F: draft or running, tracking the metric
  EXPECT_EQ(r->metric.version, 2);

  // Those with results are analysed again, with the new value; the rest keep their one job.
  for (const auto& e : {running, draft_results}) {
    auto jobs = s().list_jobs(e.id);
    ASSERT_EQ(jobs.size(), 2u) << e.name;
    EXPECT_EQ(jobs[1].kind, JobKind::kAnalyze);
    EXPECT_EQ(jobs[1].status, JobStatus::kQueued);
    auto analyses = s().list_analyses(e.id);
    ASSERT_EQ(analyses.size(), 2u) << e.name;
    EXPECT_EQ(analyses[0].status, "processing");
    EXPECT_EQ(analyses[0].results_version, 1);
    auto payload = parse_object(jobs[1].payload);
    EXPECT_EQ(payload.at("analysisId").as_string(), analyses[0].analysis_id);
    auto events = s().list_events(e.id);
    ASSERT_FALSE(events.empty());
    EXPECT_EQ(events.back().event_type, "ANALYSIS_REQUESTED");
    auto ev = parse_object(events.back().payload);
    EXPECT_EQ(ev.at("metricId").as_string(), "conversion_rate");
    EXPECT_EQ(ev.at("metricVersion").to_number<std::int64_t>(), 2);
    EXPECT_EQ(events.back().created_at, kT0 + 20);
  }
  for (const auto& e : {complete, archived, other_metric}) {
    EXPECT_EQ(s().list_jobs(e.id).size(), 1u) << e.name;
    EXPECT_EQ(s().list_analyses(e.id).size(), 1u) << e.name;
  }
  EXPECT_TRUE(s().list_jobs(draft_no_results.id).empty());
  EXPECT_TRUE(s().list_analyses(draft_no_results.id).empty());

  // A metric tracked by nobody active impacts nothing.
  ASSERT_TRUE(flow().create_metric_value(metric("nps", 1)));
  u.dollars_per_unit = 2;
  EXPECT_EQ(flow().update_metric_value("nps", u, kT0 + 30)->impacted_experiments, 0);
}

// ---------------------------------------------------------------------------- results

TEST_P(StoreContract, WriteResultsReplaceReplacesEverything) {
  auto e = experiment("Replace", {"conversion_rate", "aov"});
  create(e);
  EXPECT_FALSE(s().get_results(e.id).has_value());

  auto conv = series("conversion_rate", kT0 - 2 * kHour, 4, 0.0325);
  auto aov = series("aov", kT0, 3, 54.75);
  auto conv_reversed = conv;
  std::reverse(conv_reversed.points.begin(), conv_reversed.points.end());
  EXPECT_EQ(write(e.id, WriteMode::kReplace, {aov, conv_reversed}, kT0 + 10), 1);

  auto r = s().get_results(e.id);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->version, 1);
  EXPECT_EQ(r->generated_at, kT0 + 10);
  ASSERT_EQ(r->metrics.size(), 2u);
  EXPECT_EQ(r->metrics[0].metric_id, "conversion_rate");  // the experiment's order
  EXPECT_EQ(r->metrics[1].metric_id, "aov");
  expect_same_points(r->metrics[0].points, conv.points);  // sorted by hour
  expect_same_points(r->metrics[1].points, aov.points);

  auto conv2 = series("conversion_rate", kT0 + 5 * kHour, 2, 0.04);
  EXPECT_EQ(write(e.id, WriteMode::kReplace, {conv2}, kT0 + 20), 2);
  r = s().get_results(e.id);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->version, 2);
  EXPECT_EQ(r->generated_at, kT0 + 20);
  ASSERT_NE(points_of(*r, "conversion_rate"), nullptr);
  expect_same_points(*points_of(*r, "conversion_rate"), conv2.points);
  auto* aov_points = points_of(*r, "aov");
  EXPECT_TRUE(aov_points == nullptr || aov_points->empty());
}

TEST_P(StoreContract, WriteResultsMergeReplacesSameHourAndAddsNew) {
  auto e = experiment("Merge", {"conversion_rate", "aov"});
  create(e);
  auto conv = series("conversion_rate", kT0, 3, 0.03);
  auto aov = series("aov", kT0, 2, 50);
  ASSERT_EQ(write(e.id, WriteMode::kReplace, {conv, aov}, kT0 + 10), 1);

  domain::MetricSeries patch{"conversion_rate",
                             {{kT0 + 3 * kHour, 0.5, 0.4, 7, 8}, {kT0 + 2 * kHour, 0.25, 0.125, 1000, 2000}}};
  EXPECT_EQ(write(e.id, WriteMode::kMerge, {patch}, kT0 + 20), 2);

  auto r = s().get_results(e.id);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->version, 2);
  std::vector<domain::HourlyPoint> expected = {conv.points[0], conv.points[1],
                                               {kT0 + 2 * kHour, 0.25, 0.125, 1000, 2000},
                                               {kT0 + 3 * kHour, 0.5, 0.4, 7, 8}};
  ASSERT_NE(points_of(*r, "conversion_rate"), nullptr);
  expect_same_points(*points_of(*r, "conversion_rate"), expected);
  ASSERT_NE(points_of(*r, "aov"), nullptr);
  expect_same_points(*points_of(*r, "aov"), aov.points);  // untouched

  // A merge into nothing is a first write.
  auto fresh = experiment("Merge first", {"aov"});
  create(fresh);
  EXPECT_EQ(write(fresh.id, WriteMode::kMerge, {aov}, kT0 + 30), 1);
  EXPECT_THAT(event_types(s().list_events(fresh.id)), ElementsAre("EXPERIMENT_CREATED", "RESULTS_INSERT"));
  expect_same_points(*points_of(*s().get_results(fresh.id), "aov"), aov.points);
}

TEST_P(StoreContract, EachWriteRecordsOneEventAndQueuesOneAnalysis) {
  auto e = experiment("Pipeline", {"conversion_rate"});
  create(e, true);
  const auto conv = series("conversion_rate", kT0, 3, 0.03);

  for (int n = 1; n <= 3; ++n) {
    auto mode = n == 2 ? WriteMode::kMerge : WriteMode::kReplace;
    UnixSeconds now = kT0 + 10 * n;
    ASSERT_EQ(write(e.id, mode, {conv}, now), n);

    auto events = s().list_events(e.id);
    ASSERT_EQ(events.size(), static_cast<std::size_t>(n + 1));
    const auto& ev = events.back();
    EXPECT_EQ(ev.event_type, n == 1 ? "RESULTS_INSERT" : "RESULTS_MODIFY");
    EXPECT_EQ(ev.created_at, now);
    auto stream = parse_object(ev.payload);
    EXPECT_EQ(stream.at("eventName").as_string(), n == 1 ? "INSERT" : "MODIFY");
    EXPECT_EQ(stream.at("dynamodb").at("Keys").at("experimentId").at("S").as_string(), e.id);

    auto jobs = s().list_jobs(e.id);
    ASSERT_EQ(jobs.size(), static_cast<std::size_t>(n + 1));  // the generate job plus one per write
    EXPECT_EQ(jobs[0].kind, JobKind::kGenerateResults);
    const auto& job = jobs.back();
    EXPECT_EQ(job.kind, JobKind::kAnalyze);
    EXPECT_EQ(job.status, JobStatus::kQueued);

    auto analyses = s().list_analyses(e.id);  // newest first
    ASSERT_EQ(analyses.size(), static_cast<std::size_t>(n));
    EXPECT_EQ(analyses[0].status, "processing");
    EXPECT_EQ(analyses[0].results_version, n);
    EXPECT_EQ(analyses[0].experiment_id, e.id);
    EXPECT_EQ(analyses[0].created_at, now);
    EXPECT_FALSE(analyses[0].total_impact.has_value());

    auto payload = parse_object(job.payload);
    EXPECT_EQ(payload.at("analysisId").as_string(), analyses[0].analysis_id);
    EXPECT_EQ(payload.at("resultsVersion").to_number<std::int64_t>(), n);
    EXPECT_EQ(payload.at("streamEvent").at("eventName").as_string(), n == 1 ? "INSERT" : "MODIFY");
  }
  EXPECT_THAT(event_types(s().list_events(e.id)),
              ElementsAre("EXPERIMENT_CREATED", "RESULTS_INSERT", "RESULTS_MODIFY", "RESULTS_MODIFY"));
  auto latest = s().latest_analysis(e.id);
  ASSERT_TRUE(latest.has_value());
  EXPECT_EQ(latest->results_version, 3);
  EXPECT_FALSE(s().latest_complete_analysis(e.id).has_value());
}

TEST_P(StoreContract, WriteResultsCanCompleteItsJobAndSetTheStatus) {
  auto e = experiment("Generated");
  create(e, true);
  auto job = s().lease_job("w1", kT0 + 1, 60);
  ASSERT_TRUE(job.has_value());
  ASSERT_EQ(job->kind, JobKind::kGenerateResults);

  ResultsWrite w;
  w.experiment_id = e.id;
  w.metrics = {series("conversion_rate", kT0, 2, 0.1)};
  w.now = kT0 + 5;
  w.completing_job = job->job_id;
  w.job_result = R"({"success":true,"resultsGenerated":2})";
  EXPECT_EQ(flow().write_results(w), 1);

  auto done = s().get_job(job->job_id);
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(done->status, JobStatus::kDone);
  EXPECT_EQ(done->result, std::optional<std::string>(R"({"success":true,"resultsGenerated":2})"));
  auto got = s().get_experiment(e.id);
  EXPECT_EQ(got->status, ExperimentStatus::kRunning);
  EXPECT_EQ(got->updated_at, kT0 + 5);
  // Only the analyze job is left to lease.
  auto next = s().lease_job("w1", kT0 + 6, 60);
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->kind, JobKind::kAnalyze);
  EXPECT_FALSE(s().lease_job("w1", kT0 + 6, 60).has_value());
}

TEST_P(StoreContract, ResultsInfo) {
  auto e = experiment("Info", {"conversion_rate", "aov"});
  e.end_date = kT0 + 2 * kDay;
  create(e);
  EXPECT_FALSE(s().results_info(e.id).has_value());
  auto conv = series("conversion_rate", kT0 - 2 * kHour, 6, 0.03);  // 2 pre-period hours, 4 after start
  auto aov = series("aov", kT0 - 2 * kHour, 4, 50);
  write(e.id, WriteMode::kReplace, {conv, aov}, kT0 + 10);
  auto info = s().results_info(e.id);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->version, 1);
  EXPECT_EQ(info->points, 10);
  EXPECT_EQ(info->last_timestamp, std::optional<UnixSeconds>(kT0 + kHour));  // aov ends first
  // First metric, post period only: hours 2..5 with tn = 100 + i and cn = 90 + i.
  EXPECT_EQ(info->participants, (102 + 92) + (103 + 93) + (104 + 94) + (105 + 95));
}

// ---------------------------------------------------------------------------- jobs

TEST_P(StoreContract, LeaseJobIsFifoAndLeasesOnce) {
  std::vector<std::string> job_ids;
  for (int i = 0; i < 3; ++i) {
    auto e = experiment("Job " + std::to_string(i), {"aov"}, ExperimentStatus::kDraft, kT0 + i);
    create(e, true);
    job_ids.push_back(s().list_jobs(e.id).at(0).job_id);
  }
  for (int i = 0; i < 3; ++i) {
    auto job = s().lease_job("worker-1", kT0 + 100, 30);
    ASSERT_TRUE(job.has_value()) << i;
    EXPECT_EQ(job->job_id, job_ids[i]);
    EXPECT_EQ(job->status, JobStatus::kRunning);
    EXPECT_EQ(job->attempts, 1);
    EXPECT_EQ(job->kind, JobKind::kGenerateResults);
    EXPECT_EQ(parse_object(job->payload).at("experimentId").as_string().size(), 36u);
  }
  EXPECT_FALSE(s().lease_job("worker-2", kT0 + 101, 30).has_value());
  auto first = s().get_job(job_ids[0]);
  EXPECT_EQ(first->status, JobStatus::kRunning);
  EXPECT_EQ(first->attempts, 1);
  auto stats = s().queue_stats(kT0 + 101);
  EXPECT_EQ(stats.queued, 0);
  EXPECT_EQ(stats.running, 3);
  EXPECT_EQ(stats.failed, 0);
  EXPECT_FALSE(stats.oldest_queued_age_seconds.has_value());
}

TEST_P(StoreContract, AnExpiredLeaseCanBeLeasedAgain) {
  auto e = experiment("Lease");
  create(e, true);
  const double t = kT0 + 1000;
  auto first = s().lease_job("worker-1", t, 30);
  ASSERT_TRUE(first.has_value());
  EXPECT_FALSE(s().lease_job("worker-2", t + 10, 30).has_value());
  EXPECT_FALSE(s().lease_job("worker-2", t + 29, 30).has_value());
  auto again = s().lease_job("worker-2", t + 31, 30);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->job_id, first->job_id);
  EXPECT_EQ(again->attempts, 2);
  EXPECT_EQ(again->status, JobStatus::kRunning);
  EXPECT_FALSE(s().lease_job("worker-1", t + 40, 30).has_value());  // the new lease runs to t + 61
}

TEST_P(StoreContract, RetryJobIsNotLeasedBeforeRunAfter) {
  auto a = experiment("Retry A", {"aov"}, ExperimentStatus::kDraft, kT0 + 1);
  auto b = experiment("Retry B", {"aov"}, ExperimentStatus::kDraft, kT0 + 2);
  create(a, true);
  const double t = kT0 + 1000;
  auto job = s().lease_job("w", t, 30);
  ASSERT_TRUE(job.has_value());
  s().retry_job(job->job_id, "boom", t + 100);

  auto queued = s().get_job(job->job_id);
  ASSERT_TRUE(queued.has_value());
  EXPECT_EQ(queued->status, JobStatus::kQueued);
  EXPECT_EQ(queued->last_error, std::optional<std::string>("boom"));
  EXPECT_DOUBLE_EQ(queued->run_after, t + 100);
  EXPECT_EQ(queued->attempts, 1);

  EXPECT_FALSE(s().lease_job("w", t + 50, 30).has_value());
  EXPECT_FALSE(s().lease_job("w", t + 99.75, 30).has_value());  // run_after is not rounded down
  auto due = s().next_job_due_in(t + 50);
  ASSERT_TRUE(due.has_value());
  EXPECT_NEAR(*due, 50, 1e-6);

  // A later job that is due goes first.
  create(b, true);
  auto other = s().lease_job("w", t + 60, 30);
  ASSERT_TRUE(other.has_value());
  EXPECT_EQ(other->experiment_id, b.id);

  auto retried = s().lease_job("w", t + 100, 30);
  ASSERT_TRUE(retried.has_value());
  EXPECT_EQ(retried->job_id, job->job_id);
  EXPECT_EQ(retried->attempts, 2);
  EXPECT_EQ(retried->last_error, std::optional<std::string>("boom"));
}

TEST_P(StoreContract, NextJobDueIn) {
  EXPECT_FALSE(s().next_job_due_in(kT0).has_value());
  auto e = experiment("Due");
  create(e, true);
  auto due = s().next_job_due_in(kT0 + 5);
  ASSERT_TRUE(due.has_value());
  EXPECT_EQ(*due, 0);
  auto job = s().lease_job("w", kT0 + 5, 30);
  ASSERT_TRUE(job.has_value());
  end_job(job->job_id, std::nullopt, kT0 + 6);
  EXPECT_FALSE(s().next_job_due_in(kT0 + 6).has_value());
}

TEST_P(StoreContract, CompleteAndFailJobs) {
  auto a = experiment("Jobs A", {"aov"}, ExperimentStatus::kDraft, kT0 + 1);
  auto b = experiment("Jobs B", {"aov"}, ExperimentStatus::kDraft, kT0 + 2);
  auto c = experiment("Jobs C", {"aov"}, ExperimentStatus::kDraft, kT0 + 5);
  create(a, true);
  create(b, true);
  auto ja = s().lease_job("w", kT0 + 10, 30);
  auto jb = s().lease_job("w", kT0 + 10, 30);
  ASSERT_TRUE(ja && jb);
  end_job(ja->job_id, R"({"success":true})", kT0 + 11);
  end_job(jb->job_id, std::nullopt, kT0 + 11, "bad input");

  auto done = s().get_job(ja->job_id);
  EXPECT_EQ(done->status, JobStatus::kDone);
  EXPECT_EQ(done->result, std::optional<std::string>(R"({"success":true})"));
  EXPECT_EQ(done->attempts, 1);
  auto failed = s().get_job(jb->job_id);
  EXPECT_EQ(failed->status, JobStatus::kFailed);
  EXPECT_EQ(failed->last_error, std::optional<std::string>("bad input"));
  // Neither is leased again, even long after their leases would have run out.
  EXPECT_FALSE(s().lease_job("w", kT0 + 10000, 30).has_value());

  create(c, true);
  auto stats = s().queue_stats(kT0 + 65);
  EXPECT_EQ(stats.queued, 1);
  EXPECT_EQ(stats.running, 0);
  EXPECT_EQ(stats.failed, 1);
  ASSERT_TRUE(stats.oldest_queued_age_seconds.has_value());
  EXPECT_DOUBLE_EQ(*stats.oldest_queued_age_seconds, 60);

  auto jc = s().lease_job("w", kT0 + 70, 30);
  ASSERT_TRUE(jc.has_value());
  end_job(jc->job_id, std::nullopt, kT0 + 71);
  EXPECT_EQ(s().get_job(jc->job_id)->status, JobStatus::kDone);
  EXPECT_FALSE(s().get_job(jc->job_id)->result.has_value());
}

// ---------------------------------------------------------------------------- analyses

TEST_P(StoreContract, FinishAnalysisOkAndFailed) {
  auto e = experiment("Analysed", {"conversion_rate"}, ExperimentStatus::kRunning);
  create(e);
  EXPECT_FALSE(s().latest_analysis(e.id).has_value());
  EXPECT_FALSE(s().latest_complete_analysis(e.id).has_value());
  EXPECT_FALSE(s().get_analysis("missing").has_value());

  write(e.id, WriteMode::kReplace, {series("conversion_rate", kT0, 3, 0.03)}, kT0 + 1);
  auto a1 = s().latest_analysis(e.id);
  ASSERT_TRUE(a1.has_value());
  EXPECT_EQ(a1->status, "processing");
  auto j1 = s().lease_job("w", kT0 + 2, 60);
  ASSERT_TRUE(j1.has_value());
  EXPECT_EQ(parse_object(j1->payload).at("analysisId").as_string(), a1->analysis_id);

  const std::string doc1 = R"({"status":"complete","didResults":{"conversion_rate":{"pValue":0.01}}})";
  flow().finish_analysis({a1->analysis_id, j1->job_id, true, doc1, 42.5, ExperimentStatus::kComplete, kT0 + 10});
  auto got = s().get_analysis(a1->analysis_id);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->status, "complete");
  EXPECT_EQ(got->document, doc1);
  EXPECT_EQ(got->total_impact, std::optional<double>(42.5));
  EXPECT_EQ(got->results_version, 1);
  EXPECT_EQ(got->experiment_id, e.id);
  EXPECT_EQ(got->created_at, kT0 + 1);
  EXPECT_EQ(got->updated_at, kT0 + 10);
  EXPECT_EQ(s().get_job(j1->job_id)->status, JobStatus::kDone);
  EXPECT_EQ(s().get_experiment(e.id)->status, ExperimentStatus::kComplete);
  EXPECT_EQ(s().latest_complete_analysis(e.id)->analysis_id, a1->analysis_id);
  EXPECT_EQ(s().latest_analysis(e.id)->analysis_id, a1->analysis_id);

  // A newer analysis in progress, then failed: the latest shows it, the latest complete does not.
  write(e.id, WriteMode::kMerge, {series("conversion_rate", kT0 + 3 * kHour, 1, 0.03)}, kT0 + 20);
  auto a2 = s().latest_analysis(e.id);
  ASSERT_TRUE(a2.has_value());
  EXPECT_NE(a2->analysis_id, a1->analysis_id);
  EXPECT_EQ(a2->status, "processing");
  EXPECT_EQ(a2->results_version, 2);
  EXPECT_EQ(s().latest_complete_analysis(e.id)->analysis_id, a1->analysis_id);

  auto j2 = s().lease_job("w", kT0 + 21, 60);
  ASSERT_TRUE(j2.has_value());
  const std::string doc2 = R"({"status":"failed","error":"Not enough data"})";
  flow().finish_analysis({a2->analysis_id, j2->job_id, false, doc2, std::nullopt, std::nullopt, kT0 + 30, "",
                         "Not enough data"});
  auto failed = s().get_analysis(a2->analysis_id);
  EXPECT_EQ(failed->status, "failed");
  EXPECT_EQ(failed->document, doc2);
  EXPECT_FALSE(failed->total_impact.has_value());
  auto failed_job = s().get_job(j2->job_id);
  EXPECT_EQ(failed_job->status, JobStatus::kFailed);
  EXPECT_EQ(failed_job->last_error, std::optional<std::string>("Not enough data"));
  EXPECT_EQ(s().latest_analysis(e.id)->analysis_id, a2->analysis_id);
  EXPECT_EQ(s().latest_analysis(e.id)->status, "failed");
  EXPECT_EQ(s().latest_complete_analysis(e.id)->analysis_id, a1->analysis_id);
  EXPECT_EQ(s().get_experiment(e.id)->status, ExperimentStatus::kComplete);

  auto all = s().list_analyses(e.id);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].analysis_id, a2->analysis_id);
  EXPECT_EQ(all[1].analysis_id, a1->analysis_id);
}

TEST_P(StoreContract, AnOlderAnalysisFinishingLateDoesNotReplaceANewerOne) {
  auto e = experiment("Race", {"conversion_rate"}, ExperimentStatus::kRunning);
  create(e);
  write(e.id, WriteMode::kReplace, {series("conversion_rate", kT0, 2, 0.03)}, kT0 + 1);
  write(e.id, WriteMode::kMerge, {series("conversion_rate", kT0 + 2 * kHour, 1, 0.03)}, kT0 + 2);
  auto analyses = s().list_analyses(e.id);
  ASSERT_EQ(analyses.size(), 2u);
  const auto newer = analyses[0], older = analyses[1];
  ASSERT_EQ(newer.results_version, 2);
  ASSERT_EQ(older.results_version, 1);
  auto newer_job = analyze_job_for(e.id, newer.analysis_id);
  auto older_job = analyze_job_for(e.id, older.analysis_id);
  ASSERT_TRUE(newer_job && older_job);

  flow().finish_analysis({newer.analysis_id, newer_job->job_id, true, R"({"v":2})", 200, ExperimentStatus::kComplete,
                       kT0 + 10});
  flow().finish_analysis({older.analysis_id, older_job->job_id, true, R"({"v":1})", 100, ExperimentStatus::kComplete,
                       kT0 + 11});
  EXPECT_EQ(s().latest_complete_analysis(e.id)->analysis_id, newer.analysis_id);
  EXPECT_EQ(s().latest_analysis(e.id)->analysis_id, newer.analysis_id);
  EXPECT_EQ(s().get_analysis(older.analysis_id)->status, "complete");
  EXPECT_DOUBLE_EQ(s().summary().total_economic_impact, 200);
  auto page = s().list_experiments({});
  ASSERT_EQ(page.experiments.size(), 1u);
  EXPECT_EQ(page.experiments[0].economic_impact, std::optional<double>(200));
}

TEST_P(StoreContract, RequestAnalysisNeedsResults) {
  auto e = experiment("Requested", {"conversion_rate"});
  create(e);
  EXPECT_FALSE(flow().request_analysis(e.id, "", kT0 + 1).has_value());
  EXPECT_EQ(s().list_events(e.id).size(), 1u);
  EXPECT_TRUE(s().list_jobs(e.id).empty());
  EXPECT_TRUE(s().list_analyses(e.id).empty());
  EXPECT_FALSE(flow().request_analysis("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", "", kT0 + 1).has_value());

  write(e.id, WriteMode::kReplace, {series("conversion_rate", kT0, 2, 0.03)}, kT0 + 2);
  auto id = flow().request_analysis(e.id, R"("correction":"fdr_bh")", kT0 + 5);
  ASSERT_TRUE(id.has_value());
  auto a = s().get_analysis(*id);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->status, "processing");
  EXPECT_EQ(a->results_version, 1);
  EXPECT_EQ(a->experiment_id, e.id);
  EXPECT_EQ(s().latest_analysis(e.id)->analysis_id, *id);
  EXPECT_THAT(event_types(s().list_events(e.id)),
              ElementsAre("EXPERIMENT_CREATED", "RESULTS_INSERT", "ANALYSIS_REQUESTED"));
  auto job = analyze_job_for(e.id, *id);
  ASSERT_TRUE(job.has_value());
  auto payload = parse_object(job->payload);
  EXPECT_EQ(payload.at("correction").as_string(), "fdr_bh");
  EXPECT_EQ(payload.at("resultsVersion").to_number<std::int64_t>(), 1);
  EXPECT_EQ(s().list_jobs(e.id).size(), 2u);

  auto plain = flow().request_analysis(e.id, "", kT0 + 6);
  ASSERT_TRUE(plain.has_value());
  auto plain_job = analyze_job_for(e.id, *plain);
  ASSERT_TRUE(plain_job.has_value());
  EXPECT_FALSE(parse_object(plain_job->payload).contains("correction"));
}

// ---------------------------------------------------------------------------- listener, durability

TEST_P(StoreContract, JobListenerIsCalledAfterCommitsThatQueueJobs) {
  // Only calls on this thread count: the contract's calls come from the committing thread. A
  // backend may also call from threads of its own (PostgreSQL wakes workers when other nodes queue
  // jobs), so the state lives as long as the store and other threads only count.
  struct Seen {
    std::mutex mu;
    int calls = 0;                      // on this thread
    std::vector<std::int64_t> queued;   // queued jobs another connection sees from inside each call
    std::atomic<int> other_threads{0};
  };
  auto seen = std::make_shared<Seen>();
  Store* store = store_.get();
  const auto test_thread = std::this_thread::get_id();
  s().set_job_listener([seen, store, test_thread] {
    if (std::this_thread::get_id() != test_thread) {
      ++seen->other_threads;
      return;
    }
    auto q = store->queue_stats(kT0 + 1e6).queued;
    std::lock_guard lock(seen->mu);
    ++seen->calls;
    seen->queued.push_back(q);
  });
  auto calls = [&] {
    std::lock_guard lock(seen->mu);
    return seen->calls;
  };
  ASSERT_TRUE(flow().create_metric_value(metric("conversion_rate", 10)));
  ASSERT_TRUE(flow().create_metric_value(metric("nps", 10)));

  auto a = experiment("Listened", {"conversion_rate"}, ExperimentStatus::kDraft, kT0 + 1);
  auto b = experiment("Quiet", {"conversion_rate"}, ExperimentStatus::kComplete, kT0 + 2);
  create(a, true);
  EXPECT_EQ(calls(), 1);
  create(b, false);
  EXPECT_EQ(calls(), 1);
  write(a.id, WriteMode::kReplace, {series("conversion_rate", kT0, 2, 0.03)}, kT0 + 3);
  EXPECT_EQ(calls(), 2);
  ASSERT_TRUE(flow().request_analysis(a.id, "", kT0 + 4).has_value());
  EXPECT_EQ(calls(), 3);
  EXPECT_FALSE(flow().request_analysis(b.id, "", kT0 + 4).has_value());
  EXPECT_EQ(calls(), 3);
  MetricValueUpdate u;
  u.dollars_per_unit = 11;
  ASSERT_TRUE(flow().update_metric_value("conversion_rate", u, kT0 + 5).has_value());  // re-analyses a
  EXPECT_EQ(calls(), 4);
  ASSERT_TRUE(flow().update_metric_value("nps", u, kT0 + 6).has_value());  // nobody tracks it
  EXPECT_EQ(calls(), 4);
  auto job = s().lease_job("w", kT0 + 7, 30);
  ASSERT_TRUE(job.has_value());
  end_job(job->job_id, std::nullopt, kT0 + 8);
  EXPECT_EQ(calls(), 4);

  // Each call saw its own transaction's job: the listener runs after the commit.
  std::lock_guard lock(seen->mu);
  EXPECT_THAT(seen->queued, ElementsAre(1, 2, 3, 4));
}

TEST_P(StoreContract, DataSurvivesReopening) {
  ASSERT_TRUE(flow().seed_metric_values({metric("conversion_rate", 100), metric("aov", 5)}));
  auto e = experiment("Durable", {"conversion_rate", "aov"}, ExperimentStatus::kRunning);
  domain::SimulationConfig sim;
  sim.seed = 7;
  sim.true_lift = {{"conversion_rate", 0.05}};
  e.simulation = sim;
  e.implementation_cost = 1000;
  create(e, true);
  auto conv = series("conversion_rate", kT0 - kHour, 5, 0.03);
  auto aov = series("aov", kT0, 2, 50);
  write(e.id, WriteMode::kReplace, {conv, aov}, kT0 + 10);
  auto gen = s().lease_job("w", kT0 + 11, 60);
  ASSERT_TRUE(gen.has_value());
  end_job(gen->job_id, R"({"success":true})", kT0 + 12);
  auto analysis_id = analysed(e.id, 123.5, kT0 + 20);
  MetricValueUpdate u;
  u.dollars_per_unit = 110;
  u.change_reason = "re-priced";
  ASSERT_TRUE(flow().update_metric_value("aov", u, kT0 + 30).has_value());

  const auto events_before = s().list_events(e.id);
  const auto jobs_before = s().list_jobs(e.id);
  reopen();

  auto got = s().get_experiment(e.id);
  ASSERT_TRUE(got.has_value());
  e.status = ExperimentStatus::kComplete;
  e.updated_at = kT0 + 20;
  expect_same_experiment(*got, e);
  auto r = s().get_results(e.id);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->version, 2);
  expect_same_points(*points_of(*r, "conversion_rate"), series("conversion_rate", kT0, 3, 0.03).points);
  auto m = s().get_metric_value("aov");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->version, 2);
  EXPECT_EQ(m->dollars_per_unit, 110);
  auto history = s().metric_value_history("aov");
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0].change_reason, std::optional<std::string>("re-priced"));
  EXPECT_EQ(event_types(s().list_events(e.id)), event_types(events_before));
  auto jobs_after = s().list_jobs(e.id);
  ASSERT_EQ(jobs_after.size(), jobs_before.size());
  for (std::size_t i = 0; i < jobs_after.size(); ++i) {
    EXPECT_EQ(jobs_after[i].job_id, jobs_before[i].job_id);
    EXPECT_EQ(jobs_after[i].status, jobs_before[i].status);
    EXPECT_EQ(jobs_after[i].result, jobs_before[i].result);
  }
  auto complete = s().latest_complete_analysis(e.id);
  ASSERT_TRUE(complete.has_value());
  EXPECT_EQ(complete->analysis_id, analysis_id);
  EXPECT_EQ(complete->total_impact, std::optional<double>(123.5));
  auto sum = s().summary();
  EXPECT_EQ(sum.total_experiments, 1);
  EXPECT_EQ(sum.completed_experiments, 1);
  EXPECT_DOUBLE_EQ(sum.total_economic_impact, 123.5);
  EXPECT_FALSE(flow().seed_metric_values({metric("ctr", 1)}));
  EXPECT_EQ(s().list_metric_values().size(), 2u);
}

// ---------------------------------------------------------------------------- concurrency

TEST_P(StoreContract, ConcurrentMetricValueUpdatesAreSerialized) {
  ASSERT_TRUE(flow().create_metric_value(metric("aov", 1)));
  constexpr int kThreads = 8, kUpdates = 25;
  std::vector<std::vector<MetricValueUpdated>> results(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kUpdates; ++i) {
        MetricValueUpdate u;
        u.dollars_per_unit = 1000.0 * (t + 1) + i;
        u.change_reason = "thread " + std::to_string(t) + " update " + std::to_string(i);
        auto r = flow().update_metric_value("aov", u, kT0 + i);
        if (r) results[t].push_back(*r);
      }
    });
  for (auto& th : threads) th.join();

  auto m = s().get_metric_value("aov");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->version, 1 + kThreads * kUpdates);
  auto history = s().metric_value_history("aov");
  ASSERT_EQ(history.size(), static_cast<std::size_t>(1 + kThreads * kUpdates));
  std::map<std::int64_t, double> dollars_at;  // version -> dollars
  for (std::size_t i = 0; i < history.size(); ++i) {
    EXPECT_EQ(history[i].version, static_cast<std::int64_t>(history.size() - i)) << i;  // newest first
    dollars_at[history[i].version] = history[i].dollars_per_unit;
  }
  EXPECT_EQ(history[0].dollars_per_unit, m->dollars_per_unit);

  // Every update saw a version of its own and, as its previous value, the one just before it.
  std::set<std::int64_t> versions;
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_EQ(results[t].size(), static_cast<std::size_t>(kUpdates)) << t;
    std::int64_t last = 0;
    for (int i = 0; i < kUpdates; ++i) {
      const auto& r = results[t][i];
      EXPECT_GT(r.metric.version, last);  // a thread's own updates are ordered
      last = r.metric.version;
      versions.insert(r.metric.version);
      EXPECT_EQ(r.metric.dollars_per_unit, 1000.0 * (t + 1) + i);
      EXPECT_EQ(dollars_at[r.metric.version], r.metric.dollars_per_unit);
      EXPECT_EQ(dollars_at[r.metric.version - 1], r.previous_value);
    }
  }
  EXPECT_EQ(versions.size(), static_cast<std::size_t>(kThreads * kUpdates));
  EXPECT_EQ(*versions.begin(), 2);
  EXPECT_EQ(*versions.rbegin(), 1 + kThreads * kUpdates);
}

TEST_P(StoreContract, ConcurrentLeasingLeasesEveryJobOnce) {
  constexpr int kJobs = 200, kThreads = 4;
  for (int i = 0; i < kJobs; ++i) {
    auto e = experiment("Queue " + std::to_string(i), {"aov"}, ExperimentStatus::kDraft, kT0 + i);
    create(e, true);
  }
  EXPECT_EQ(s().queue_stats(kT0 + kJobs).queued, kJobs);

  std::vector<std::vector<std::string>> leased(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      std::string worker = "worker-" + std::to_string(t);
      while (auto job = s().lease_job(worker, kT0 + 1000, 3600)) leased[t].push_back(job->job_id);
    });
  for (auto& th : threads) th.join();

  std::map<std::string, int> times;
  std::size_t total = 0;
  for (const auto& v : leased) {
    total += v.size();
    for (const auto& id : v) ++times[id];
  }
  EXPECT_EQ(total, static_cast<std::size_t>(kJobs));
  EXPECT_EQ(times.size(), static_cast<std::size_t>(kJobs));
  for (const auto& [id, n] : times) {
    EXPECT_EQ(n, 1) << id;
    auto job = s().get_job(id);
    ASSERT_TRUE(job.has_value());
    EXPECT_EQ(job->status, JobStatus::kRunning);
    EXPECT_EQ(job->attempts, 1);
  }
  auto stats = s().queue_stats(kT0 + 1000);
  EXPECT_EQ(stats.queued, 0);
  EXPECT_EQ(stats.running, kJobs);
}

TEST_P(StoreContract, ConcurrentResultWritesGetDistinctVersions) {
  auto e = experiment("Busy", {"conversion_rate"});
  create(e);
  constexpr int kThreads = 4, kWrites = 10;
  std::vector<std::vector<std::int64_t>> versions(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kWrites; ++i) {
        auto hour = kT0 + (t * kWrites + i) * kHour;
        versions[t].push_back(
            write(e.id, WriteMode::kMerge, {series("conversion_rate", hour, 1, 0.01 * t)}, kT0 + i));
      }
    });
  for (auto& th : threads) th.join();

  std::set<std::int64_t> all;
  for (const auto& v : versions) all.insert(v.begin(), v.end());
  EXPECT_EQ(all.size(), static_cast<std::size_t>(kThreads * kWrites));
  EXPECT_EQ(*all.begin(), 1);
  EXPECT_EQ(*all.rbegin(), kThreads * kWrites);
  auto r = s().get_results(e.id);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->version, kThreads * kWrites);
  EXPECT_EQ(points_of(*r, "conversion_rate")->size(), static_cast<std::size_t>(kThreads * kWrites));
  auto types = event_types(s().list_events(e.id));
  EXPECT_EQ(std::count(types.begin(), types.end(), "RESULTS_INSERT"), 1);
  EXPECT_EQ(std::count(types.begin(), types.end(), "RESULTS_MODIFY"), kThreads * kWrites - 1);
  EXPECT_EQ(s().list_jobs(e.id).size(), static_cast<std::size_t>(kThreads * kWrites));
  std::set<std::int64_t> analysed_versions;
  for (const auto& a : s().list_analyses(e.id)) analysed_versions.insert(a.results_version);
  EXPECT_EQ(analysed_versions, all);
}

// ---------------------------------------------------------------------------- transaction primitives

TEST_P(StoreContract, TransactionRollsBackUnlessCommitted) {
  auto e = experiment("Never committed");
  {
    auto tx = s().begin();
    tx->insert_experiment(e);
    tx->insert_event(Event{domain::new_uuid_v7(), e.id, "EXPERIMENT_CREATED", "{}", kT0});
    tx->insert_job(domain::new_uuid_v7(), e.id, JobKind::kGenerateResults, "{}", kT0);
    EXPECT_TRUE(tx->lock_experiment(e.id).has_value());  // a transaction sees its own writes
  }
  EXPECT_FALSE(s().get_experiment(e.id).has_value());
  EXPECT_TRUE(s().list_events(e.id).empty());
  EXPECT_FALSE(s().lease_job("w", kT0 + 1, 60).has_value());
  auto tx = s().begin();  // the store is usable again after the rollback
  tx->insert_experiment(e);
  tx->commit();
  EXPECT_TRUE(s().get_experiment(e.id).has_value());
}

TEST_P(StoreContract, CompareAndSetStatusAppliesOnlyOverTheExpectedStatus) {
  auto e = experiment("CAS");
  create(e);
  auto tx = s().begin();
  auto locked = tx->lock_experiment(e.id);
  ASSERT_TRUE(locked.has_value());
  EXPECT_EQ(locked->status, ExperimentStatus::kDraft);
  EXPECT_FALSE(tx->compare_and_set_status(e.id, ExperimentStatus::kRunning, ExperimentStatus::kComplete, kT0 + 1));
  EXPECT_TRUE(tx->compare_and_set_status(e.id, ExperimentStatus::kDraft, ExperimentStatus::kArchived, kT0 + 2));
  EXPECT_FALSE(tx->compare_and_set_status(e.id, ExperimentStatus::kDraft, ExperimentStatus::kRunning, kT0 + 3));
  EXPECT_FALSE(tx->compare_and_set_status("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", ExperimentStatus::kDraft,
                                          ExperimentStatus::kRunning, kT0));
  EXPECT_FALSE(tx->lock_experiment("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b").has_value());
  tx->commit();
  auto got = s().get_experiment(e.id);
  EXPECT_EQ(got->status, ExperimentStatus::kArchived);
  EXPECT_EQ(got->updated_at, kT0 + 2);
}

TEST_P(StoreContract, ALockedExperimentWaitsForTheHoldersCommit) {
  auto e = experiment("Locked");
  create(e);
  std::atomic<bool> holder_locked{false};
  std::atomic<bool> holder_committed{false};
  ExperimentStatus seen = ExperimentStatus::kDraft;
  bool committed_before_read = false;
  std::thread holder([&] {
    auto tx = s().begin();
    auto locked = tx->lock_experiment(e.id);
    holder_locked = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // gives the other a chance to cut in
    tx->compare_and_set_status(e.id, locked->status, ExperimentStatus::kRunning, kT0 + 1);
    holder_committed = true;
    tx->commit();
  });
  while (!holder_locked) std::this_thread::yield();
  {
    auto tx = s().begin();
    auto locked = tx->lock_experiment(e.id);
    committed_before_read = holder_committed;
    seen = locked->status;
    tx->commit();
  }
  holder.join();
  EXPECT_TRUE(committed_before_read);
  EXPECT_EQ(seen, ExperimentStatus::kRunning);  // never the stale draft
}

TEST_P(StoreContract, ResultsPrimitivesVersionPointsAndUniqueUsers) {
  auto e = experiment("Primitives", {"conversion_rate", "aov"});
  create(e);
  auto tx = s().begin();
  EXPECT_FALSE(tx->results_meta(e.id).has_value());
  EXPECT_EQ(tx->bump_results_version(e.id, kT0 + 1, domain::UniqueUsers{1000, 990}), 1);
  tx->upsert_points(e.id, {series("conversion_rate", kT0, 3, 0.1), series("aov", kT0, 2, 50)});
  auto info = tx->refresh_results_info(e.id);  // sees this transaction's points
  EXPECT_EQ(info.version, 1);
  EXPECT_EQ(info.points, 5);
  EXPECT_EQ(info.participants, (100 + 90) + (101 + 91) + (102 + 92));
  EXPECT_EQ(tx->bump_results_version(e.id, kT0 + 2, std::nullopt), 2);
  tx->upsert_points(e.id, {series("conversion_rate", kT0 + 2 * kHour, 2, 0.5)});  // one hour again, one new
  auto meta = tx->results_meta(e.id);
  ASSERT_TRUE(meta.has_value());
  EXPECT_EQ(meta->version, 2);
  EXPECT_EQ(meta->generated_at, kT0 + 2);
  EXPECT_FALSE(meta->unique_users.has_value());
  EXPECT_EQ(tx->bump_results_version(e.id, kT0 + 3, domain::UniqueUsers{7, 8}), 3);
  tx->commit();
  auto r = s().get_results(e.id);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->version, 3);
  ASSERT_TRUE(r->unique_users.has_value());
  EXPECT_EQ(r->unique_users->treatment, 7);
  EXPECT_EQ(r->unique_users->control, 8);
  ASSERT_EQ(points_of(*r, "conversion_rate")->size(), 4u);
  EXPECT_EQ(points_of(*r, "conversion_rate")->at(2).treatment_value, 0.5);
  auto tx2 = s().begin();
  tx2->delete_points(e.id);
  EXPECT_EQ(tx2->refresh_results_info(e.id).points, 0);
  tx2->commit();
  EXPECT_EQ(s().results_info(e.id)->points, 0);
}

TEST_P(StoreContract, JobAndAnalysisRowPrimitives) {
  auto e = experiment("Rows");
  create(e, true);
  auto job = s().lease_job("w1", kT0 + 1, 60);
  ASSERT_TRUE(job.has_value());
  StoredAnalysis a;
  a.analysis_id = domain::new_uuid_v7();
  a.experiment_id = e.id;
  a.status = "processing";
  a.results_version = 4;
  a.document = "{}";
  a.created_at = a.updated_at = kT0 + 2;
  {
    auto tx = s().begin();
    auto locked = tx->lock_job(job->job_id);
    ASSERT_TRUE(locked.has_value());
    EXPECT_EQ(locked->status, JobStatus::kRunning);
    EXPECT_FALSE(tx->lock_job("no-such-job").has_value());
    EXPECT_FALSE(tx->newest_complete_impact(e.id).has_value());
    tx->insert_analysis(a);
    EXPECT_EQ(tx->get_analysis(a.analysis_id)->status, "processing");
    tx->update_analysis(a.analysis_id, "complete", R"({"ok":1})", 12.5, kT0 + 3);
    EXPECT_EQ(tx->newest_complete_impact(e.id), std::optional<std::optional<double>>(12.5));
    tx->mark_job_done(job->job_id, std::string(R"({"r":1})"), kT0 + 3);
    tx->commit();
  }
  auto got = s().get_analysis(a.analysis_id);
  EXPECT_EQ(got->status, "complete");
  EXPECT_EQ(got->results_version, 4);
  EXPECT_EQ(got->total_impact, 12.5);
  EXPECT_EQ(s().get_job(job->job_id)->status, JobStatus::kDone);
  EXPECT_EQ(s().get_job(job->job_id)->result, std::optional<std::string>(R"({"r":1})"));
  {
    auto tx = s().begin();
    tx->mark_job_failed(job->job_id, "boom", kT0 + 4);
    tx->commit();
  }
  EXPECT_EQ(s().get_job(job->job_id)->status, JobStatus::kFailed);
  EXPECT_EQ(s().get_job(job->job_id)->last_error, std::optional<std::string>("boom"));
}

TEST_P(StoreContract, MetricPrimitivesKeepEveryFieldAndItsChanges) {
  auto m = metric("aov", 10);
  m.value_group = "revenue_per_user";
  m.validation_rules = domain::ValidationRules{1.0, 100.0, 2};
  {
    auto tx = s().begin();
    EXPECT_EQ(tx->count_metric_values(), 0);
    EXPECT_TRUE(tx->insert_metric_value(m));
    EXPECT_FALSE(tx->insert_metric_value(m));
    tx->commit();
  }
  auto got = s().get_metric_value("aov");
  ASSERT_TRUE(got.has_value());
  expect_same_metric(*got, m);
  EXPECT_EQ(got->value_group, std::optional<std::string>("revenue_per_user"));
  auto next = m;
  next.version = 2;
  next.unit_size = 0.5;
  next.value_group.reset();
  {
    auto tx = s().begin();
    auto locked = tx->lock_metric_value("aov");
    ASSERT_TRUE(locked.has_value());
    EXPECT_EQ(locked->version, 1);
    EXPECT_FALSE(tx->lock_metric_value("missing").has_value());
    tx->update_metric_value(next);
    domain::MetricValueHistoryEntry h;
    h.version = 2;
    h.dollars_per_unit = 10;
    h.updated_at = kT0 + 5;
    h.changes = {{"unitSize", "0.01", "0.5"}, {"valueGroup", R"("revenue_per_user")", "null"}};
    tx->insert_history("aov", h);
    tx->commit();
  }
  got = s().get_metric_value("aov");
  EXPECT_EQ(got->unit_size, 0.5);
  EXPECT_FALSE(got->value_group.has_value());
  auto history = s().metric_value_history("aov");
  ASSERT_EQ(history.size(), 1u);
  ASSERT_EQ(history[0].changes.size(), 2u);
  EXPECT_EQ(history[0].changes[0].field, "unitSize");
  EXPECT_EQ(history[0].changes[0].from, "0.01");
  EXPECT_EQ(history[0].changes[0].to, "0.5");
  EXPECT_EQ(history[0].changes[1].field, "valueGroup");
  EXPECT_EQ(history[0].changes[1].to, "null");
}

TEST_P(StoreContract, ExperimentsTrackingAMetricWithStatusAndResultsVersion) {
  auto a = experiment("Tracks, has results", {"conversion_rate"});
  auto b = experiment("Tracks, no results", {"aov", "conversion_rate"}, ExperimentStatus::kRunning, kT0 + 1);
  auto c = experiment("Does not track", {"aov"});
  create(a);
  create(b);
  create(c);
  write(a.id, WriteMode::kReplace, {series("conversion_rate", kT0, 2, 0.1)}, kT0 + 2);
  auto tx = s().begin();
  auto t = tx->experiments_tracking("conversion_rate");
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0].experiment_id, a.id);
  EXPECT_EQ(t[0].status, ExperimentStatus::kRunning);
  EXPECT_EQ(t[0].results_version, std::optional<std::int64_t>(1));
  EXPECT_EQ(t[1].experiment_id, b.id);
  EXPECT_FALSE(t[1].results_version.has_value());
  EXPECT_TRUE(tx->experiments_tracking("nps").empty());
}

// Issue 16: DELETE /metric-values/{id} retires; the row and its history stay, drafts and running
// experiments block it, and a create that names a retired metric writes nothing.
TEST_P(StoreContract, RetiringAMetricKeepsItsRowAndRefusesNewExperiments) {
  ASSERT_TRUE(flow().create_metric_value(metric("aov", 10)));
  auto draft = experiment("Draft tracks aov", {"aov"}, ExperimentStatus::kDraft);
  create(draft);
  auto blocked = pipeline::retire_metric_value(s(), "aov", std::string("alice"), kT0 + 10);
  EXPECT_EQ(blocked.kind, pipeline::RetireOutcome::Kind::kInUse);
  ASSERT_EQ(blocked.in_use_by.size(), 1u);
  EXPECT_EQ(blocked.in_use_by[0], draft.id);
  EXPECT_FALSE(s().get_metric_value("aov")->retired_at.has_value());

  ASSERT_TRUE(flow().set_experiment_status(draft.id, ExperimentStatus::kArchived, kT0 + 11));
  auto done = pipeline::retire_metric_value(s(), "aov", std::string("alice"), kT0 + 12);
  ASSERT_EQ(done.kind, pipeline::RetireOutcome::Kind::kRetired);
  EXPECT_FALSE(done.already_retired);
  EXPECT_EQ(done.metric.version, 2);
  auto got = s().get_metric_value("aov");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->retired_at, std::optional<UnixSeconds>(kT0 + 12));
  EXPECT_EQ(got->updated_by, std::optional<std::string>("alice"));
  EXPECT_EQ(got->dollars_per_unit, 10);
  auto history = s().metric_value_history("aov");
  ASSERT_EQ(history.size(), 2u);
  bool found = false;
  for (const auto& h : history)
    if (h.version == 2) {
      ASSERT_EQ(h.changes.size(), 1u);
      EXPECT_EQ(h.changes[0].field, "retired");
      EXPECT_EQ(h.changes[0].to, "true");
      found = true;
    }
  EXPECT_TRUE(found);
  // Still listed by the store (the API hides it); retiring again writes nothing.
  bool listed = false;
  for (const auto& m : s().list_metric_values()) listed = listed || (m.metric_id == "aov" && m.retired_at);
  EXPECT_TRUE(listed);
  auto again = pipeline::retire_metric_value(s(), "aov", std::nullopt, kT0 + 20);
  EXPECT_TRUE(again.already_retired);
  EXPECT_EQ(s().get_metric_value("aov")->version, 2);
  EXPECT_EQ(pipeline::retire_metric_value(s(), "missing", std::nullopt, kT0).kind,
            pipeline::RetireOutcome::Kind::kNotFound);

  // A new experiment naming it is refused inside the transaction; nothing is written.
  auto late = experiment("Uses a retired metric", {"conversion_rate", "aov"}, ExperimentStatus::kDraft, kT0 + 30);
  Event created{domain::new_uuid_v7(), late.id, "EXPERIMENT_CREATED", "{}", late.created_at};
  EXPECT_EQ(pipeline::create_experiment(s(), late, created, std::nullopt), std::optional<std::string>("aov"));
  EXPECT_FALSE(s().get_experiment(late.id).has_value());
  // Updates are refused, with or without a version; a stale version is reported as such.
  MetricValueUpdate u;
  u.dollars_per_unit = 11;
  EXPECT_EQ(pipeline::update_metric_value(s(), "aov", u, kT0 + 40).kind, pipeline::MetricUpdateOutcome::Kind::kRetired);
  u.expected_version = 1;
  auto stale = pipeline::update_metric_value(s(), "aov", u, kT0 + 40);
  EXPECT_EQ(stale.kind, pipeline::MetricUpdateOutcome::Kind::kStale);
  EXPECT_EQ(stale.current_version, 2);
}

TEST_P(StoreContract, AnUpdateWithAStaleVersionWritesNothing) {
  ASSERT_TRUE(flow().create_metric_value(metric("aov", 10)));
  MetricValueUpdate u;
  u.dollars_per_unit = 12;
  u.expected_version = 1;
  ASSERT_TRUE(flow().update_metric_value("aov", u, kT0 + 1).has_value());
  u.dollars_per_unit = 13;  // still says version 1: stale
  auto o = pipeline::update_metric_value(s(), "aov", u, kT0 + 2);
  EXPECT_EQ(o.kind, pipeline::MetricUpdateOutcome::Kind::kStale);
  EXPECT_EQ(o.current_version, 2);
  EXPECT_EQ(s().get_metric_value("aov")->dollars_per_unit, 12);
  EXPECT_EQ(s().metric_value_history("aov").size(), 2u);
}

// Issue 16: decisions on complete or archived experiments, newest first, each with its event.
TEST_P(StoreContract, DecisionsAreKeptNewestFirstWithTheirEvents) {
  auto done = experiment("Done", {"conversion_rate"}, ExperimentStatus::kComplete);
  auto running = experiment("Running", {"conversion_rate"}, ExperimentStatus::kRunning, kT0 + 1);
  create(done);
  create(running);
  EXPECT_FALSE(s().latest_decision(done.id).has_value());
  EXPECT_TRUE(s().list_decisions(done.id).empty());

  auto decision = [](const std::string& exp, const std::string& what, std::optional<std::string> by, UnixSeconds at) {
    return domain::Decision{domain::new_uuid_v7(), exp, what, "Because " + what, std::move(by), at};
  };
  auto refused = pipeline::decide_experiment(s(), decision(running.id, "ship", std::nullopt, kT0 + 5));
  EXPECT_EQ(refused.kind, pipeline::DecideOutcome::Kind::kConflict);
  EXPECT_NE(refused.reason.find("running"), std::string::npos);
  EXPECT_TRUE(s().list_decisions(running.id).empty());
  EXPECT_EQ(pipeline::decide_experiment(s(), decision(domain::new_uuid_v7(), "ship", std::nullopt, kT0)).kind,
            pipeline::DecideOutcome::Kind::kNotFound);

  auto first = decision(done.id, "ship", std::string("alice"), kT0 + 10);
  auto second = decision(done.id, "iterate", std::nullopt, kT0 + 20);
  ASSERT_EQ(pipeline::decide_experiment(s(), first).kind, pipeline::DecideOutcome::Kind::kDecided);
  ASSERT_EQ(pipeline::decide_experiment(s(), second).kind, pipeline::DecideOutcome::Kind::kDecided);
  auto all = s().list_decisions(done.id);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].decision_id, second.decision_id);
  EXPECT_EQ(all[0].decision, "iterate");
  EXPECT_FALSE(all[0].decided_by.has_value());
  EXPECT_EQ(all[1].decision_id, first.decision_id);
  EXPECT_EQ(all[1].reason, "Because ship");
  EXPECT_EQ(all[1].decided_by, std::optional<std::string>("alice"));
  EXPECT_EQ(all[1].decided_at, kT0 + 10);
  auto latest = s().latest_decision(done.id);
  ASSERT_TRUE(latest.has_value());
  EXPECT_EQ(latest->decision_id, second.decision_id);
  auto many = s().latest_decisions({running.id, done.id});
  ASSERT_EQ(many.size(), 1u);
  EXPECT_EQ(many[0].decision_id, second.decision_id);
  EXPECT_TRUE(s().latest_decisions({}).empty());
  int decided_events = 0;
  for (const auto& ev : s().list_events(done.id)) decided_events += ev.event_type == "EXPERIMENT_DECIDED";
  EXPECT_EQ(decided_events, 2);

  ASSERT_TRUE(flow().set_experiment_status(done.id, ExperimentStatus::kArchived, kT0 + 30));
  EXPECT_EQ(pipeline::decide_experiment(s(), decision(done.id, "rollback", std::nullopt, kT0 + 40)).kind,
            pipeline::DecideOutcome::Kind::kDecided);
  EXPECT_EQ(s().list_decisions(done.id).size(), 3u);
}

// Issue 16: named tokens are kept by hash; a name is unique among the active ones.
TEST_P(StoreContract, TokensAreFoundByHashAndRevokedByName) {
  auto made = pipeline::create_token(s(), "alice", domain::Role::kWrite, std::string("root"), kT0);
  ASSERT_EQ(made.kind, pipeline::TokenCreated::Kind::kCreated);
  EXPECT_EQ(made.token.hash, pipeline::hash_token(made.text));
  EXPECT_EQ(made.token.hash.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(made.token.hash.size(), 64u);
  EXPECT_TRUE(s().any_active_token());
  auto found = s().find_active_token(pipeline::hash_token(made.text));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->name, "alice");
  EXPECT_EQ(found->role, "write");
  EXPECT_EQ(found->created_by, std::optional<std::string>("root"));
  EXPECT_FALSE(s().find_active_token(pipeline::hash_token(made.text + "x")).has_value());
  EXPECT_EQ(pipeline::create_token(s(), "alice", domain::Role::kRead, std::nullopt, kT0 + 1).kind,
            pipeline::TokenCreated::Kind::kNameTaken);

  EXPECT_TRUE(pipeline::revoke_token(s(), "alice", kT0 + 2, std::string("root")));
  EXPECT_FALSE(pipeline::revoke_token(s(), "alice", kT0 + 3));
  EXPECT_FALSE(s().find_active_token(made.token.hash).has_value());
  EXPECT_FALSE(s().any_active_token());
  auto again = pipeline::create_token(s(), "alice", domain::Role::kAdmin, std::nullopt, kT0 + 4);
  ASSERT_EQ(again.kind, pipeline::TokenCreated::Kind::kCreated);
  auto all = s().list_tokens();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].revoked_at, std::optional<UnixSeconds>(kT0 + 2));
  EXPECT_FALSE(all[1].revoked_at.has_value());
  EXPECT_EQ(all[1].role, "admin");
}

// Issue 16: webhooks and their delivery log; an event queues one delivery (with its job) per
// subscribed webhook in the transaction of the change, and none for a deleted webhook.
TEST_P(StoreContract, WebhookDeliveriesAreQueuedWithTheChangeAndLogged) {
  Webhook w;
  w.url = "http://127.0.0.1:9/hook";
  w.events = {"metric_value.updated", "experiment.decided"};
  w.secret = "0123456789abcdef-secret";
  w.format = "json";
  w.created_by = "root";
  auto made = pipeline::create_webhook(s(), w, kT0);
  Webhook other = w;
  other.events = {"srm.detected"};
  auto unrelated = pipeline::create_webhook(s(), other, kT0 + 1);
  auto listed = s().list_webhooks();
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].webhook_id, made.webhook_id);
  EXPECT_EQ(listed[0].events, w.events);
  EXPECT_EQ(listed[0].secret, w.secret);
  EXPECT_EQ(listed[0].created_by, std::optional<std::string>("root"));

  ASSERT_TRUE(flow().create_metric_value(metric("aov", 10)));
  MetricValueUpdate u;
  u.dollars_per_unit = 12;
  ASSERT_EQ(pipeline::update_metric_value(s(), "aov", u, kT0 + 2).kind, pipeline::MetricUpdateOutcome::Kind::kUpdated);
  auto page = s().list_deliveries(made.webhook_id, 20, 0);
  ASSERT_EQ(page.total, 1);
  ASSERT_EQ(page.deliveries.size(), 1u);
  auto d = page.deliveries[0];
  EXPECT_EQ(d.event, "metric_value.updated");
  EXPECT_EQ(d.status, "pending");
  EXPECT_EQ(d.attempts, 0);
  EXPECT_FALSE(d.last_status_code.has_value());
  EXPECT_EQ(s().list_deliveries(unrelated.webhook_id, 20, 0).total, 0);
  auto body = boost::json::parse(d.body).as_object();
  EXPECT_EQ(body.at("id").as_string(), d.delivery_id);
  EXPECT_EQ(body.at("data").at("dollarsPerUnit").to_number<double>(), 12);

  // Its job: leased like any other, and named in the delivery's id.
  auto job = s().lease_job("w1", kT0 + 3, 60);
  ASSERT_TRUE(job.has_value());
  EXPECT_EQ(job->kind, JobKind::kDeliverWebhook);
  EXPECT_EQ(pipeline::delivery_id_of(*job), d.delivery_id);
  auto step = pipeline::begin_delivery(s(), *job, kT0 + 3);
  ASSERT_EQ(step.kind, pipeline::DeliveryStep::Kind::kGo);
  EXPECT_EQ(step.webhook.secret, w.secret);
  pipeline::record_delivery_failure(s(), *job, d.delivery_id, 500, "The receiver answered HTTP 500", false, kT0 + 4);
  auto after = s().get_delivery(d.delivery_id);
  EXPECT_EQ(after->status, "retrying");
  EXPECT_EQ(after->last_status_code, std::optional<std::int64_t>(500));
  EXPECT_EQ(after->attempts, 1);
  pipeline::record_delivery_success(s(), *job, d.delivery_id, 204, kT0 + 5);
  after = s().get_delivery(d.delivery_id);
  EXPECT_EQ(after->status, "delivered");
  EXPECT_EQ(after->last_status_code, std::optional<std::int64_t>(204));
  EXPECT_FALSE(after->last_error.has_value());
  EXPECT_EQ(after->delivered_at, std::optional<UnixSeconds>(kT0 + 5));
  EXPECT_EQ(s().get_job(job->job_id)->status, JobStatus::kDone);

  // Deleted: no more deliveries; its log stays; deleting twice finds nothing.
  EXPECT_TRUE(pipeline::delete_webhook(s(), made.webhook_id, std::string("root"), kT0 + 6));
  EXPECT_FALSE(pipeline::delete_webhook(s(), made.webhook_id, std::nullopt, kT0 + 7));
  EXPECT_EQ(s().list_webhooks().size(), 1u);
  EXPECT_TRUE(s().get_webhook(made.webhook_id)->deleted_at.has_value());
  u.dollars_per_unit = 13;
  ASSERT_EQ(pipeline::update_metric_value(s(), "aov", u, kT0 + 8).kind, pipeline::MetricUpdateOutcome::Kind::kUpdated);
  EXPECT_EQ(s().list_deliveries(made.webhook_id, 20, 0).total, 1);
  EXPECT_FALSE(s().lease_job("w1", kT0 + 9, 60).has_value());
}

// Issue 16: every workflow that changes something writes its audit entry in its transaction.
TEST_P(StoreContract, AuditEntriesAreWrittenWithTheirChangesNewestFirst) {
  auto m = metric("aov", 10);
  m.updated_by = "alice";
  ASSERT_TRUE(flow().create_metric_value(m));
  MetricValueUpdate u;
  u.dollars_per_unit = 12;
  u.updated_by = "bob";
  u.change_reason = "Q1";
  ASSERT_TRUE(flow().update_metric_value("aov", u, kT0 + 10).has_value());
  auto e = experiment("Audited", {"aov"}, ExperimentStatus::kDraft, kT0 + 20);
  e.created_by = "carol";
  create(e);
  // A refused update writes nothing, its audit entry included.
  u.expected_version = 1;
  EXPECT_EQ(pipeline::update_metric_value(s(), "aov", u, kT0 + 30).kind, pipeline::MetricUpdateOutcome::Kind::kStale);

  auto page = s().list_audit(store::AuditQuery{});
  ASSERT_EQ(page.total, 3);
  ASSERT_EQ(page.entries.size(), 3u);
  EXPECT_EQ(page.entries[0].action, "experiment.created");
  EXPECT_EQ(page.entries[0].actor, std::optional<std::string>("carol"));
  EXPECT_EQ(page.entries[0].entity_id, e.id);
  EXPECT_EQ(page.entries[1].action, "metric_value.updated");
  EXPECT_EQ(page.entries[1].actor, std::optional<std::string>("bob"));
  EXPECT_EQ(page.entries[1].at, kT0 + 10);
  EXPECT_NE(page.entries[1].changes.find(R"({"field":"dollarsPerUnit","from":10,"to":12})"), std::string::npos)
      << page.entries[1].changes;
  EXPECT_EQ(page.entries[2].action, "metric_value.created");

  store::AuditQuery q;
  q.entity = "metric_value";
  EXPECT_EQ(s().list_audit(q).total, 2);
  q.actor = "bob";
  auto bob = s().list_audit(q);
  ASSERT_EQ(bob.entries.size(), 1u);
  EXPECT_EQ(bob.entries[0].action, "metric_value.updated");
  store::AuditQuery paged;
  paged.limit = 1;
  paged.offset = 1;
  auto one = s().list_audit(paged);
  EXPECT_EQ(one.total, 3);
  ASSERT_EQ(one.entries.size(), 1u);
  EXPECT_EQ(one.entries[0].action, "metric_value.updated");
}

TEST_P(StoreContract, MethodTwoExperimentFieldsArePersisted) {
  auto e = experiment("Paired", {"conversion_rate", "aov"});
  e.analysis_design = domain::AnalysisDesign::kPaired;
  e.guardrail_metrics = {"aov"};
  create(e);
  auto got = s().get_experiment(e.id);
  EXPECT_EQ(got->analysis_design, domain::AnalysisDesign::kPaired);
  EXPECT_EQ(got->guardrail_metrics, std::vector<std::string>{"aov"});
  auto plain = experiment("Plain");
  create(plain);
  EXPECT_EQ(s().get_experiment(plain.id)->analysis_design, domain::AnalysisDesign::kDid);
  EXPECT_TRUE(s().get_experiment(plain.id)->guardrail_metrics.empty());
  auto page = s().list_experiments({});
  ASSERT_EQ(page.experiments.size(), 2u);
  EXPECT_EQ(page.experiments[1].experiment.guardrail_metrics, std::vector<std::string>{"aov"});
}

TEST_P(StoreContract, OneHugeImpactDoesNotPoisonThePortfolioTotalForever) {
  auto good = experiment("Good");
  auto bad1 = experiment("Bad 1");
  auto bad2 = experiment("Bad 2");
  create(good);
  create(bad1);
  create(bad2);
  analysed(good.id, 1500, kT0 + 1);
  analysed(bad1.id, 1.5e308, kT0 + 2);
  analysed(bad2.id, 1.5e308, kT0 + 3);
  EXPECT_TRUE(std::isinf(s().summary().total_economic_impact));
  ASSERT_TRUE(flow().set_experiment_status(bad1.id, ExperimentStatus::kArchived, kT0 + 4));
  ASSERT_TRUE(flow().set_experiment_status(bad2.id, ExperimentStatus::kArchived, kT0 + 5));
  EXPECT_EQ(s().summary().total_economic_impact, 1500);
  EXPECT_EQ(s().summary().total_experiments, 1);
}

// ---- segments (issue 17)

domain::Segments device_segments(UnixSeconds first, int hours, double base) {
  domain::Segments s;
  s["device"]["desktop"].series = {series("conversion_rate", first, hours, base), series("aov", first, hours, 50 + base)};
  s["device"]["mobile"].series = {series("conversion_rate", first, hours, base / 2)};
  s["device"]["mobile"].unique_users = domain::UniqueUsers{300, 290};
  s["country"]["de"].series = {series("conversion_rate", first, hours, base * 3)};
  return s;
}

const domain::MetricSeries* segment_series(const domain::Segments& s, const std::string& d, const std::string& seg,
                                           const std::string& metric) {
  auto di = s.find(d);
  if (di == s.end()) return nullptr;
  auto si = di->second.find(seg);
  if (si == di->second.end()) return nullptr;
  for (const auto& m : si->second.series)
    if (m.metric_id == metric) return &m;
  return nullptr;
}

TEST_P(StoreContract, SegmentsAreStoredWithTheResultsVersionAndReadBackExactly) {
  auto e = experiment("Segments", {"conversion_rate", "aov"});
  create(e);
  EXPECT_TRUE(s().segment_names(e.id).empty());
  EXPECT_EQ(s().get_segments(e.id, std::nullopt).version, 0);

  auto segs = device_segments(kT0, 5, 0.03);
  segs["device"]["desktop"].series[0].points[2].treatment_value = 0.1 + 0.2;  // an inexact double, kept bit for bit
  segs["device"]["desktop"].series[0].points[3].control_value = -1e-300;
  pipeline::ResultsWrite w;
  w.experiment_id = e.id;
  w.mode = WriteMode::kReplace;
  w.metrics = {series("conversion_rate", kT0, 5, 0.03)};
  w.segments = segs;
  w.now = kT0 + 10;
  ASSERT_EQ(pipeline::import_results(s(), w).kind, pipeline::ImportOutcome::Kind::kStored);

  auto names = s().segment_names(e.id);
  EXPECT_EQ(names, (SegmentNames{{"country", {"de"}}, {"device", {"desktop", "mobile"}}}));
  auto stored = s().get_segments(e.id, std::nullopt);
  EXPECT_EQ(stored.version, 1);
  ASSERT_EQ(stored.segments.size(), 2u);
  for (const auto& [d, by_segment] : segs)
    for (const auto& [name, seg] : by_segment) {
      for (const auto& m : seg.series) {
        auto* got = segment_series(stored.segments, d, name, m.metric_id);
        ASSERT_NE(got, nullptr) << d << "/" << name << "/" << m.metric_id;
        expect_same_points(got->points, m.points);
      }
      auto got_users = stored.segments[d][name].unique_users;
      EXPECT_EQ(got_users.has_value(), seg.unique_users.has_value());
      if (got_users && seg.unique_users) {
        EXPECT_EQ(got_users->treatment, seg.unique_users->treatment);
        EXPECT_EQ(got_users->control, seg.unique_users->control);
      }
    }
  auto device = s().get_segments(e.id, std::string("device"));
  EXPECT_EQ(device.version, 1);
  EXPECT_EQ(device.segments.size(), 1u);
  EXPECT_EQ(device.segments["device"].size(), 2u);
  EXPECT_TRUE(s().get_segments(e.id, std::string("browser")).segments.empty());
}

TEST_P(StoreContract, SegmentsMergeUpsertsPerHourAndReplaceReplacesAll) {
  auto e = experiment("Segments merge", {"conversion_rate", "aov"});
  create(e);
  auto write_with = [&](WriteMode mode, domain::Segments segs, UnixSeconds now) {
    pipeline::ResultsWrite w;
    w.experiment_id = e.id;
    w.mode = mode;
    w.metrics = {series("conversion_rate", kT0, 2, 0.03)};
    w.segments = std::move(segs);
    w.now = now;
    return pipeline::import_results(s(), w);
  };
  ASSERT_EQ(write_with(WriteMode::kReplace, device_segments(kT0, 3, 0.03), kT0 + 1).info.version, 1);

  domain::Segments patch;
  patch["device"]["desktop"].series = {domain::MetricSeries{
      "conversion_rate", {{kT0 + 2 * kHour, 0.5, 0.4, 7, 8}, {kT0 + 3 * kHour, 0.25, 0.125, 1000, 2000}}}};
  patch["device"]["tablet"].series = {series("aov", kT0, 2, 70)};
  ASSERT_EQ(write_with(WriteMode::kMerge, patch, kT0 + 2).info.version, 2);
  auto stored = s().get_segments(e.id, std::nullopt);
  EXPECT_EQ(stored.version, 2);
  auto base = device_segments(kT0, 3, 0.03);
  std::vector<domain::HourlyPoint> expected = {base["device"]["desktop"].series[0].points[0],
                                               base["device"]["desktop"].series[0].points[1],
                                               {kT0 + 2 * kHour, 0.5, 0.4, 7, 8},
                                               {kT0 + 3 * kHour, 0.25, 0.125, 1000, 2000}};
  ASSERT_NE(segment_series(stored.segments, "device", "desktop", "conversion_rate"), nullptr);
  expect_same_points(segment_series(stored.segments, "device", "desktop", "conversion_rate")->points, expected);
  expect_same_points(segment_series(stored.segments, "device", "desktop", "aov")->points,
                     base["device"]["desktop"].series[1].points);  // untouched
  ASSERT_NE(segment_series(stored.segments, "device", "tablet", "aov"), nullptr);
  ASSERT_TRUE(stored.segments["device"]["mobile"].unique_users.has_value());  // kept by the merge
  EXPECT_EQ(stored.segments["device"]["mobile"].unique_users->treatment, 300);
  EXPECT_EQ(s().segment_names(e.id)["device"], (std::vector<std::string>{"desktop", "mobile", "tablet"}));

  // A merge without segments keeps them; a replace without segments leaves none.
  ASSERT_EQ(write_with(WriteMode::kMerge, {}, kT0 + 3).info.version, 3);
  EXPECT_EQ(s().get_segments(e.id, std::nullopt).segments.size(), 2u);
  EXPECT_EQ(s().get_segments(e.id, std::nullopt).version, 3);
  ASSERT_EQ(write_with(WriteMode::kReplace, {}, kT0 + 4).info.version, 4);
  EXPECT_TRUE(s().segment_names(e.id).empty());
  EXPECT_TRUE(s().get_segments(e.id, std::nullopt).segments.empty());
}

TEST_P(StoreContract, AMergeOverTheSegmentLimitsUnderTheLockIsRefusedAndWritesNothing) {
  // The upload's own check read the stored segments before the write; a merge that another upload
  // overtook is checked again under the experiment's lock.
  auto e = experiment("Segments limit", {"conversion_rate"});
  create(e);
  pipeline::ResultsWrite w;
  w.experiment_id = e.id;
  w.mode = WriteMode::kReplace;
  w.metrics = {series("conversion_rate", kT0, 2, 0.03)};
  for (const char* d : {"a", "b", "c"}) w.segments[d]["x"].series = {series("conversion_rate", kT0, 2, 0.03)};
  w.now = kT0 + 1;
  ASSERT_EQ(pipeline::import_results(s(), w).kind, pipeline::ImportOutcome::Kind::kStored);
  w.mode = WriteMode::kMerge;
  w.segments.clear();
  w.segments["d"]["x"].series = {series("conversion_rate", kT0, 2, 0.03)};
  w.now = kT0 + 2;
  auto o = pipeline::import_results(s(), w);
  EXPECT_EQ(o.kind, pipeline::ImportOutcome::Kind::kConflict);
  EXPECT_NE(o.reason.find("at most 3 dimensions"), std::string::npos) << o.reason;
  EXPECT_EQ(s().get_segments(e.id, std::nullopt).version, 1);
  EXPECT_EQ(s().segment_names(e.id).size(), 3u);
}

TEST_P(StoreContract, SegmentsOfARolledBackTransactionAreNotStored) {
  auto e = experiment("Segments rollback", {"conversion_rate"});
  create(e);
  {
    auto tx = s().begin();
    tx->bump_results_version(e.id, kT0, std::nullopt);
    tx->replace_segments(e.id, device_segments(kT0, 3, 0.03));
    EXPECT_EQ(tx->read_segments(e.id).size(), 2u);  // the transaction sees its own write
  }  // not committed
  EXPECT_TRUE(s().segment_names(e.id).empty());
  EXPECT_EQ(s().get_segments(e.id, std::nullopt).version, 0);
}

// Each metric's series is one packed row (issue 18): within one write a later point for an hour
// wins, across series of one metric too; a second write in the same transaction merges into the
// first; every number comes back bit for bit.
TEST_P(StoreContract, UpsertPointsKeepsTheLastPointOfAnHourAndEveryBit) {
  auto e = experiment("Packed", {"conversion_rate", "aov"});
  create(e);
  ASSERT_EQ(write(e.id, WriteMode::kReplace, {series("conversion_rate", kT0, 4, 0.03)}, kT0 + 1), 1);
  std::mt19937_64 rng(18);
  auto odd = odd_points(rng, kT0, 6);
  auto tx = s().begin();
  tx->bump_results_version(e.id, kT0 + 2, std::nullopt);
  tx->delete_points(e.id);
  // Out of order, hour 2 given twice (the later wins), and the metric again in a second series.
  domain::MetricSeries first{"conversion_rate", {odd[3], odd[1], {odd[2].timestamp, 9, 9, 9, 9}, odd[2], odd[0]}};
  domain::MetricSeries again{"conversion_rate", {{odd[0].timestamp, 7, 7, 7, 7}, odd[4]}};
  tx->upsert_points(e.id, {first, series("aov", kT0, 2, 50), again});
  // The same transaction again: merged into what it wrote (odd[0] comes back; odd[5] is new).
  tx->upsert_points(e.id, {{"conversion_rate", {odd[5], odd[0]}}});
  auto info = tx->refresh_results_info(e.id);
  EXPECT_EQ(info.points, 6 + 2);
  EXPECT_EQ(info.last_timestamp, kT0 + kHour);  // the earliest of the metrics' last hours (aov's)
  std::int64_t participants = 0;
  for (const auto& p : odd) participants += p.treatment_sample_size + p.control_sample_size;
  EXPECT_EQ(info.participants, participants);
  tx->commit();

  auto r = s().get_results(e.id);
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->metrics.size(), 2u);
  EXPECT_EQ(r->metrics[0].metric_id, "conversion_rate");
  auto bits = [](const std::vector<domain::HourlyPoint>& points) {
    std::vector<std::uint64_t> out;
    for (const auto& p : points)
      out.insert(out.end(), {static_cast<std::uint64_t>(p.timestamp), std::bit_cast<std::uint64_t>(p.treatment_value),
                             std::bit_cast<std::uint64_t>(p.control_value),
                             static_cast<std::uint64_t>(p.treatment_sample_size),
                             static_cast<std::uint64_t>(p.control_sample_size)});
    return out;
  };
  EXPECT_EQ(bits(r->metrics[0].points), bits(odd));
  expect_same_points(r->metrics[1].points, series("aov", kT0, 2, 50).points);
  auto kept = s().results_info(e.id);  // as refresh_results_info kept them, after the commit
  ASSERT_TRUE(kept.has_value());
  EXPECT_EQ(kept->version, 2);
  EXPECT_EQ(kept->points, info.points);
  EXPECT_EQ(kept->participants, info.participants);
  EXPECT_EQ(kept->last_timestamp, info.last_timestamp);

  // A merge in a later transaction reads the stored row: hour 1 replaced, the rest kept.
  domain::HourlyPoint replaced{kT0 + kHour, 0.5, 0.25, 3, 4};
  ASSERT_EQ(write(e.id, WriteMode::kMerge, {{"conversion_rate", {replaced}}}, kT0 + 3), 3);
  auto merged = odd;
  merged[1] = replaced;
  auto after = s().get_results(e.id);
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(bits(*points_of(*after, "conversion_rate")), bits(merged));
}

// A database written by the binary before the packed series (schema version 10 on SQLite, 9 on
// PostgreSQL), with points in result_points, opens with every series as it was: bit for bit, in
// the experiment's metric order (a metric the experiment no longer lists after them), with the
// same figures; and result_points is gone.
TEST_P(StoreContract, PointsWrittenBeforeThePackedSeriesAreMigratedBitForBit) {
  std::mt19937_64 rng(2026);
  std::vector<OldExperiment> old;
  for (int i = 0; i < 3; ++i) {
    OldExperiment e;
    e.id = domain::new_uuid_v7();
    e.metrics = {"conversion_rate", "aov"};
    e.stored.push_back({"conversion_rate", odd_points(rng, kT0 - 24 * kHour, 24 * 15)});
    e.stored.push_back({"aov", odd_points(rng, kT0, 5 + i)});
    if (i == 1) e.stored.push_back({"bounce_rate", odd_points(rng, kT0, 3)});  // no longer listed
    old.push_back(std::move(e));
  }
  OldExperiment without_points;  // results_meta but no rows: stays without series
  without_points.id = domain::new_uuid_v7();
  without_points.metrics = {"conversion_rate"};
  old.push_back(without_points);

  store_.reset();
  std::string url = url_;
  if (GetParam().postgres_url.empty()) {
    url = "sqlite:" + (dir_ / "old.db").string();
    write_old_sqlite(url.substr(7), old);
  } else {
#ifdef RALLYUXR_TEST_CAN_RESET_POSTGRES
    reset_postgres(url_);
    write_old_postgres(url_, old);
#else
    GTEST_SKIP() << "built without libpq";
#endif
  }
  if (HasFatalFailure()) return;
  ASSERT_TRUE(has_result_points(url));
  store_ = make_store(url, 4);
  EXPECT_FALSE(has_result_points(url));

  for (const auto& e : old) {
    auto r = s().get_results(e.id);
    ASSERT_TRUE(r.has_value()) << e.id;
    EXPECT_EQ(r->version, 3);
    std::vector<std::string> order;
    for (const auto& m : r->metrics) order.push_back(m.metric_id);
    std::vector<std::string> expected_order = e.metrics;
    for (const auto& m : e.stored)
      if (std::find(expected_order.begin(), expected_order.end(), m.metric_id) == expected_order.end())
        expected_order.push_back(m.metric_id);
    EXPECT_EQ(order, expected_order);
    std::int64_t points = 0, participants = 0;
    std::optional<UnixSeconds> last;
    for (const auto& m : e.stored) {
      const auto* got = points_of(*r, m.metric_id);
      ASSERT_NE(got, nullptr) << m.metric_id;
      ASSERT_EQ(got->size(), m.points.size());
      for (std::size_t i = 0; i < got->size(); ++i) {
        EXPECT_EQ((*got)[i].timestamp, m.points[i].timestamp);
        EXPECT_EQ(std::bit_cast<std::uint64_t>((*got)[i].treatment_value),
                  std::bit_cast<std::uint64_t>(m.points[i].treatment_value)) << m.metric_id << " " << i;
        EXPECT_EQ(std::bit_cast<std::uint64_t>((*got)[i].control_value),
                  std::bit_cast<std::uint64_t>(m.points[i].control_value)) << m.metric_id << " " << i;
        EXPECT_EQ((*got)[i].treatment_sample_size, m.points[i].treatment_sample_size);
        EXPECT_EQ((*got)[i].control_sample_size, m.points[i].control_sample_size);
      }
      points += static_cast<std::int64_t>(m.points.size());
      if (!last || m.points.back().timestamp < *last) last = m.points.back().timestamp;
      if (m.metric_id == e.metrics[0])
        for (const auto& p : m.points)
          if (p.timestamp >= kT0 && p.timestamp < kT0 + 14 * kDay)
            participants += p.treatment_sample_size + p.control_sample_size;
    }
    for (const auto& m : r->metrics)
      if (std::none_of(e.stored.begin(), e.stored.end(), [&](const auto& x) { return x.metric_id == m.metric_id; }))
        EXPECT_TRUE(m.points.empty());
    auto info = s().results_info(e.id);
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->version, 3);
    EXPECT_EQ(info->points, points);
    EXPECT_EQ(info->participants, participants);
    EXPECT_EQ(info->last_timestamp, last);
  }
  // Writes go on as usual after the migration: a merge into a migrated series.
  domain::HourlyPoint added{kT0 + 500 * kHour, 1, 2, 3, 4};
  ASSERT_EQ(write(old[0].id, WriteMode::kMerge, {{"aov", {added}}}, kT0 + 6), 4);
  auto aov = *points_of(*s().get_results(old[0].id), "aov");
  ASSERT_EQ(aov.size(), old[0].stored[1].points.size() + 1);
  EXPECT_EQ(aov.back().timestamp, added.timestamp);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreContract, ::testing::ValuesIn(backends()),
                         [](const ::testing::TestParamInfo<Backend>& info) { return info.param.name; });

}  // namespace
}  // namespace rallyuxr::store
