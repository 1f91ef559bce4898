// Streaming JSON text: values appended in order to a std::string, commas placed by the writer,
// no DOM. Numbers in their shortest exact form (json_text.hpp), non-finite doubles as null,
// timestamps as the contract's ISO 8601 text ("2025-01-15T00:00:00Z"). Every JSON shape of the
// product is written with it (or, for the hot ones, with json_text.hpp's primitives directly).
//
//   std::string out;
//   JsonWriter w(out);
//   w.begin_object().key("id").string(id).key("impact").number(impact).end_object();
//
// The writer does not check the grammar (a key outside an object, an unclosed array): the shape
// writers are tested by parsing what they write (tests/unit/codec/). Not thread-safe; cheap to make.
#pragma once

#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "codec/json_text.hpp"
#include "domain/types.hpp"

namespace rallyuxr::codec {

class JsonWriter {
 public:
  // Appends to `out`, which may already hold text (e.g. an envelope's opening): the first value
  // written gets no comma.
  explicit JsonWriter(std::string& out) : out_(out) {}

  JsonWriter& begin_object() { return open('{'); }
  JsonWriter& end_object() { return close('}'); }
  JsonWriter& begin_array() { return open('['); }
  JsonWriter& end_array() { return close(']'); }

  // A member's key; the next call writes its value.
  JsonWriter& key(std::string_view k) {
    if (comma_) out_ += ',';
    append_json_string(out_, k);
    out_ += ':';
    comma_ = false;
    return *this;
  }

  JsonWriter& string(std::string_view s) {
    append_json_string(slot(), s);
    return *this;
  }
  template <class S>  // std::optional<std::string> or <std::string_view>: null when absent
  JsonWriter& string(const std::optional<S>& s) {
    return s ? string(*s) : null();
  }
  JsonWriter& number(double d) {  // null when not finite
    append_json_number(slot(), d);
    return *this;
  }
  JsonWriter& number(const std::optional<double>& d) {  // null when absent or not finite
    if (d)
      append_json_number(slot(), *d);
    else
      slot() += "null";
    return *this;
  }
  JsonWriter& integer(std::int64_t v);
  JsonWriter& unsigned_integer(std::uint64_t v);
  JsonWriter& boolean(bool b) {
    slot() += b ? "true" : "false";
    return *this;
  }
  JsonWriter& null() {
    slot() += "null";
    return *this;
  }
  JsonWriter& timestamp(domain::UnixSeconds t) {
    append_json_timestamp(slot(), t);
    return *this;
  }
  JsonWriter& timestamp(const std::optional<domain::UnixSeconds>& t) {  // null when absent
    return t ? timestamp(*t) : null();
  }
  // A parsed document (e.g. a stored payload), written as json_text.hpp does.
  JsonWriter& value(const boost::json::value& v) {
    append_json_text(slot(), v);
    return *this;
  }

  // For a writer that appends one whole value itself (append_experiment_json(w.slot(), e)):
  // places the comma if one is due and returns the text to append to.
  std::string& slot() {
    if (comma_) out_ += ',';
    comma_ = true;
    return out_;
  }
  std::string& text() { return out_; }

 private:
  JsonWriter& open(char c) {
    slot() += c;
    comma_ = false;
    return *this;
  }
  JsonWriter& close(char c) {
    out_ += c;
    comma_ = true;
    return *this;
  }

  std::string& out_;
  bool comma_ = false;  // a value was written in the current container: the next one needs a comma
};

}  // namespace rallyuxr::codec
