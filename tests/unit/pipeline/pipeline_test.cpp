// The pipeline (pipeline/pipeline.hpp) over a real SQLite store wrapped in FailingStore: lost
// races are retried, a crash between two steps leaves nothing half-written, a worker whose lease
// expired does not do a finished job again, archived is final, and metric rules hold under the
// row lock. The processors (jobs/) run for real over the same wrapper.
#include "pipeline/pipeline.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>
#include <memory>
#include <string>
#include <vector>

#include "domain/ids.hpp"
#include "jobs/processors.hpp"
#include "jobs/worker_pool.hpp"
#include "failing_store.hpp"

namespace rallyuxr::pipeline {
namespace {

using domain::ExperimentStatus;
using domain::UnixSeconds;
using testing::Fault;
using testing::FailingStore;

constexpr UnixSeconds kT0 = 1736899200;  // 2025-01-15T00:00:00Z
constexpr UnixSeconds kHour = domain::kSecondsPerHour;
constexpr UnixSeconds kDay = domain::kSecondsPerDay;

domain::MetricValue metric(const std::string& id, double dollars) {
  domain::MetricValue m;
  m.metric_id = id;
  m.name = "Metric " + id;
  m.description = "Dollars per day for one unit of " + id;
  m.unit = "%";
  m.category = "conversion";
  m.dollars_per_unit = dollars;
  m.unit_size = 0.01;
  m.last_updated = kT0;
  return m;
}

domain::Experiment experiment(const std::string& name, domain::DataSource source) {
  domain::Experiment e;
  e.id = domain::new_uuid_v7();
  e.name = name;
  e.description = "About " + name;
  e.metrics = {"conversion_rate"};
  e.start_date = kT0;
  e.end_date = kT0 + 2 * kDay;
  e.created_at = e.updated_at = kT0;
  e.data_source = source;
  if (source == domain::DataSource::kSimulated) e.simulation = domain::SimulationConfig{};
  return e;
}

domain::MetricSeries series(UnixSeconds first, int hours) {
  domain::MetricSeries s{"conversion_rate", {}};
  for (int i = 0; i < hours; ++i)
    s.points.push_back(domain::HourlyPoint{first + i * kHour, 0.05 + 0.001 * (i % 7), 0.05, 1000, 1000});
  return s;
}

class PipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("rallyuxr-pipeline-test-" + domain::new_uuid_v7());
    real_ = store::make_store("sqlite:" + (dir_ / "x.db").string(), 4);
    fs_ = std::make_unique<FailingStore>(*real_);
    ASSERT_TRUE(seed_catalogue(s(), {metric("conversion_rate", 100)}));
  }
  void TearDown() override {
    fs_.reset();
    real_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  FailingStore& s() { return *fs_; }

  domain::Experiment create(domain::DataSource source, bool with_job = false) {
    auto e = experiment("Exp", source);
    store::Event created{domain::new_uuid_v7(), e.id, "EXPERIMENT_CREATED", "{}", kT0};
    std::optional<store::NewJob> job;
    if (with_job) job = store::NewJob{store::JobKind::kGenerateResults, "{}"};
    create_experiment(s(), e, created, job);
    return e;
  }

  ImportOutcome upload(const std::string& id, int hours, store::WriteMode mode = store::WriteMode::kReplace) {
    ResultsWrite w;
    w.experiment_id = id;
    w.mode = mode;
    w.metrics = {series(kT0 - kDay, hours)};
    w.now = kT0 + 10;
    return import_results(s(), w);
  }

  // Leases and runs every queued job through the real processors (over the wrapper).
  void drain(double now = kT0 + 100) {
    while (auto job = s().lease_job("w", now, 60)) {
      if (job->kind == store::JobKind::kGenerateResults)
        jobs::run_generate_results(s(), *job);
      else
        jobs::run_analysis(s(), *job);
    }
  }

  std::filesystem::path dir_;
  std::unique_ptr<store::Store> real_;
  std::unique_ptr<FailingStore> fs_;
};

TEST_F(PipelineTest, ALostRaceIsRetriedAsAWholeTransaction) {
  auto e = create(domain::DataSource::kImported);
  s().arm("compare_and_set_status", Fault::kConflict, 0, 2);  // two lost races, then it goes
  auto o = archive_experiment(s(), e.id, kT0 + 5);
  EXPECT_EQ(o.kind, ArchiveOutcome::Kind::kArchived);
  EXPECT_EQ(s().failures(), 2);
  EXPECT_EQ(s().get_experiment(e.id)->status, ExperimentStatus::kArchived);
}

TEST_F(PipelineTest, GivesUpAfterTooManyLostRaces) {
  auto e = create(domain::DataSource::kImported);
  s().arm("lock_experiment", Fault::kConflict, 0, kMaxAttempts);
  EXPECT_THROW(archive_experiment(s(), e.id, kT0 + 5), store::TransactionConflict);
  EXPECT_EQ(s().get_experiment(e.id)->status, ExperimentStatus::kDraft);
}

TEST_F(PipelineTest, ACrashBetweenTwoStepsOfAnUploadLeavesNothingHalfWritten) {
  auto e = create(domain::DataSource::kImported);
  for (const char* step : {"bump_results_version", "upsert_points", "refresh_results_info", "insert_event",
                           "insert_analysis", "insert_job", "compare_and_set_status", "commit"}) {
    s().arm(step, Fault::kCrash);
    EXPECT_THROW(upload(e.id, 48), std::runtime_error) << step;
    EXPECT_FALSE(s().get_results(e.id).has_value()) << step;
    EXPECT_EQ(s().list_events(e.id).size(), 1u) << step;  // EXPERIMENT_CREATED only
    EXPECT_TRUE(s().list_analyses(e.id).empty()) << step;
    EXPECT_EQ(s().get_experiment(e.id)->status, ExperimentStatus::kDraft) << step;
  }
  auto o = upload(e.id, 48);  // the same upload once the store behaves
  ASSERT_EQ(o.kind, ImportOutcome::Kind::kStored);
  EXPECT_EQ(o.info.version, 1);
  EXPECT_EQ(o.info.points, 48);
  EXPECT_EQ(o.status, ExperimentStatus::kRunning);
}

TEST_F(PipelineTest, AGenerationJobRetriedAfterACrashCompletesOnce) {
  auto e = create(domain::DataSource::kSimulated, true);
  auto job = s().lease_job("w1", kT0 + 1, 60);
  ASSERT_TRUE(job.has_value());
  s().arm("mark_job_done", Fault::kUnavailable);  // the crash falls after the data, before the job's end
  EXPECT_THROW(jobs::run_generate_results(s(), *job), store::StoreUnavailable);
  EXPECT_FALSE(s().get_results(e.id).has_value());
  EXPECT_EQ(s().get_experiment(e.id)->status, ExperimentStatus::kRunning);  // the first step committed
  jobs::run_generate_results(s(), *job);                                    // the retry
  auto r = s().get_results(e.id);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->version, 1);
  EXPECT_EQ(s().get_job(job->job_id)->status, store::JobStatus::kDone);
  drain();
  EXPECT_EQ(s().get_experiment(e.id)->status, ExperimentStatus::kComplete);
}

