// SIP request methods. Known methods map to an enum; any other RFC 3261 token is kOther and keeps
// its text (methods are case-sensitive, RFC 3261 §7.1).
#pragma once

#include <cstdint>
#include <string_view>

namespace sbc::cp::sip {

enum class Method : uint8_t {
  kOther,
  kInvite,
  kAck,
  kBye,
  kCancel,
  kRegister,
  kOptions,
  kInfo,
  kPrack,
  kUpdate,
  kSubscribe,
  kNotify,
  kRefer,
  kMessage,
  kPublish,
};

// Exact (case-sensitive) match of a method token; kOther for anything else.
[[nodiscard]] Method method_from_text(std::string_view text);
// Canonical upper-case name; "" for kOther.
[[nodiscard]] std::string_view method_name(Method method);
// True if text is a non-empty RFC 3261 token (the grammar of extension methods).
[[nodiscard]] bool is_token(std::string_view text);

}  // namespace sbc::cp::sip
