// Invariant checks for the fuzz targets. A failed check prints what broke and aborts, so libFuzzer
// (or the corpus replay runner) records the input as a crash. Unlike assert() it holds in every
// build type.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <source_location>
#include <string_view>

namespace sbc::fuzz {

inline void check(bool ok, const char* what,
                  std::source_location where = std::source_location::current()) {
  if (ok) return;
  std::fprintf(stderr, "%s:%u: invariant broken: %s\n", where.file_name(),
               static_cast<unsigned>(where.line()), what);
  std::abort();
}

// Reads every byte of a view so AddressSanitizer sees a view that points outside live memory.
inline void touch(std::string_view view) {
  unsigned sum = 0;
  for (char c : view) sum += static_cast<unsigned char>(c);
  volatile unsigned sink = sum;
  (void)sink;
}

// True when view is empty or lies entirely inside whole (views must point into their buffer).
inline bool inside(std::string_view view, std::string_view whole) {
  if (view.empty()) return true;
  const auto begin = reinterpret_cast<std::uintptr_t>(whole.data());
  const auto at = reinterpret_cast<std::uintptr_t>(view.data());
  return at >= begin && at + view.size() <= begin + whole.size();
}

}  // namespace sbc::fuzz
