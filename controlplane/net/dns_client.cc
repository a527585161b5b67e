#include "controlplane/net/dns_client.h"

namespace sbc::cp {

std::string_view to_string(DnsType type) {
  switch (type) {
    case DnsType::kNaptr: return "NAPTR";
    case DnsType::kSrv: return "SRV";
    case DnsType::kA: return "A";
  }
  return "?";
}

std::string_view to_string(DnsError error) {
  switch (error) {
    case DnsError::kNoData: return "no records";
    case DnsError::kNoSuchDomain: return "no such domain";
    case DnsError::kServerFailure: return "server failure";
    case DnsError::kTimeout: return "timeout";
    case DnsError::kBadName: return "bad name";
    case DnsError::kCancelled: return "cancelled";
  }
  return "?";
}

}  // namespace sbc::cp
