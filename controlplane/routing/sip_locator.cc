#include "controlplane/routing/sip_locator.h"

#include <fmt/core.h>

#include <algorithm>
#include <memory>
#include <numeric>
#include <utility>

#include "controlplane/sip/params.h"

namespace sbc::cp {
namespace {

uint16_t default_port(Transport transport) {
  return transport == Transport::kTls ? 5061 : 5060;
}

std::string srv_name(Transport transport, std::string_view host) {
  switch (transport) {
    case Transport::kUdp: return fmt::format("_sip._udp.{}", host);
    case Transport::kTcp: return fmt::format("_sip._tcp.{}", host);
    case Transport::kTls: return fmt::format("_sips._tcp.{}", host);
  }
  return std::string(host);
}

// RFC 3263 §4.1's services; nullopt for any other (SCTP, WebSocket, ...).
std::optional<Transport> naptr_transport(std::string_view service) {
  if (sip::iequals(service, "SIP+D2U")) return Transport::kUdp;
  if (sip::iequals(service, "SIP+D2T")) return Transport::kTcp;
  if (sip::iequals(service, "SIPS+D2T")) return Transport::kTls;
  return std::nullopt;
}

std::string describe(std::string_view name, DnsType type, DnsError error) {
  return fmt::format("{} {}: {}", to_string(type), name, to_string(error));
}

}  // namespace

std::string describe(const SipTarget& target) {
  return fmt::format("{}:{}/{}", target.endpoint.address().to_string(), target.endpoint.port(),
                     to_string(target.transport));
}

std::vector<SrvRecord> srv_order(std::vector<SrvRecord> records, std::mt19937& random) {
  std::erase_if(records, [](const SrvRecord& r) { return r.target.empty() || r.target == "."; });
  std::ranges::stable_sort(records, {}, &SrvRecord::priority);
  std::vector<SrvRecord> ordered;
  ordered.reserve(records.size());
  for (auto first = records.begin(); first != records.end();) {
    auto last = std::find_if(first, records.end(),
                             [&](const SrvRecord& r) { return r.priority != first->priority; });
    std::vector<SrvRecord> level(first, last);
    // RFC 2782: zero-weight records first in the list, then a running sum draw.
    std::ranges::stable_partition(level, [](const SrvRecord& r) { return r.weight == 0; });
    while (!level.empty()) {
      const uint32_t total =
          std::accumulate(level.begin(), level.end(), 0U,
                          [](uint32_t s, const SrvRecord& r) { return s + r.weight; });
      const uint32_t pick = std::uniform_int_distribution<uint32_t>(0, total)(random);
      uint32_t sum = 0;
      auto chosen = level.begin();
      for (auto it = level.begin(); it != level.end(); ++it) {
        sum += it->weight;
        if (sum >= pick) {
          chosen = it;
          break;
        }
      }
      ordered.push_back(std::move(*chosen));
      level.erase(chosen);
    }
    first = last;
  }
  return ordered;
}

// One location in progress: it owns itself through the callbacks it hands the DnsClient, and
// may outlive its locator (whose owner's `done` then knows it is gone): nothing of the locator is
// kept but the DnsClient, which outlives both. Its SRV draws use a generator of its own, seeded
// from the locator's.
class SipLocator::Job : public std::enable_shared_from_this<Job> {
 public:
  Job(SipLocator& locator, SipLocation where, Callback done)
      : dns_(locator.dns_),
        random_(locator.random_()),
        where_(std::move(where)),
        done_(std::move(done)) {}

  void start() {
    if (where_.port) {
      addresses(where_.transport.value_or(Transport::kUdp), *where_.port);
    } else if (where_.transport) {
      services(*where_.transport, srv_name(*where_.transport, where_.host));
    } else {
      naptr();
    }
  }

 private:
  void naptr() {
    dns_.query(where_.host, DnsType::kNaptr, [self = shared_from_this()](DnsClient::Result r) {
      self->naptr_answered(std::move(r));
    });
  }