TEST_F(PipelineTest, AWorkerWhoseLeaseExpiredDoesNotRedoAFinishedJob) {
  auto e = create(domain::DataSource::kSimulated, true);
  auto first = s().lease_job("slow", kT0 + 1, 5);
  ASSERT_TRUE(first.has_value());
  auto second = s().lease_job("fast", kT0 + 10, 60);  // the slow worker's lease expired
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->job_id, first->job_id);
  jobs::run_generate_results(s(), *second);
  jobs::run_generate_results(s(), *first);  // the slow worker finishes late: nothing happens
  EXPECT_EQ(s().get_results(e.id)->version, 1);
  std::size_t inserts = 0;
  for (const auto& ev : s().list_events(e.id)) inserts += ev.event_type == "RESULTS_INSERT";
  EXPECT_EQ(inserts, 1u);
  EXPECT_EQ(s().list_analyses(e.id).size(), 1u);
  // The same for an analysis job.
  auto a1 = s().lease_job("slow", kT0 + 20, 5);
  ASSERT_TRUE(a1.has_value());
  auto a2 = s().lease_job("fast", kT0 + 30, 60);
  ASSERT_TRUE(a2.has_value());
  jobs::run_analysis(s(), *a2);
  auto done = s().latest_complete_analysis(e.id);
  ASSERT_TRUE(done.has_value());
  jobs::run_analysis(s(), *a1);
  EXPECT_EQ(s().latest_complete_analysis(e.id)->updated_at, done->updated_at);
  EXPECT_EQ(s().latest_complete_analysis(e.id)->document, done->document);
}

