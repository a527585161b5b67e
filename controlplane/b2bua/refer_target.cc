#include "controlplane/b2bua/refer_target.h"

#include <fmt/core.h>

#include <algorithm>

#include "controlplane/sip/name_addr.h"
#include "controlplane/sip/uri.h"

namespace sbc::cp {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return std::ranges::equal(a, b, [](char x, char y) {
    return (x >= 'A' && x <= 'Z' ? x - 'A' + 'a' : x) == (y >= 'A' && y <= 'Z' ? y - 'A' + 'a' : y);
  });
}

// Characters a SIP user part may hold unescaped (RFC 3261 §25.1 user: unreserved, escaped,
// user-unreserved); the target's user is copied only when it is made of these.
bool plain_user(std::string_view user) {
  constexpr std::string_view kAllowed = "-_.!~*'()&=+$,;?/%";
  return !user.empty() && user.size() <= 64 && std::ranges::all_of(user, [&](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           kAllowed.find(c) != std::string_view::npos;
  });
}

}  // namespace

std::expected<ReferTo, ReferRefusal> parse_refer_to(std::string_view refer_to) {
  auto target = sip::parse_name_addr(refer_to);
  if (refer_to.empty() || !target) {
    return std::unexpected(ReferRefusal{400, "Bad Request (malformed Refer-To)"});
  }
  const sip::Uri& uri = target->uri;
  if (!uri.is_sip_or_sips() && uri.scheme != sip::UriScheme::kTel) {
    return std::unexpected(ReferRefusal{416, "Unsupported URI Scheme"});
  }
  ReferTo result;
  const auto replaces =
      std::ranges::find_if(uri.headers, [](const auto& h) { return iequals(h.name, "Replaces"); });
  if (replaces != uri.headers.end()) {
    auto value = sip::unescape_uri_header(replaces->value);
    if (value) result.replaces = sip::parse_replaces(*value);
    if (!result.replaces) {
      return std::unexpected(ReferRefusal{400, "Bad Request (malformed Replaces in Refer-To)"});
    }
  }
  if (plain_user(uri.user)) {
    result.user = std::string(uri.user);
  } else if (!result.replaces) {
    return std::unexpected(ReferRefusal{400, "Bad Request (no user in Refer-To)"});
  }
  return result;
}

std::expected<std::string, ReferRefusal> blind_target(const ReferTo& target,
                                                      std::string_view our_contact) {
  // "<sip:host:port...>" becomes "<sip:USER@host:port...>".
  const size_t colon = our_contact.find(':');
  if (colon == std::string_view::npos || target.user.empty()) {
    return std::unexpected(ReferRefusal{500, "Server Internal Error"});
  }
  return fmt::format("{}{}@{}", our_contact.substr(0, colon + 1), target.user,
                     our_contact.substr(colon + 1));
}

std::string attended_target(std::string_view contact, const sip::Replaces& replaces) {
  const char separator = contact.find('?') == std::string_view::npos ? '?' : '&';
  return fmt::format("<{}{}Replaces={}>", contact, separator,
                     sip::escape_uri_header(sip::format_replaces(replaces)));
}

}  // namespace sbc::cp
