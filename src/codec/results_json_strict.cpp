// The first tier of parse_results_json_fast: one pass over the text, no DOM, for exactly the
// upload's shape. Why a tier of its own before simdjson's DOM: simdjson builds a structural index,
// a tape and a string buffer (about three times the text in fresh memory), and on a 14 MB file the
// page faults on that memory cost as much as the parsing; this reader touches nothing but the text
// and the points it returns. It reads only what it fully understands and declines (nullopt)
// everything else, so that the simdjson tier and then the general parser decide, and report, as
// before:
//  - strings with an escape, a control character or any byte >= 0x80 (segment names in UTF-8 go
//    the simdjson way), or a value nested deeper than kMaxSkipDepth inside an ignored field;
//  - a repeated key anywhere it reads keys; a key it does not know at the top (the upload's and a
//    GET .../results response's), in a metric (timeSeries, summary), in a segment or in
//    uniqueUsers; unknown fields of a point are skipped (validated), as the general path ignores
//    them;
//  - numbers outside JSON's grammar (checked here: std::from_chars alone would take "01", "1.",
//    "inf", "nan"), numbers std::from_chars reports out of range, anything the Collector would
//    report as an issue.
// Numbers come out as parse_json_exact + parse_results_json give them, bit for bit: an integer
// literal as Boost.JSON's int64/uint64 converted to double ("-0" is the integer 0, so +0.0), other
// numbers correctly rounded, as std::from_chars rounds them in libstdc++ 12 (Clinger's exact fast
// path when the digits fit 2^53 and the power of ten is exact; an exact 128-bit division for up to
// 19 digits over 10^1..10^19; std::from_chars itself otherwise).
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "codec/results_io.hpp"
#include "codec/upload_collector.hpp"
#include "domain/time.hpp"

