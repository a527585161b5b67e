// The failover keys of trunks: when a call that a trunk fails goes on to the next trunk
// (trunk_settings.h FailoverConfig, b2bua/trunk_failover.h).
#include <algorithm>
#include <chrono>

#include "controlplane/config/config_parse.h"

namespace sbc::cp::config_detail {
namespace {

const std::vector<std::string> kFailoverKeys = {"failover_timeout_ms", "failover_codes"};

// failover_codes: 4xx and 6xx codes, comma-separated, or "none". 408 and 5xx always fail over;
// 401/407 are the carrier's challenge, answered with the trunk's credentials instead.
std::expected<std::vector<uint16_t>, std::string> parse_codes(std::string_view text,
                                                              const std::string& option) {
  if (trim(text) == "none") return std::vector<uint16_t>{};
  auto items = split_list(text, option);
  if (!items) return std::unexpected(items.error());
  std::vector<uint16_t> codes;
  for (const std::string& item : *items) {
    auto code = parse_number<uint16_t>(item, option, 400, 699);
    if (!code) return std::unexpected(code.error());
    if (*code == 401 || *code == 407 || (*code >= 500 && *code < 600)) {
      return std::unexpected(fmt::format(
          "{}: {} is not a 4xx/6xx that may be listed (408 and 5xx always fail over; 401 and 407 "
          "are answered with the trunk's credentials)",
          option, *code));
    }
    if (std::ranges::find(codes, *code) == codes.end()) codes.push_back(*code);
  }
  return codes;
}

}  // namespace

void add_failover_options(po::options_description& desc, const std::set<std::string>& trunks) {
  add_section_options(desc, "trunk", trunks, kFailoverKeys);
}

std::expected<void, std::string> read_failover(const Values& v, Config& config) {
  for (TrunkConfig& trunk : config.trunks) {
    const std::string prefix = "trunk." + trunk.name + ".";
    FailoverConfig& f = trunk.failover;
    auto timeout_ms = static_cast<uint32_t>(f.timeout.count());
    if (auto r = number(v, prefix + "failover_timeout_ms", timeout_ms, 0, 60000); !r) return r;
    if (timeout_ms != 0 && timeout_ms < 100) {
      return std::unexpected(fmt::format(
          "{}failover_timeout_ms: {} ms is shorter than a round trip (0, or 100..60000)", prefix,
          timeout_ms));
    }
    f.timeout = std::chrono::milliseconds(timeout_ms);
    if (auto s = v.get(prefix + "failover_codes")) {
      auto codes = parse_codes(*s, prefix + "failover_codes");
      if (!codes) return std::unexpected(codes.error());
      f.codes = std::move(*codes);
    }
  }
  return {};
}

}  // namespace sbc::cp::config_detail
