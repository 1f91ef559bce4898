// Helpers every backend shares: enum text, lifts and id lists as column text, JSON quoting.
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

// `s` as a JSON string literal (domain::append_json_string).
std::string json_quote(const std::string& s);

// "a,b,c" <-> ids (ids never hold commas); "" is no ids.
std::string join_ids(const std::vector<std::string>& ids);
std::vector<std::string> split_ids(const std::string& text);

// The database URL fit for logs: a password (postgresql://user:SECRET@host) becomes "***".
std::string redact_database_url(const std::string& url);


}  // namespace rallyuxr::store
