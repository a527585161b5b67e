// CIDR access list of a zone or trunk, evaluated on a packet's source before any parsing.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <vector>

#include "controlplane/net/ip_network.h"

namespace sbc::cp {

class Acl {
 public:
  Acl() = default;  // allows everyone
  Acl(std::vector<IpNetwork> allow, std::vector<IpNetwork> deny);
  // Longest matching prefix over both lists decides; a tie goes to deny. No match: allowed when
  // the allow list is empty, denied otherwise.
  [[nodiscard]] bool allows(const boost::asio::ip::address& source) const;
  [[nodiscard]] bool empty() const { return allow_.empty() && deny_.empty(); }
  const std::vector<IpNetwork>& allow_list() const { return allow_; }
  const std::vector<IpNetwork>& deny_list() const { return deny_; }

 private:
  std::vector<IpNetwork> allow_;
  std::vector<IpNetwork> deny_;
  NetworkSet allow_set_;
  NetworkSet deny_set_;
};

}  // namespace sbc::cp
