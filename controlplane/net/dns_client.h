// The DNS lookups the control plane makes (RFC 3263: locating a trunk's SIP servers): NAPTR, SRV
// and A records, asynchronous, each answer with its time to live. An interface, so routing runs
// on canned answers in unit tests and on c-ares in sbcd (ares_dns_client.h).
#pragma once

#include <boost/asio/ip/address.hpp>
#include <chrono>
#include <cstdint>
#include <expected>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace sbc::cp {

enum class DnsType : uint8_t { kNaptr, kSrv, kA };
[[nodiscard]] std::string_view to_string(DnsType type);

struct NaptrRecord {  // RFC 3403
  uint16_t order = 0;
  uint16_t preference = 0;
  std::string flags;        // "s": the replacement names SRV records
  std::string service;      // "SIP+D2U", "SIP+D2T", "SIPS+D2T", ...
  std::string replacement;  // e.g. "_sip._udp.carrier.example"
  bool operator==(const NaptrRecord&) const = default;
};

struct SrvRecord {  // RFC 2782
  uint16_t priority = 0;
  uint16_t weight = 0;
  uint16_t port = 0;
  std::string target;  // "." or "": the service is not offered there
  bool operator==(const SrvRecord&) const = default;
};

// The records of one answer (those of the type asked) and how long they may be cached: the
// smallest TTL among the answer's records.
struct DnsAnswer {
  std::vector<NaptrRecord> naptr;
  std::vector<SrvRecord> srv;
  std::vector<boost::asio::ip::address> addresses;  // A
  std::chrono::seconds ttl{0};
};

enum class DnsError : uint8_t {
  kNoData,         // the name exists, with no records of that type
  kNoSuchDomain,   // NXDOMAIN
  kServerFailure,  // SERVFAIL, REFUSED, or no server answered properly
  kTimeout,        // no answer within the resolver's timeout and tries
  kBadName,        // not a name we can ask for
  kCancelled,      // the resolver is shutting down
};
[[nodiscard]] std::string_view to_string(DnsError error);

// [sbcd] dns_servers, dns_timeout_ms: the resolver's servers and patience.
struct DnsSettings {
  // "ip[:port],...": the servers asked, in order; empty: those of /etc/resolv.conf.
  std::string servers;
  std::chrono::milliseconds timeout{2000};  // per try and server
  int tries = 2;
  bool operator==(const DnsSettings&) const = default;
};

class DnsClient {
 public:
  using Result = std::expected<DnsAnswer, DnsError>;
  using Callback = std::function<void(Result)>;
  virtual ~DnsClient() = default;
  // Asks for `name`'s records of `type`; `done` runs once, on the event loop, never inside
  // query() itself. A client going away runs the callbacks still pending with kCancelled.
  virtual void query(std::string_view name, DnsType type, Callback done) = 0;
};

}  // namespace sbc::cp
