#include "sip/method.h"

#include <array>
#include <utility>

namespace sbc::cp::sip {
namespace {

constexpr std::array<std::pair<Method, std::string_view>, 14> kMethods{{
    {Method::kInvite, "INVITE"},
    {Method::kAck, "ACK"},
    {Method::kBye, "BYE"},
    {Method::kCancel, "CANCEL"},
    {Method::kRegister, "REGISTER"},
    {Method::kOptions, "OPTIONS"},
    {Method::kInfo, "INFO"},
    {Method::kPrack, "PRACK"},
    {Method::kUpdate, "UPDATE"},
    {Method::kSubscribe, "SUBSCRIBE"},
    {Method::kNotify, "NOTIFY"},
    {Method::kRefer, "REFER"},
    {Method::kMessage, "MESSAGE"},
    {Method::kPublish, "PUBLISH"},
}};

// RFC 3261 §25.1: token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")
constexpr bool is_token_char(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '-':
    case '.':
    case '!':
    case '%':
    case '*':
    case '_':
    case '+':
    case '`':
    case '\'':
    case '~': return true;
    default: return false;
  }
}

}  // namespace

Method method_from_text(std::string_view text) {
  for (const auto& [method, name] : kMethods) {
    if (name == text) return method;
  }
  return Method::kOther;
}

std::string_view method_name(Method method) {
  for (const auto& [m, name] : kMethods) {
    if (m == method) return name;
  }
  return {};
}

bool is_token(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!is_token_char(c)) return false;
  }
  return true;
}

}  // namespace sbc::cp::sip
