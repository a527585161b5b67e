// CIDR networks (IPv4 and IPv6) for ACLs, allow lists and trusted sources. A v4-mapped IPv6
// address (::ffff:a.b.c.d) is treated as its IPv4 address everywhere.
#pragma once

#include <array>
#include <boost/asio/ip/address.hpp>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace sbc::cp {

struct IpNetwork {
  boost::asio::ip::address address;  // host bits cleared
  uint8_t prefix_length = 0;         // 0..32 (v4), 0..128 (v6)
  // "192.0.2.0/24", "2001:db8::/32", or a bare address (= /32 or /128). Host bits set -> error.
  // "::ffff:192.0.2.0/120" is the IPv4 network 192.0.2.0/24.
  static std::expected<IpNetwork, std::string> parse(std::string_view text);
  bool contains(const boost::asio::ip::address& a) const;
  std::string to_string() const;  // "192.0.2.0/24"
  bool operator==(const IpNetwork&) const = default;
};

// The IPv4 address of a v4-mapped IPv6 address; any other address unchanged.
[[nodiscard]] boost::asio::ip::address normalize(const boost::asio::ip::address& a);

// A comma-separated list ("192.0.2.0/24, 2001:db8::/32"); spaces around entries allowed, empty
// entries refused. The error names the bad entry; callers prefix the option's name.
std::expected<std::vector<IpNetwork>, std::string> parse_network_list(std::string_view text);

// An address as 16 bytes (IPv4 as its v4-mapped IPv6 form): a compact key for hash tables.
using AddressKey = std::array<uint8_t, 16>;
[[nodiscard]] AddressKey address_key(const boost::asio::ip::address& a);
[[nodiscard]] boost::asio::ip::address address_from_key(const AddressKey& key);

// Hash for AddressKey, seeded per table so a flood of chosen (spoofed) source addresses cannot
// aim at one bucket.
struct AddressKeyHash {
  uint64_t seed = 0x9e3779b97f4a7c15ULL;
  size_t operator()(const AddressKey& key) const noexcept;
};

// A set of networks answering "longest prefix containing this address" with one hash probe per
// distinct prefix length present (not per network), so large lists stay cheap.
class NetworkSet {
 public:
  NetworkSet() = default;
  explicit NetworkSet(const std::vector<IpNetwork>& networks);
  // Prefix length of the longest network containing `a`; nullopt when none does.
  [[nodiscard]] std::optional<uint8_t> longest_match(const boost::asio::ip::address& a) const;
  [[nodiscard]] bool contains(const boost::asio::ip::address& a) const {
    return longest_match(a).has_value();
  }
  [[nodiscard]] bool empty() const { return v4_lengths_.empty() && v6_lengths_.empty(); }

 private:
  struct Key {
    uint64_t hi = 0;
    uint64_t lo = 0;
    uint8_t length = 0;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const noexcept;
  };
  std::vector<uint8_t> v4_lengths_;  // distinct prefix lengths, longest first
  std::vector<uint8_t> v6_lengths_;
  std::unordered_set<Key, KeyHash> v4_;
  std::unordered_set<Key, KeyHash> v6_;
};

}  // namespace sbc::cp
