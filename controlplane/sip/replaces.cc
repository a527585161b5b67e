#include "controlplane/sip/replaces.h"

#include <fmt/core.h>

#include "controlplane/sip/params.h"

namespace sbc::cp::sip {
namespace {

constexpr size_t kMaxReplaces = 512;  // a Call-ID and two tags, with room to spare

std::optional<int> hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return std::nullopt;
}

bool unreserved(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         std::string_view("-_.!~*'()").find(c) != std::string_view::npos;
}

// RFC 3261 token characters (a tag is a token; a Call-ID word is a little wider).
bool word_char(char c) {
  return unreserved(c) || std::string_view("%+`<>:\\\"/[]?{}@").find(c) != std::string_view::npos;
}

bool all_word(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!word_char(c)) return false;
  }
  return true;
}

}  // namespace

std::optional<Replaces> parse_replaces(std::string_view value) {
  value = trim_lws(value);
  if (value.size() > kMaxReplaces) return std::nullopt;
  const size_t semi = value.find(';');
  Replaces r;
  r.call_id = std::string(trim_lws(value.substr(0, semi)));
  if (!all_word(r.call_id) || semi == std::string_view::npos) return std::nullopt;
  auto params = parse_params(value.substr(semi));
  if (!params) return std::nullopt;
  const Param* to = find_param(*params, "to-tag");
  const Param* from = find_param(*params, "from-tag");
  if (to == nullptr || from == nullptr || !all_word(to->value) || !all_word(from->value)) {
    return std::nullopt;
  }
  r.to_tag = std::string(to->value);
  r.from_tag = std::string(from->value);
  r.early_only = find_param(*params, "early-only") != nullptr;
  return r;
}

std::string format_replaces(const Replaces& replaces) {
  return fmt::format("{};to-tag={};from-tag={}{}", replaces.call_id, replaces.to_tag,
                     replaces.from_tag, replaces.early_only ? ";early-only" : "");
}

std::optional<std::string> unescape_uri_header(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (size_t i = 0; i < value.size(); ++i) {
    if (value[i] != '%') {
      out.push_back(value[i]);
      continue;
    }
    if (i + 2 >= value.size()) return std::nullopt;
    const auto high = hex_digit(value[i + 1]);
    const auto low = hex_digit(value[i + 2]);
    if (!high || !low || (*high == 0 && *low == 0)) return std::nullopt;
    out.push_back(static_cast<char>(*high * 16 + *low));
    i += 2;
  }
  return out;
}

std::string escape_uri_header(std::string_view value) {
  std::string out;
  out.reserve(value.size() * 3);
  for (char c : value) {
    if (unreserved(c)) {
      out.push_back(c);
    } else {
      out += fmt::format("%{:02X}", static_cast<unsigned char>(c));
    }
  }
  return out;
}

}  // namespace sbc::cp::sip