namespace rallyuxr::codec {
namespace {

using upload::Collector;

// Ignored values (summary, experimentPeriod, a point's extra fields) deeper than this are left to
// the other tiers.
constexpr int kMaxSkipDepth = 16;

// A JSON number as written: its text, whether it is an integer literal (no fraction, no exponent),
// and when it has at most 19 digits, its digits as an integer and the power of ten they carry.
struct Number {
  std::string_view text;
  bool negative = false;
  bool integer = true;
  bool small = true;  // at most 19 digits: `digits` is exact
  std::uint64_t digits = 0;
  int exp10 = 0;
};

constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                             1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

// digits / 10^q correctly rounded (to nearest, ties to even), for digits != 0 and 1 <= q <= 19 where
// the quotient needs no more than the 128 bits below: the exact integer division of digits * 2^s by
// 10^q keeps 54 bits (53 and the rounding bit) and whether anything remains. For 17 significant
// digits beyond 2^53, which Clinger's fast path cannot take. False: not in that range.
inline bool divide_by_pow10(std::uint64_t digits, int q, double& v) {
  static constexpr std::uint64_t kPow10Int[] = {1ULL,
                                                10ULL,
                                                100ULL,
                                                1000ULL,
                                                10000ULL,
                                                100000ULL,
                                                1000000ULL,
                                                10000000ULL,
                                                100000000ULL,
                                                1000000000ULL,
                                                10000000000ULL,
                                                100000000000ULL,
                                                1000000000000ULL,
                                                10000000000000ULL,
                                                100000000000000ULL,
                                                1000000000000000ULL,
                                                10000000000000000ULL,
                                                100000000000000000ULL,
                                                1000000000000000000ULL,
                                                10000000000000000000ULL};
  if (digits == 0 || q < 1 || q > 19) return false;
  const std::uint64_t d = kPow10Int[q];
  const int bits_n = 64 - __builtin_clzll(digits), bits_d = 64 - __builtin_clzll(d);
  int s = 54 + bits_d - bits_n;  // digits * 2^s / d lies in [2^53, 2^55)
  if (s < 0) return false;
  const unsigned __int128 n = static_cast<unsigned __int128>(digits) << s;  // < 2^(54 + bits_d) <= 2^118
  std::uint64_t quotient = static_cast<std::uint64_t>(n / d);
  bool sticky = static_cast<unsigned __int128>(quotient) * d != n;
  if (quotient >= (std::uint64_t{1} << 54)) {
    sticky = sticky || (quotient & 1);
    quotient >>= 1;
    --s;
  }
  std::uint64_t mantissa = quotient >> 1;  // 53 bits; the value is mantissa * 2^(1 - s), then rounded
  if ((quotient & 1) && (sticky || (mantissa & 1))) ++mantissa;  // 2^53 at most: still exact
  // 2^(1 - s), a normal double for every s here (-1 <= s <= 117).
  const double scale = std::bit_cast<double>(static_cast<std::uint64_t>(1023 + 1 - s) << 52);
  v = static_cast<double>(mantissa) * scale;
  return true;
}

// The double parse_json_exact gives for the number (Boost.JSON: an integer literal that fits 64
// bits is an int64 or uint64, converted to the nearest double; everything else is converted from
// its text with std::from_chars). False where that conversion fails or gives no finite value. The
// two shortcuts before from_chars round correctly too, so they give its result.
[[gnu::always_inline]] inline bool to_double(const Number& n, double& v) {
  if (n.integer && n.small) {  // int64/uint64 -> double, round to nearest; "-0" is the integer 0
    v = static_cast<double>(n.digits);
    if (n.negative && n.digits != 0) v = -v;
    return true;
  }
  if (n.small && n.digits <= (std::uint64_t{1} << 53) && n.exp10 >= -22 && n.exp10 <= 22) {
    // Both operands exact, so the one IEEE operation rounds correctly, as from_chars does.
    v = static_cast<double>(n.digits);
    v = n.exp10 < 0 ? v / kPow10[-n.exp10] : v * kPow10[n.exp10];
    if (n.negative) v = -v;
    return true;
  }
  if (n.small && n.exp10 < 0 && divide_by_pow10(n.digits, -n.exp10, v)) {
    if (n.negative) v = -v;
    return true;
  }
  auto [end, ec] = std::from_chars(n.text.data(), n.text.data() + n.text.size(), v);
  return ec == std::errc() && end == n.text.data() + n.text.size() && std::isfinite(v);
}

// A count as parse_results_json reads it: an int64 or uint64 in [0, max], or a double that is a
// non-negative whole number up to max (`max_exclusive_double`: below 9e15, as for uniqueUsers).
[[gnu::always_inline]] inline bool to_count(const Number& n, std::int64_t& v, std::int64_t max, bool max_exclusive_double) {
  if (n.integer) {
    if (!n.small) return false;  // beyond 64 bits: a double of at least 1e19, above every max
    if (n.negative) {
      if (n.digits != 0) return false;
      v = 0;
      return true;
    }
    if (n.digits > static_cast<std::uint64_t>(max)) return false;
    v = static_cast<std::int64_t>(n.digits);
    return true;
  }
  double d = 0;
  if (!to_double(n, d) || !(d >= 0) || d != std::floor(d)) return false;
  if (max_exclusive_double ? d >= 9e15 : d > static_cast<double>(max)) return false;
  v = static_cast<std::int64_t>(d);
  return true;
}

// Whether the N bytes at `a` are those of `b`, compared as words (std::memcmp of more than a
// few bytes is a library call).
template <std::size_t N>
[[gnu::always_inline]] inline bool same_bytes(const char* a, const char* b) {
  if constexpr (N < 8) {
    return std::memcmp(a, b, N) == 0;
  } else {
    std::uint64_t x, y, diff = 0;
    for (std::size_t i = 0; i + 8 <= N; i += 8) {
      std::memcpy(&x, a + i, 8);
      std::memcpy(&y, b + i, 8);
      diff |= x ^ y;
    }
    if constexpr (N % 8 != 0) {  // the last 8 bytes, overlapping the words before
      std::memcpy(&x, a + N - 8, 8);
      std::memcpy(&y, b + N - 8, 8);
      diff |= x ^ y;
    }
    return diff == 0;
  }
}

// The word-at-a-time code below reads the first byte of a word as its lowest.
static_assert(std::endian::native == std::endian::little);

// Eight ASCII digits in a little-endian word (the first in the lowest byte), and their value
// (simdjson's parse_eight_digits_unrolled).
bool eight_digits(std::uint64_t w) {
  return (w & 0xF0F0F0F0F0F0F0F0ULL) == 0x3030303030303030ULL &&
         ((w + 0x0606060606060606ULL) & 0xF0F0F0F0F0F0F0F0ULL) == 0x3030303030303030ULL;
}
std::uint32_t eight_digits_value(std::uint64_t w) {
  w -= 0x3030303030303030ULL;
  w = (w * 10) + (w >> 8);
  w = (((w & 0x000000FF000000FFULL) * (100 + (1000000ULL << 32))) +
       (((w >> 16) & 0x000000FF000000FFULL) * (1 + (10000ULL << 32)))) >>
      32;
  return static_cast<std::uint32_t>(w);
}

class Reader {
 public:
  explicit Reader(std::string_view text) : p_(text.data()), end_(text.data() + text.size()) {}

