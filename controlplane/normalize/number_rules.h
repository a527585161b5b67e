// Number rules: how one side of the SBC writes telephone numbers, as ordered prefix rewrites
// (number_in, number_out of zones and trunks). The SBC routes, judges and records numbers in one
// form (the operator's choice, usually E.164 with '+'): number_in rewrites what a side sends into
// that form, number_out rewrites it into what the side expects (national, 00-international, a
// carrier's 1NPA format). A tech prefix is a fixed string some carriers want in front of the
// Request-URI user only.
//
// A rule is MATCH>REPLACEMENT: MATCH is a prefix (digits, '+', '*', '#'; may be empty) with an
// optional {N} or {MIN-MAX} bound on the length of the whole number; the first rule whose prefix
// the number starts with and whose length bound holds replaces that prefix with REPLACEMENT (an
// empty prefix needs a length bound, and never matches a number with '+'). At most one rule
// applies. Only numbers are rewritten: a user part with anything but an optional
// leading '+', digits, '*' and '#' (a SIP user name, "anonymous") is left as it is.
//
// Prefix rules rather than regular expressions (Kamailio's dialplan): they cover E.164 to and
// from national and international forms, strip and add, and a rule set cannot backtrack on
// hostile input or be written ambiguously.
#pragma once

#include <cstddef>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

namespace sbc::cp {

struct NumberRule {
  std::string prefix;
  size_t min_length = 0;         // of the whole number, before the rewrite
  size_t max_length = SIZE_MAX;  // SIZE_MAX: no bound
  std::string replacement;
  bool operator==(const NumberRule&) const = default;
};

// A number's characters: an optional leading '+', then digits, '*' and '#'; not empty.
[[nodiscard]] bool is_number(std::string_view user);

class NumberRules {
 public:
  NumberRules() = default;
  explicit NumberRules(std::vector<NumberRule> rules) : rules_(std::move(rules)) {}

  // "00>+, 0{11}>+44, {10}>+1" (comma-separated, in order). Errors say which rule and why.
  [[nodiscard]] static std::expected<NumberRules, std::string> parse(std::string_view text);

  // `user` rewritten by the first rule that matches; unchanged when none does or it is no number.
  [[nodiscard]] std::string apply(std::string_view user) const;
  [[nodiscard]] bool empty() const { return rules_.empty(); }
  [[nodiscard]] const std::vector<NumberRule>& rules() const { return rules_; }
  // The rules as written in sbc.conf ("00>+, 0{11}>+44").
  [[nodiscard]] std::string to_string() const;
  bool operator==(const NumberRules&) const = default;

 private:
  std::vector<NumberRule> rules_;
};

}  // namespace sbc::cp
