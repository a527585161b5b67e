// REGISTER relay: an access zone with `register_relay = TRUNK` has no registrar of its own; its
// clients (phones of a hosted PBX, a PBX registering to its carrier) register with the trunk's
// registrar through the SBC, as with a commercial SBC's registration relay or Kamailio with
// Path/uac.
//
// Toward the upstream the SBC is the client, with its own dialog per address-of-record (Call-ID,
// tag, CSeq: nothing of the client's topology). Each client contact has a token, sbc-r-TOKEN,
// which names it in one of two ways (`register_relay_mode`):
// - contact (default): the SBC registers its own Contact, sip:sbc-r-TOKEN@<trunk-side address>;
//   the registrar learns nothing of the client. Calls come to that Contact.
// - path (RFC 3327): the client's own Contact goes up as it sent it, with
//   Path: <sip:sbc-r-TOKEN@<trunk-side address>;lr> (the token of the request's first contact)
//   and Supported: path, as an edge proxy (Kamailio's path module) does. The registrar keeps
//   the client's Contact and sends calls for it through the Path: its INVITE's Request-URI is
//   the client's Contact and its top Route our Path URI, whose token names the binding.
// The upstream's challenge goes back to the client and its credentials go up unchanged: the SBC
// holds no relayed user's password, and the upstream verifies the digest against the uri the
// client signed. Calls the upstream sends to a token reach that client where its REGISTER came
// from, through its NAT pinhole (routing/router.h).
//
// Caching: toward the client a binding is the SBC's own registrar's (registrar.h: its expiry
// capped at the upstream's and, behind NAT, at nat_expires), so a NATed phone refreshes every
// minute while the upstream sees a REGISTER only when its binding is half gone. A refresh is
// answered from the cache only when it is plainly the same registration: same source (address,
// port, transport), same Call-ID, a higher CSeq, the same contacts, none removed. Anything else
// (a new source, a removal, a query, a wildcard) goes upstream and is authenticated there.
//
// The upstream's refusal of credentials (401/407 again, not stale) and its 403/404 are offences
// of the client's source (edge_security.h), so a cracker or an extension scan is banned here
// before the upstream bans the SBC. A client authenticated upstream lends its source the
// dataplane's trusted budget, as a digest-proven local registration does.
//
// Single-threaded, part of the B2BUA: the upstream REGISTERs are client transactions of its
// layer with no call as owner.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "controlplane/b2bua/b2bua_context.h"
#include "controlplane/b2bua/call_signalling.h"
#include "controlplane/runtime/timer.h"

namespace sbc::cp {

// One client contact's binding at the upstream registrar.
struct UpstreamBinding {
  std::string token;  // the user part of the Contact the SBC registered
  std::chrono::steady_clock::time_point expires;
  uint32_t granted_s = 0;
};

class RegisterRelay {
 public:
  // How often bindings the upstream no longer holds are forgotten.
  static constexpr std::chrono::seconds kSweep{30};
  // How long the upstream has to answer: the client's transaction ends at 64*T1 (32 s), so it
  // hears 408 well before, not silence.
  static constexpr std::chrono::seconds kUpstreamTimeout{16};

  RegisterRelay(B2buaContext& ctx, CallSignalling& signalling);

  // A REGISTER on zone `from.zone`, whose `register_relay` names the upstream's trunk.
  void handle_register(const SipPeer& from, const sip::Message& request);
  // Client transaction `id`'s response or failure: true when it was a relayed REGISTER.
  bool response(TransactionId id, const sip::Message& msg);
  bool transaction_error(TransactionId id, TransactionError error);

  // Addresses-of-record with a dialog at an upstream registrar.
  [[nodiscard]] size_t size() const { return aors_.size(); }

 private:
  // One address-of-record's registration dialog with the upstream registrar.
  struct Aor {
    size_t zone = 0;
    std::string user;
    std::string call_id;
    std::string from_tag;
    uint32_t cseq = 0;
    std::map<std::string, UpstreamBinding, std::less<>> contacts;  // by the client's Contact URI
    std::optional<TransactionId> pending;
  };
  // A client's REGISTER waiting for the upstream's answer.
  struct InFlight {
    std::string aor;  // key into aors_
    SipPeer from;
    sip::Message request;
    bool credentials = false;  // it carried Authorization or Proxy-Authorization
    // Each Contact URI of the request with its token and the expiry asked for it (0: removal).
    std::vector<RelayedContact> contacts;
    std::vector<uint32_t> asked;
    bool path = false;  // register_relay_mode = path: the contacts went up as the client's
    Timer deadline;     // kUpstreamTimeout
  };

  // The refresh can be answered from the cache (see the file comment).
  [[nodiscard]] bool cached(const Aor& aor, const SipPeer& from, const sip::Message& request) const;
  void answer_from_cache(Aor& aor, const SipPeer& from, const sip::Message& request);
  void relay(Aor& aor, const std::string& key, const SipPeer& from, const sip::Message& request);
  // The Contact header value upstream for the request's contacts (our token for each, a new one
  // for a contact not bound yet), recording each in `flight`; "*" for a wildcard.
  // In path mode the contacts are the client's own URIs, each still holding a token.
  std::string upstream_contacts(Aor& aor, const std::string& key, const sip::Message& request,
                                const SipPeer& peer, bool path, InFlight& flight);
  void accepted(Aor& aor, const InFlight& flight, const sip::Message& msg);
  // The upstream's non-2xx final relayed to the client (challenges and Min-Expires with it).
  void refused(const InFlight& flight, const sip::Message& msg);
  void respond(const SipPeer& from, const sip::Message& request, int code,
               std::string_view reason = {});
  // The upstream failed the REGISTER of client transaction `id`: the client hears 408 (no answer
  // in time) or 503 (unreachable).
  void failed(TransactionId id, TransactionError error);
  // Forgets upstream bindings that have expired, and address-of-records left with none.
  void sweep();

  B2buaContext& ctx_;
  CallSignalling& signalling_;
  std::map<std::string, Aor, std::less<>> aors_;         // by "zone/user"
  std::unordered_map<std::string, std::string> tokens_;  // token -> its Aor's key
  std::unordered_map<TransactionId, InFlight> in_flight_;
  Timer sweep_;
};

}  // namespace sbc::cp