  bool at_end() {
    ws();
    return p_ == end_;
  }

  // Consumes `c` after any whitespace.
  bool eat(char c) {
    ws();
    if (p_ < end_ && *p_ == c) {
      ++p_;
      return true;
    }
    return false;
  }

  // A string without escapes, control characters or bytes >= 0x80: its bytes, in place. Eight
  // bytes at a time: a word holds none of '"', '\\', < 0x20, >= 0x80, or the first one it holds
  // is the string's end or a reason to decline.
  bool string(std::string_view& out) {
    if (!eat('"')) return false;
    const char* const s = p_;
    const char* p = s;
    constexpr std::uint64_t kOnes = 0x0101010101010101ULL, kHigh = 0x8080808080808080ULL;
    while (end_ - p >= 8) {
      std::uint64_t w;
      std::memcpy(&w, p, 8);
      const std::uint64_t quote = w ^ (kOnes * '"'), backslash = w ^ (kOnes * '\\');
      // Bytes that are zero (after the xor), or below 0x20, or >= 0x80 (exact up to the first one).
      const std::uint64_t hit = ((quote - kOnes) & ~quote) | ((backslash - kOnes) & ~backslash) |
                                ((w - kOnes * 0x20) & ~w) | w;
      if ((hit & kHigh) == 0) {
        p += 8;
        continue;
      }
      p += static_cast<unsigned>(__builtin_ctzll(hit & kHigh)) / 8;  // little-endian: the first byte hit
      break;
    }
    for (;; ++p) {
      if (p == end_) return false;
      const auto c = static_cast<unsigned char>(*p);
      if (c == '"') break;
      if (c < 0x20 || c == '\\' || c >= 0x80) return false;
    }
    out = std::string_view(s, static_cast<std::size_t>(p - s));
    p_ = p + 1;
    return true;
  }

