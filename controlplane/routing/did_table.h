// DID table: where a call from a carrier goes, by the number it calls (after the trunk's
// number_in, normalize/number_rules.h). A [did.NAME] lists the numbers it serves (prefixes: a
// block of DIDs is one prefix; the longest match wins), optionally the trunks it serves (a DID
// ported to one carrier; an entry naming the calling trunk wins over a general one of the same
// length), and the target: a user registered on the access zone, a PBX by address, or the access
// zone's default_target; `called` replaces the number toward the target (DID 15550001000 ->
// extension 101):
//
//   [did.sales]
//   numbers = +15550001000, +1555000110
//   target = 192.0.2.20:5060
//   called = 101
//
// With a DID table a number none of its entries serves gets 404: a carrier (or someone spoofing
// one) cannot reach arbitrary users or extensions. Without one, calls go to a registered user of
// that name, else to the default target, as before.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/net/host_port.h"
#include "controlplane/transport/sip_transport.h"

namespace sbc::cp {

enum class DidTargetKind : uint8_t {
  kDefault,  // the access zone's default_target
  kUser,     // a user registered on the access zone
  kAddress,  // a PBX at host:port
};

struct DidConfig {
  std::string name;
  std::vector<std::string> numbers;  // prefixes of the called number; empty: every number
  std::vector<std::string> trunks;   // trunk names it serves; empty: calls from any trunk
  std::string zone;  // the access zone of its target; "": the inbound zone of the call's trunk
  DidTargetKind kind = DidTargetKind::kDefault;
  std::string user;                       // kUser: the registered user
  std::optional<HostPort> address;        // kAddress
  Transport transport = Transport::kUdp;  // kAddress: how the PBX is reached
  std::string called;  // the Request-URI and To user toward the target; "": the number called
  bool operator==(const DidConfig&) const = default;
};

class DidTable {
 public:
  DidTable() = default;
  explicit DidTable(const std::vector<DidConfig>& dids);

  [[nodiscard]] bool empty() const { return by_prefix_.empty(); }
  // The entry serving a call from trunk `trunk` (its name; "" for none) to `number`: the longest
  // prefix of `number` some entry serving that trunk lists; nullptr when none does.
  [[nodiscard]] const DidConfig* match(std::string_view trunk, std::string_view number) const;

 private:
  // Entries by prefix ("" for those listing no numbers), in file order within one prefix.
  std::map<std::string, std::vector<const DidConfig*>, std::less<>> by_prefix_;
};

}  // namespace sbc::cp
