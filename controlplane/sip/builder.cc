#include "controlplane/sip/builder.h"

#include <fmt/format.h>

namespace sbc::cp::sip {
namespace {

bool same_header(const std::string& name, HeaderId id, std::string_view other_name) {
  const HeaderId nid = header_id(name);
  if (id != HeaderId::kOther) return nid == id;
  return nid == HeaderId::kOther && iequals(name, other_name);
}

std::string header_text(HeaderId id) {
  return std::string(header_name(id));
}

}  // namespace

MessageBuilder MessageBuilder::request(Method method, std::string request_uri,
                                       std::string_view method_text) {
  const std::string_view name = method == Method::kOther ? method_text : method_name(method);
  return MessageBuilder(fmt::format("{} {} SIP/2.0", name, request_uri));
}

MessageBuilder MessageBuilder::response(int code, std::string_view reason) {
  if (reason.empty()) reason = default_reason_phrase(code);
  return MessageBuilder(fmt::format("SIP/2.0 {} {}", code, reason), code);
}

MessageBuilder& MessageBuilder::add(HeaderId id, std::string value) {
  if (id == HeaderId::kContentLength || id == HeaderId::kOther) return *this;
  headers_.emplace_back(header_text(id), std::move(value));
  return *this;
}

MessageBuilder& MessageBuilder::add(std::string name, std::string value) {
  if (name.empty() || header_id(name) == HeaderId::kContentLength) return *this;
  headers_.emplace_back(std::move(name), std::move(value));
  return *this;
}

MessageBuilder& MessageBuilder::prepend(HeaderId id, std::string value) {
  if (id == HeaderId::kContentLength || id == HeaderId::kOther) return *this;
  headers_.emplace(headers_.begin(), header_text(id), std::move(value));
  return *this;
}

MessageBuilder& MessageBuilder::remove(HeaderId id) {
  std::erase_if(headers_, [&](const auto& h) { return same_header(h.first, id, {}); });
  return *this;
}

MessageBuilder& MessageBuilder::remove(std::string_view name) {
  const HeaderId id = header_id(name);
  std::erase_if(headers_, [&](const auto& h) { return same_header(h.first, id, name); });
  return *this;
}

MessageBuilder& MessageBuilder::body(std::string content_type, std::string body) {
  remove(HeaderId::kContentType);
  if (!content_type.empty()) add(HeaderId::kContentType, std::move(content_type));
  body_ = std::move(body);
  return *this;
}

std::string MessageBuilder::build() const {
  size_t size = start_line_.size() + body_.size() + 32;
  for (const auto& [name, value] : headers_) size += name.size() + value.size() + 4;
  std::string out;
  out.reserve(size);
  out += start_line_;
  out += "\r\n";
  for (const auto& [name, value] : headers_) {
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  out += "Content-Length: ";
  out += std::to_string(body_.size());
  out += "\r\n\r\n";
  out += body_;
  return out;
}

MessageBuilder make_response(const Message& request, int code, std::string_view reason,
                             std::string_view to_tag) {
  MessageBuilder b = MessageBuilder::response(code, reason);
  // Via values keep their order; the fields are copied as received (RFC 3261 §8.2.6.2).
  for (const auto& h : request.headers()) {
    if (h.id == HeaderId::kVia) b.add(HeaderId::kVia, std::string(h.value));
  }
  // From, To, Call-ID and CSeq are copied when present (first field each): a request refused
  // for a missing or repeated one (RFC 4475 insuf, multi01) is still answered with the rest.
  if (const HeaderField* from = request.find(HeaderId::kFrom); from != nullptr) {
    b.add(HeaderId::kFrom, std::string(from->value));
  }
  if (const HeaderField* to_field = request.find(HeaderId::kTo); to_field != nullptr) {
    std::string to(to_field->value);
    const auto parsed_to = request.to();
    if (parsed_to) b.to_tag_ = parsed_to->tag();
    if (code > 100 && !to_tag.empty() && parsed_to && parsed_to->tag().empty()) {
      to += ";tag=";
      to += to_tag;
      b.to_tag_ = to_tag;
    }
    b.add(HeaderId::kTo, std::move(to));
  }
  for (HeaderId id : {HeaderId::kCallId, HeaderId::kCSeq}) {
    if (const HeaderField* h = request.find(id); h != nullptr) b.add(id, std::string(h->value));
  }
  if (code == 100) {
    if (const HeaderField* ts = request.find(HeaderId::kTimestamp); ts != nullptr) {
      b.add(HeaderId::kTimestamp, std::string(ts->value));
    }
  }
  return b;
}

OutgoingResponse build_response(const MessageBuilder& response) {
  return {.code = response.status(), .to_tag = response.to_tag(), .bytes = response.build()};
}

MessageBuilder make_request(const RequestSpec& spec) {
  MessageBuilder b = MessageBuilder::request(spec.method, spec.request_uri, spec.method_text);
  b.add(HeaderId::kVia,
        format_via(spec.via_transport, spec.via_host, spec.via_port, spec.branch, spec.via_rport));
  b.add(HeaderId::kMaxForwards, std::to_string(spec.max_forwards));
  for (const auto& route : spec.routes) b.add(HeaderId::kRoute, route);
  b.add(HeaderId::kFrom, spec.from_tag.empty() ? spec.from : spec.from + ";tag=" + spec.from_tag);
  b.add(HeaderId::kTo, spec.to_tag.empty() ? spec.to : spec.to + ";tag=" + spec.to_tag);
  b.add(HeaderId::kCallId, spec.call_id);
  const std::string_view method =
      spec.method == Method::kOther ? std::string_view(spec.method_text) : method_name(spec.method);
  b.add(HeaderId::kCSeq, fmt::format("{} {}", spec.cseq, method));
  if (!spec.contact.empty()) b.add(HeaderId::kContact, spec.contact);
  for (const auto& [id, value] : spec.headers) b.add(id, value);
  for (const auto& [name, value] : spec.named_headers) b.add(name, value);
  if (!spec.body.empty()) b.body(spec.content_type, spec.body);
  return b;
}

OutgoingRequest build_request(const RequestSpec& spec) {
  OutgoingRequest out;
  out.method = spec.method;
  out.method_text =
      spec.method == Method::kOther ? spec.method_text : std::string(method_name(spec.method));
  out.request_uri = spec.request_uri;
  out.via =
      format_via(spec.via_transport, spec.via_host, spec.via_port, spec.branch, spec.via_rport);
  out.branch = spec.branch;
  out.from = spec.from_tag.empty() ? spec.from : spec.from + ";tag=" + spec.from_tag;
  out.to = spec.to_tag.empty() ? spec.to : spec.to + ";tag=" + spec.to_tag;
  out.call_id = spec.call_id;
  out.cseq = spec.cseq;
  out.routes = spec.routes;
  out.bytes = make_request(spec).build();
  return out;
}

namespace {

// Request-URI, top Via, From, Call-ID and Route of a sent INVITE, as §9.1 and §17.1.1.3 copy them.
MessageBuilder copy_invite_basics(const Message& invite, Method method) {
  MessageBuilder b = MessageBuilder::request(method, std::string(invite.request_uri_text()));
  if (auto via = invite.top_via(); via) b.add(HeaderId::kVia, std::string(via->text));
  b.add(HeaderId::kMaxForwards, "70");
  for (const auto& h : invite.headers()) {
    if (h.id == HeaderId::kRoute) b.add(HeaderId::kRoute, std::string(h.value));
  }
  b.add(HeaderId::kFrom, std::string(invite.header(HeaderId::kFrom)));
  return b;
}

uint32_t cseq_number(const Message& m) {
  const auto cseq = m.cseq();
  return cseq ? cseq->number : 0;
}

}  // namespace

MessageBuilder make_cancel(const Message& invite) {
  MessageBuilder b = copy_invite_basics(invite, Method::kCancel);
  b.add(HeaderId::kTo, std::string(invite.header(HeaderId::kTo)));
  b.add(HeaderId::kCallId, std::string(invite.header(HeaderId::kCallId)));
  b.add(HeaderId::kCSeq, fmt::format("{} CANCEL", cseq_number(invite)));
  return b;
}

MessageBuilder make_non2xx_ack(const Message& invite, const Message& response) {
  MessageBuilder b = copy_invite_basics(invite, Method::kAck);
  b.add(HeaderId::kTo, std::string(response.header(HeaderId::kTo)));
  b.add(HeaderId::kCallId, std::string(invite.header(HeaderId::kCallId)));
  b.add(HeaderId::kCSeq, fmt::format("{} ACK", cseq_number(invite)));
  return b;
}

MessageBuilder make_non2xx_ack(const OutgoingRequest& invite, const Message& response) {
  MessageBuilder b = MessageBuilder::request(Method::kAck, invite.request_uri);
  b.add(HeaderId::kVia, invite.via);
  b.add(HeaderId::kMaxForwards, "70");
  for (const std::string& route : invite.routes) b.add(HeaderId::kRoute, route);
  b.add(HeaderId::kFrom, invite.from);
  b.add(HeaderId::kTo, std::string(response.header(HeaderId::kTo)));
  b.add(HeaderId::kCallId, invite.call_id);
  b.add(HeaderId::kCSeq, fmt::format("{} ACK", invite.cseq));
  return b;
}

}  // namespace sbc::cp::sip
