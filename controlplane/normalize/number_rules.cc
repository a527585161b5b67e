#include "controlplane/normalize/number_rules.h"

#include <fmt/core.h>

#include <algorithm>
#include <charconv>
#include <cstdint>

#include "controlplane/sip/params.h"

namespace sbc::cp {
namespace {

// Numbers are bounded where they enter (kMaxUserLength); a rule needs no longer prefix or bound.
constexpr size_t kMaxRuleText = 64;
constexpr size_t kMaxRules = 64;

bool number_char(char c) {
  return (c >= '0' && c <= '9') || c == '*' || c == '#';
}

// Digits, '*' and '#', with '+' allowed first: a prefix or a replacement (both may be empty).
bool number_text(std::string_view text) {
  if (text.starts_with('+')) text.remove_prefix(1);
  return std::ranges::all_of(text, number_char);
}

std::expected<size_t, std::string> length(std::string_view text, std::string_view rule) {
  size_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value == 0 || value > kMaxRuleText) {
    return std::unexpected(
        fmt::format("rule '{}': length '{}' is not a number in 1..{}", rule, text, kMaxRuleText));
  }
  return value;
}

std::expected<NumberRule, std::string> parse_rule(std::string_view text) {
  const size_t arrow = text.find('>');
  if (arrow == std::string_view::npos) {
    return std::unexpected(fmt::format("rule '{}' is not MATCH>REPLACEMENT", text));
  }
  std::string_view match = sip::trim_lws(text.substr(0, arrow));
  const std::string_view replacement = sip::trim_lws(text.substr(arrow + 1));
  NumberRule rule;
  if (const size_t brace = match.find('{'); brace != std::string_view::npos) {
    if (!match.ends_with('}')) {
      return std::unexpected(
          fmt::format("rule '{}': a length bound is {{N}} or {{MIN-MAX}}", text));
    }
    const std::string_view bound = match.substr(brace + 1, match.size() - brace - 2);
    const size_t dash = bound.find('-');
    auto min = length(bound.substr(0, dash), text);
    if (!min) return std::unexpected(min.error());
    auto max = dash == std::string_view::npos ? min : length(bound.substr(dash + 1), text);
    if (!max) return std::unexpected(max.error());
    if (*max < *min) {
      return std::unexpected(fmt::format("rule '{}': the length bound is empty", text));
    }
    rule.min_length = *min;
    rule.max_length = *max;
    match = match.substr(0, brace);
  }
  if (!number_text(match) || !number_text(replacement) || match.size() > kMaxRuleText ||
      replacement.size() > kMaxRuleText) {
    return std::unexpected(fmt::format(
        "rule '{}': prefix and replacement are digits, '*' and '#' (a '+' first)", text));
  }
  if (match.empty() && rule.min_length == 0) {
    return std::unexpected(
        fmt::format("rule '{}' matches every number: give it a prefix or a length {{N}}", text));
  }
  rule.prefix = std::string(match);
  rule.replacement = std::string(replacement);
  return rule;
}

}  // namespace

bool is_number(std::string_view user) {
  if (user.starts_with('+')) user.remove_prefix(1);
  return !user.empty() && std::ranges::all_of(user, number_char);
}

std::expected<NumberRules, std::string> NumberRules::parse(std::string_view text) {
  std::vector<NumberRule> rules;
  text = sip::trim_lws(text);
  if (text.empty() || text == "none") return NumberRules{};
  while (!text.empty()) {
    const size_t comma = text.find(',');
    const std::string_view item = sip::trim_lws(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    if (item.empty()) return std::unexpected("an empty rule (two commas)");
    auto rule = parse_rule(item);
    if (!rule) return std::unexpected(rule.error());
    rules.push_back(std::move(*rule));
    if (rules.size() > kMaxRules) {
      return std::unexpected(fmt::format("more than {} rules", kMaxRules));
    }
  }
  return NumberRules(std::move(rules));
}

std::string NumberRules::apply(std::string_view user) const {
  if (!is_number(user)) return std::string(user);
  for (const NumberRule& rule : rules_) {
    // An empty prefix keeps what it matched: never a number with its '+' (no "+1+1555...").
    if (rule.prefix.empty() && user.starts_with('+')) continue;
    if (user.starts_with(rule.prefix) && user.size() >= rule.min_length &&
        user.size() <= rule.max_length) {
      return rule.replacement + std::string(user.substr(rule.prefix.size()));
    }
  }
  return std::string(user);
}

std::string NumberRules::to_string() const {
  std::string out;
  for (const NumberRule& rule : rules_) {
    if (!out.empty()) out += ", ";
    out += rule.prefix;
    if (rule.max_length == rule.min_length) {
      out += fmt::format("{{{}}}", rule.min_length);
    } else if (rule.min_length != 0 || rule.max_length != SIZE_MAX) {
      out += fmt::format("{{{}-{}}}", rule.min_length, rule.max_length);
    }
    out += ">" + rule.replacement;
  }
  return out;
}

}  // namespace sbc::cp
