#include "controlplane/security/acl.h"

#include <utility>

namespace sbc::cp {

Acl::Acl(std::vector<IpNetwork> allow, std::vector<IpNetwork> deny)
    : allow_(std::move(allow)), deny_(std::move(deny)), allow_set_(allow_), deny_set_(deny_) {}

bool Acl::allows(const boost::asio::ip::address& source) const {
  const std::optional<uint8_t> allowed = allow_set_.longest_match(source);
  const std::optional<uint8_t> denied = deny_set_.longest_match(source);
  if (denied && (!allowed || *denied >= *allowed)) return false;
  if (allowed) return true;
  return allow_.empty();
}

}  // namespace sbc::cp
