// Helpers every backend shares: enum text, the pipeline's message payloads, metric updates.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "domain/time.hpp"
#include "domain/types.hpp"
#include "store/store.hpp"

namespace rallyuxr::store {

JobKind parse_job_kind(const std::string& s);
JobStatus parse_job_status(const std::string& s);

// "metric:lift,metric:lift" with exact (round-trip) numbers.
std::string encode_lifts(const std::map<std::string, double>& lifts);
std::map<std::string, double> decode_lifts(const std::string& text);

std::string json_quote(const std::string& s);

// "a,b,c" <-> ids (ids never hold commas); "" is no ids.
std::string join_ids(const std::vector<std::string>& ids);
std::vector<std::string> split_ids(const std::string& text);

// The contract's "DynamoDB Stream -> Analysis Processor" stream event for a results write.
std::string stream_event_payload(const std::string& experiment_id, std::int64_t results_version,
                                 const std::string& event_name);
// An analyze job: the stream event plus the analysis row it fills and any extra options
// (`extra_json` is the inside of an object, e.g. "\"correction\":\"fdr_bh\"", or empty).
std::string analysis_job_payload(const std::string& experiment_id, std::int64_t results_version,
                                 const std::string& event_name, const std::string& analysis_id,
                                 const std::string& extra_json);
std::string metric_change_payload(const std::string& experiment_id, const std::string& metric_id,
                                  std::int64_t metric_version);

// The database URL fit for logs: a password (postgresql://user:SECRET@host) becomes "***".
std::string redact_database_url(const std::string& url);

// The `error` field of a failed analysis document, for the job's last_error.
std::string failed_error_text(const std::string& document);

}  // namespace rallyuxr::store
