// REGISTER without credentials (register_handler.cc): only configured users of an access zone;
// no registrar on a trunk zone. (The digest flow is in b2bua_security_test.cc.)
#include "tests/unit/controlplane/b2bua/b2bua_fixture.h"

namespace sbc::cp {
namespace {

using namespace testing;

std::string register_from(const std::string& via_host, const std::string& user) {
  return fmt::format(
      "REGISTER sip:{0} SIP/2.0\r\n"
      "Via: SIP/2.0/UDP {0}:5060;branch=z9hG4bK-reg-1\r\n"
      "Max-Forwards: 70\r\n"
      "From: <sip:{1}@{0}>;tag=rtag\r\n"
      "To: <sip:{1}@{0}>\r\n"
      "Call-ID: reg-1@{0}\r\n"
      "CSeq: 1 REGISTER\r\n"
      "Contact: <sip:{1}@{0}:5060>\r\n"
      "Expires: 600\r\n"
      "Content-Length: 0\r\n\r\n",
      via_host, user);
}

TEST_F(B2buaTest, RegisterOnATrunkZoneIsRefused) {
  deliver(kCarrier, kTrunkAddr, register_from("198.51.100.10", "15550001"));
  auto refused = next_to(kCarrier, kTrunkAddr);
  EXPECT_EQ(refused.status_code(), 403);
  EXPECT_EQ(refused.reason_phrase(), "Forbidden (no registrar on a trunk zone)");
  EXPECT_EQ(registrar_->size(), 0u);
}

TEST_F(B2buaTest, RegisterOfAnUnconfiguredUserIs404) {
  deliver(kAccess, kCallerAddr, register_from("192.0.2.10", "mallory"));
  auto refused = next_to(kAccess, kCallerAddr);
  EXPECT_EQ(refused.status_code(), 404);
  EXPECT_EQ(refused.reason_phrase(), "Not Found (no such user)");
  EXPECT_EQ(registrar_->size(), 0u);
  EXPECT_TRUE(transport_.sent.empty());
}

}  // namespace
}  // namespace sbc::cp
