// Header rules of one side (headers_pass, headers_remove, header_add of zones and trunks): which
// headers of the other side's INVITE the SBC copies into the INVITE it sends to this side, and
// which it adds. The B2BUA writes every header it owns itself (the dialog, routing,
// authentication, session timer, reliability and identity headers: never copied, never named
// here), so by default nothing of one side's signalling reaches the other: an operator passes
// what a carrier or PBX needs (Diversion, X-Account-Code) by name, or everything else with `*`
// minus a remove list.
#pragma once

#include <cstddef>
#include <expected>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "controlplane/sip/message.h"

namespace sbc::cp {

using NamedHeaders = std::vector<std::pair<std::string, std::string>>;

// At most this many headers are passed, each value at most kMaxPassedValue bytes (a longer one
// is left out): what we copy stays well inside every peer's parser limits.
inline constexpr size_t kMaxPassedHeaders = 16;
inline constexpr size_t kMaxPassedValue = 512;

struct HeaderRules {
  bool pass_all = false;            // headers_pass = *
  std::vector<std::string> pass;    // headers_pass = names (canonical or as written)
  std::vector<std::string> remove;  // headers_remove = names (with `*`)
  // headers_rewrite = names (passed ones): their URIs written as the SBC writes identities
  // (caller_identity.h): numbers through the rules, the SBC's own host. A Diversion or
  // History-Info then carries the number the carrier expects and no host of the PBX's side.
  std::vector<std::string> rewrite;
  NamedHeaders add;  // header_add = Name: value (repeatable)

  // headers_pass / headers_remove: comma-separated header names, or `*` (pass only). A name the
  // B2BUA owns (Via, Contact, P-Asserted-Identity, ...) is refused with the reason.
  [[nodiscard]] static std::expected<std::vector<std::string>, std::string> parse_names(
      std::string_view text);
  // header_add: "Name: value".
  [[nodiscard]] static std::expected<std::pair<std::string, std::string>, std::string> parse_add(
      std::string_view text);

  // Rewrites the value of a header listed in `rewrite`; nullopt drops the header.
  using Rewriter = std::function<std::optional<std::string>(std::string_view value)>;

  // Of `fields` (the other side's request's headers), those this side gets, in their order
  // (those in `rewrite` through `rewriter`), then the added ones, appended to `out`.
  void apply(std::span<const sip::HeaderField> fields, NamedHeaders& out,
             const Rewriter& rewriter = {}) const;
  // True when a header `name` of the other side gets here (not one of the B2BUA's own).
  [[nodiscard]] bool passes(std::string_view name) const;
  // True when `name` is in `rewrite`.
  [[nodiscard]] bool rewrites(std::string_view name) const;
  [[nodiscard]] bool empty() const { return !pass_all && pass.empty() && add.empty(); }
  bool operator==(const HeaderRules&) const = default;
};

// True for the headers the B2BUA writes itself on each leg: they are never copied across.
[[nodiscard]] bool b2bua_owned_header(std::string_view name);

}  // namespace sbc::cp
