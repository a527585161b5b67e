#include "controlplane/net/ares_dns_client.h"

#include <arpa/nameser.h>
#include <fmt/core.h>

#include <boost/asio/post.hpp>
#include <limits>
#include <optional>
#include <utility>

namespace sbc::cp {
namespace {

constexpr size_t kMaxAddresses = 16;  // A records of one name we keep

int ares_type(DnsType type) {
  switch (type) {
    case DnsType::kNaptr: return ns_t_naptr;
    case DnsType::kSrv: return ns_t_srv;
    case DnsType::kA: return ns_t_a;
  }
  return ns_t_a;
}

DnsError error_of(int status) {
  switch (status) {
    case ARES_ENODATA: return DnsError::kNoData;
    case ARES_ENOTFOUND: return DnsError::kNoSuchDomain;
    case ARES_ETIMEOUT: return DnsError::kTimeout;
    case ARES_EBADNAME: return DnsError::kBadName;
    case ARES_EDESTRUCTION:
    case ARES_ECANCELLED: return DnsError::kCancelled;
    default: return DnsError::kServerFailure;
  }
}

uint16_t read16(const unsigned char* p) {
  return static_cast<uint16_t>((p[0] << 8) | p[1]);
}

// Moves `offset` past the (possibly compressed) name there; false when it runs off the message.
bool skip_name(const unsigned char* message, int length, int& offset) {
  char* name = nullptr;
  long encoded = 0;
  if (ares_expand_name(message + offset, message, length, &name, &encoded) != ARES_SUCCESS) {
    return false;
  }
  ares_free_string(name);
  offset += static_cast<int>(encoded);
  return offset <= length;
}

// The smallest TTL among the answer section's records. By hand because c-ares 1.18's SRV and
// NAPTR parsers drop the TTLs (only its A parser keeps them); the walk is the RFC 1035 §4.1 layout.
std::optional<uint32_t> min_answer_ttl(const unsigned char* message, int length) {
  if (length < NS_HFIXEDSZ) return std::nullopt;
  const int questions = read16(message + 4);
  const int answers = read16(message + 6);
  int offset = NS_HFIXEDSZ;
  for (int q = 0; q < questions; ++q) {
    if (!skip_name(message, length, offset) || offset + NS_QFIXEDSZ > length) return std::nullopt;
    offset += NS_QFIXEDSZ;
  }
  std::optional<uint32_t> ttl;
  for (int a = 0; a < answers; ++a) {
    if (!skip_name(message, length, offset) || offset + NS_RRFIXEDSZ > length) return std::nullopt;
    const unsigned char* rr = message + offset;
    const uint32_t record_ttl = (static_cast<uint32_t>(rr[4]) << 24) |
                                (static_cast<uint32_t>(rr[5]) << 16) | (rr[6] << 8) | rr[7];
    ttl = ttl ? std::min(*ttl, record_ttl) : record_ttl;
    offset += NS_RRFIXEDSZ + read16(rr + 8);
    if (offset > length) return std::nullopt;
  }
  return ttl;
}

DnsClient::Result parse(DnsType type, const unsigned char* message, int length) {
  DnsAnswer answer;
  const auto ttl = min_answer_ttl(message, length);
  if (!ttl) return std::unexpected(DnsError::kServerFailure);
  // RFC 2181 §8: a TTL with the top bit set is read as 0.
  answer.ttl = std::chrono::seconds(*ttl > std::numeric_limits<int32_t>::max() ? 0 : *ttl);
  switch (type) {
    case DnsType::kNaptr: {
      ares_naptr_reply* records = nullptr;
      const int status = ares_parse_naptr_reply(message, length, &records);
      if (status != ARES_SUCCESS) return std::unexpected(error_of(status));
      for (const ares_naptr_reply* r = records; r != nullptr; r = r->next) {
        answer.naptr.push_back({r->order, r->preference, reinterpret_cast<const char*>(r->flags),
                                reinterpret_cast<const char*>(r->service), r->replacement});
      }
      ares_free_data(records);
      break;
    }
    case DnsType::kSrv: {
      ares_srv_reply* records = nullptr;
      const int status = ares_parse_srv_reply(message, length, &records);
      if (status != ARES_SUCCESS) return std::unexpected(error_of(status));
      for (const ares_srv_reply* r = records; r != nullptr; r = r->next) {
        answer.srv.push_back({r->priority, r->weight, r->port, r->host});
      }
      ares_free_data(records);
      break;
    }
    case DnsType::kA: {
      ares_addrttl records[kMaxAddresses];
      int count = static_cast<int>(kMaxAddresses);
      const int status = ares_parse_a_reply(message, length, nullptr, records, &count);
      if (status != ARES_SUCCESS) return std::unexpected(error_of(status));
      for (int i = 0; i < count; ++i) {
        answer.addresses.emplace_back(boost::asio::ip::address_v4(ntohl(records[i].ipaddr.s_addr)));
      }
      break;
    }
  }
  if (answer.naptr.empty() && answer.srv.empty() && answer.addresses.empty()) {
    return std::unexpected(DnsError::kNoData);
  }
  return answer;
}

}  // namespace

struct AresDnsClient::Pending {
  AresDnsClient* client;
  DnsType type;
  Callback done;
};

AresDnsClient::AresDnsClient(boost::asio::io_context& io) : io_(io), timer_(io) {}

std::expected<std::unique_ptr<AresDnsClient>, std::string> AresDnsClient::create(
    boost::asio::io_context& io, const DnsSettings& settings) {
  if (const int status = ares_library_init(ARES_LIB_INIT_ALL); status != ARES_SUCCESS) {
    return std::unexpected(fmt::format("c-ares: {}", ares_strerror(status)));
  }
  std::unique_ptr<AresDnsClient> client(new AresDnsClient(io));
  ares_options options{};
  options.flags = ARES_FLAG_NOSEARCH;  // trunk hosts are fully qualified
  options.timeout = static_cast<int>(settings.timeout.count());
  options.tries = settings.tries;
  options.sock_state_cb = &AresDnsClient::on_socket_state;
  options.sock_state_cb_data = client.get();
  const int mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_SOCK_STATE_CB;
  if (const int status = ares_init_options(&client->channel_, &options, mask);
      status != ARES_SUCCESS) {
    client->channel_ = nullptr;
    return std::unexpected(fmt::format("c-ares: {}", ares_strerror(status)));
  }
  if (!settings.servers.empty()) {
    if (const int status = ares_set_servers_ports_csv(client->channel_, settings.servers.c_str());
        status != ARES_SUCCESS) {
      return std::unexpected(
          fmt::format("dns servers '{}': {}", settings.servers, ares_strerror(status)));
    }
  }
  return client;
}

AresDnsClient::~AresDnsClient() {
  // The descriptors are c-ares's: forget them (their waits end as aborted) before it closes them.
  for (auto& [fd, watch] : watches_) watch.descriptor->release();
  watches_.clear();
  if (channel_ != nullptr) ares_destroy(channel_);  // pending queries end with kCancelled
  ares_library_cleanup();
}

void AresDnsClient::query(std::string_view name, DnsType type, Callback done) {
  auto* pending = new Pending{this, type, std::move(done)};
  const std::string fqdn(name);
  ares_query(channel_, fqdn.c_str(), ns_c_in, ares_type(type), &AresDnsClient::on_answer, pending);
  arm_timer();
}

void AresDnsClient::on_answer(void* arg, int status, int /*timeouts*/, unsigned char* answer,
                              int length) {
  std::unique_ptr<Pending> pending(static_cast<Pending*>(arg));
  Result result = status == ARES_SUCCESS ? parse(pending->type, answer, length)
                                         : std::unexpected(error_of(status));
  // Never from inside query() or ares_process_fd(): the caller's state may be mid-change.
  boost::asio::post(pending->client->io_,
                    [done = std::move(pending->done), result = std::move(result)]() mutable {
                      done(std::move(result));
                    });
}

void AresDnsClient::on_socket_state(void* data, ares_socket_t fd, int readable, int writable) {
  auto* self = static_cast<AresDnsClient*>(data);
  if (readable == 0 && writable == 0) {
    if (auto it = self->watches_.find(fd); it != self->watches_.end()) {
      it->second.descriptor->release();  // c-ares closes it
      self->watches_.erase(it);
    }
    return;
  }
  Watch& watch = self->watches_[fd];
  if (!watch.descriptor) {
    watch.id = self->next_watch_id_++;
    watch.descriptor = std::make_unique<boost::asio::posix::stream_descriptor>(self->io_, fd);
  }
  watch.want_read = readable != 0;
  watch.want_write = writable != 0;
  self->arm(fd);
}

void AresDnsClient::arm(ares_socket_t fd) {
  Watch& watch = watches_.at(fd);
  using Descriptor = boost::asio::posix::stream_descriptor;
  if (watch.want_read && !watch.reading) {
    watch.reading = true;
    watch.descriptor->async_wait(Descriptor::wait_read,
                                 [this, fd, id = watch.id](const boost::system::error_code& ec) {
                                   if (!ec) ready(fd, id, true);
                                 });
  }
  if (watch.want_write && !watch.writing) {
    watch.writing = true;
    watch.descriptor->async_wait(Descriptor::wait_write,
                                 [this, fd, id = watch.id](const boost::system::error_code& ec) {
                                   if (!ec) ready(fd, id, false);
                                 });
  }
}

void AresDnsClient::ready(ares_socket_t fd, uint64_t id, bool read) {
  auto it = watches_.find(fd);
  if (it == watches_.end() || it->second.id != id) return;  // closed meanwhile
  (read ? it->second.reading : it->second.writing) = false;
  ares_process_fd(channel_, read ? fd : ARES_SOCKET_BAD, read ? ARES_SOCKET_BAD : fd);
  if (it = watches_.find(fd); it != watches_.end() && it->second.id == id) arm(fd);
  arm_timer();
}

void AresDnsClient::arm_timer() {
  timeval next{};
  if (ares_timeout(channel_, nullptr, &next) == nullptr) {
    timer_.cancel();
    return;
  }
  timer_.expires_after(std::chrono::seconds(next.tv_sec) + std::chrono::microseconds(next.tv_usec));
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    ares_process_fd(channel_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);  // retries and timeouts
    arm_timer();
  });
}

}  // namespace sbc::cp