  // A number in JSON's grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
  [[gnu::always_inline]] bool number(Number& n) {
    ws();
    const char* const s = p_;
    const char* p = s;
    const char* const end = end_;
    bool negative = false, integer = true;
    std::uint64_t digits = 0;
    int count = 0;  // digits read (a fraction's leading zeros included); only the first 19 are kept
    int exp10 = 0;
    auto is_digit = [&] { return p < end && static_cast<unsigned>(*p - '0') <= 9; };
    // A run of digits: eight at a time while they fit the 19 kept, then one by one.
    auto run = [&] [[gnu::always_inline]] {
      while (count <= 11 && end - p >= 8) {
        std::uint64_t w;
        std::memcpy(&w, p, 8);
        if (!eight_digits(w)) break;
        digits = digits * 100000000 + eight_digits_value(w);
        count += 8;
        p += 8;
      }
      for (; is_digit(); ++p, ++count)
        if (count < 19) digits = digits * 10 + static_cast<unsigned>(*p - '0');
    };
    if (p < end && *p == '-') {
      negative = true;
      ++p;
    }
    if (!is_digit()) return false;
    if (*p == '0') {
      ++p;  // a leading zero stands alone ("01" ends here, and the caller finds '1')
    } else {
      run();
    }
    const int int_count = count;
    if (p < end && *p == '.') {
      ++p;
      integer = false;
      if (!is_digit()) return false;
      run();
      exp10 = int_count - count;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
      ++p;
      integer = false;
      bool neg = false;
      if (p < end && (*p == '+' || *p == '-')) neg = *p++ == '-';
      if (!is_digit()) return false;
      int e = 0;
      while (is_digit()) {
        if (e < 100000) e = e * 10 + (*p - '0');
        ++p;
      }
      exp10 += neg ? -e : e;
    }
    n.text = std::string_view(s, static_cast<std::size_t>(p - s));
    n.negative = negative;
    n.integer = integer;
    n.small = count <= 19;
    n.digits = digits;
    n.exp10 = exp10;
    p_ = p;
    return true;
  }

  // The exact bytes of the literal `lit` next, without whitespace before them (a comparison of
  // known length, which the compiler inlines).
  template <std::size_t N>
  [[gnu::always_inline]] bool exact(const char (&lit)[N]) {
    constexpr std::size_t n = N - 1;
    if (static_cast<std::size_t>(end_ - p_) < n || !same_bytes<n>(p_, lit)) return false;
    p_ += n;
    return true;
  }
  // The `n` bytes next, followed by `after` (consumed too), with no look at what they are.
  bool bytes_then(std::size_t n, char after, std::string_view& out) {
    if (static_cast<std::size_t>(end_ - p_) <= n || p_[n] != after) return false;
    out = std::string_view(p_, n);
    p_ += n + 1;
    return true;
  }
  const char* position() const { return p_; }
  void rewind(const char* p) { p_ = p; }

  // Calls member(key) for each member of an object; member reads the value.
  template <class F>
  bool object(F&& member) {
    if (!eat('{')) return false;
    if (eat('}')) return true;
    do {
      std::string_view key;
      if (!string(key) || !eat(':') || !member(key)) return false;
    } while (eat(','));
    return eat('}');
  }

  // Calls element() for each element of an array; element reads it.
  template <class F>
  bool array(F&& element) {
    if (!eat('[')) return false;
    if (eat(']')) return true;
    do {
      if (!element()) return false;
    } while (eat(','));
    return eat(']');
  }

  bool null() { return literal("null"); }
  bool next_is(char c) {
    ws();
    return p_ < end_ && *p_ == c;
  }

  // Any JSON value, checked and dropped.
  bool skip(int depth = 0) {
    if (depth > kMaxSkipDepth) return false;
    ws();
    if (p_ == end_) return false;
    switch (*p_) {
      case '{':
        return object([&](std::string_view) { return skip(depth + 1); });
      case '[':
        return array([&] { return skip(depth + 1); });
      case '"': {
        std::string_view s;
        return string(s);
      }
      case 't': return literal("true");
      case 'f': return literal("false");
      case 'n': return literal("null");
      default: {
        // Checked as parse_json_exact converts it: a number out of a double's range is an error there.
        Number n;
        double v;
        return number(n) && to_double(n, v);
      }
    }
  }

 private:
  void ws() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }
  bool literal(std::string_view word) {
    ws();
    if (static_cast<std::size_t>(end_ - p_) < word.size() || std::memcmp(p_, word.data(), word.size()) != 0)
      return false;
    p_ += word.size();
    return true;
  }

  const char* p_;
  const char* end_;
};

// Import timestamps as Collector::check_timestamp reads them, the common form
// `YYYY-MM-DDTHH:MM:SSZ` without calendar work for every point: hours of one day share the day's
// start, taken from domain::parse_iso8601_datetime once per day.
class Timestamps {
 public:
  Timestamps(const UploadRules& rules, Collector& col) : rules_(rules), col_(col) {}

