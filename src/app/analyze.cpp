#include "app/analyze.hpp"

#include <boost/json.hpp>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "codec/analysis_json.hpp"
#include "codec/json_parse.hpp"
#include "codec/json_text.hpp"
#include "codec/results_io.hpp"
#include "app/catalogue.hpp"
#include "domain/time.hpp"
#include "jobs/processors.hpp"
#include "stats/segments.hpp"

namespace rallyuxr::app {
namespace json = boost::json;
// Reads a whole file (or stdin for "-") with spare capacity behind the text, so that simdjson
// parses it in place.
bool read_input(const std::string& path, std::string& out) {
  out.clear();
  if (path == "-") {
    std::ostringstream ss;
    ss << std::cin.rdbuf();
    out = ss.str();
    out.reserve(out.size() + 64);
    return true;
  }
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return false;
  std::size_t size = 0;
  if (std::fseek(f, 0, SEEK_END) == 0) {
    long n = std::ftell(f);
    if (n > 0) size = static_cast<std::size_t>(n);
    std::fseek(f, 0, SEEK_SET);
  }
  out.reserve(size + 64);
  char buf[1 << 16];
  bool ok = true;
  if (size > 0) {
    out.resize(size);
    std::size_t got = std::fread(out.data(), 1, size, f);
    out.resize(got);
  }
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) out.append(buf, n);  // a growing file, a pipe
  if (std::ferror(f)) ok = false;
  std::fclose(f);
  if (out.capacity() < out.size() + 64) out.reserve(out.size() + 64);
  return ok;
}

bool is_json_text(std::string_view text) {
  const std::size_t first = text.find_first_not_of(" \t\r\n\xEF\xBB\xBF");
  return first != std::string_view::npos && text[first] == '{';
}

namespace {

// The results file mapped read-only (no copy, no zeroed pages: the page cache's own pages, mapped
// at once with MAP_POPULATE rather than one fault per page); stdin and other non-files are read
// into memory. The mapping's last page is readable to its end: simdjson's tier parses in place
// when that leaves its 64 bytes of padding, and copies the text otherwise.
class InputText {
 public:
  bool open(const std::string& path) {
    if (path != "-") {
      int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) return false;
      struct stat st {};
      const long page = ::sysconf(_SC_PAGESIZE);
      if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 && page > 0) {
        const auto size = static_cast<std::size_t>(st.st_size);
        const auto mapped = (size + static_cast<std::size_t>(page) - 1) / static_cast<std::size_t>(page) *
                            static_cast<std::size_t>(page);
        void* p = ::mmap(nullptr, mapped, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
        if (p != MAP_FAILED) {
          ::close(fd);
          map_ = p;
          mapped_ = mapped;
          text_ = std::string_view(static_cast<const char*>(p), size);
          return true;
        }
      }
      ::close(fd);
    }
    if (!read_input(path, copy_)) return false;
    text_ = copy_;
    return true;
  }
  ~InputText() {
    if (map_) ::munmap(map_, mapped_);
  }
  std::string_view text() const { return text_; }
  // Bytes readable from text().data(): the rest of the last mapped page, or the string's capacity.
  std::size_t capacity() const { return map_ ? mapped_ : copy_.capacity(); }

 private:
  void* map_ = nullptr;
  std::size_t mapped_ = 0;
  std::string copy_;
  std::string_view text_;
};

}  // namespace

json::object& results_object(json::object& file) {
  if (auto d = file.find("data"); d != file.end() && d->value().is_object()) {
    auto r = d->value().get_object().find("results");
    if (r != d->value().get_object().end() && r->value().is_object()) return r->value().get_object();
  }
  return file;
}

// Accepts the GET /metric-values envelope, its data object, or a bare array of metric values.
std::vector<domain::MetricValue> parse_metric_values(const json::value& v, std::string& error) {
  const json::value* arr = &v;
  if (v.is_object()) {
    const auto& o = v.get_object();
    if (auto d = o.find("data"); d != o.end()) arr = &d->value();
    if (arr->is_object()) {
      auto m = arr->get_object().find("metrics");
      if (m == arr->get_object().end()) {
        error = "no 'metrics' array";
        return {};
      }
      arr = &m->value();
    }
  }
  if (!arr->is_array()) {
    error = "expected the GET /metric-values JSON";
    return {};
  }
  std::vector<domain::MetricValue> out;
  for (const auto& item : arr->get_array()) {
    if (!item.is_object()) continue;
    const auto& o = item.get_object();
    domain::MetricValue m;
    auto str = [&](const char* k) -> std::string {
      auto it = o.find(k);
      return it != o.end() && it->value().is_string() ? std::string(it->value().get_string()) : std::string();
    };
    auto num = [&](const char* k) -> std::optional<double> {
      auto it = o.find(k);
      if (it != o.end() && it->value().is_number()) return it->value().to_number<double>();
      return std::nullopt;
    };
    m.metric_id = str("metricId");
    m.name = str("name");
    m.description = str("description");
    m.unit = str("unit");
    m.category = str("category");
    auto d = num("dollarsPerUnit");
    if (m.metric_id.empty() || !d) {
      error = "every metric value needs metricId and dollarsPerUnit";
      return {};
    }
    m.dollars_per_unit = *d;
    m.improvement_direction = domain::parse_direction(str("improvementDirection")).value_or(domain::Direction::kIncrease);
    m.unit_size = num("unitSize").value_or(m.unit == "%" ? 0.01 : 1.0);
    m.version = static_cast<std::int64_t>(num("version").value_or(1));
    if (auto g = str("valueGroup"); !g.empty()) m.value_group = g;
    out.push_back(m);
  }
  return out;
}

