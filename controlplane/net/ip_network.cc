#include "controlplane/net/ip_network.h"

#include <fmt/core.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace sbc::cp {
namespace {

namespace ip = boost::asio::ip;

// A 128-bit value as two 64-bit halves, network order (IPv4 in the low 32 bits of `lo`).
struct Bits {
  uint64_t hi = 0;
  uint64_t lo = 0;
};

Bits bits_of(const ip::address& a) {
  if (a.is_v4()) return {0, a.to_v4().to_uint()};
  const ip::address_v6::bytes_type b = a.to_v6().to_bytes();
  Bits out;
  for (int i = 0; i < 8; ++i) out.hi = (out.hi << 8) | b[i];
  for (int i = 8; i < 16; ++i) out.lo = (out.lo << 8) | b[i];
  return out;
}

// Keeps the first `length` bits of a `width`-bit value (width 32 or 128).
Bits mask(Bits v, uint8_t length, int width) {
  if (width == 32) {
    const uint64_t m = length == 0 ? 0 : (0xffffffffULL << (32 - length)) & 0xffffffffULL;
    return {0, v.lo & m};
  }
  if (length == 0) return {0, 0};
  if (length <= 64) {
    const uint64_t m = length == 64 ? ~0ULL : ~0ULL << (64 - length);
    return {v.hi & m, 0};
  }
  const uint64_t m = length == 128 ? ~0ULL : ~0ULL << (128 - length);
  return {v.hi, v.lo & m};
}

ip::address address_of(Bits v, bool v4) {
  if (v4) return ip::address_v4(static_cast<uint32_t>(v.lo));
  ip::address_v6::bytes_type b{};
  for (int i = 0; i < 8; ++i) b[i] = static_cast<uint8_t>(v.hi >> (56 - 8 * i));
  for (int i = 0; i < 8; ++i) b[8 + i] = static_cast<uint8_t>(v.lo >> (56 - 8 * i));
  return ip::address_v6(b);
}

uint64_t mix(uint64_t x) {  // murmur3's 64-bit finaliser
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace

ip::address normalize(const ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    return ip::make_address_v4(ip::v4_mapped, a.to_v6());
  }
  return a;
}

std::expected<IpNetwork, std::string> IpNetwork::parse(std::string_view text) {
  const size_t slash = text.find('/');
  const std::string host(text.substr(0, slash));
  // Zone ids ("fe80::1%eth0") name an interface, not a network.
  if (host.empty() || host.find('%') != std::string::npos) {
    return std::unexpected(fmt::format("'{}' is not an IP address or network", text));
  }
  boost::system::error_code ec;
  const ip::address parsed = ip::make_address(host, ec);
  if (ec) return std::unexpected(fmt::format("'{}' is not an IP address or network", text));
  const int width = parsed.is_v4() ? 32 : 128;
  int length = width;
  if (slash != std::string_view::npos) {
    const std::string_view digits = text.substr(slash + 1);
    auto [ptr, err] = std::from_chars(digits.data(), digits.data() + digits.size(), length);
    if (digits.empty() || digits.size() > 3 || err != std::errc() ||
        ptr != digits.data() + digits.size() || length < 0 || length > width) {
      return std::unexpected(
          fmt::format("'{}': the prefix length is not a number in 0..{}", text, width));
    }
  }
  IpNetwork net;
  Bits bits = bits_of(parsed);
  const Bits masked = mask(bits, static_cast<uint8_t>(length), width);
  if (masked.hi != bits.hi || masked.lo != bits.lo) {
    return std::unexpected(fmt::format("'{}' has host bits set (the network is {}/{})", text,
                                       address_of(masked, width == 32).to_string(), length));
  }
  net.address = parsed;
  net.prefix_length = static_cast<uint8_t>(length);
  // ::ffff:0:0/96 and longer are IPv4 networks; shorter ones stay IPv6 and, since addresses are
  // normalised before matching, contain no IPv4 address.
  if (parsed.is_v6() && parsed.to_v6().is_v4_mapped() && length >= 96) {
    net.address = normalize(parsed);
    net.prefix_length = static_cast<uint8_t>(length - 96);
  }
  return net;
}

bool IpNetwork::contains(const ip::address& a) const {
  const ip::address n = normalize(a);
  if (n.is_v4() != address.is_v4()) return false;
  const int width = n.is_v4() ? 32 : 128;
  const Bits masked = mask(bits_of(n), prefix_length, width);
  const Bits own = bits_of(address);
  return masked.hi == own.hi && masked.lo == own.lo;
}

std::string IpNetwork::to_string() const {
  return fmt::format("{}/{}", address.to_string(), prefix_length);
}

std::expected<std::vector<IpNetwork>, std::string> parse_network_list(std::string_view text) {
  std::vector<IpNetwork> out;
  std::string_view rest = text;
  while (true) {
    const size_t comma = rest.find(',');
    const std::string_view item = trim(rest.substr(0, comma));
    if (item.empty()) return std::unexpected(fmt::format("'{}' has an empty entry", text));
    auto net = IpNetwork::parse(item);
    if (!net) return std::unexpected(net.error());
    out.push_back(*net);
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  return out;
}

AddressKey address_key(const ip::address& a) {
  const ip::address n = normalize(a);
  AddressKey key{};
  if (n.is_v4()) {
    key = ip::make_address_v6(ip::v4_mapped, n.to_v4()).to_bytes();
  } else {
    key = n.to_v6().to_bytes();
  }
  return key;
}

ip::address address_from_key(const AddressKey& key) {
  return normalize(ip::address_v6(key));
}

size_t AddressKeyHash::operator()(const AddressKey& key) const noexcept {
  uint64_t hi = 0;
  uint64_t lo = 0;
  std::memcpy(&hi, key.data(), 8);
  std::memcpy(&lo, key.data() + 8, 8);
  return mix(hi ^ seed) ^ mix(lo + seed * 31);
}

size_t NetworkSet::KeyHash::operator()(const Key& k) const noexcept {
  return mix(k.hi ^ mix(k.lo ^ k.length));
}

NetworkSet::NetworkSet(const std::vector<IpNetwork>& networks) {
  for (const IpNetwork& net : networks) {
    const ip::address a = normalize(net.address);
    const bool v4 = a.is_v4();
    const Bits b = mask(bits_of(a), net.prefix_length, v4 ? 32 : 128);
    (v4 ? v4_ : v6_).insert(Key{b.hi, b.lo, net.prefix_length});
    std::vector<uint8_t>& lengths = v4 ? v4_lengths_ : v6_lengths_;
    if (std::ranges::find(lengths, net.prefix_length) == lengths.end()) {
      lengths.push_back(net.prefix_length);
    }
  }
  std::ranges::sort(v4_lengths_, std::greater<>());
  std::ranges::sort(v6_lengths_, std::greater<>());
}

std::optional<uint8_t> NetworkSet::longest_match(const ip::address& a) const {
  const ip::address n = normalize(a);
  const bool v4 = n.is_v4();
  const Bits bits = bits_of(n);
  const std::unordered_set<Key, KeyHash>& set = v4 ? v4_ : v6_;
  for (const uint8_t length : v4 ? v4_lengths_ : v6_lengths_) {
    const Bits m = mask(bits, length, v4 ? 32 : 128);
    if (set.contains(Key{m.hi, m.lo, length})) return length;
  }
  return std::nullopt;
}

}  // namespace sbc::cp
