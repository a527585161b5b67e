#include "controlplane/sip/header_values.h"

#include <array>

#include "controlplane/sip/lexer.h"

namespace sbc::cp::sip {
namespace {

// delta-seconds = 1*DIGIT; anything above 2**32-1 is out of range.
std::optional<uint32_t> parse_delta(std::string_view text) {
  const auto v = parse_decimal(text, 10);
  if (!v || *v > 0xffffffffU) return std::nullopt;
  return static_cast<uint32_t>(*v);
}

// Leading 1*DIGIT of s; the rest goes to rest.
std::string_view leading_digits(std::string_view s, std::string_view& rest) {
  size_t i = 0;
  while (i < s.size() && lex::is_digit(s[i])) ++i;
  rest = s.substr(i);
  return s.substr(0, i);
}

// Splits a comma list (no quotes or brackets expected in tokens); empty elements are errors.
template <typename Fn>
bool for_each_token(std::string_view value, Fn&& fn) {
  value = trim_lws(value);
  if (value.empty()) return true;
  while (true) {
    const size_t comma = value.find(',');
    const std::string_view item = trim_lws(value.substr(0, comma));
    if (!is_token(item) || !fn(item)) return false;
    if (comma == std::string_view::npos) return true;
    value = value.substr(comma + 1);
  }
}

// Strips the quotes of a parameter value; escapes stay as written.
std::string_view strip_quotes(std::string_view v) {
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') return v.substr(1, v.size() - 2);
  return v;
}

}  // namespace

bool MediaType::is(std::string_view t, std::string_view s) const {
  return iequals(type, t) && iequals(subtype, s);
}

std::string_view MediaType::param(std::string_view name) const {
  const Param* p = find_param(params, name);
  return p != nullptr ? strip_quotes(p->value) : std::string_view{};
}

std::expected<MediaType, ParseError> parse_media_type(std::string_view value) {
  const std::string_view v = trim_lws(value);
  const size_t slash = v.find('/');
  if (slash == std::string_view::npos) return std::unexpected(ParseError::kBadContentType);
  MediaType mt;
  mt.type = trim_lws(v.substr(0, slash));
  const std::string_view rest = v.substr(slash + 1);
  const size_t semi = rest.find(';');
  mt.subtype = trim_lws(rest.substr(0, semi));
  if (!is_token(mt.type) || !is_token(mt.subtype)) {
    return std::unexpected(ParseError::kBadContentType);
  }
  if (semi != std::string_view::npos) {
    auto params = parse_params(rest.substr(semi));
    if (!params) return std::unexpected(ParseError::kBadContentType);
    mt.params = std::move(*params);
  }
  return mt;
}

std::expected<std::vector<std::string_view>, ParseError> parse_option_tags(std::string_view value) {
  std::vector<std::string_view> out;
  const bool ok = for_each_token(value, [&](std::string_view tag) {
    out.push_back(tag);
    return true;
  });
  if (!ok) return std::unexpected(ParseError::kBadOptionTag);
  return out;
}

std::expected<std::vector<AllowedMethod>, ParseError> parse_allow(std::string_view value) {
  std::vector<AllowedMethod> out;
  const bool ok = for_each_token(value, [&](std::string_view m) {
    out.push_back({method_from_text(m), m});
    return true;
  });
  if (!ok) return std::unexpected(ParseError::kBadAllow);
  return out;
}

bool is_sip_date(std::string_view v) {
  // rfc1123-date = wkday "," SP date1 SP time SP "GMT"; date1 = 2DIGIT SP month SP 4DIGIT.
  static constexpr std::array<std::string_view, 7> kDays = {"Mon", "Tue", "Wed", "Thu",
                                                            "Fri", "Sat", "Sun"};
  static constexpr std::array<std::string_view, 12> kMonths = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  v = trim_lws(v);
  constexpr std::string_view kShape = "Www, DD Mmm YYYY HH:MM:SS GMT";
  if (v.size() != kShape.size()) return false;
  auto number = [&](size_t pos, size_t len, uint64_t max) {
    const auto n = parse_decimal(v.substr(pos, len), len);
    return n && *n <= max;
  };
  bool day_ok = false;
  for (auto d : kDays) day_ok = day_ok || v.substr(0, 3) == d;
  bool month_ok = false;
  for (auto m : kMonths) month_ok = month_ok || v.substr(8, 3) == m;
  return day_ok && month_ok && v.substr(3, 2) == ", " && v[7] == ' ' && v[11] == ' ' &&
         v[16] == ' ' && v[19] == ':' && v[22] == ':' && v.substr(25) == " GMT" &&
         number(5, 2, 31) && v.substr(5, 2) != "00" && number(12, 4, 9999) && number(17, 2, 23) &&
         number(20, 2, 59) && number(23, 2, 60);
}

std::expected<SessionExpires, ParseError> parse_session_expires(std::string_view value) {
  std::string_view rest;
  const std::string_view digits = leading_digits(trim_lws(value), rest);
  const auto delta = parse_delta(digits);
  if (!delta) return std::unexpected(ParseError::kBadSessionExpires);
  SessionExpires se;
  se.delta = *delta;
  rest = trim_lws(rest);
  if (!rest.empty()) {
    if (rest[0] != ';') return std::unexpected(ParseError::kBadSessionExpires);
    auto params = parse_params(rest);
    if (!params) return std::unexpected(ParseError::kBadSessionExpires);
    se.params = std::move(*params);
  }
  if (const Param* r = find_param(se.params, "refresher"); r != nullptr) {
    if (iequals(r->value, "uac")) {
      se.refresher = SessionExpires::Refresher::kUac;
    } else if (iequals(r->value, "uas")) {
      se.refresher = SessionExpires::Refresher::kUas;
    } else {
      return std::unexpected(ParseError::kBadSessionExpires);
    }
  }
  return se;
}

std::expected<uint32_t, ParseError> parse_min_se(std::string_view value) {
  std::string_view rest;
  const std::string_view digits = leading_digits(trim_lws(value), rest);
  const auto delta = parse_delta(digits);
  if (!delta) return std::unexpected(ParseError::kBadMinSe);
  rest = trim_lws(rest);
  if (!rest.empty() && (rest[0] != ';' || !parse_params(rest))) {
    return std::unexpected(ParseError::kBadMinSe);
  }
  return *delta;
}

std::expected<uint32_t, ParseError> parse_rseq(std::string_view value) {
  const auto v = parse_decimal(trim_lws(value), 10);
  if (!v || *v == 0 || *v > 0x7fffffffU) return std::unexpected(ParseError::kBadRSeq);
  return static_cast<uint32_t>(*v);
}

std::expected<RAck, ParseError> parse_rack(std::string_view value) {
  std::string_view s = trim_lws(value);
  std::string_view rest;
  const auto rseq = parse_decimal(leading_digits(s, rest), 10);
  if (!rseq || *rseq == 0 || *rseq > 0x7fffffffU || rest.empty() || !lex::is_lws(rest[0])) {
    return std::unexpected(ParseError::kBadRAck);
  }
  s = lex::skip_lws(rest);
  const auto cseq = parse_decimal(leading_digits(s, rest), 10);
  if (!cseq || *cseq > 0x7fffffffU || rest.empty() || !lex::is_lws(rest[0])) {
    return std::unexpected(ParseError::kBadRAck);
  }
  const std::string_view method = trim_lws(rest);
  if (!is_token(method)) return std::unexpected(ParseError::kBadRAck);
  return RAck{static_cast<uint32_t>(*rseq), static_cast<uint32_t>(*cseq), method_from_text(method),
              method};
}

std::expected<Reason, ParseError> parse_reason(std::string_view value) {
  const std::string_view s = trim_lws(value);
  const size_t semi = s.find(';');
  Reason r;
  r.protocol = trim_lws(s.substr(0, semi));
  if (!is_token(r.protocol)) return std::unexpected(ParseError::kBadReason);
  if (semi != std::string_view::npos) {
    auto params = parse_params(s.substr(semi));
    if (!params) return std::unexpected(ParseError::kBadReason);
    r.params = std::move(*params);
  }
  if (const Param* c = find_param(r.params, "cause"); c != nullptr) {
    const auto v = parse_delta(c->value);
    if (!v) return std::unexpected(ParseError::kBadReason);
    r.cause = *v;
  }
  if (const Param* t = find_param(r.params, "text"); t != nullptr) {
    if (t->value.size() < 2 || t->value.front() != '"') {
      return std::unexpected(ParseError::kBadReason);
    }
    r.text = strip_quotes(t->value);
  }
  return r;
}

std::expected<RetryAfter, ParseError> parse_retry_after(std::string_view value) {
  std::string_view rest;
  const auto seconds = parse_delta(leading_digits(trim_lws(value), rest));
  if (!seconds) return std::unexpected(ParseError::kBadRetryAfter);
  RetryAfter ra;
  ra.seconds = *seconds;
  rest = lex::skip_lws(rest);
  if (!rest.empty() && rest[0] == '(') {
    // comment = "(" *(ctext / quoted-pair / comment) ")"; nesting is bounded by the value size.
    size_t depth = 0;
    size_t i = 0;
    for (; i < rest.size(); ++i) {
      if (rest[i] == '\\') {
        ++i;
      } else if (rest[i] == '(') {
        ++depth;
      } else if (rest[i] == ')' && --depth == 0) {
        break;
      }
    }
    if (i >= rest.size()) return std::unexpected(ParseError::kBadRetryAfter);
    ra.comment = rest.substr(1, i - 1);
    rest = lex::skip_lws(rest.substr(i + 1));
  }
  if (!rest.empty()) {
    if (rest[0] != ';') return std::unexpected(ParseError::kBadRetryAfter);
    auto params = parse_params(rest);
    if (!params) return std::unexpected(ParseError::kBadRetryAfter);
    ra.params = std::move(*params);
  }
  if (const Param* d = find_param(ra.params, "duration"); d != nullptr) {
    const auto v = parse_delta(d->value);
    if (!v) return std::unexpected(ParseError::kBadRetryAfter);
    ra.duration = *v;
  }
  return ra;
}

std::string unquote(std::string_view value) {
  if (value.size() < 2 || value.front() != '"' || value.back() != '"') return std::string(value);
  const std::string_view inner = value.substr(1, value.size() - 2);
  std::string out;
  out.reserve(inner.size());
  for (size_t i = 0; i < inner.size(); ++i) {
    if (inner[i] == '\\' && i + 1 < inner.size()) ++i;
    out += inner[i];
  }
  return out;
}

}  // namespace sbc::cp::sip
