// Media sessions and their clean-up across dataplane outages (call_media.cc).
#include "tests/unit/controlplane/b2bua/b2bua_fixture.h"

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
  // Call `n` (its own Call-ID, tags and branch) up to the caller's ACK.
  void establish_call(int n) {
    InviteParts parts;
    parts.call_id = fmt::format("call-{}@192.0.2.10", n);
    parts.from = fmt::format("<sip:alice@192.0.2.10>;tag=a{}", n);
    parts.branch = fmt::format("z9hG4bK-call-{}", n);
    deliver(kAccess, kCallerAddr, caller_invite(parts));
    ASSERT_EQ(next_to(kAccess, kCallerAddr).status_code(), 100);
    auto invite = next_to(kCarrier, kTrunkAddr);
    deliver(kCarrier, kTrunkAddr,
            response_to(invite, 200, fmt::format("b{}", n), sdp("198.51.100.10", 7000 + 2 * n)));
    dataplane_.flush();
    auto ok = next_to(kAccess, kCallerAddr);
    ASSERT_EQ(ok.status_code(), 200);
    deliver(kAccess, kCallerAddr, in_dialog("ACK", ok, false, "192.0.2.10", 1));
    ASSERT_EQ(next_to(kCarrier, kTrunkAddr).method(), sip::Method::kAck);
  }
};

// A step of the call's setup that fails after admission and the caller side's ports gives both
// back: they are leases, dropped with the call that never started.
TEST_F(B2buaMediaTest, FailedMediaStepGivesBackAdmissionAndPorts) {
  config_.security.limits = {1, 0};  // one call at a time
  make_b2bua();
  std::vector<uint16_t> trunk_ports;
  while (auto port = ports_.allocate(1)) trunk_ports.push_back(*port);
  deliver(kAccess, kCallerAddr, caller_invite());
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 503);
  EXPECT_EQ(ports_.in_use(0), 0u) << "the caller side's pair went back";
  EXPECT_EQ(b2bua_->active_calls(), 0u);
  for (uint16_t port : trunk_ports) ASSERT_TRUE(ports_.release(1, port).has_value());
  deliver(kAccess, kCallerAddr, caller_invite(70, "a-call-2@192.0.2.10"));
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 100) << "the admission count went back";
  EXPECT_EQ(b2bua_->active_calls(), 1u);
}

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
  reconnect();
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
  reconnect();
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
  reconnect();
  dataplane_.flush();
  ASSERT_EQ(dataplane_.sessions.size(), 1u);
  EXPECT_EQ(dataplane_.sessions.begin()->first, live);
  EXPECT_GE(dataplane_.dumps, 2u);  // paged
}

// A restarted dataplane is re-programmed with every live call's session, paced: a client that
// refuses requests as overloaded makes the resync wait and retry, it never tears a call down.
TEST_F(B2buaMediaTest, ResyncUnderOverloadKeepsEveryCall) {
  constexpr int kCalls = 12;
  for (int n = 0; n < kCalls; ++n) establish_call(n);
  ASSERT_EQ(b2bua_->active_calls(), static_cast<size_t>(kCalls));
  ASSERT_EQ(dataplane_.sessions.size(), static_cast<size_t>(kCalls));
  const auto before = dataplane_.sessions;
  dataplane_.sessions.clear();  // kill -9 and restart: an empty table
  dataplane_.max_pending = 1;   // the reconcile's dump holds it: the sessions' batch is refused
  reconnect();
  for (int round = 0; round < 100 && resync_.progress().running; ++round) {
    dataplane_.flush();
    clock_.advance(DataplaneResync::kMaxBackoff);
  }
  EXPECT_FALSE(resync_.progress().running);
  EXPECT_GT(dataplane_.overloaded, 0u);  // the client did push back
  EXPECT_GT(resync_.progress().retried, 0u);
  EXPECT_EQ(resync_.progress().failed, 0u);
  EXPECT_EQ(b2bua_->active_calls(), static_cast<size_t>(kCalls));
  EXPECT_EQ(dataplane_.sessions, before);  // the same sessions, media timeouts included
  EXPECT_TRUE(transport_.sent.empty()) << transport_.sent.front().data;  // no BYE, no 503
}

