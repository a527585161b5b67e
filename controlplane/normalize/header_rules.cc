#include "controlplane/normalize/header_rules.h"

#include <fmt/core.h>

#include <algorithm>
#include <array>

#include "controlplane/sip/header_table.h"
#include "controlplane/sip/params.h"

namespace sbc::cp {
namespace {

using sip::HeaderId;

// Each leg's own: its dialog and transaction (Via .. Max-Forwards), where it goes (Route,
// Record-Route, Path, Service-Route), its body's framing, its extensions and timers, its
// credentials, the transfer and identity headers the B2BUA rewrites (REFER, RFC 3325), and
// User-Agent/Server (user_agent).
constexpr std::array kOwned = {
    HeaderId::kVia,
    HeaderId::kFrom,
    HeaderId::kTo,
    HeaderId::kCallId,
    HeaderId::kCSeq,
    HeaderId::kContact,
    HeaderId::kMaxForwards,
    HeaderId::kRoute,
    HeaderId::kRecordRoute,
    HeaderId::kPath,
    HeaderId::kServiceRoute,
    HeaderId::kContentLength,
    HeaderId::kContentType,
    HeaderId::kContentEncoding,
    HeaderId::kAllow,
    HeaderId::kSupported,
    HeaderId::kRequire,
    HeaderId::kProxyRequire,
    HeaderId::kUnsupported,
    HeaderId::kSessionExpires,
    HeaderId::kMinSe,
    HeaderId::kRSeq,
    HeaderId::kRAck,
    HeaderId::kAuthorization,
    HeaderId::kProxyAuthorization,
    HeaderId::kWwwAuthenticate,
    HeaderId::kProxyAuthenticate,
    HeaderId::kAuthenticationInfo,
    HeaderId::kReplaces,
    HeaderId::kReferTo,
    HeaderId::kReferredBy,
    HeaderId::kPAssertedIdentity,
    HeaderId::kPPreferredIdentity,
    HeaderId::kPrivacy,
    HeaderId::kUserAgent,
    HeaderId::kServer,
    HeaderId::kExpires,
    HeaderId::kEvent,
    HeaderId::kSubscriptionState,
};

bool token_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("-.!%*_+`'~").find(c) != std::string_view::npos;
}

bool same_name(std::string_view a, std::string_view b) {
  const HeaderId ia = sip::header_id(a);
  if (ia != HeaderId::kOther) return ia == sip::header_id(b);
  return sip::iequals(a, b);
}

bool listed(const std::vector<std::string>& names, std::string_view name) {
  return std::ranges::any_of(names, [&](const std::string& n) { return same_name(n, name); });
}

std::expected<std::string, std::string> header_name(std::string_view text) {
  text = sip::trim_lws(text);
  if (text.empty() || text.size() > 64 || !std::ranges::all_of(text, token_char)) {
    return std::unexpected(fmt::format("'{}' is not a header name", text));
  }
  if (b2bua_owned_header(text)) {
    return std::unexpected(
        fmt::format("{} is written by the SBC itself on each leg, never copied or added", text));
  }
  const HeaderId id = sip::header_id(text);
  return id == HeaderId::kOther ? std::string(text) : std::string(sip::header_name(id));
}

// A value as one line: a fold (CRLF and the whitespace after it) becomes one space.
std::string unfolded(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (size_t i = 0; i < value.size(); ++i) {
    if (value[i] == '\r' || value[i] == '\n') {
      while (i + 1 < value.size() &&
             std::string_view("\r\n \t").find(value[i + 1]) != std::string_view::npos) {
        ++i;
      }
      out += ' ';
      continue;
    }
    out += value[i];
  }
  return out;
}

}  // namespace

bool b2bua_owned_header(std::string_view name) {
  const HeaderId id = sip::header_id(name);
  return id != HeaderId::kOther && std::ranges::find(kOwned, id) != kOwned.end();
}

std::expected<std::vector<std::string>, std::string> HeaderRules::parse_names(
    std::string_view text) {
  std::vector<std::string> names;
  text = sip::trim_lws(text);
  if (text == "*") return std::vector<std::string>{"*"};
  while (!text.empty()) {
    const size_t comma = text.find(',');
    auto name = header_name(text.substr(0, comma));
    if (!name) return std::unexpected(name.error());
    names.push_back(std::move(*name));
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
  }
  return names;
}

std::expected<std::pair<std::string, std::string>, std::string> HeaderRules::parse_add(
    std::string_view text) {
  const size_t colon = text.find(':');
  if (colon == std::string_view::npos) {
    return std::unexpected(fmt::format("'{}' is not 'Name: value'", text));
  }
  auto name = header_name(text.substr(0, colon));
  if (!name) return std::unexpected(name.error());
  const std::string_view value = sip::trim_lws(text.substr(colon + 1));
  if (value.empty() || value.size() > kMaxPassedValue ||
      std::ranges::any_of(value, [](char c) { return c == '\r' || c == '\n' || c == '\0'; })) {
    return std::unexpected(
        fmt::format("{}: the value is empty, too long or has a line break", *name));
  }
  return std::pair{std::move(*name), std::string(value)};
}

bool HeaderRules::passes(std::string_view name) const {
  if (b2bua_owned_header(name)) return false;
  return pass_all ? !listed(remove, name) : listed(pass, name);
}

bool HeaderRules::rewrites(std::string_view name) const {
  return listed(rewrite, name);
}

void HeaderRules::apply(std::span<const sip::HeaderField> fields, NamedHeaders& out,
                        const Rewriter& rewriter) const {
  size_t passed = 0;
  for (const sip::HeaderField& field : fields) {
    if (passed == kMaxPassedHeaders) break;
    if (field.value.size() > kMaxPassedValue || !passes(field.name)) continue;
    const std::string name = field.id == HeaderId::kOther ? std::string(field.name)
                                                          : std::string(sip::header_name(field.id));
    std::optional<std::string> value = unfolded(field.value);
    if (rewrites(field.name)) value = rewriter ? rewriter(*value) : std::nullopt;
    if (!value) continue;
    out.emplace_back(name, std::move(*value));
    ++passed;
  }
  for (const auto& header : add) out.push_back(header);
}

}  // namespace sbc::cp
