// [sbcd] call_capacity, transaction_capacity, ended_call_capacity.
#include <fmt/core.h>

#include "controlplane/config/capacity.h"
#include "controlplane/config/config_parse.h"

namespace sbc::cp::config_detail {
namespace {

// Memory, not the SIP stack, bounds these: a live call costs a few KB, a transaction about 2 KB,
// an ended call a few hundred bytes.
constexpr uint64_t kMaxCalls = 1'000'000;
constexpr uint64_t kMaxTransactions = 4'000'000;
constexpr uint64_t kMaxEndedCalls = 4'000'000;

std::expected<void, std::string> read_size(const Values& v, const std::string& option, uint64_t max,
                                           uint32_t& out) {
  auto s = v.get(option);
  if (!s || *s == "auto") return {};
  auto n = parse_number<uint32_t>(*s, option, 1, max);
  if (!n) return std::unexpected(n.error() + " (or auto)");
  out = *n;
  return {};
}

}  // namespace

std::expected<void, std::string> read_capacity(const Values& v, Config& config) {
  CapacityConfig& c = config.capacity;
  if (auto r = read_size(v, "sbcd.call_capacity", kMaxCalls, c.calls); !r) return r;
  if (auto r = read_size(v, "sbcd.transaction_capacity", kMaxTransactions, c.transactions); !r)
    return r;
  if (auto r = read_size(v, "sbcd.ended_call_capacity", kMaxEndedCalls, c.ended_calls); !r)
    return r;
  return {};
}

std::expected<void, std::string> check_capacity(const Config& config) {
  const CapacityConfig& c = config.capacity;
  const size_t media = media_call_capacity(config);
  if (c.calls > media) {
    return std::unexpected(fmt::format(
        "sbcd.call_capacity: {} calls need more media ports than media.port_min..port_max "
        "({}..{}) hold: {} calls at most",
        c.calls, config.media.port_min, config.media.port_max, media));
  }
  if (c.calls != 0 && c.transactions != 0 && c.transactions < 2ull * c.calls) {
    return std::unexpected(
        fmt::format("sbcd.transaction_capacity: {} is below two transactions per call of "
                    "sbcd.call_capacity ({})",
                    c.transactions, c.calls));
  }
  return {};
}

}  // namespace sbc::cp::config_detail