TEST_F(PipelineTest, AnAnalysisThatLosesTheRaceToAnArchiveIsKeptButTheStatusStaysArchived) {
  auto e = create(domain::DataSource::kImported);
  ASSERT_EQ(upload(e.id, 24 * 3).kind, ImportOutcome::Kind::kStored);
  drain();
  ASSERT_EQ(s().get_experiment(e.id)->status, ExperimentStatus::kComplete);
  auto req = request_analysis(s(), e.id, "", kT0 + 200);
  ASSERT_EQ(req.kind, RequestOutcome::Kind::kQueued);
  auto job = s().lease_job("w", kT0 + 201, 60);  // the re-analysis is running ...
  ASSERT_TRUE(job.has_value());
  ASSERT_EQ(archive_experiment(s(), e.id, kT0 + 202).kind, ArchiveOutcome::Kind::kArchived);  // ... archive wins
  jobs::run_analysis(s(), *job);
  EXPECT_EQ(s().get_experiment(e.id)->status, ExperimentStatus::kArchived);
  auto a = s().get_analysis(req.analysis_id);
  EXPECT_EQ(a->status, "complete");  // the work is recorded
  EXPECT_EQ(s().get_job(job->job_id)->status, store::JobStatus::kDone);
  // Later requests and uploads are refused.
  EXPECT_EQ(request_analysis(s(), e.id, "", kT0 + 300).kind, RequestOutcome::Kind::kArchived);
  auto o = upload(e.id, 10);
  EXPECT_EQ(o.kind, ImportOutcome::Kind::kConflict);
  EXPECT_EQ(o.reason, "The experiment is archived");
  EXPECT_EQ(s().get_results(e.id)->version, 1);
}

TEST_F(PipelineTest, GenerationForAnExperimentArchivedMeanwhileStoresNothing) {
  auto e = create(domain::DataSource::kSimulated, true);
  auto job = s().lease_job("w", kT0 + 1, 60);
  ASSERT_TRUE(job.has_value());
  auto step = begin_generation(s(), *job, kT0 + 2);
  ASSERT_EQ(step.kind, JobStep::Kind::kGo);
  EXPECT_EQ(step.experiment.status, ExperimentStatus::kRunning);
  // Running experiments cannot be archived; a draft raced by a generator can.
  EXPECT_EQ(archive_experiment(s(), e.id, kT0 + 3).kind, ArchiveOutcome::Kind::kConflict);
  auto e2 = create(domain::DataSource::kSimulated, true);
  auto job2 = s().lease_job("w", kT0 + 4, 60);
  ASSERT_TRUE(job2.has_value());
  ASSERT_EQ(archive_experiment(s(), e2.id, kT0 + 5).kind, ArchiveOutcome::Kind::kArchived);
  auto stored = store_generated_results(s(), *job2, {series(kT0, 3)}, "{}", kT0 + 6);
  EXPECT_EQ(stored.kind, JobStep::Kind::kSkipped);
  EXPECT_FALSE(s().get_results(e2.id).has_value());
  EXPECT_EQ(s().get_experiment(e2.id)->status, ExperimentStatus::kArchived);
  EXPECT_EQ(s().get_job(job2->job_id)->status, store::JobStatus::kDone);
}

