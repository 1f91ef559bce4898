// A CSV reader over one buffer: records are split into fields that point into the buffer (no
// copy), except quoted fields with doubled quotes, which are unescaped into the reader's scratch
// space. Fields are reached by position or by header name (column()). One record per line (no
// embedded newlines); the header is line 1; a UTF-8 byte order mark is skipped. Blank handling,
// trimming and quoting rules are the import's (results_io.hpp): unquoted fields are trimmed of
// spaces and tabs, a quote opens a quoted field only at its start. Not thread-safe (one reader per
// thread); the buffer must outlive the reader and its fields.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace rallyuxr::codec {

class CsvReader {
 public:
  explicit CsvReader(std::string_view text);

  // Advances to the next line (with its trailing '\r' removed); false past the end. The text
  // after a final newline counts as a (blank) line, as line numbers in errors expect.
  bool next_line();
  std::size_t line_number() const { return line_no_; }
  std::string_view line() const { return line_; }
  // Only spaces, tabs and '\r'.
  bool blank() const;

  // Splits the current line into fields; false on an unterminated quoted field.
  bool split();
  std::size_t size() const { return fields_.size(); }
  std::string_view operator[](std::size_t i) const { return fields_[i]; }
  const std::vector<std::string_view>& fields() const { return fields_; }

  // Takes the current (split) line as the header: column() then finds fields by name.
  void take_header();
  // The position of the header column `name`, or -1 (the last one when a name repeats).
  int column(std::string_view name) const;
  // The current record's field in header column `col`, empty for -1 or a short record.
  std::string_view field(int col) const {
    return col >= 0 && static_cast<std::size_t>(col) < fields_.size() ? fields_[static_cast<std::size_t>(col)]
                                                                       : std::string_view();
  }
  const std::vector<std::string>& header() const { return header_; }

 private:
  bool split_quoted();

  std::string_view text_;
  std::size_t pos_ = 0;
  std::size_t line_no_ = 0;
  std::string_view line_;
  std::vector<std::string_view> fields_;
  std::vector<std::string> scratch_;
  std::vector<std::string> header_;
};

}  // namespace rallyuxr::codec