// A call answered while the dataplane restarts keeps its media: its session is programmed by the
// resync instead of the call being torn down.
TEST_F(B2buaMediaTest, CallAnsweredWhileDataplaneDownIsProgrammedOnReconnect) {
  auto invite = start_call();  // ringing: ports allocated, no session before the answer
  dataplane_.flush();
  dataplane_.connected_ = false;
  deliver(kCarrier, kTrunkAddr, response_to(invite, 200, "btag", sdp("198.51.100.10", 7000)));
  dataplane_.flush();
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 200);
  EXPECT_EQ(b2bua_->active_calls(), 1u);
  dataplane_.connected_ = true;
  reconnect();
  dataplane_.flush();
  ASSERT_EQ(dataplane_.sessions.size(), 1u);
  EXPECT_EQ(dataplane_.sessions.begin()->second.media_timeout_ms, 30000u);  // answered: timed
  EXPECT_EQ(dataplane_.sessions.begin()->second.legs[1].remote_rtp_port, 7000);
  EXPECT_EQ(b2bua_->active_calls(), 1u);
}

// The resync sends what a call is when its turn comes: one that ended meanwhile is skipped.
TEST_F(B2buaMediaTest, CallEndedDuringResyncIsNotReprogrammed) {
  auto [invite, ok] = establish();
  dataplane_.flush();
  dataplane_.sessions.clear();
  resync_.begin();
  b2bua_->on_dataplane_up(resync_);
  caller_hangs_up(ok);  // before the resync sends anything
  resync_.run();
  dataplane_.flush();
  EXPECT_TRUE(dataplane_.sessions.empty());
  EXPECT_EQ(resync_.progress().skipped, 1u);
  EXPECT_EQ(ports_.in_use(0), 0u);
}

// Bans and trusted sources are pushed after the flush, paced after the sessions, each as it is
// when its turn comes: a ban lifted in the meantime pushes nothing.
TEST_F(B2buaMediaTest, SourcesResyncAfterTheFlushFromTheirCurrentState) {
  ASSERT_TRUE(security_->ban("203.0.113.7", std::chrono::seconds(3600)).has_value());
  ASSERT_TRUE(security_->ban("203.0.113.8", std::nullopt).has_value());
  establish();
  dataplane_.flush();
  dataplane_.requests.clear();
  dataplane_.sessions.clear();
  resync_.begin();
  security_->on_dataplane_up(resync_);
  b2bua_->on_dataplane_up(resync_);
  ASSERT_TRUE(security_->unban("203.0.113.8").has_value());
  resync_.run();
  dataplane_.flush();
  const auto& sent = dataplane_.requests;
  ASSERT_GE(sent.size(), 3u);
  EXPECT_TRUE(std::holds_alternative<api::MediaPortsSet>(sent[0]));
  EXPECT_TRUE(std::holds_alternative<api::SourceFlush>(sent[1]));
  size_t session_at = SIZE_MAX;
  size_t ban_at = SIZE_MAX;
  for (size_t i = 0; i < sent.size(); ++i) {
    if (std::holds_alternative<api::SessionAdd>(sent[i])) session_at = std::min(session_at, i);
    if (const auto* add = std::get_if<api::SourceAdd>(&sent[i])) {
      EXPECT_NE(add->address, api::Address::parse("203.0.113.8")) << "lifted ban pushed";
      if (add->address == api::Address::parse("203.0.113.7")) {
        EXPECT_EQ(add->cls, api::SourceClass::kBanned);
        EXPECT_GT(add->duration_ms, 3590'000u);
        EXPECT_LE(add->duration_ms, 3600'000u);
        ban_at = i;
      }
    }
  }
  ASSERT_NE(ban_at, SIZE_MAX);
  EXPECT_LT(session_at, ban_at);  // media first
  EXPECT_EQ(dataplane_.sessions.size(), 1u);
  EXPECT_EQ(resync_.progress().skipped, 1u);  // the lifted ban
  EXPECT_EQ(resync_.progress().failed, 0u);
}

}  // namespace
}  // namespace sbc::cp