TEST_F(PipelineTest, AnAnalysisOfOlderResultsDoesNotMoveTheStatus) {
  auto e = create(domain::DataSource::kImported);
  ASSERT_EQ(upload(e.id, 30).kind, ImportOutcome::Kind::kStored);  // version 1: short of the end
  auto old_job = s().lease_job("slow", kT0 + 20, 60);             // its analysis starts ...
  ASSERT_TRUE(old_job.has_value());
  ASSERT_EQ(upload(e.id, 24 * 3).kind, ImportOutcome::Kind::kStored);  // version 2 covers the end
  drain(kT0 + 30);
  ASSERT_EQ(s().get_experiment(e.id)->status, ExperimentStatus::kComplete);
  // ... and finishes last, with what it saw in version 1.
  AnalysisFinish f;
  f.analysis_id = s().list_analyses(e.id).back().analysis_id;
  f.job_id = old_job->job_id;
  f.ok = true;
  f.document = "{}";
  f.total_impact = 5;
  f.covers_end = false;
  f.analysed_version = 1;
  f.now = kT0 + 40;
  auto out = finish_analysis(s(), f);
  EXPECT_FALSE(out.skipped);
  EXPECT_EQ(s().get_experiment(e.id)->status, ExperimentStatus::kComplete);
  EXPECT_EQ(s().get_analysis(f.analysis_id)->status, "complete");  // recorded all the same
}

TEST_F(PipelineTest, MetricRulesAreCheckedAgainstTheRowTheWriteSees) {
  store::MetricValueUpdate strict;
  strict.dollars_per_unit = 50;
  strict.validation_rules = domain::ValidationRules{std::nullopt, 100.0, std::nullopt};
  ASSERT_EQ(update_metric_value(s(), "conversion_rate", strict, kT0 + 1).kind, MetricUpdateOutcome::Kind::kUpdated);
  // A request validated against the old (rule-less) row arrives now: refused under the lock.
  store::MetricValueUpdate late;
  late.dollars_per_unit = 5000;
  auto o = update_metric_value(s(), "conversion_rate", late, kT0 + 2);
  ASSERT_EQ(o.kind, MetricUpdateOutcome::Kind::kInvalid);
  ASSERT_EQ(o.issues.size(), 1u);
  EXPECT_EQ(o.issues[0].path, "dollarsPerUnit");
  EXPECT_EQ(o.issues[0].message, "Must be at most 100");
  EXPECT_EQ(s().get_metric_value("conversion_rate")->dollars_per_unit, 50);
  EXPECT_EQ(s().get_metric_value("conversion_rate")->version, 2);
}

TEST_F(PipelineTest, EveryFieldOfAMetricValueIsVersionedWithItsChanges) {
  store::MetricValueUpdate u;
  u.dollars_per_unit = 100;  // unchanged
  u.unit_size = 1;           // was 0.01
  u.category = "revenue";
  u.value_group = "money";
  u.change_reason = "priced per point";
  auto o = update_metric_value(s(), "conversion_rate", u, kT0 + 1);
  ASSERT_EQ(o.kind, MetricUpdateOutcome::Kind::kUpdated);
  EXPECT_EQ(o.updated.metric.version, 2);
  auto h = s().metric_value_history("conversion_rate");
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[0].version, 2);
  EXPECT_EQ(h[0].change_reason, std::optional<std::string>("priced per point"));
  ASSERT_EQ(h[0].changes.size(), 3u);
  EXPECT_EQ(h[0].changes[0].field, "unitSize");
  EXPECT_EQ(h[0].changes[0].from, "0.01");
  EXPECT_EQ(h[0].changes[0].to, "1");
  EXPECT_EQ(h[0].changes[1].field, "category");
  EXPECT_EQ(h[0].changes[1].from, "\"conversion\"");
  EXPECT_EQ(h[0].changes[1].to, "\"revenue\"");
  EXPECT_EQ(h[0].changes[2].field, "valueGroup");
  EXPECT_EQ(h[0].changes[2].from, "null");
  EXPECT_EQ(h[0].changes[2].to, "\"money\"");
  EXPECT_TRUE(h[1].changes.empty());
}

