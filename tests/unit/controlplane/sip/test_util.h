// Helpers shared by the SIP unit tests.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include "controlplane/sip/message.h"

namespace sbc::cp::sip::testing {

// Joins lines with CRLF; the last element is the body (appended without a terminator).
inline std::string crlf(std::initializer_list<std::string_view> lines) {
  std::string out;
  for (std::string_view l : lines) {
    out += l;
    out += "\r\n";
  }
  return out;
}

// Reads a test vector from tests/data/rfc4475 (the RFC 4475 torture messages).
inline std::string load_data(std::string_view name) {
  const std::string path = std::string(SIP_TEST_DATA_DIR) + "/" + std::string(name);
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Parses text and fails the test on error.
inline Message parse_ok(std::string text) {
  auto m = Message::parse(std::move(text));
  EXPECT_TRUE(m.has_value()) << (m ? "" : to_string(m.error()));
  if (!m) std::abort();
  return *m;
}

inline ParseError parse_error(std::string text, const Limits& limits = {}) {
  auto m = Message::parse(std::move(text), limits);
  EXPECT_FALSE(m.has_value());
  return m ? ParseError::kEmpty : m.error();
}

}  // namespace sbc::cp::sip::testing