  // `s`: a string's bytes (checked: no quote, escape or control character). With `only_common`,
  // any other form is refused (for bytes not checked as a string).
  bool read(std::string_view s, domain::UnixSeconds& t, bool only_common = false) {
    if (s.size() != 20 || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != 'Z' || !digits(s, 11) ||
        !digits(s, 14) || !digits(s, 17)) {
      if (only_common) return false;
      return col_.check_timestamp(std::string(), s, t);  // other forms: offsets, fractions, 't'/'z'
    }
    const int h = two(s, 11), mi = two(s, 14), sec = two(s, 17);
    if (h > 23 || mi > 59 || sec > 60) return false;  // parse_iso8601_datetime rejects these too
    const domain::UnixSeconds time_of_day = h * 3600 + mi * 60 + (sec == 60 ? 59 : sec);
    if (!day_known_ || !same_bytes<10>(day_, s.data())) {
      auto whole = domain::parse_iso8601_datetime(s);
      if (!whole) return false;
      std::memcpy(day_, s.data(), 10);
      day_start_ = *whole - time_of_day;
      day_known_ = true;
    }
    t = day_start_ + time_of_day;
    // The checks of Collector::check_timestamp after parsing (any failure is an issue there). The
    // day starts on the hour (it is midnight UTC), so the time is on the hour when :MM:SS is 0.
    if (mi != 0 || sec != 0) return false;
    if (rules_.earliest && t < *rules_.earliest) return false;
    if (rules_.end && t >= *rules_.end) return false;
    return true;
  }

 private:
  static bool digits(std::string_view s, std::size_t i) {
    return s[i] >= '0' && s[i] <= '9' && s[i + 1] >= '0' && s[i + 1] <= '9';
  }
  static int two(std::string_view s, std::size_t i) { return (s[i] - '0') * 10 + (s[i + 1] - '0'); }

  const UploadRules& rules_;
  Collector& col_;
  char day_[10] = {};
  bool day_known_ = false;
  domain::UnixSeconds day_start_ = 0;
};

// Names seen in one object (metric ids, dimensions, segments): a repeated one declines. A few are
// compared one by one; a hostile upload with many gets a hash set, not quadratic time.
class Names {
 public:
  bool insert(std::string_view name) {
    if (names_.size() < kFew) {
      for (auto n : names_)
        if (n == name) return false;
      names_.push_back(name);
      if (names_.size() == kFew) many_.insert(names_.begin(), names_.end());
      return true;
    }
    return many_.insert(name).second;
  }

 private:
  static constexpr std::size_t kFew = 16;
  std::vector<std::string_view> names_;
  std::unordered_set<std::string_view> many_;
};

class StrictUpload {
 public:
  StrictUpload(std::string_view text, const UploadRules& rules)
      : in_(text), rules_(rules), col_(rules, out_), times_(rules, col_) {}

  std::optional<ParsedUpload> run(bool envelope) {
    bool ok;
    if (envelope && !starts_with_body_key()) {
      ok = read_envelope();
    } else {
      ok = read_body();
    }
    if (!ok || !in_.at_end() || out_.rows == 0) return std::nullopt;
    col_.finish();
    if (!out_.issues.empty()) return std::nullopt;
    upload::check_unique_users(out_, rules_, false, "uniqueUsers.treatment", "uniqueUsers.control", users_[0],
                               users_[1]);
    if (!out_.issues.empty()) return std::nullopt;
    return std::move(out_);
  }

 private:
  // The upload's fields and those of a GET .../results response's `results`.
  static constexpr std::string_view kBodyKeys[] = {"metrics", "segments", "uniqueUsers", "experimentId",
                                                   "generatedAt", "experimentPeriod", "version", "dimensions"};

  // Whether the document's first key is one of the body's: an upload, or a results object on its
  // own. Otherwise ({"success": true, "data": ...}, say) it is read as an envelope.
  bool starts_with_body_key() {
    Reader probe = in_;
    std::string_view key;
    if (!probe.eat('{') || !probe.string(key)) return true;  // read_body declines it
    for (auto k : kBodyKeys)
      if (key == k) return true;
    return false;
  }