std::vector<domain::MetricValue> load_catalogue(const std::string& file, std::string& error) {
  if (file.empty()) return default_catalogue(domain::now_seconds());
  std::string text;
  if (!read_input(file, text)) {
    error = "cannot read " + file;
    return {};
  }
  boost::system::error_code ec;
  auto v = codec::parse_json_exact(text, ec);
  if (ec) {
    error = file + ": malformed JSON: " + ec.message();
    return {};
  }
  auto catalogue = parse_metric_values(v, error);
  if (!error.empty()) {
    error = file + ": " + error;
    return {};
  }
  return catalogue;
}

int run_analyze(const AnalyzeConfig& cfg) {
  auto fail = [](const std::string& msg) {
    std::cerr << "rallyuxr analyze: " << msg << "\n";
    return 1;
  };
  auto start = domain::parse_iso8601(cfg.start);
  auto end = domain::parse_iso8601(cfg.end);
  if (!start) return fail("--start must be YYYY-MM-DD or an ISO-8601 datetime with a zone");
  if (!end) return fail("--end must be YYYY-MM-DD or an ISO-8601 datetime with a zone");
  if (*end <= *start) return fail("--end must be after --start");
  auto correction = domain::parse_correction(cfg.correction);
  if (!correction) return fail("--correction must be holm or fdr_bh");

  InputText input;
  if (!input.open(cfg.file)) return fail("cannot read " + cfg.file);
  const std::string_view text = input.text();
  auto design = domain::parse_analysis_design(cfg.design);
  if (!design) return fail("--design must be did or paired");
  codec::UploadRules rules;  // offline: any hour, any metric id
  rules.start = *start;
  codec::ParsedUpload parsed;
  if (is_json_text(text)) {
    if (auto fast = codec::parse_results_json_fast(text, input.capacity(), rules, /*envelope=*/true)) {
      parsed = std::move(*fast);
    } else {
      boost::system::error_code ec;
      auto v = codec::parse_json_exact(text, ec);
      if (ec) return fail(cfg.file + ": malformed JSON: " + ec.message());
      if (!v.is_object()) return fail(cfg.file + ": expected a JSON object");
      parsed = codec::parse_results_json(results_object(v.get_object()), rules);
    }
  } else {
    parsed = codec::parse_results_csv(text, rules);
  }
  if (!parsed.issues.empty()) {
    std::cerr << "rallyuxr analyze: " << cfg.file << " was rejected:\n";
    for (const auto& i : parsed.issues) std::cerr << "  " << (i.path.empty() ? "" : i.path + ": ") << i.message << "\n";
    return 1;
  }

  std::string error;
  const std::vector<domain::MetricValue> catalogue = load_catalogue(cfg.metric_values_file, error);
  if (!error.empty()) return fail(error);

  domain::Experiment e;
  e.start_date = *start;
  e.end_date = *end;
  e.confidence_level = cfg.confidence;
  e.traffic_split = cfg.traffic_split;
  e.implementation_cost = cfg.implementation_cost;
  e.analysis_design = *design;
  for (const auto& m : parsed.metrics) e.metrics.push_back(m.metric_id);
  for (const auto& g : cfg.guardrails) {
    if (std::find(e.metrics.begin(), e.metrics.end(), g) == e.metrics.end())
      return fail("--guardrails: '" + g + "' is not a metric of " + cfg.file);
    if (std::find(e.guardrail_metrics.begin(), e.guardrail_metrics.end(), g) != e.guardrail_metrics.end())
      return fail("--guardrails: '" + g + "' is listed twice");
    e.guardrail_metrics.push_back(g);
  }
  auto in = jobs::make_analysis_input(e, std::move(parsed.metrics), catalogue, parsed.unique_users);
  in.correction = *correction;
  auto out = stats::analyze(in);
  // A file with segments gets the analysis per segment, as the server's analysis job does.
  auto by_segment = stats::analyze_segments(in, parsed.segments);

  json::object doc = codec::analysis_output_to_json(out, by_segment);
  doc["status"] = "complete";
  doc["version"] = out.version;
  doc["analysisTimestamp"] = domain::format_iso8601(domain::now_seconds());
  doc["confidenceLevel"] = cfg.confidence;
  json::object period;
  period["startDate"] = domain::format_iso8601(*start);
  period["endDate"] = domain::format_iso8601(*end);
  period["durationDays"] = static_cast<double>(*end - *start) / domain::kSecondsPerDay;
  doc["experimentPeriod"] = std::move(period);
  json::object snapshot;
  for (const auto& m : catalogue) {
    if (!in.pricing.count(m.metric_id)) continue;
    json::object s;
    s["dollarsPerUnit"] = m.dollars_per_unit;
    s["description"] = m.description;
    s["unit"] = m.unit;
    s["unitSize"] = m.unit_size;
    s["improvementDirection"] = domain::to_string(m.improvement_direction);
    if (m.value_group) s["valueGroup"] = *m.value_group;
    snapshot[m.metric_id] = std::move(s);
  }
  doc["metricValuesSnapshot"] = std::move(snapshot);
  std::cout << codec::to_json_text(doc) << "\n";
  return 0;
}

}  // namespace rallyuxr::app
