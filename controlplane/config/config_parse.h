// Helpers shared by the sbc.conf readers (config*.cc); not for other users.
#pragma once

#include <fmt/core.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <charconv>
#include <cstdint>
#include <expected>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/config/config.h"

namespace sbc::cp::config_detail {

namespace po = boost::program_options;

std::string_view trim(std::string_view text);
// Section names ([zone.NAME], [trunk.NAME]): 1-64 letters, digits, '_' or '-'.
bool valid_name(std::string_view name);
// [user.NAME]: a digest username; also '.' and '+' (john.doe, +15550001).
bool valid_user_name(std::string_view name);
std::expected<bool, std::string> parse_bool(std::string_view text, std::string_view option);
// A called-number prefix (a route's, a DID or a block of DIDs): up to 32 digits, '*' and '#', an
// optional leading '+'.
bool valid_number_prefix(std::string_view prefix);
// Comma-separated items, trimmed; an empty item is an error naming `option`.
std::expected<std::vector<std::string>, std::string> split_list(std::string_view text,
                                                                std::string_view option);

template <typename T>
std::expected<T, std::string> parse_number(std::string_view text, std::string_view option,
                                           uint64_t min, uint64_t max) {
  uint64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || value < min || value > max) {
    return std::unexpected(
        fmt::format("{}: '{}' is not a whole number in {}..{}", option, text, min, max));
  }
  return static_cast<T>(value);
}

// A '#' inside a value, as it reaches Boost's INI reader (which would cut the value there):
// strip_comments writes it so, Values reads it back as '#'.
inline constexpr char kHashInValue = '\x1f';

// The parsed options, read by name. Single options are strings; repeatable ones string vectors.
class Values {
 public:
  explicit Values(const po::variables_map& vm) : vm_(vm) {}
  std::optional<std::string> get(const std::string& name) const {
    auto it = vm_.find(name);
    if (it == vm_.end()) return std::nullopt;
    return with_hashes(it->second.as<std::string>());
  }
  std::vector<std::string> get_all(const std::string& name) const {
    auto it = vm_.find(name);
    if (it == vm_.end()) return {};
    auto values = it->second.as<std::vector<std::string>>();
    for (std::string& value : values) value = with_hashes(std::move(value));
    return values;
  }
  bool has(const std::string& name) const { return vm_.count(name) != 0; }
  // True when some option of [section] was given.
  bool has_section(const std::string& section) const;

 private:
  static std::string with_hashes(std::string value) {
    std::ranges::replace(value, kHashInValue, '#');
    return value;
  }

  const po::variables_map& vm_;
};

// Declares "SECTION.NAME.KEY" (a single string value) for every NAME in `names` and KEY in
// `keys`: the options of one kind of [SECTION.NAME] section.
void add_section_options(po::options_description& desc, std::string_view section,
                         const std::set<std::string>& names, const std::vector<std::string>& keys);

// A number option in min..max, left unchanged when absent.
template <typename T>
std::expected<void, std::string> number(const Values& v, const std::string& option, T& out,
                                        uint64_t min, uint64_t max) {
  if (auto s = v.get(option)) {
    auto n = parse_number<T>(*s, option, min, max);
    if (!n) return std::unexpected(n.error());
    out = *n;
  }
  return {};
}

// An option with named values (`parse`: the trimmed text to a std::optional<T>), left unchanged
// when absent; an unknown value is an error naming `choices`.
template <typename T, typename Parse>
std::expected<void, std::string> choice(const Values& v, const std::string& option, Parse parse,
                                        std::string_view choices, std::optional<T>& out) {
  auto text = v.get(option);
  if (!text) return {};
  auto value = parse(trim(*text));
  if (!value) {
    return std::unexpected(fmt::format("{}: '{}' is not one of {}", option, *text, choices));
  }
  out = *value;
  return {};
}

// Registers [security], [registrar], [user.NAME] and the security keys of zones, trunks and
// [media].
void add_security_options(po::options_description& desc, const std::set<std::string>& zones,
                          const std::set<std::string>& trunks, const std::set<std::string>& users);
// Reads them; zones and trunks are already in `config`.
std::expected<void, std::string> read_security(const Values& v, const std::set<std::string>& users,
                                               Config& config);
// Once the general cross checks passed: users' zones (defaulting to the access zone), trunk
// allow lists, prefixes.
std::expected<void, std::string> check_security(Config& config);

// media_profile and srtp_suites of zones and trunks (config_media.cc).
void add_media_policy_options(po::options_description& desc, const std::set<std::string>& zones,
                              const std::set<std::string>& trunks);
// Reads them; zones and trunks are already in `config`.
std::expected<void, std::string> read_media_policies(const Values& v, Config& config);

// session_expires, min_se and 100rel of zones and trunks (config_dialog.cc).
void add_dialog_policy_options(po::options_description& desc, const std::set<std::string>& zones,
                               const std::set<std::string>& trunks);
// Reads them once [sbcd] (their defaults), zones and trunks are in `config`.
std::expected<void, std::string> read_dialog_policies(const Values& v, Config& config);

// [trunk.NAME] qualify, qualify_timeout_ms, qualify_failures, qualify_successes
// (config_qualify.cc).
void add_qualify_options(po::options_description& desc, const std::set<std::string>& trunks);
std::expected<void, std::string> read_qualify(const Values& v, Config& config);

// [trunk.NAME] failover_timeout_ms, failover_codes (config_failover.cc).
void add_failover_options(po::options_description& desc, const std::set<std::string>& trunks);
std::expected<void, std::string> read_failover(const Values& v, Config& config);

// number_in, number_out, tech_prefix, trust_identity, headers_pass, headers_remove, header_add
// and user_agent of zones and trunks (config_normalize.cc).
void add_normalize_options(po::options_description& desc, const std::set<std::string>& zones,
                           const std::set<std::string>& trunks);
std::expected<void, std::string> read_normalize(const Values& v, Config& config);

// [trunk.NAME] register, register_expires (config_register.cc).
void add_register_options(po::options_description& desc, const std::set<std::string>& zones,
                          const std::set<std::string>& trunks);
std::expected<void, std::string> read_register(const Values& v, Config& config);

// [did.NAME] numbers, trunks, target, transport, called (config_dids.cc); read once zones and
// trunks are.
void add_did_options(po::options_description& desc, const std::set<std::string>& dids);
std::expected<void, std::string> read_dids(const Values& v, const std::set<std::string>& names,
                                           Config& config);

// [route.NAME] zone, prefix, trunks (config_routes.cc); read once zones and trunks are.
void add_route_options(po::options_description& desc, const std::set<std::string>& routes,
                       const std::set<std::string>& trunks);
std::expected<void, std::string> read_routes(const Values& v, const std::set<std::string>& names,
                                             Config& config);

// [sbcd] call_capacity, transaction_capacity, ended_call_capacity (config_capacity.cc).
inline const std::vector<std::string> kCapacityOptions = {
    "sbcd.call_capacity", "sbcd.transaction_capacity", "sbcd.ended_call_capacity"};
std::expected<void, std::string> read_capacity(const Values& v, Config& config);
// Once zones, trunks and [media] are read: the limits fit the media port range.
std::expected<void, std::string> check_capacity(const Config& config);

}  // namespace sbc::cp::config_detail