  // {..., "data": {..., "results": {...}, ...}, ...}: the body at data.results; the rest is checked
  // and dropped, as the general path's results_object() drops it. Without data.results the general
  // path would read the top object, which holds a key the body does not know: declined.
  bool read_envelope() {
    bool data_seen = false, results_seen = false;
    return in_.object([&](std::string_view key) {
      if (key != "data") return in_.skip();
      if (data_seen) return false;
      data_seen = true;
      return in_.object([&](std::string_view k) {
        if (k != "results") return in_.skip();
        if (results_seen) return false;
        results_seen = true;
        return read_body();
      });
    }) && results_seen;
  }

  // The upload: {"metrics"?, "segments"?, "uniqueUsers"?} and the fields of a GET .../results
  // response, which are checked and dropped. Any other key declines, so that a field the general
  // parser learns is never dropped here unnoticed.
  bool read_body() {
    const auto& kKeys = kBodyKeys;
    unsigned seen = 0;
    bool metrics = false, segments = false;
    const bool ok = in_.object([&](std::string_view key) {
      unsigned i = 0;
      while (i < std::size(kKeys) && kKeys[i] != key) ++i;
      if (i == std::size(kKeys) || (seen & (1u << i))) return false;
      seen |= 1u << i;
      switch (i) {
        case 0:
          if (in_.next_is('n')) return in_.null();
          metrics = true;
          return read_metrics({}, {});
        case 1:
          if (in_.next_is('n')) return in_.null();
          segments = true;
          return read_segments();
        case 2:
          if (in_.next_is('n')) return in_.null();
          return read_users(users_);
        default:
          return in_.skip();
      }
    });
    return ok && (metrics || segments);
  }

  // {metricId: {"timeSeries": [...], "summary"?: ...}} of the overall figures or of one segment.
  bool read_metrics(std::string_view dimension, std::string_view segment) {
    Names ids;
    return in_.object([&](std::string_view id) {
      if (!ids.insert(id) || !col_.check_metric(std::string(), id)) return false;
      bool series = false, summary = false;
      return in_.object([&](std::string_view key) {
        if (key == "summary") {
          if (summary) return false;
          summary = true;
          return in_.skip();
        }
        if (key != "timeSeries" || series) return false;
        series = true;
        col_.begin_block(std::string());
        bool first = true;
        return in_.array([&] {
          const bool ok = read_point(dimension, segment, id, first);
          first = false;
          return ok;
        });
      }) && series;
    });
  }

  // {"timestamp", "treatmentValue", "controlValue", "treatmentSampleSize", "controlSampleSize"},
  // each once, in any order; other fields are skipped.
  // `first`: the first of its array (later ones go to the same series).
  bool read_point(std::string_view dimension, std::string_view segment, std::string_view metric, bool first) {
    ++out_.rows;
    domain::HourlyPoint p;
    const char* start = in_.position();
    if (!read_point_as_written(p)) {
      in_.rewind(start);
      if (!read_point_any_order(p)) return false;
    }
    if (first) col_.add(col_.take_row(), dimension, segment, metric, p);
    else col_.add_to_last(col_.take_row(), p);
    return true;
  }

  // A point as serializers write it: the five fields in the contract's order, no whitespace, a
  // timestamp `YYYY-MM-DDTHH:MM:SSZ` (its 20 bytes are checked by their form, not as a string).
  // Anything else (false): read_point_any_order reads it again.
  bool read_point_as_written(domain::HourlyPoint& p) {
    std::string_view ts;
    Number n;
    return in_.eat('{') && in_.exact(R"("timestamp":")") && in_.bytes_then(20, '"', ts) &&
           times_.read(ts, p.timestamp, /*only_common=*/true) && in_.exact(R"(,"treatmentValue":)") && in_.number(n) &&
           to_double(n, p.treatment_value) && in_.exact(R"(,"controlValue":)") && in_.number(n) &&
           to_double(n, p.control_value) && in_.exact(R"(,"treatmentSampleSize":)") && in_.number(n) &&
           to_count(n, p.treatment_sample_size, domain::kMaxSampleSize, false) &&
           in_.exact(R"(,"controlSampleSize":)") && in_.number(n) &&
           to_count(n, p.control_sample_size, domain::kMaxSampleSize, false) && in_.exact("}");
  }

