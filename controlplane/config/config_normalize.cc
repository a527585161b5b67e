// The normalisation keys of zones and trunks (normalize/normalization_policy.h): number_in,
// number_out, tech_prefix, trust_identity, headers_pass, headers_remove, header_add (repeatable)
// and user_agent. A trunk's key replaces its zone's; any of its header keys replace the zone's
// header rules as a whole.
#include <algorithm>
#include <optional>

#include "controlplane/config/config_parse.h"

namespace sbc::cp::config_detail {
namespace {

const std::vector<std::string> kNormalizeKeys = {
    "number_in",    "number_out",     "tech_prefix",     "trust_identity",
    "headers_pass", "headers_remove", "headers_rewrite", "user_agent"};
const std::string kHeaderAdd = "header_add";  // repeatable
constexpr size_t kMaxTechPrefix = 16;
constexpr size_t kMaxUserAgent = 128;

std::expected<std::optional<NumberRules>, std::string> rules(const Values& v,
                                                             const std::string& option) {
  auto text = v.get(option);
  if (!text) return std::nullopt;
  auto parsed = NumberRules::parse(*text);
  if (!parsed) return std::unexpected(fmt::format("{}: {}", option, parsed.error()));
  return std::move(*parsed);
}

std::expected<void, std::string> read_headers(const Values& v, const std::string& prefix,
                                              std::optional<HeaderRules>& out) {
  const auto pass = v.get(prefix + "headers_pass");
  const auto remove = v.get(prefix + "headers_remove");
  const auto rewrite = v.get(prefix + "headers_rewrite");
  const auto add = v.get_all(prefix + kHeaderAdd);
  if (!pass && !remove && !rewrite && add.empty()) return {};
  HeaderRules headers;
  if (pass) {
    auto names = HeaderRules::parse_names(*pass);
    if (!names) return std::unexpected(fmt::format("{}headers_pass: {}", prefix, names.error()));
    headers.pass_all = *names == std::vector<std::string>{"*"};
    if (!headers.pass_all) headers.pass = std::move(*names);
  }
  if (remove) {
    if (!headers.pass_all) {
      return std::unexpected(fmt::format(
          "{}headers_remove: only narrows headers_pass = * (nothing else is copied)", prefix));
    }
    auto names = HeaderRules::parse_names(*remove);
    if (!names || *names == std::vector<std::string>{"*"}) {
      return std::unexpected(fmt::format("{}headers_remove: {}", prefix,
                                         names ? "'*' removes what `*` passes" : names.error()));
    }
    headers.remove = std::move(*names);
  }
  if (rewrite) {
    auto names = HeaderRules::parse_names(*rewrite);
    if (!names) return std::unexpected(fmt::format("{}headers_rewrite: {}", prefix, names.error()));
    for (const std::string& name : *names) {
      if (name == "*" || !headers.passes(name)) {
        return std::unexpected(fmt::format(
            "{}headers_rewrite: {} is not passed (headers_pass, headers_remove)", prefix, name));
      }
    }
    headers.rewrite = std::move(*names);
  }
  for (const std::string& text : add) {
    auto header = HeaderRules::parse_add(text);
    if (!header)
      return std::unexpected(fmt::format("{}{}: {}", prefix, kHeaderAdd, header.error()));
    headers.add.push_back(std::move(*header));
  }
  out = std::move(headers);
  return {};
}

// One section's keys into `out` (a zone's or a trunk's).
std::expected<void, std::string> read_keys(const Values& v, const std::string& prefix,
                                           NormalizationPolicyOverride& out) {
  for (auto [key, field] : {std::pair{"number_in", &NormalizationPolicyOverride::number_in},
                            std::pair{"number_out", &NormalizationPolicyOverride::number_out}}) {
    auto parsed = rules(v, prefix + key);
    if (!parsed) return std::unexpected(parsed.error());
    if (*parsed) out.*field = std::move(**parsed);
  }
  if (auto tech = v.get(prefix + "tech_prefix")) {
    const std::string_view text = trim(*tech);
    if (text.size() > kMaxTechPrefix || !std::ranges::all_of(text, [](char c) {
          return (c >= '0' && c <= '9') || c == '*' || c == '#';
        })) {
      return std::unexpected(fmt::format("{}tech_prefix: '{}' is not up to {} digits, '*' and '#'",
                                         prefix, text, kMaxTechPrefix));
    }
    out.tech_prefix = std::string(text);
  }
  if (auto trust = v.get(prefix + "trust_identity")) {
    auto value = parse_bool(*trust, prefix + "trust_identity");
    if (!value) return std::unexpected(value.error());
    out.trust_identity = *value;
  }
  if (auto ua = v.get(prefix + "user_agent")) {
    const std::string_view text = trim(*ua);
    if (text.size() > kMaxUserAgent ||
        !std::ranges::all_of(text, [](char c) { return c >= ' ' && c <= '~'; })) {
      return std::unexpected(
          fmt::format("{}user_agent: up to {} printable characters (none: no User-Agent or Server)",
                      prefix, kMaxUserAgent));
    }
    out.user_agent = text == "none" ? "" : std::string(text);
  }
  return read_headers(v, prefix, out.headers);
}

}  // namespace

void add_normalize_options(po::options_description& desc, const std::set<std::string>& zones,
                           const std::set<std::string>& trunks) {
  add_section_options(desc, "zone", zones, kNormalizeKeys);
  add_section_options(desc, "trunk", trunks, kNormalizeKeys);
  for (const auto& [section, names] : {std::pair{"zone", &zones}, std::pair{"trunk", &trunks}}) {
    for (const std::string& name : *names) {
      desc.add_options()(fmt::format("{}.{}.{}", section, name, kHeaderAdd).c_str(),
                         po::value<std::vector<std::string>>());
    }
  }
}

std::expected<void, std::string> read_normalize(const Values& v, Config& config) {
  for (ZoneConfig& zone : config.zones) {
    NormalizationPolicyOverride keys;
    if (auto r = read_keys(v, "zone." + zone.name + ".", keys); !r) return r;
    zone.normalize = keys.over(NormalizationPolicy{});
  }
  for (TrunkConfig& trunk : config.trunks) {
    if (auto r = read_keys(v, "trunk." + trunk.name + ".", trunk.normalize); !r) return r;
  }
  return {};
}

}  // namespace sbc::cp::config_detail