  void naptr_answered(DnsClient::Result answer) {
    if (!answer) {
      if (answer.error() != DnsError::kNoData && answer.error() != DnsError::kNoSuchDomain) {
        return fail(describe(where_.host, DnsType::kNaptr, answer.error()));
      }
      return services(Transport::kUdp, srv_name(Transport::kUdp, where_.host));
    }
    note_ttl(answer->ttl);
    std::vector<NaptrRecord> records = std::move(answer->naptr);
    std::ranges::stable_sort(records, [](const NaptrRecord& a, const NaptrRecord& b) {
      return std::tie(a.order, a.preference) < std::tie(b.order, b.preference);
    });
    for (const NaptrRecord& r : records) {
      const auto transport = naptr_transport(r.service);
      if (!transport || !sip::iequals(r.flags, "s") ||
          std::ranges::find(where_.usable, *transport) == where_.usable.end()) {
        continue;
      }
      return services(*transport, r.replacement);
    }
    // Records for services we cannot use only: RFC 3263 §4.1 says fail, not guess.
    fail(fmt::format("NAPTR {}: no service over {}", where_.host, usable_names()));
  }

  void services(Transport transport, const std::string& name) {
    dns_.query(name, DnsType::kSrv,
               [self = shared_from_this(), transport, name](DnsClient::Result r) {
                 self->services_answered(transport, name, std::move(r));
               });
  }

  void services_answered(Transport transport, const std::string& name, DnsClient::Result answer) {
    if (!answer) {
      if (answer.error() != DnsError::kNoData && answer.error() != DnsError::kNoSuchDomain) {
        return fail(describe(name, DnsType::kSrv, answer.error()));
      }
      return addresses(transport, default_port(transport));  // §4.2: no SRV, the host's A
    }
    note_ttl(answer->ttl);
    const std::vector<SrvRecord> records = srv_order(std::move(answer->srv), random_);
    if (records.empty()) return fail(fmt::format("SRV {}: the service is not offered", name));
    // Every target's addresses, asked at once, kept in SRV order.
    transport_ = transport;
    servers_ = records;
    per_server_.assign(records.size(), {});
    outstanding_ = records.size();
    for (size_t i = 0; i < records.size(); ++i) {
      dns_.query(records[i].target, DnsType::kA,
                 [self = shared_from_this(), i](DnsClient::Result r) {
                   self->server_answered(i, std::move(r));
                 });
    }
  }

  void server_answered(size_t index, DnsClient::Result answer) {
    if (answer) {
      note_ttl(answer->ttl);
      for (const auto& a : answer->addresses) {
        per_server_[index].push_back({transport_, Endpoint(a, servers_[index].port)});
      }
    } else if (last_error_.empty()) {
      last_error_ = describe(servers_[index].target, DnsType::kA, answer.error());
    }
    if (--outstanding_ > 0) return;
    SipTargets result;
    for (const auto& targets : per_server_) {
      for (const SipTarget& t : targets) {
        if (result.targets.size() < kMaxTargets &&
            std::ranges::find(result.targets, t) == result.targets.end()) {
          result.targets.push_back(t);
        }
      }
    }
    if (result.targets.empty()) return fail(last_error_);
    finish(std::move(result));
  }

  void addresses(Transport transport, uint16_t port) {
    dns_.query(where_.host, DnsType::kA,
               [self = shared_from_this(), transport, port](DnsClient::Result answer) {
                 if (!answer) {
                   return self->fail(describe(self->where_.host, DnsType::kA, answer.error()));
                 }
                 self->note_ttl(answer->ttl);
                 SipTargets result;
                 for (const auto& a : answer->addresses) {
                   if (result.targets.size() == kMaxTargets) break;
                   result.targets.push_back({transport, Endpoint(a, port)});
                 }
                 self->finish(std::move(result));
               });
  }

  void note_ttl(std::chrono::seconds ttl) { ttl_ = ttl_ ? std::min(*ttl_, ttl) : ttl; }

  void finish(SipTargets result) {
    result.ttl = ttl_.value_or(std::chrono::seconds(0));
    done_(std::move(result));
  }

  void fail(std::string reason) { done_(std::unexpected(std::move(reason))); }

  std::string usable_names() const {
    std::string names;
    for (Transport t : where_.usable) {
      if (!names.empty()) names += "/";
      names += to_string(t);
    }
    return names;
  }

  DnsClient& dns_;
  std::mt19937 random_;
  SipLocation where_;
  Callback done_;
  std::optional<std::chrono::seconds> ttl_;
  Transport transport_ = Transport::kUdp;
  std::vector<SrvRecord> servers_;
  std::vector<std::vector<SipTarget>> per_server_;
  size_t outstanding_ = 0;
  std::string last_error_;
};

void SipLocator::locate(SipLocation where, Callback done) {
  std::make_shared<Job>(*this, std::move(where), std::move(done))->start();
}

}  // namespace sbc::cp