  // Any point: the five fields once each in any order, whitespace, other fields skipped.
  bool read_point_any_order(domain::HourlyPoint& p) {
    unsigned seen = 0;
    auto mark = [&](unsigned bit) {
      if (seen & bit) return false;
      seen |= bit;
      return true;
    };
    Number n;
    const bool ok = in_.object([&](std::string_view key) {
      switch (key.size()) {
        case 9:
          if (std::memcmp(key.data(), "timestamp", 9) != 0) break;
          {
            std::string_view ts;
            return mark(1) && in_.string(ts) && times_.read(ts, p.timestamp);
          }
        case 14:
          if (std::memcmp(key.data(), "treatmentValue", 14) != 0) break;
          return mark(2) && in_.number(n) && to_double(n, p.treatment_value);
        case 12:
          if (std::memcmp(key.data(), "controlValue", 12) != 0) break;
          return mark(4) && in_.number(n) && to_double(n, p.control_value);
        case 19:
          if (std::memcmp(key.data(), "treatmentSampleSize", 19) != 0) break;
          return mark(8) && in_.number(n) && to_count(n, p.treatment_sample_size, domain::kMaxSampleSize, false);
        case 17:
          if (std::memcmp(key.data(), "controlSampleSize", 17) != 0) break;
          return mark(16) && in_.number(n) && to_count(n, p.control_sample_size, domain::kMaxSampleSize, false);
        default:
          break;
      }
      return in_.skip();
    });
    return ok && seen == 31u;
  }

  // {dimension: {segment: {"metrics": {...}, "uniqueUsers"?: {...}}}}
  bool read_segments() {
    Names dimensions;
    return in_.object([&](std::string_view dimension) {
      if (!dimensions.insert(dimension)) return false;
      Names segments;
      return in_.object([&](std::string_view segment) {
        if (!segments.insert(segment) || !col_.check_segment(std::string(), {}, dimension, segment)) return false;
        bool metrics = false, users = false;
        return in_.object([&](std::string_view key) {
          if (key == "metrics" && !metrics) {
            metrics = true;
            return read_metrics(dimension, segment);
          }
          if (key != "uniqueUsers" || users) return false;
          users = true;
          if (in_.next_is('n')) return in_.null();
          std::optional<std::int64_t> su[2];
          if (!read_users(su) || !su[0] || !su[1]) return false;
          col_.segment_users(std::string(dimension), std::string(segment), domain::UniqueUsers{*su[0], *su[1]});
          return true;
        }) && metrics;
      });
    });
  }

  // {"treatment", "control"}, each an integer or null; an empty object goes the general way.
  bool read_users(std::optional<std::int64_t> (&uu)[2]) {
    unsigned seen = 0;
    return in_.object([&](std::string_view key) {
      const int g = key == "treatment" ? 0 : key == "control" ? 1 : -1;
      if (g < 0 || (seen & (1u << g))) return false;
      seen |= 1u << g;
      if (in_.next_is('n')) return in_.null();
      Number n;
      std::int64_t v = 0;
      if (!in_.number(n) || !to_count(n, v, 9'000'000'000'000'000LL, true)) return false;
      uu[g] = v;
      return true;
    }) && seen != 0;
  }

  Reader in_;
  const UploadRules& rules_;
  ParsedUpload out_;
  Collector col_;
  Timestamps times_;
  std::optional<std::int64_t> users_[2];
};

}  // namespace

std::optional<ParsedUpload> parse_results_json_strict(std::string_view text, const UploadRules& rules,
                                                      bool envelope) {
  return StrictUpload(text, rules).run(envelope);
}

}  // namespace rallyuxr::codec
