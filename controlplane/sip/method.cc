#include "controlplane/sip/method.h"

#include <array>
#include <utility>

#include "controlplane/sip/lexer.h"

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
    if (!lex::is_token_char(c)) return false;
  }
  return true;
}

}  // namespace sbc::cp::sip
