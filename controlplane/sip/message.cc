#include "controlplane/sip/message.h"

#include "controlplane/sip/lexer.h"

namespace sbc::cp::sip {
namespace {

bool valid_call_id(std::string_view id) {
  if (id.empty()) return false;
  const size_t at = id.find('@');
  if (at == 0 || at + 1 == id.size()) return false;
  for (size_t i = 0; i < id.size(); ++i) {
    if (i == at) continue;
    if (!lex::is_word_char(id[i])) return false;  // callid = word [ "@" word ]
  }
  return true;
}

std::expected<std::vector<NameAddr>, ParseError> parse_name_addrs(const Message& m, HeaderId id) {
  auto values = m.values(id);
  if (!values) return std::unexpected(values.error());
  std::vector<NameAddr> out;
  out.reserve(values->size());
  for (std::string_view v : *values) {
    auto na = parse_name_addr(v);
    if (!na) return std::unexpected(na.error());
    out.push_back(std::move(*na));
  }
  return out;
}

}  // namespace

std::string_view Message::raw() const {
  return std::string_view(*buffer_).substr(begin_, size_);
}

size_t Message::offset_of(std::string_view view) const {
  return static_cast<size_t>(view.data() - (buffer_->data() + begin_));
}

std::expected<Uri, ParseError> Message::request_uri() const {
  if (!is_request_) return std::unexpected(ParseError::kBadStartLine);
  return parse_uri(request_uri_);
}

const HeaderField* Message::find(HeaderId id) const {
  for (const auto& h : headers_) {
    if (h.id == id) return &h;
  }
  return nullptr;
}

const HeaderField* Message::find(std::string_view name) const {
  const HeaderId id = header_id(name);
  if (id != HeaderId::kOther) return find(id);
  for (const auto& h : headers_) {
    if (h.id == HeaderId::kOther && iequals(h.name, name)) return &h;
  }
  return nullptr;
}

std::string_view Message::header(HeaderId id) const {
  const HeaderField* h = find(id);
  return h != nullptr ? h->value : std::string_view{};
}

std::string_view Message::header(std::string_view name) const {
  const HeaderField* h = find(name);
  return h != nullptr ? h->value : std::string_view{};
}

size_t Message::count(HeaderId id) const {
  size_t n = 0;
  for (const auto& h : headers_) n += h.id == id ? 1 : 0;
  return n;
}

std::expected<std::vector<std::string_view>, ParseError> Message::values(HeaderId id) const {
  std::vector<std::string_view> out;
  for (const auto& h : headers_) {
    if (h.id != id) continue;
    auto items = split_list(h.value);
    if (!items) return std::unexpected(items.error());
    out.insert(out.end(), items->begin(), items->end());
  }
  return out;
}

std::expected<std::vector<Via>, ParseError> Message::vias() const {
  auto values = this->values(HeaderId::kVia);
  if (!values) return std::unexpected(ParseError::kBadVia);
  if (values->empty()) return std::unexpected(ParseError::kMissingHeader);
  std::vector<Via> out;
  out.reserve(values->size());
  for (std::string_view v : *values) {
    auto via = parse_via(v);
    if (!via) return std::unexpected(via.error());
    out.push_back(std::move(*via));
  }
  return out;
}

std::expected<Via, ParseError> Message::top_via() const {
  const HeaderField* h = find(HeaderId::kVia);
  if (h == nullptr) return std::unexpected(ParseError::kMissingHeader);
  auto items = split_list(h->value);
  if (!items) return std::unexpected(ParseError::kBadVia);
  return parse_via(items->front());
}

// From and To must appear exactly once (RFC 3261 §20).
static std::expected<NameAddr, ParseError> single_name_addr(const Message& m, HeaderId id) {
  if (m.count(id) == 0) return std::unexpected(ParseError::kMissingHeader);
  if (m.count(id) > 1) return std::unexpected(ParseError::kDuplicateHeader);
  return parse_name_addr(m.header(id));
}

std::expected<NameAddr, ParseError> Message::from() const {
  return single_name_addr(*this, HeaderId::kFrom);
}

std::expected<NameAddr, ParseError> Message::to() const {
  return single_name_addr(*this, HeaderId::kTo);
}

std::expected<std::string_view, ParseError> Message::call_id() const {
  const size_t n = count(HeaderId::kCallId);
  if (n == 0) return std::unexpected(ParseError::kMissingHeader);
  if (n > 1) return std::unexpected(ParseError::kDuplicateHeader);
  const std::string_view id = header(HeaderId::kCallId);
  if (!valid_call_id(id)) return std::unexpected(ParseError::kBadCallId);
  return id;
}

std::expected<CSeq, ParseError> Message::cseq() const {
  const size_t n = count(HeaderId::kCSeq);
  if (n == 0) return std::unexpected(ParseError::kMissingHeader);
  if (n > 1) return std::unexpected(ParseError::kDuplicateHeader);
  const std::string_view v = header(HeaderId::kCSeq);
  size_t i = 0;
  while (i < v.size() && lex::is_digit(v[i])) ++i;
  // The number must be below 2**31 (RFC 3261 §8.1.1.5).
  const auto number = parse_decimal(v.substr(0, i), 10);
  if (!number || *number > 0x7fffffffU) return std::unexpected(ParseError::kBadCSeq);
  const std::string_view rest = v.substr(i);
  if (rest.empty() || !lex::is_lws(rest[0])) return std::unexpected(ParseError::kBadCSeq);
  const std::string_view method = trim_lws(rest);
  if (!is_token(method)) return std::unexpected(ParseError::kBadCSeq);
  return CSeq{static_cast<uint32_t>(*number), method_from_text(method), method};
}

std::expected<std::optional<uint32_t>, ParseError> Message::max_forwards() const {
  const size_t n = count(HeaderId::kMaxForwards);
  if (n == 0) return std::optional<uint32_t>{};
  if (n > 1) return std::unexpected(ParseError::kDuplicateHeader);
  const auto v = parse_decimal(header(HeaderId::kMaxForwards), 10);  // "0068" is valid
  if (!v || *v > 255) return std::unexpected(ParseError::kBadMaxForwards);
  return static_cast<uint32_t>(*v);
}

std::expected<ContactList, ParseError> Message::contacts() const {
  ContactList out;
  auto values = this->values(HeaderId::kContact);
  if (!values) return std::unexpected(values.error());
  if (values->size() == 1 && (*values)[0] == "*") {
    out.wildcard = true;
    return out;
  }
  for (std::string_view v : *values) {
    if (v == "*") return std::unexpected(ParseError::kBadNameAddr);  // "*" must stand alone
    auto na = parse_name_addr(v);
    if (!na) return std::unexpected(na.error());
    out.entries.push_back(std::move(*na));
  }
  return out;
}

std::expected<std::optional<MediaType>, ParseError> Message::content_type() const {
  const size_t n = count(HeaderId::kContentType);
  if (n == 0) return std::optional<MediaType>{};
  if (n > 1) return std::unexpected(ParseError::kDuplicateHeader);
  auto mt = parse_media_type(header(HeaderId::kContentType));
  if (!mt) return std::unexpected(mt.error());
  return std::optional<MediaType>(std::move(*mt));
}

std::expected<std::optional<uint32_t>, ParseError> Message::content_length() const {
  std::optional<uint32_t> out;
  for (const auto& h : headers_) {
    if (h.id != HeaderId::kContentLength) continue;
    const auto v = parse_decimal(h.value, 10);
    if (!v || *v > 0xffffffffU) return std::unexpected(ParseError::kBadContentLength);
    if (out && *out != *v) return std::unexpected(ParseError::kDuplicateHeader);
    out = static_cast<uint32_t>(*v);
  }
  return out;
}

std::expected<std::optional<uint32_t>, ParseError> Message::expires() const {
  const size_t n = count(HeaderId::kExpires);
  if (n == 0) return std::optional<uint32_t>{};
  if (n > 1) return std::unexpected(ParseError::kDuplicateHeader);
  const auto v = parse_decimal(header(HeaderId::kExpires), 10);
  if (!v || *v > 0xffffffffU) return std::unexpected(ParseError::kBadExpires);
  return static_cast<uint32_t>(*v);
}

std::expected<std::vector<NameAddr>, ParseError> Message::routes() const {
  return parse_name_addrs(*this, HeaderId::kRoute);
}

std::expected<std::vector<NameAddr>, ParseError> Message::record_routes() const {
  return parse_name_addrs(*this, HeaderId::kRecordRoute);
}

std::expected<void, ParseError> Message::validate() const {
  auto d = diagnose();
  if (!d) return std::unexpected(d.error().error);
  return {};
}

std::expected<void, Invalid> Message::diagnose() const {
  auto fail = [](ParseError e, HeaderId h = HeaderId::kOther) {
    return std::unexpected(Invalid{e, h});
  };
  if (is_request_) {
    if (!iequals(version_, "SIP/2.0")) return fail(ParseError::kBadVersion);
    if (defect_)
      return fail(*defect_,
                  *defect_ == ParseError::kBadStartLine || *defect_ == ParseError::kBadRequestUri
                      ? HeaderId::kOther
                      : HeaderId::kContentLength);
    // Other schemes are the application's call (416); sip/sips/tel must parse, and a SIP
    // Request-URI may not carry headers (RFC 3261 §19.1.1, RFC 4475 §3.1.2.10).
    auto uri = request_uri();
    if (!uri) return fail(ParseError::kBadRequestUri);
    if (uri->is_sip_or_sips() && !uri->headers.empty()) return fail(ParseError::kBadRequestUri);
  }
  if (auto v = vias(); !v) return fail(v.error(), HeaderId::kVia);
  if (auto f = from(); !f) return fail(f.error(), HeaderId::kFrom);
  if (auto t = to(); !t) return fail(t.error(), HeaderId::kTo);
  if (auto c = call_id(); !c) return fail(c.error(), HeaderId::kCallId);
  auto cs = cseq();
  if (!cs) return fail(cs.error(), HeaderId::kCSeq);
  if (auto mf = max_forwards(); !mf) return fail(mf.error(), HeaderId::kMaxForwards);
  if (auto c = contacts(); !c) return fail(c.error(), HeaderId::kContact);
  if (auto ct = content_type(); !ct) return fail(ct.error(), HeaderId::kContentType);
  if (auto e = expires(); !e) return fail(e.error(), HeaderId::kExpires);
  if (auto d = date(); !d) return fail(d.error(), HeaderId::kDate);
  if (is_request_ && cs->method_text != method_text_) {
    return fail(ParseError::kCSeqMethodMismatch, HeaderId::kCSeq);
  }
  return {};
}

std::string_view default_reason_phrase(int code) {
  switch (code) {
    case 100: return "Trying";
    case 180: return "Ringing";
    case 181: return "Call Is Being Forwarded";
    case 182: return "Queued";
    case 183: return "Session Progress";
    case 199: return "Early Dialog Terminated";
    case 200: return "OK";
    case 202: return "Accepted";
    case 204: return "No Notification";
    case 300: return "Multiple Choices";
    case 301: return "Moved Permanently";
    case 302: return "Moved Temporarily";
    case 305: return "Use Proxy";
    case 380: return "Alternative Service";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 402: return "Payment Required";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 407: return "Proxy Authentication Required";
    case 408: return "Request Timeout";
    case 410: return "Gone";
    case 413: return "Request Entity Too Large";
    case 414: return "Request-URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Unsupported URI Scheme";
    case 420: return "Bad Extension";
    case 421: return "Extension Required";
    case 422: return "Session Interval Too Small";
    case 423: return "Interval Too Brief";
    case 480: return "Temporarily Unavailable";
    case 481: return "Call/Transaction Does Not Exist";
    case 482: return "Loop Detected";
    case 483: return "Too Many Hops";
    case 484: return "Address Incomplete";
    case 485: return "Ambiguous";
    case 486: return "Busy Here";
    case 487: return "Request Terminated";
    case 488: return "Not Acceptable Here";
    case 489: return "Bad Event";
    case 491: return "Request Pending";
    case 493: return "Undecipherable";
    case 500: return "Server Internal Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Server Time-out";
    case 505: return "Version Not Supported";
    case 513: return "Message Too Large";
    case 580: return "Precondition Failure";
    case 600: return "Busy Everywhere";
    case 603: return "Decline";
    case 604: return "Does Not Exist Anywhere";
    case 606: return "Not Acceptable";
    default: return {};
  }
}

}  // namespace sbc::cp::sip
