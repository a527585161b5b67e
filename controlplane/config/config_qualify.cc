// The qualify keys of trunks: OPTIONS pings and their up/down hysteresis (trunk_settings.h).
#include <chrono>

#include "controlplane/config/config_parse.h"

namespace sbc::cp::config_detail {
namespace {

const std::vector<std::string> kQualifyKeys = {"qualify", "qualify_timeout_ms", "qualify_failures",
                                               "qualify_successes"};

}  // namespace

void add_qualify_options(po::options_description& desc, const std::set<std::string>& trunks) {
  add_section_options(desc, "trunk", trunks, kQualifyKeys);
}

std::expected<void, std::string> read_qualify(const Values& v, Config& config) {
  for (TrunkConfig& trunk : config.trunks) {
    const std::string prefix = "trunk." + trunk.name + ".";
    QualifyConfig& q = trunk.qualify;
    uint32_t interval_s = 0;
    uint32_t timeout_ms = static_cast<uint32_t>(q.timeout.count());
    if (auto s = v.get(prefix + "qualify"); s && (*s == "no" || *s == "off")) {
      interval_s = 0;
    } else if (s && *s == "yes") {
      interval_s = 60;  // as Asterisk's qualify = yes
    } else if (auto r = number(v, prefix + "qualify", interval_s, 0, 3600); !r) {
      return std::unexpected(r.error() + " (or yes, no)");
    }
    if (auto r = number(v, prefix + "qualify_timeout_ms", timeout_ms, 100, 60000); !r) return r;
    if (auto r = number(v, prefix + "qualify_failures", q.failures, 1, 100); !r) return r;
    if (auto r = number(v, prefix + "qualify_successes", q.successes, 1, 100); !r) return r;
    q.interval = std::chrono::seconds(interval_s);
    q.timeout = std::chrono::milliseconds(timeout_ms);
    // One ping at a time: the next is due only once the last has its verdict.
    if (q.enabled() && q.timeout >= q.interval) {
      return std::unexpected(fmt::format("{}qualify_timeout_ms: {} ms is not below qualify ({} s)",
                                         prefix, timeout_ms, interval_s));
    }
  }
  return {};
}

}  // namespace sbc::cp::config_detail
