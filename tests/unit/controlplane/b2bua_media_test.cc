// Media sessions and their clean-up across dataplane outages (b2bua_media.cc).
#include "b2bua_fixture.h"

namespace sbc::cp {
namespace {

using namespace std::chrono_literals;
using namespace testing;

class B2buaMediaTest : public B2buaTest {
 protected:
  void caller_hangs_up(const sip::Message& ok) {
    deliver(kAccess, kCallerAddr, in_dialog("BYE", ok, false, "192.0.2.10", 2));
    dataplane_.flush();
  }
};

TEST_F(B2buaMediaTest, HangupWhileDataplaneDownHoldsPortsUntilTheDeleteOnReconnect) {
  auto [invite, ok] = establish();
  dataplane_.flush();
  ASSERT_EQ(dataplane_.sessions.size(), 1u);
  dataplane_.connected_ = false;
  caller_hangs_up(ok);
  EXPECT_EQ(b2bua_->active_calls(), 0u);
  // The dataplane may still relay on those ports: they are not handed to another call yet.
  EXPECT_EQ(ports_.in_use(0), 1u);
  EXPECT_EQ(ports_.in_use(1), 1u);
  EXPECT_EQ(b2bua_->undeleted_sessions(), 1u);
  EXPECT_EQ(cdrs().size(), 1u);  // the CDR does not wait for the dataplane
  dataplane_.connected_ = true;
  b2bua_->on_dataplane_up();
  dataplane_.flush();
  EXPECT_TRUE(dataplane_.sessions.empty());
  EXPECT_EQ(ports_.in_use(0), 0u);
  EXPECT_EQ(ports_.in_use(1), 0u);
  EXPECT_EQ(b2bua_->undeleted_sessions(), 0u);
}

TEST_F(B2buaMediaTest, RefusedDeleteKeepsPortsUntilARetrySucceeds) {
  auto [invite, ok] = establish();
  dataplane_.flush();
  dataplane_.delete_status = api::Status::kInvalid;
  caller_hangs_up(ok);
  EXPECT_EQ(dataplane_.sessions.size(), 1u);
  EXPECT_EQ(ports_.in_use(0), 1u);
  dataplane_.delete_status = api::Status::kOk;
  b2bua_->on_dataplane_up();
  dataplane_.flush();
  EXPECT_TRUE(dataplane_.sessions.empty());
  EXPECT_EQ(ports_.in_use(0), 0u);
  EXPECT_EQ(ports_.in_use(1), 0u);
}

TEST_F(B2buaMediaTest, ReconnectDeletesSessionsNoLiveCallOwns) {
  for (uint64_t id : {5u, 6u, 7u}) {
    api::SessionAdd orphan;
    orphan.session_id = id;
    orphan.legs[0].local_rtp_port = static_cast<uint16_t>(30000 + 2 * id);
    orphan.legs[1].port = 1;
    orphan.legs[1].local_rtp_port = static_cast<uint16_t>(30000 + 2 * id);
    dataplane_.sessions[id] = orphan;
  }
  auto [invite, ok] = establish();
  dataplane_.flush();
  ASSERT_EQ(dataplane_.sessions.size(), 4u);
  const uint64_t live = b2bua_->calls().begin()->first;
  b2bua_->on_dataplane_up();
  dataplane_.flush();
  ASSERT_EQ(dataplane_.sessions.size(), 1u);
  EXPECT_EQ(dataplane_.sessions.begin()->first, live);
  EXPECT_GE(dataplane_.dumps, 2u);  // paged
}

}  // namespace
}  // namespace sbc::cp
