// Location service for access users (RFC 3261 §10.3): bindings of a user's AOR to contacts, with
// expiry, NAT awareness and hard bounds (max_contacts per user, max_bindings in all).
//
// A binding remembers the SipPeer its REGISTER came from, so requests toward the user go back to
// the packet's source (through the NAT pinhole, over the same TCP/TLS connection), not to the
// Contact's address, which behind NAT is private. A NATed client is granted nat_expires so it
// re-registers often and keeps its pinhole open.
//
// Pointers returned by lookup() and all() stay valid until the next non-const call.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "controlplane/registrar/registrar_settings.h"
#include "controlplane/sip/message.h"
#include "controlplane/transport/sip_transport.h"

namespace sbc::cp {

struct Binding {
  std::string user;     // AOR user part (== digest username)
  std::string contact;  // Contact URI as registered (no <>, no params after >)
  SipPeer peer;         // where requests for this binding go: the source of the REGISTER
                        // (zone, transport, remote, local, connection) — NAT-aware
  std::string call_id;
  uint32_t cseq = 0;
  std::chrono::steady_clock::time_point expires;
  std::chrono::system_clock::time_point registered;  // wall clock, for show registrations
  bool nated = false;  // Contact host:port differs from the packet's source
  std::string user_agent;
  // A binding relayed to an upstream registrar (b2bua/register_relay.h): the user part of the
  // Contact the SBC registered there for it, which calls from the upstream carry in their
  // Request-URI. "" for a binding of the SBC's own registrar.
  std::string relay_token;
  std::chrono::steady_clock::time_point upstream_expires{};  // relayed: when the upstream's ends
};

struct RegisterResult {
  int code = 200;
  std::string reason;                   // "" = default phrase
  std::vector<std::string> contacts;    // 200: Contact values "<uri>;expires=N" of all bindings
  std::optional<uint32_t> min_expires;  // 423: the Min-Expires value
};

// The user part of the Contact a relayed binding is registered upstream with: this prefix and a
// random part (no number starts so, so no DID or route can be mistaken for one).
inline constexpr std::string_view kRelayTokenPrefix = "sbc-r-";
[[nodiscard]] inline bool is_relay_token(std::string_view user) {
  return user.starts_with(kRelayTokenPrefix);
}

// A REGISTER the upstream registrar accepted (b2bua/register_relay.h), applied to the bindings
// toward the client: none outlives its upstream binding, each keeps its token.
struct RelayedContact {
  std::string contact;  // the client's Contact URI
  std::string token;    // the user part of ours at the upstream
  std::chrono::steady_clock::time_point upstream_expires;
};
struct RelayedRegister {
  uint32_t max_expires = 0;  // seconds the upstream granted
  std::vector<RelayedContact> contacts;
};

// Bounds on what one binding stores from the request (memory per binding stays small).
inline constexpr size_t kMaxContactUriLength = 512;  // longer Contact URIs: 400
inline constexpr size_t kMaxCallIdLength = 256;      // longer Call-IDs: 400
inline constexpr size_t kMaxUserAgentLength = 128;   // longer User-Agents are cut

class Registrar {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  explicit Registrar(const RegistrarConfig& config);
  // New [registrar] settings (a reload): bindings stay; the next REGISTER gets the new limits.
  void reconfigure(const RegistrarConfig& config) { config_ = config; }
  // Drops every binding of `user` (a reload removed the user); returns how many there were.
  size_t remove_user(std::string_view user);
  // Drops `user`'s binding of `contact` (a client that no longer answers); false: none.
  bool remove_contact(std::string_view user, std::string_view contact);

  // RFC 3261 §10.3 for an authenticated (or trusted) `user`: To's user must be `user` (else 403);
  // Contact "*" (only with Expires: 0, else 400) removes all; a Contact whose binding has the same
  // Call-ID and a CSeq not higher is left unchanged (§10.3 step 7); per-contact expires param,
  // else Expires header, else default_expires; 423 + min_expires below min_expires (0 excepted);
  // clamp to max_expires, and to nat_expires when NATed; max_contacts per user (the oldest
  // binding is replaced); max_bindings in all -> 503. No Contact: list the current bindings.
  // A request that fails changes nothing.
  // `relayed`: the request was relayed and accepted upstream (see RelayedRegister).
  RegisterResult on_register(std::string_view user, const SipPeer& from,
                             const sip::Message& request, TimePoint now,
                             std::chrono::system_clock::time_point wall_now,
                             const RelayedRegister* relayed = nullptr);
  // The checks of on_register that need no bindings (the headers, each Contact, Contact * with
  // Expires: 0, 423 below min_expires): what a relayed REGISTER passes before it goes upstream.
  [[nodiscard]] std::optional<RegisterResult> refusal(std::string_view user, const SipPeer& from,
                                                      const sip::Message& request) const;
  // The live relayed binding whose token is `token`; nullptr when there is none.
  [[nodiscard]] const Binding* find_relayed(std::string_view token, TimePoint now) const;
  // Live bindings of `user`, most recently registered first.
  [[nodiscard]] std::vector<const Binding*> lookup(std::string_view user, TimePoint now) const;
  size_t expire(TimePoint now);  // drops expired bindings; returns how many
  // Live bindings sorted by user (each user's most recently registered first).
  [[nodiscard]] std::vector<const Binding*> all(TimePoint now) const;
  // Bindings held, expired ones not yet dropped by expire() included.
  [[nodiscard]] size_t size() const { return size_; }

 private:
  // Per user, most recently registered first (the oldest is at the back).
  using Users = std::map<std::string, std::vector<Binding>, std::less<>>;

  // Makes `list` the user's bindings (found: the user's entry or end(); stored: how many bindings
  // it held) and answers 200 with them.
  RegisterResult store(std::string_view user, Users::iterator found, size_t stored,
                       std::vector<Binding> list, TimePoint now);

  // Keeps relay_users_ in step when a user's bindings `before` become `after`.
  void reindex(const std::vector<Binding>* before, const std::vector<Binding>* after);

  RegistrarConfig config_;
  Users users_;
  // Relay token -> user, for the relayed bindings in users_.
  std::unordered_map<std::string, std::string> relay_users_;
  size_t size_ = 0;
};

}  // namespace sbc::cp
