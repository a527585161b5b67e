#include "controlplane/mgmt/security_commands.h"

#include <fmt/core.h>

#include <charconv>

namespace sbc::cp {
namespace {

using std::chrono::duration_cast;
using std::chrono::seconds;

int64_t seconds_between(EdgeSecurity::TimePoint from, EdgeSecurity::TimePoint to) {
  return duration_cast<seconds>(to - from).count();
}

std::string join(const std::vector<IpNetwork>& networks) {
  std::string out;
  for (const IpNetwork& n : networks) {
    if (!out.empty()) out += ", ";
    out += n.to_string();
  }
  return out.empty() ? "-" : out;
}

nlohmann::json to_json(const std::vector<IpNetwork>& networks) {
  auto out = nlohmann::json::array();
  for (const IpNetwork& n : networks) out.push_back(n.to_string());
  return out;
}

}  // namespace

CommandOutput show_bans(const EdgeSecurity& security) {
  const auto now = security.now();
  CommandOutput out;
  out.data = {{"bans", nlohmann::json::array()}};
  out.text = fmt::format("{:<40} {:<14} {:>5} {:>10} {:>12}\n", "ADDRESS", "REASON", "LEVEL", "AGE",
                         "EXPIRES IN");
  const auto bans = security.bans();
  for (const Ban& b : bans) {
    const int64_t age = seconds_between(b.since, now);
    const std::string expires =
        b.until ? fmt::format("{}s", std::max<int64_t>(0, seconds_between(now, *b.until)))
                : std::string("never");
    // An IPv6 ban covers the offender's /64.
    const std::string what = b.source.is_v4()
                                 ? b.source.to_string()
                                 : fmt::format("{}/{}", b.source.to_string(), b.prefix_length);
    out.text += fmt::format("{:<40} {:<14} {:>5} {:>9}s {:>12}\n", what, to_string(b.reason),
                            b.level, age, expires);
    nlohmann::json j = {
        {"address", what}, {"reason", to_string(b.reason)}, {"level", b.level}, {"age_s", age}};
    j["expires_in_s"] =
        b.until ? nlohmann::json(std::max<int64_t>(0, seconds_between(now, *b.until))) : nullptr;
    out.data["bans"].push_back(std::move(j));
  }
  out.text += fmt::format("{} banned address(es)\n", bans.size());
  return out;
}

CommandOutput show_registrations(const EdgeSecurity& security, const Registrar& registrar) {
  const auto now = security.now();
  CommandOutput out;
  out.data = {{"registrations", nlohmann::json::array()}};
  out.text = fmt::format("{:<16} {:<40} {:<26} {:<5} {:>8} {:<4} {:>8} {}\n", "USER", "CONTACT",
                         "SOURCE", "TRANS", "EXPIRES", "NAT", "UPSTREAM", "USER-AGENT");
  const auto bindings = registrar.all(now);
  for (const Binding* b : bindings) {
    const std::string source =
        fmt::format("{}:{}", b->peer.remote.address().to_string(), b->peer.remote.port());
    const int64_t expires = std::max<int64_t>(0, seconds_between(now, b->expires));
    // A relayed binding: the seconds its upstream registration has left.
    const bool relayed = !b->relay_token.empty();
    const int64_t upstream =
        relayed ? std::max<int64_t>(0, seconds_between(now, b->upstream_expires)) : 0;
    out.text +=
        fmt::format("{:<16} {:<40} {:<26} {:<5} {:>7}s {:<4} {:>8} {}\n", b->user, b->contact,
                    source, to_string(b->peer.transport), expires, b->nated ? "yes" : "no",
                    relayed ? fmt::format("{}s", upstream) : std::string("-"), b->user_agent);
    out.data["registrations"].push_back(
        {{"user", b->user},
         {"contact", b->contact},
         {"source", source},
         {"transport", to_string(b->peer.transport)},
         {"expires_in_s", expires},
         {"nat", b->nated},
         {"relayed", relayed},
         {"upstream_expires_in_s", relayed ? nlohmann::json(upstream) : nlohmann::json()},
         {"user_agent", b->user_agent}});
  }
  out.text += fmt::format("{} binding(s)\n", bindings.size());
  return out;
}

CommandOutput show_acl(const EdgeSecurity& security) {
  const SecurityView& config = security.config();
  CommandOutput out;
  out.data = {{"zones", nlohmann::json::array()}, {"trunks", nlohmann::json::array()}};
  for (size_t i = 0; i < config.zones.size(); ++i) {
    const ZoneConfig& z = config.zones[i];
    if (z.retired) continue;  // removed by a reload: only its live calls' peers (show config)
    if (is_trunk_zone(config.trunks, z.name)) {
      out.text += fmt::format("zone {}: trunk zone, only its trunks' allow lists\n", z.name);
    } else {
      out.text += fmt::format("zone {}: allow {}; deny {}; no auth from {}\n", z.name,
                              z.acl_allow.empty() ? std::string("any") : join(z.acl_allow),
                              join(z.acl_deny), join(z.trusted));
    }
    out.data["zones"].push_back({{"zone", z.name},
                                 {"trunk_zone", is_trunk_zone(config.trunks, z.name)},
                                 {"allow", to_json(z.acl_allow)},
                                 {"deny", to_json(z.acl_deny)},
                                 {"trusted", to_json(z.trusted)}});
  }
  for (const TrunkConfig& t : config.trunks) {
    out.text += fmt::format("trunk {} (zone {}): allow {}\n", t.name, t.zone, join(t.allow));
    out.data["trunks"].push_back(
        {{"trunk", t.name}, {"zone", t.zone}, {"allow", to_json(t.allow)}});
  }
  out.text += fmt::format("allowlist (never banned): {}\n", join(config.security.allowlist));
  out.data["allowlist"] = to_json(config.security.allowlist);
  return out;
}

CommandOutput show_accounts(const EdgeSecurity& security) {
  CommandOutput out;
  out.data = {{"accounts", nlohmann::json::array()}};
  out.text = fmt::format("{:<24} {:>10} {:>10} {:>10} {:>10}\n", "ACCOUNT", "CALLS", "REFUSED",
                         "LAST MIN", "LAST HOUR");
  for (const AccountStats& a : security.accounts()) {
    out.text += fmt::format("{:<24} {:>10} {:>10} {:>10} {:>10}\n", a.account, a.calls, a.refused,
                            a.last_minute, a.last_hour);
    out.data["accounts"].push_back({{"account", a.account},
                                    {"calls", a.calls},
                                    {"refused", a.refused},
                                    {"last_minute", a.last_minute},
                                    {"last_hour", a.last_hour}});
  }
  return out;
}

void register_security_commands(CommandTable& table, EdgeSecurity& security,
                                const Registrar& registrar) {
  table.add({"show", "bans"}, "Banned source addresses, why and until when",
            [&](CommandArgs args) -> CommandResult {
              if (!args.empty()) return std::unexpected("show bans takes no arguments");
              return show_bans(security);
            });
  table.add({"ban", "add"}, "ban add <address> [seconds]: ban a source (no seconds: until removed)",
            [&](CommandArgs args) -> CommandResult {
              if (args.empty() || args.size() > 2) {
                return std::unexpected("usage: ban add <address> [seconds]");
              }
              std::optional<seconds> duration;
              if (args.size() == 2) {
                uint32_t value = 0;
                const std::string& text = args[1];
                auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
                if (ec != std::errc() || ptr != text.data() + text.size() || value == 0) {
                  return std::unexpected(fmt::format("'{}' is not a number of seconds", text));
                }
                duration = seconds(value);
              }
              auto ban = security.ban(args[0], duration);
              if (!ban) return std::unexpected(ban.error());
              CommandOutput out;
              out.text = fmt::format("banned {}\n", ban->source.to_string());
              out.data = {{"banned", ban->source.to_string()}};
              return out;
            });
  table.add({"ban", "remove"}, "ban remove <address>: lift a ban",
            [&](CommandArgs args) -> CommandResult {
              if (args.size() != 1) return std::unexpected("usage: ban remove <address>");
              if (auto removed = security.unban(args[0]); !removed) {
                return std::unexpected(removed.error());
              }
              CommandOutput out;
              out.text = fmt::format("ban of {} lifted\n", args[0]);
              out.data = {{"unbanned", args[0]}};
              return out;
            });
  table.add({"show", "registrations"}, "Registered users: contact, source, expiry, NAT",
            [&](CommandArgs args) -> CommandResult {
              if (!args.empty()) return std::unexpected("show registrations takes no arguments");
              return show_registrations(security, registrar);
            });
  table.add({"show", "acl"}, "Zone and trunk ACLs, trusted sources and the ban allowlist",
            [&](CommandArgs args) -> CommandResult {
              if (!args.empty()) return std::unexpected("show acl takes no arguments");
              return show_acl(security);
            });
  table.add({"show", "accounts"}, "Calls per account (toll-fraud guard): totals and rates",
            [&](CommandArgs args) -> CommandResult {
              if (!args.empty()) return std::unexpected("show accounts takes no arguments");
              return show_accounts(security);
            });
}

}  // namespace sbc::cp
