// [did.NAME] sections: the DID table (routing/did_table.h). Read once zones and trunks are, so
// each entry's trunks are checked against them.
#include <map>

#include "controlplane/config/config_parse.h"

namespace sbc::cp::config_detail {
namespace {

const std::vector<std::string> kDidKeys = {"numbers", "trunks",    "zone",
                                           "target",  "transport", "called"};

// A user part we write into a Request-URI: an extension or a user name.
bool valid_called(std::string_view user) {
  return !user.empty() && user.size() <= 64 && std::ranges::all_of(user, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("+-_.*").find(c) != std::string_view::npos;
  });
}

// target = default | user NAME | HOST:PORT
std::expected<void, std::string> read_target(const Values& v, const std::string& prefix,
                                             DidConfig& did) {
  const std::string text(trim(v.get(prefix + "target").value_or("default")));
  if (text == "default") {
    did.kind = DidTargetKind::kDefault;
  } else if (text.starts_with("user ")) {
    did.kind = DidTargetKind::kUser;
    did.user = std::string(trim(std::string_view(text).substr(5)));
    if (!valid_user_name(did.user)) {
      return std::unexpected(fmt::format("{}target: '{}' is not a user name", prefix, did.user));
    }
  } else {
    auto address = parse_host_port(text, prefix + "target");
    if (!address) {
      return std::unexpected(
          fmt::format("{} (default, user NAME, or the PBX's IPv4 address:port)", address.error()));
    }
    did.kind = DidTargetKind::kAddress;
    did.address = *address;
  }
  if (auto transport = v.get(prefix + "transport")) {
    if (did.kind != DidTargetKind::kAddress) {
      return std::unexpected(prefix + "transport: only for a target address");
    }
    auto parsed = parse_transport(trim(*transport));
    if (!parsed) {
      return std::unexpected(
          fmt::format("{}transport: '{}' is not udp, tcp or tls", prefix, *transport));
    }
    did.transport = *parsed;
  }
  return {};
}

}  // namespace

void add_did_options(po::options_description& desc, const std::set<std::string>& dids) {
  add_section_options(desc, "did", dids, kDidKeys);
}

std::expected<void, std::string> read_dids(const Values& v, const std::set<std::string>& names,
                                           Config& config) {
  // (trunk or "", number or "") -> the entry serving it.
  std::map<std::pair<std::string, std::string>, std::string> served;
  for (const std::string& name : names) {
    const std::string prefix = "did." + name + ".";
    DidConfig did;
    did.name = name;
    if (auto text = v.get(prefix + "numbers")) {
      auto numbers = split_list(*text, prefix + "numbers");
      if (!numbers) return std::unexpected(numbers.error());
      for (const std::string& n : *numbers) {
        if (!valid_number_prefix(n)) {
          return std::unexpected(
              fmt::format("{}numbers: '{}' is not a number (digits, * or #, an optional leading +)",
                          prefix, n));
        }
      }
      did.numbers = std::move(*numbers);
    }
    if (auto text = v.get(prefix + "trunks")) {
      auto trunks = split_list(*text, prefix + "trunks");
      if (!trunks) return std::unexpected(trunks.error());
      for (const std::string& t : *trunks) {
        if (std::ranges::find(config.trunks, t, &TrunkConfig::name) == config.trunks.end()) {
          return std::unexpected(fmt::format("{}trunks: no [trunk.{}]", prefix, t));
        }
      }
      did.trunks = std::move(*trunks);
    }
    if (auto zone = v.get(prefix + "zone")) {
      auto access = resolve_access_zone(config.zones, config.trunks, *zone, prefix + "zone");
      if (!access) return std::unexpected(access.error());
      did.zone = std::move(*access);
    }
    if (auto r = read_target(v, prefix, did); !r) return r;
    if (did.kind == DidTargetKind::kDefault) {
      // The zone whose default target takes the call: the entry's, else the inbound zone of
      // each trunk it serves.
      for (const TrunkConfig& t : config.trunks) {
        if (!did.trunks.empty() && std::ranges::find(did.trunks, t.name) == did.trunks.end()) {
          continue;
        }
        const std::string& zone = did.zone.empty() ? t.inbound_zone : did.zone;
        if (!config.find_zone(zone)->default_target) {
          return std::unexpected(fmt::format(
              "{}target: default, and access zone {} (where calls from trunk {} go) has no "
              "default_target",
              prefix, zone, t.name));
        }
      }
    }
    if (auto called = v.get(prefix + "called")) {
      if (!valid_called(trim(*called))) {
        return std::unexpected(
            fmt::format("{}called: '{}' is not an extension or user name", prefix, *called));
      }
      did.called = std::string(trim(*called));
    }
    for (const std::string& trunk :
         did.trunks.empty() ? std::vector<std::string>{""} : did.trunks) {
      for (const std::string& number :
           did.numbers.empty() ? std::vector<std::string>{""} : did.numbers) {
        auto [it, fresh] = served.emplace(std::pair{trunk, number}, name);
        if (!fresh) {
          return std::unexpected(fmt::format("[did.{}] and [did.{}] both serve {}{}", it->second,
                                             name, number.empty() ? "every other number" : number,
                                             trunk.empty() ? "" : " from trunk " + trunk));
        }
      }
    }
    config.dids.push_back(std::move(did));
  }
  return {};
}

}  // namespace sbc::cp::config_detail
