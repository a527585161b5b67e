// libFuzzer target: the SIP message layer on arbitrary bytes. Parses with both framings and two
// sets of limits, runs every typed accessor and header-value parser, and checks what the layer
// promises: views point into the message, limits only ever reject, edited and built messages
// parse again, responses built for a valid request are valid.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "controlplane/sip/auth.h"
#include "controlplane/sip/builder.h"
#include "controlplane/sip/editor.h"
#include "controlplane/sip/header_table.h"
#include "controlplane/sip/header_values.h"
#include "controlplane/sip/message.h"
#include "controlplane/sip/method.h"
#include "controlplane/sip/multipart.h"
#include "controlplane/sip/name_addr.h"
#include "controlplane/sip/params.h"
#include "controlplane/sip/parse_error.h"
#include "controlplane/sip/request_check.h"
#include "controlplane/sip/sdp.h"
#include "controlplane/sip/uri.h"
#include "controlplane/sip/via.h"
#include "tests/fuzz/fuzz_check.h"

namespace sbc::fuzz {
namespace {

namespace sip = sbc::cp::sip;

// Room for what the edits below add to a message that was within the default limits.
sip::Limits relaxed_limits() {
  sip::Limits l;
  l.max_message *= 2;
  l.max_headers += 8;
  l.max_vias += 1;
  return l;
}

sip::Limits tight_limits() {
  sip::Limits l;
  l.max_message = 512;
  l.max_headers = 8;
  l.max_header_line = 128;
  l.max_vias = 2;
  l.max_body = 64;
  return l;
}

void touch_params(std::span<const sip::Param> params, std::string_view whole) {
  for (const auto& p : params) {
    check(inside(p.name, whole) && inside(p.value, whole), "param view outside its text");
    touch(p.name);
    touch(p.value);
  }
}

void touch_uri(const sip::Uri& uri, std::string_view whole) {
  check(inside(uri.text, whole) && inside(uri.user, whole) && inside(uri.password, whole) &&
            inside(uri.host, whole),
        "URI view outside its text");
  touch(uri.text);
  touch_params(uri.params, whole);
  touch_params(uri.headers, whole);
  (void)uri.param("transport");
  (void)uri.transport();
  (void)uri.loose_route();
  if (uri.scheme != sip::UriScheme::kOther) touch(uri.host_port());
}

void touch_name_addr(const sip::NameAddr& na, std::string_view whole) {
  check(inside(na.display_name, whole) && inside(na.uri_text, whole), "name-addr view outside");
  touch(na.display_name);
  touch_uri(na.uri, whole);
  touch_params(na.params, whole);
  touch(na.tag());
  (void)na.param("expires");
}

void touch_via(const sip::Via& via, std::string_view whole) {
  check(inside(via.text, whole) && inside(via.host, whole) && inside(via.branch, whole) &&
            inside(via.transport, whole),
        "Via view outside");
  touch(via.text);
  touch_params(via.params, whole);
  if (via.received) touch(*via.received);
  if (via.maddr) touch(*via.maddr);
  (void)via.rfc3261_branch();
  (void)via.param("branch");
  touch(sip::format_via(via.transport, via.host, via.port, via.branch, via.rport_present));
}

void touch_auth(const sip::AuthHeader& auth, std::string_view whole) {
  check(inside(auth.scheme, whole), "auth scheme outside");
  for (const auto& p : auth.params) {
    check(inside(p.name, whole) && inside(p.value, whole), "auth param outside");
    touch(p.value);
  }
  (void)auth.is_digest();
  (void)auth.find("realm");
  if (auto nonce = auth.param("nonce")) touch(*nonce);
  if (auto c = sip::digest_credentials(auth)) touch(c->response);
  if (auto c = sip::digest_challenge(auth)) touch(c->nonce);
}

void touch_tags(const std::expected<std::vector<std::string_view>, sip::ParseError>& tags,
                std::string_view whole) {
  if (!tags) return;
  for (std::string_view t : *tags) {
    check(inside(t, whole) && sip::is_token(t), "option tag outside or not a token");
  }
}

// The stand-alone value parsers on every header value, whatever the header is.
void parse_header_values(const sip::Message& m) {
  for (const auto& h : m.headers()) {
    if (auto t = sip::parse_media_type(h.value)) {
      touch_params(t->params, h.value);
      touch(t->param("boundary"));
    }
    touch_tags(sip::parse_option_tags(h.value), h.value);
    if (auto a = sip::parse_allow(h.value)) {
      for (const auto& method : *a) check(inside(method.text, h.value), "Allow item outside");
    }
    (void)sip::is_sip_date(h.value);
    if (auto se = sip::parse_session_expires(h.value)) touch_params(se->params, h.value);
    (void)sip::parse_min_se(h.value);
    if (auto r = sip::parse_rseq(h.value)) check(*r >= 1 && *r <= 0x7fffffffU, "RSeq range");
    if (auto r = sip::parse_rack(h.value)) check(inside(r->method_text, h.value), "RAck outside");
    if (auto r = sip::parse_reason(h.value)) {
      check(inside(r->protocol, h.value) && inside(r->text, h.value), "Reason outside");
      touch_params(r->params, h.value);
    }
    if (auto r = sip::parse_retry_after(h.value)) {
      check(inside(r->comment, h.value), "Retry-After comment outside");
      touch_params(r->params, h.value);
    }
    touch(sip::unquote(h.value));
    if (auto a = sip::parse_auth_header(h.value, sip::ParseError::kBadCredentials)) {
      touch_auth(*a, h.value);
    }
    touch(h.name);
    touch(h.value);
    check(sip::header_id(h.name) == h.id, "header id differs from the table's");
    if (auto v = sip::parse_via(h.value)) touch_via(*v, h.value);
    if (auto na = sip::parse_name_addr(h.value)) touch_name_addr(*na, h.value);
    if (auto u = sip::parse_uri(h.value)) touch_uri(*u, h.value);
    if (auto p = sip::parse_params(h.value)) touch_params(*p, h.value);
    if (auto list = sip::split_list(h.value)) {
      for (std::string_view item : *list) check(inside(item, h.value), "list item outside");
    }
    (void)sip::is_absolute_uri(h.value);
    (void)sip::parse_decimal(sip::trim_lws(h.value));
  }
}

void typed_accessors(const sip::Message& m) {
  const std::string_view raw = m.raw();
  touch(raw);
  check(inside(m.body(), raw) && inside(m.start_line(), raw), "body/start line outside raw()");
  if (m.is_request()) {
    check(sip::method_from_text(m.method_text()) == m.method(), "method text and id differ");
    check(sip::is_token(m.method_text()), "request method is not a token");
    if (auto u = m.request_uri()) touch_uri(*u, raw);
  } else {
    check(m.status_code() >= 100 && m.status_code() <= 699, "status code out of range");
    (void)sip::default_reason_phrase(m.status_code());
  }
  for (const auto& h : m.headers()) (void)m.offset_of(h.value);
  for (auto id = 0; id < static_cast<int>(sip::HeaderId::kCount); ++id) {
    const auto hid = static_cast<sip::HeaderId>(id);
    (void)sip::is_list_header(hid);
    if (hid != sip::HeaderId::kOther) {
      check(sip::header_id(sip::header_name(hid)) == hid, "canonical name resolves elsewhere");
    }
    const sip::HeaderField* first = m.find(hid);
    check((first != nullptr) == (m.count(hid) > 0), "find() and count() disagree");
    touch(m.header(hid));
    if (first != nullptr) check(m.find(first->name) != nullptr, "find(name) misses a header");
    if (auto values = m.values(hid)) {
      for (std::string_view v : *values) check(inside(v, raw), "values() item outside raw()");
    }
  }
  if (auto vias = m.vias()) {
    for (const auto& v : *vias) touch_via(v, raw);
    auto top = m.top_via();
    check(top.has_value() && !vias->empty() && top->text == vias->front().text,
          "top_via() is not the first of vias()");
  }
  if (auto f = m.from()) touch_name_addr(*f, raw);
  if (auto t = m.to()) touch_name_addr(*t, raw);
  if (auto c = m.call_id()) check(inside(*c, raw), "Call-ID outside raw()");
  if (auto c = m.cseq()) check(inside(c->method_text, raw), "CSeq method outside raw()");
  (void)m.max_forwards();
  if (auto c = m.contacts()) {
    check(!(c->wildcard && !c->entries.empty()), "wildcard Contact with entries");
    for (const auto& na : c->entries) touch_name_addr(na, raw);
  }
  if (auto ct = m.content_type(); ct && *ct) {
    touch((*ct)->type);
    touch((*ct)->subtype);
    touch_params((*ct)->params, raw);
    if ((*ct)->is("multipart", "mixed")) {
      const std::string boundary = sip::unquote((*ct)->param("boundary"));
      if (auto parts = sip::parse_multipart(m.body(), boundary)) {
        check(parts->size() <= sip::kMaxBodyParts, "too many body parts");
        for (const auto& part : *parts) {
          check(inside(part.body, m.body()), "body part outside the body");
          for (const auto& h : part.headers) check(inside(h.value, m.body()), "part header");
          (void)part.find(sip::HeaderId::kContentType);
          (void)part.content_type();
        }
      }
    }
  }
  if (auto sdp_text = sip::find_sdp(m); sdp_text && *sdp_text) {
    check(inside(**sdp_text, raw), "SDP outside raw()");
    if (auto sdp = sip::parse_sdp(**sdp_text)) (void)sip::first_audio_endpoint(*sdp);
  }
  (void)m.expires();
  check(inside(m.sip_version(), raw), "SIP version outside raw()");
  touch_tags(m.supported(), raw);
  touch_tags(m.require(), raw);
  touch_tags(m.proxy_require(), raw);
  touch_tags(m.unsupported(), raw);
  if (auto a = m.allow()) {
    for (const auto& method : *a) check(inside(method.text, raw), "Allow item outside raw()");
  }
  for (const auto& list : {m.authorizations(), m.proxy_authorizations(), m.www_authenticates(),
                           m.proxy_authenticates()}) {
    if (!list) continue;
    for (const auto& auth : *list) touch_auth(auth, raw);
  }
  if (auto se = m.session_expires(); se && *se) touch_params((*se)->params, raw);
  (void)m.min_se();
  (void)m.rseq();
  if (auto r = m.rack(); r && *r) check(inside((*r)->method_text, raw), "RAck outside raw()");
  if (auto reasons = m.reasons()) {
    for (const auto& r : *reasons) check(inside(r.text, raw), "Reason text outside raw()");
  }
  (void)m.retry_after();
  if (auto d = m.date(); d && *d) check(inside(**d, raw), "Date outside raw()");
  if (auto r = m.routes()) {
    for (const auto& na : *r) touch_name_addr(na, raw);
  }
  if (auto r = m.record_routes()) {
    for (const auto& na : *r) touch_name_addr(na, raw);
  }
  parse_header_values(m);
}

// Passing through unedited changes nothing a parser sees (Content-Length may be added).
void unedited_round_trip(const sip::Message& m) {
  const sip::MessageEditor editor(m);
  auto again = sip::Message::parse(editor.serialize(), relaxed_limits());
  check(again.has_value(), "unedited serialize() does not parse");
  check(again->start_line() == m.start_line(), "unedited serialize() changed the start line");
  check(again->body() == m.body(), "unedited serialize() changed the body");
  const size_t added =
      m.count(sip::HeaderId::kContentLength) == 0 && again->count(sip::HeaderId::kContentLength);
  check(again->headers().size() == m.headers().size() + added,
        "unedited serialize() changed the header count");
}

void edited_round_trip(const sip::Message& m) {
  sip::MessageEditor editor(m);
  constexpr std::string_view kBranch = "z9hG4bKfuzz0123456789";
  constexpr std::string_view kBody = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n";
  if (m.is_request()) editor.set_request_uri("sip:bob@198.51.100.10:5060");
  editor.prepend(sip::HeaderId::kVia,
                 sip::format_via("UDP", "192.0.2.1", 5060, kBranch, /*rport=*/true));
  // Index edits first: replace_at() revives a field that remove() took out.
  if (!m.headers().empty()) {
    editor.replace_at(0, "replaced");
    editor.remove_at(m.headers().size() - 1);
  }
  editor.remove(sip::HeaderId::kRoute);
  editor.remove("X-Fuzz-Absent");
  editor.replace(sip::HeaderId::kMaxForwards, "69");
  editor.append("X-Fuzz-Appended", "1");
  editor.set_body(std::string(kBody), "application/sdp");
  auto again = sip::Message::parse(editor.serialize(), relaxed_limits());
  check(again.has_value(), "edited serialize() does not parse");
  check(again->body() == kBody, "edited body lost");
  auto top = again->top_via();
  check(top.has_value() && top->branch == kBranch, "prepended Via is not on top");
  check(again->count(sip::HeaderId::kRoute) == 0, "removed Route survived");
  check(m.find("X-Fuzz-Appended") != nullptr || again->header("X-Fuzz-Appended") == "1",
        "appended header lost");
  auto cl = again->content_length();
  check(cl && *cl && **cl == kBody.size(), "Content-Length not rewritten");
}

// Every run of LWS (SP, HTAB, CR, LF) in each text read as one SP.
bool same_up_to_lws(std::string_view a, std::string_view b) {
  auto collapse = [](std::string_view text) {
    std::string out;
    for (char c : text) {
      const bool lws = c == ' ' || c == '\t' || c == '\r' || c == '\n';
      if (!lws) {
        out += c;
      } else if (out.empty() || out.back() != ' ') {
        out += ' ';
      }
    }
    return out;
  };
  return collapse(a) == collapse(b);
}

// A B2BUA re-originates a valid request from its parts (Request-URI, From, To, Call-ID, CSeq):
// what it builds must be valid too.
void reoriginated(const sip::Message& request) {
  auto from = request.from();
  auto to = request.to();
  auto cseq = request.cseq();
  check(from && to && cseq && request.call_id(), "validate() passed without core headers");
  sip::RequestSpec spec;
  spec.method = request.method();
  spec.method_text = std::string(request.method_text());
  spec.request_uri = std::string(request.request_uri_text());
  spec.via_host = "192.0.2.1";
  spec.via_port = 5060;
  spec.branch = "z9hG4bKfuzz42";
  spec.from = sip::format_name_addr(from->display_name, from->uri_text);
  spec.from_tag = std::string(from->tag());
  spec.to = sip::format_name_addr(to->display_name, to->uri_text);
  spec.to_tag = std::string(to->tag());
  spec.call_id = std::string(*request.call_id());
  spec.cseq = cseq->number;
  auto built = sip::Message::parse(sip::make_request(spec).build(), relaxed_limits());
  check(built.has_value(), "re-originated request does not parse");
  check(built->validate().has_value(), "re-originated request is invalid");
  check(built->call_id() == request.call_id(), "re-originated Call-ID differs");
  // Equal up to LWS: a folded display name is re-written on one line (RFC 3261 §7.3.1).
  check(same_up_to_lws(built->from()->display_name, from->display_name) &&
            same_up_to_lws(built->to()->display_name, to->display_name),
        "re-originated display name differs");
}

// RFC 3261 §8.2.6 responses, CANCEL and ACK built for a request that passed validate().
void built_messages(const sip::Message& request) {
  reoriginated(request);
  for (int code : {100, 180, 200, 486}) {
    const auto text = sip::make_response(request, code, {}, "fuzztag").build();
    auto response = sip::Message::parse(text, relaxed_limits());
    check(response.has_value(), "built response does not parse");
    check(response->is_response() && response->status_code() == code, "wrong status line");
    check(response->validate().has_value(), "response to a valid request is invalid");
    check(response->call_id() == request.call_id(), "response Call-ID differs");
    check(response->header(sip::HeaderId::kCSeq) == request.header(sip::HeaderId::kCSeq),
          "response CSeq differs");
    check(response->count(sip::HeaderId::kVia) == request.count(sip::HeaderId::kVia),
          "response Via count differs");
    if (request.method() != sip::Method::kInvite || code != 486) continue;
    for (const auto& built :
         {sip::make_cancel(request).build(), sip::make_non2xx_ack(request, *response).build()}) {
      auto parsed = sip::Message::parse(built, relaxed_limits());
      check(parsed.has_value(), "built CANCEL/ACK does not parse");
      check(parsed->validate().has_value(), "built CANCEL/ACK is invalid");
      check(parsed->call_id() == request.call_id(), "CANCEL/ACK Call-ID differs");
    }
  }
}

// The rejection a server sends for a request must reach the sender: parse, carry the code, the
// top Via and CSeq of the request.
void request_checks(const sip::Message& request) {
  sip::RequestPolicy policy;
  policy.supported = {"timer", "100rel", "replaces"};
  policy.methods = {sip::Method::kInvite, sip::Method::kAck,     sip::Method::kBye,
                    sip::Method::kCancel, sip::Method::kOptions, sip::Method::kUpdate,
                    sip::Method::kPrack};
  const auto rejection = sip::check_request(request, policy);
  if (rejection) {
    check(rejection->code >= 400 && rejection->code <= 699, "rejection is not an error code");
  }
  if (!sip::answerable(request)) return;
  const int code = rejection ? rejection->code : 200;
  auto builder = sip::make_response(request, code, rejection ? rejection->reason : "", "fuzztag");
  if (rejection) {
    for (const auto& [id, value] : rejection->headers) builder.add(id, value);
  }
  auto response = sip::Message::parse(builder.build(), relaxed_limits());
  check(response.has_value(), "response to an answerable request does not parse");
  check(response->is_response() && response->status_code() == code, "wrong response code");
  auto request_via = request.top_via();
  auto response_via = response->top_via();
  check(request_via && response_via && response_via->text == request_via->text,
        "response does not carry the request's top Via");
  check(response->header(sip::HeaderId::kCSeq) == request.header(sip::HeaderId::kCSeq),
        "response does not carry the request's CSeq");
}

void datagram(std::string_view bytes) {
  auto tight = sip::Message::parse(std::string(bytes), tight_limits());
  auto parsed = sip::Message::parse(std::string(bytes));
  if (!parsed) {
    touch(sip::to_string(parsed.error()));
    check(!tight.has_value(), "tighter limits accepted what the defaults reject");
    return;
  }
  // Work on a copy after the original is gone: copies share and keep the buffer alive.
  std::optional<sip::Message> original = std::move(*parsed);
  const sip::Message m = *original;
  original.reset();
  typed_accessors(m);
  const auto valid = m.validate();
  const auto diagnosis = m.diagnose();
  check(valid.has_value() == diagnosis.has_value(), "validate() and diagnose() disagree");
  if (!valid) {
    touch(sip::to_string(valid.error()));
    check(valid.error() == diagnosis.error().error, "validate() and diagnose() differ");
  }
  // Loosely framed datagrams parse so they can be answered; validate() rejects them.
  if (auto cl = m.content_length(); valid && cl && *cl) {
    check(**cl == m.body().size(), "valid message whose Content-Length differs from its body");
  }
  if (m.is_request()) request_checks(m);
  unedited_round_trip(m);
  edited_round_trip(m);
  if (m.is_request() && valid) built_messages(m);
}

void stream(std::string_view bytes) {
  auto frame = sip::stream_frame_length(bytes);
  if (frame) check(*frame <= bytes.size(), "frame longer than the buffer");
  auto parsed = sip::Message::parse(std::string(bytes), {}, sip::Framing::kStream);
  if (!parsed) return;
  auto cl = parsed->content_length();
  check(cl && *cl && **cl == parsed->body().size(), "stream message without a matching length");
  if (frame) check(parsed->raw().size() <= *frame, "parsed message longer than its frame");
}

}  // namespace
}  // namespace sbc::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  sbc::fuzz::datagram(bytes);
  sbc::fuzz::stream(bytes);
  return 0;
}