TEST_F(PipelineTest, MergeKeepsUniqueUsersUnlessTheUploadGivesThem) {
  auto e = create(domain::DataSource::kImported);
  ResultsWrite w;
  w.experiment_id = e.id;
  w.metrics = {series(kT0, 5)};
  w.unique_users = domain::UniqueUsers{500, 480};
  w.now = kT0 + 1;
  ASSERT_EQ(import_results(s(), w).kind, ImportOutcome::Kind::kStored);
  w.mode = store::WriteMode::kMerge;
  w.unique_users.reset();
  w.metrics = {series(kT0 + 5 * kHour, 2)};
  auto o = import_results(s(), w);
  EXPECT_EQ(o.info.points, 7);  // the totals this upload committed
  EXPECT_EQ(s().get_results(e.id)->unique_users->treatment, 500);
  w.mode = store::WriteMode::kReplace;
  ASSERT_EQ(import_results(s(), w).kind, ImportOutcome::Kind::kStored);
  EXPECT_FALSE(s().get_results(e.id)->unique_users.has_value());
}

TEST_F(PipelineTest, AJobThatKeepsFailingEndsFailedWithAFailedAnalysis) {
  // Replaces the production flag that injected job failures: the store fails the write, for real.
  auto e = create(domain::DataSource::kSimulated, true);
  s().arm("upsert_points", Fault::kUnavailable, 0, 1000);
  jobs::WorkerOptions wo;
  wo.workers = 1;
  wo.max_attempts = 3;
  wo.retry_base_seconds = 0.01;
  jobs::WorkerPool pool(s(), wo);
  s().set_job_listener([&pool] { pool.notify(); });
  pool.start();
  for (int i = 0; i < 2000; ++i) {
    auto jobs = s().list_jobs(e.id);
    if (!jobs.empty() && jobs[0].status == store::JobStatus::kFailed) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  pool.stop();
  s().disarm();
  auto jobs = s().list_jobs(e.id);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].status, store::JobStatus::kFailed);
  EXPECT_EQ(jobs[0].attempts, 3);
  EXPECT_NE(jobs[0].last_error->find("injected: upsert_points unavailable"), std::string::npos);
  auto a = s().latest_analysis(e.id);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->status, "failed");
  EXPECT_FALSE(s().get_results(e.id).has_value());
}

TEST_F(PipelineTest, AFailedJobKeepsItsErrorTextAsGiven) {
  // The job's last error is the processor's text, quotes and line breaks included.
  auto e = create(domain::DataSource::kSimulated, true);
  auto job = s().lease_job("w", kT0 + 1, 60);
  ASSERT_TRUE(job.has_value());
  jobs::record_final_failure(s(), *job, "disk \"data\" full\nsecond line");
  auto j = s().get_job(job->job_id);
  EXPECT_EQ(j->status, store::JobStatus::kFailed);
  ASSERT_TRUE(j->last_error.has_value());
  EXPECT_EQ(*j->last_error, "Results generation failed: disk \"data\" full\nsecond line");
  auto a = s().latest_analysis(e.id);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->status, "failed");
}

}  // namespace
}  // namespace rallyuxr::pipeline
