// What we send on a call (call_signalling.cc): our 2xx retransmitted until the ACK.
#include "tests/unit/controlplane/b2bua/b2bua_fixture.h"

namespace sbc::cp {
namespace {

using namespace std::chrono_literals;
using namespace testing;

TEST_F(B2buaTest, RetransmissionsAreAbsorbedAndOursRepeated) {
  auto invite = start_call();
  // The caller retransmits its INVITE: it gets our last response again, the callee nothing new.
  deliver(kAccess, kCallerAddr, caller_invite());
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 100);
  EXPECT_TRUE(transport_.sent.empty());
  // No answer from the callee: our INVITE goes again after T1, then 2*T1.
  clock_.advance(500ms);
  EXPECT_EQ(next_to(kCarrier, kTrunkAddr).raw(), invite.raw());
  clock_.advance(999ms);
  EXPECT_TRUE(transport_.sent.empty());
  clock_.advance(1ms);
  EXPECT_EQ(next_to(kCarrier, kTrunkAddr).raw(), invite.raw());
  // A provisional stops them.
  deliver(kCarrier, kTrunkAddr, response_to(invite, 100, ""));
  clock_.advance(10s);
  EXPECT_TRUE(transport_.sent.empty());
}

}  // namespace
}  // namespace sbc::cp
