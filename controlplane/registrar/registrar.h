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
};

struct RegisterResult {
  int code = 200;
  std::string reason;                   // "" = default phrase
  std::vector<std::string> contacts;    // 200: Contact values "<uri>;expires=N" of all bindings
  std::optional<uint32_t> min_expires;  // 423: the Min-Expires value
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

  // RFC 3261 §10.3 for an authenticated (or trusted) `user`: To's user must be `user` (else 403);
  // Contact "*" (only with Expires: 0, else 400) removes all; a Contact whose binding has the same
  // Call-ID and a CSeq not higher is left unchanged (§10.3 step 7); per-contact expires param,
  // else Expires header, else default_expires; 423 + min_expires below min_expires (0 excepted);
  // clamp to max_expires, and to nat_expires when NATed; max_contacts per user (the oldest
  // binding is replaced); max_bindings in all -> 503. No Contact: list the current bindings.
  // A request that fails changes nothing.
  RegisterResult on_register(std::string_view user, const SipPeer& from,
                             const sip::Message& request, TimePoint now,
                             std::chrono::system_clock::time_point wall_now);
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

  RegistrarConfig config_;
  Users users_;
  size_t size_ = 0;
};

}  // namespace sbc::cp
