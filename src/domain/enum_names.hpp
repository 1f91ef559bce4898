// An enum's names as one table, read both ways: the name of a value and the value of a name. Each
// name is written once, so text and parsing cannot drift apart (domain/types.cpp has the tables of
// the domain's enums). Pure, constexpr; thread-safe.
//
//   constexpr EnumName<Direction> kDirections[] = {{Direction::kIncrease, "increase"},
//                                                  {Direction::kDecrease, "decrease"}};
//   const char* to_string(Direction d) { return name_of(kDirections, d); }
//   std::optional<Direction> parse_direction(std::string_view s) { return value_of(kDirections, s); }
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace rallyuxr::domain {

template <class E>
struct EnumName {
  E value;
  const char* name;
};

// The name of `v`; the table's first name when `v` is not in it (a table lists every enumerator).
template <class E, std::size_t N>
constexpr const char* name_of(const EnumName<E> (&table)[N], E v) {
  for (const auto& entry : table)
    if (entry.value == v) return entry.name;
  return table[0].name;
}

// The value named `s` exactly; nullopt for any other text.
template <class E, std::size_t N>
constexpr std::optional<E> value_of(const EnumName<E> (&table)[N], std::string_view s) {
  for (const auto& entry : table)
    if (s == entry.name) return entry.value;
  return std::nullopt;
}

}  // namespace rallyuxr::domain
