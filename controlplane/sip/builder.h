// Building new SIP messages: requests a B2BUA originates on its own dialogs, and responses to
// received requests (RFC 3261 §8.2.6). The builder collects the start line, headers and body and
// writes the text once; Content-Length is always computed from the body.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "controlplane/sip/header_table.h"
#include "controlplane/sip/message.h"
#include "controlplane/sip/method.h"

namespace sbc::cp::sip {

class MessageBuilder;

// Response to a request per RFC 3261 §8.2.6: copies all Via values (in order), From, To,
// Call-ID and CSeq; adds ;tag=to_tag to To when the request's To has no tag, code > 100 and
// to_tag is not empty. 100 Trying also copies Timestamp (§8.2.6.1). Callers add Contact etc.
// Fields the request lacks are left out (a 400 to a request without From still routes by Via).
// The builder keeps the status code and the To tag it wrote as fields (build_response()).
[[nodiscard]] MessageBuilder make_response(const Message& request, int code,
                                           std::string_view reason = {},
                                           std::string_view to_tag = {});

class MessageBuilder {
 public:
  // "METHOD request-uri SIP/2.0". method_text is used for Method::kOther (must be a token).
  static MessageBuilder request(Method method, std::string request_uri,
                                std::string_view method_text = {});
  // "SIP/2.0 code reason"; an empty reason takes default_reason_phrase(code).
  static MessageBuilder response(int code, std::string_view reason = {});

  // Appends a header (canonical name for known ids; kOther needs the name overload).
  // Content-Length given here is ignored: build() writes the real one.
  MessageBuilder& add(HeaderId id, std::string value);
  MessageBuilder& add(std::string name, std::string value);
  // Inserts before all other headers (e.g. a new top Via).
  MessageBuilder& prepend(HeaderId id, std::string value);
  // Removes every header with this id / name (case-insensitive, compact forms resolved).
  MessageBuilder& remove(HeaderId id);
  MessageBuilder& remove(std::string_view name);
  // Sets the body and its Content-Type (replacing any previous Content-Type). An empty body with
  // empty content_type removes both.
  MessageBuilder& body(std::string content_type, std::string body);

  [[nodiscard]] const std::string& start_line() const { return start_line_; }
  // A response's status code, as given to response(); 0 for a request.
  [[nodiscard]] int status() const { return status_; }
  // The To tag make_response() wrote (the request's, or the one it added); "" when none.
  [[nodiscard]] const std::string& to_tag() const { return to_tag_; }
  [[nodiscard]] const std::vector<std::pair<std::string, std::string>>& headers() const {
    return headers_;
  }
  // Serialises: start line, headers in order, Content-Length, CRLF, body.
  [[nodiscard]] std::string build() const;

 private:
  friend MessageBuilder make_response(const Message& request, int code, std::string_view reason,
                                      std::string_view to_tag);
  explicit MessageBuilder(std::string start_line, int status = 0)
      : start_line_(std::move(start_line)), status_(status) {}

  std::string start_line_;
  int status_ = 0;
  std::string to_tag_;
  std::vector<std::pair<std::string, std::string>> headers_;
  std::string body_;
};

// A response we built, as a server transaction needs it: the bytes it sends, the status code
// its state machine follows and the To tag an RFC 2543 ACK is matched by, taken from the builder.
// Nothing we send is parsed back.
struct OutgoingResponse {
  int code = 0;
  std::string to_tag;
  std::string bytes;
};

// `response` (MessageBuilder::response or make_response), serialised, with its fields.
[[nodiscard]] OutgoingResponse build_response(const MessageBuilder& response);

// What a B2BUA needs to originate a request on one of its dialogs.
struct RequestSpec {
  Method method = Method::kInvite;
  std::string method_text;  // only for Method::kOther
  std::string request_uri;
  // Top (and only) Via.
  std::string via_transport = "UDP";
  std::string via_host;
  std::optional<uint16_t> via_port;
  std::string branch;     // from IdGenerator::branch()
  bool via_rport = true;  // RFC 3581: ask for ;rport
  // Full name-addr texts, without tag (e.g. format_name_addr("", "sip:alice@example.com")).
  std::string from;
  std::string from_tag;
  std::string to;
  std::string to_tag;  // empty outside a dialog
  std::string call_id;
  uint32_t cseq = 1;
  uint32_t max_forwards = 70;
  std::string contact;              // full value ("<sip:sbc@192.0.2.1:5060>"); omitted when empty
  std::vector<std::string> routes;  // Route values in order (each "<uri>"); omitted when empty
  std::vector<std::pair<HeaderId, std::string>> headers;  // more headers, after Contact
  // Headers by name, after those: what normalisation writes on one leg (identity, user agent,
  // headers passed and added), rewritten whole when the INVITE goes to another trunk.
  std::vector<std::pair<std::string, std::string>> named_headers;
  std::string content_type;  // with a body only
  std::string body;
};

// Request from a spec: start line, Via, Max-Forwards, [Route...], From, To, Call-ID, CSeq,
// [Contact], the spec's other headers and body. More can be added on the returned builder.
[[nodiscard]] MessageBuilder make_request(const RequestSpec& spec);

// A request we built, as a client transaction needs it: the bytes it sends and the fields it
// matches responses by and copies into the ACK of a non-2xx final or a CANCEL (§9.1,
// §17.1.1.3), taken from the spec. Nothing we send is parsed back.
struct OutgoingRequest {
  Method method = Method::kInvite;
  std::string method_text;  // the CSeq method: method_name(), or the spec's text for kOther
  std::string request_uri;
  std::string via;     // the top Via value
  std::string branch;  // its branch
  std::string from;    // From value, with its tag
  std::string to;      // To value, with its tag when in a dialog
  std::string call_id;
  uint32_t cseq = 0;
  std::vector<std::string> routes;
  std::string bytes;
};

// make_request(spec), serialised, with its fields.
[[nodiscard]] OutgoingRequest build_request(const RequestSpec& spec);

// CANCEL for a sent INVITE (RFC 3261 §9.1): same Request-URI, top Via, From, To, Call-ID,
// Route; CSeq number with method CANCEL; Max-Forwards 70.
[[nodiscard]] MessageBuilder make_cancel(const Message& invite);

// ACK for a non-2xx final response to a sent INVITE (RFC 3261 §17.1.1.3): Request-URI, top Via,
// From, Call-ID, Route of the INVITE; To of the response; CSeq number with method ACK.
[[nodiscard]] MessageBuilder make_non2xx_ack(const Message& invite, const Message& response);
// Same, for an INVITE we sent.
[[nodiscard]] MessageBuilder make_non2xx_ack(const OutgoingRequest& invite,
                                             const Message& response);

}  // namespace sbc::cp::sip
