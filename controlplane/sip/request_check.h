// The checks a UAS / B2BUA makes on a request that parsed, before any dialog or routing logic
// (RFC 3261 §8.2, §16.3 for the proxy-like parts), and the response each failure calls for.
// One function decides; the caller sends the answer (make_response + the headers given here) or,
// when answerable() is false, drops and counts the request.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "controlplane/sip/header_table.h"
#include "controlplane/sip/message.h"
#include "controlplane/sip/method.h"

namespace sbc::cp::sip {

struct Rejection {
  int code = 0;
  std::string reason;  // reason phrase
  // Headers the response must carry, e.g. {kUnsupported, "foo"}, {kAllow, "INVITE, ACK"},
  // {kWarning, "399 sbc \"Malformed CSeq header\""}.
  std::vector<std::pair<HeaderId, std::string>> headers;
};

struct RequestPolicy {
  // Option tags this element implements; any other tag in Require (UAS role) or Proxy-Require
  // (proxy role, which a B2BUA also plays) gets 420 with Unsupported.
  std::vector<std::string> supported;
  // Methods handled; unknown methods get 501, known ones missing here 405 with Allow. Empty: no
  // method check.
  std::vector<Method> methods;
  // Max-Forwards 0 gets 483, except OPTIONS when this is set: the element answers OPTIONS
  // itself (RFC 3261 §11: an OPTIONS with Max-Forwards 0 is answered by the receiving element).
  bool max_forwards_zero_allowed_for_options = true;
  // Request-URI schemes: sip and sips always; tel when this is set; any other gets 416.
  bool accept_tel_uri = true;
  // Body types understood in INVITE, UPDATE and PRACK (offer/answer bodies); multipart bodies
  // are accepted when one part has such a type. Other types get 415 with Accept.
  std::vector<std::string> accept = {"application/sdp"};
  // multipart/* bodies with an application/sdp part (RFC 5621; find_sdp() extracts it). Off for
  // a UAS that reads the body as SDP directly: such bodies then get 415.
  bool accept_multipart = true;
  // warn-agent of Warning: 399 headers naming what was malformed.
  std::string warning_agent = "sbc";
};

// Enough of the request to build a response that reaches its sender and that the sender can
// match to its transaction: a request other than ACK, a top Via that parses (the response path)
// and a CSeq field (copied verbatim). From, To and Call-ID are copied when present.
[[nodiscard]] bool answerable(const Message& message);

// nullopt when the request may proceed; otherwise the response it must get, in RFC 3261 order:
// 505 version, 400 malformed (with Warning 399 naming the problem), 501 / 405 method, 400 CSeq
// method mismatch, 416 Request-URI scheme, 483 Max-Forwards, 420 Require / Proxy-Require (not
// for ACK or CANCEL), 415 body type or Content-Encoding, 406 Accept without any SDP type for an
// INVITE. Responses (not requests) always give nullopt: use Message::validate() for those.
[[nodiscard]] std::optional<Rejection> check_request(const Message& message,
                                                     const RequestPolicy& policy);

}  // namespace sbc::cp::sip
