#include "codec/csv_reader.hpp"

#include <cstring>

namespace rallyuxr::codec {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

}  // namespace

CsvReader::CsvReader(std::string_view text) : text_(text) {
  if (text_.size() >= 3 && static_cast<unsigned char>(text_[0]) == 0xEF &&
      static_cast<unsigned char>(text_[1]) == 0xBB && static_cast<unsigned char>(text_[2]) == 0xBF)
    text_.remove_prefix(3);
  fields_.reserve(16);
}

bool CsvReader::next_line() {
  if (pos_ > text_.size()) return false;
  const char* begin = text_.data() + pos_;
  const void* nl = std::memchr(begin, '\n', text_.size() - pos_);
  std::size_t end = nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - text_.data()) : text_.size();
  line_ = text_.substr(pos_, end - pos_);
  pos_ = end + 1;
  ++line_no_;
  if (!line_.empty() && line_.back() == '\r') line_.remove_suffix(1);
  return true;
}

bool CsvReader::blank() const { return trim(line_).empty(); }

bool CsvReader::split() {
  fields_.clear();
  if (std::memchr(line_.data(), '"', line_.size())) return split_quoted();
  std::string_view rest = line_;
  for (;;) {
    const void* comma = std::memchr(rest.data(), ',', rest.size());
    if (!comma) {
      fields_.push_back(trim(rest));
      return true;
    }
    std::size_t n = static_cast<std::size_t>(static_cast<const char*>(comma) - rest.data());
    fields_.push_back(trim(rest.substr(0, n)));
    rest.remove_prefix(n + 1);
  }
}

// The general case, quotes honoured: "" inside quotes is one quote, text after the closing quote
// is kept, a quote after other text is an ordinary character.
bool CsvReader::split_quoted() {
  scratch_.clear();
  std::string cur;
  bool quoted = false, was_quoted = false;
  for (std::size_t i = 0; i < line_.size(); ++i) {
    char c = line_[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < line_.size() && line_[i + 1] == '"') {
          cur += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        cur += c;
      }
    } else if (c == '"' && trim(cur).empty()) {
      quoted = was_quoted = true;
      cur.clear();
    } else if (c == ',') {
      scratch_.push_back(was_quoted ? cur : std::string(trim(cur)));
      cur.clear();
      was_quoted = false;
    } else {
      cur += c;
    }
  }
  if (quoted) return false;
  scratch_.push_back(was_quoted ? cur : std::string(trim(cur)));
  for (const auto& s : scratch_) fields_.push_back(s);  // views after the last push_back
  return true;
}

void CsvReader::take_header() { header_.assign(fields_.begin(), fields_.end()); }

int CsvReader::column(std::string_view name) const {
  int found = -1;
  for (std::size_t i = 0; i < header_.size(); ++i)
    if (header_[i] == name) found = static_cast<int>(i);
  return found;
}

}  // namespace rallyuxr::codec
