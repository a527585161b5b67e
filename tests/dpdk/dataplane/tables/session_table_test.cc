#include "dataplane/tables/session_table.h"

#include "tests/dpdk/test_lab.h"

namespace sbc::dp::test {
namespace {

class SessionTableTest : public DataplaneTest {
 protected:
  static constexpr uint32_t kCapacity = 16;
  uint32_t max_sessions() const override { return kCapacity; }
  api::SessionAdd numbered(uint64_t id) const {
    return session(id, static_cast<uint16_t>(20000 + 2 * id),
                   static_cast<uint16_t>(30000 + 2 * id));
  }
  // Session ids whose media-timeout event was offered; `accept` says whether it was delivered.
  std::vector<uint64_t> timeouts(bool accept = true) {
    std::vector<uint64_t> ids;
    service_->scan_media_timeouts(now_, [&](const api::MediaTimeoutEvent& e) {
      ids.push_back(e.session_id);
      EXPECT_GE(e.idle_ms, 1000u);
      return accept;
    });
    return ids;
  }
};

TEST_F(SessionTableTest, FullExactlyAtCapacityAndFreeRightAfterADelete) {
  for (uint64_t id = 1; id <= kCapacity; ++id) {
    ASSERT_EQ(add(numbered(id)).status, api::Status::kOk) << id;
  }
  const api::Result full = add(numbered(kCapacity + 1));
  EXPECT_EQ(full.status, api::Status::kNoResources);
  EXPECT_FALSE(full.detail.empty());
  // An upsert of an existing session still works when full.
  EXPECT_EQ(add(numbered(2)).status, api::Status::kOk);
  // The deleted session's key slots are still in their grace period (no poll yet): the spare
  // room must take the new session anyway.
  ASSERT_EQ(service_->session_delete({1}).status, api::Status::kOk);
  EXPECT_EQ(add(numbered(kCapacity + 1)).status, api::Status::kOk);
  EXPECT_EQ(table_->size(), kCapacity);
  EXPECT_EQ(add(numbered(kCapacity + 2)).status, api::Status::kNoResources);
}

TEST_F(SessionTableTest, RetiredRecordsWaitForEveryWorkersQuiescentState) {
  ASSERT_EQ(add(numbered(1)).status, api::Status::kOk);
  ASSERT_EQ(service_->session_delete({1}).status, api::Status::kOk);
  EXPECT_EQ(table_->reclaim(), 1u);  // the worker may still hold it: not freed
  EXPECT_EQ(table_->reclaim(), 1u);
  poll();  // the worker's quiescent state ends the grace period
  EXPECT_EQ(table_->reclaim(), 0u);
  // An upsert retires the replaced config the same way.
  ASSERT_EQ(add(numbered(2)).status, api::Status::kOk);
  ASSERT_EQ(add(numbered(2)).status, api::Status::kOk);
  EXPECT_EQ(table_->reclaim(), 1u);
  poll();
  EXPECT_EQ(table_->reclaim(), 0u);
}

TEST_F(SessionTableTest, RejectsBadFields) {
  api::SessionAdd s = session(1);
  s.session_id = 0;
  EXPECT_EQ(add(s).status, api::Status::kInvalid);

  s = session(1);
  s.legs[1].port = 7;
  EXPECT_EQ(add(s).status, api::Status::kInvalid);

  s = session(1);
  s.legs[0].local = api::Address::ipv4(ip(192, 0, 2, 2));  // not the port's address
  EXPECT_EQ(add(s).status, api::Status::kInvalid);

  s = session(1);
  s.legs[0].local = api::Address::ipv4(trunk_ip());  // another port's address
  EXPECT_EQ(add(s).status, api::Status::kInvalid);

  s = session(1, 20001);  // odd RTP port
  EXPECT_EQ(add(s).status, api::Status::kInvalid);

  s = session(1);
  s.legs[1].remote = {};  // a port without an address
  EXPECT_EQ(add(s).status, api::Status::kInvalid);

  s = session(1);
  s.legs[1].port = kAccess;
  s.legs[1].local = api::Address::ipv4(access_ip());
  s.legs[1].local_rtp_port = 20000;  // same key as leg 0
  EXPECT_EQ(add(s).status, api::Status::kInvalid);

  EXPECT_EQ(table_->size(), 0u);
}

TEST_F(SessionTableTest, RejectsIpv6AsUnsupported) {
  api::SessionAdd s = session(1);
  s.legs[0].remote = api::Address::parse("2001:db8::1");
  ASSERT_EQ(s.legs[0].remote.family, api::AddressFamily::kIpv6);
  EXPECT_EQ(add(s).status, api::Status::kUnsupported);
  s = session(1);
  s.legs[1].local = api::Address::parse("2001:db8::2");
  EXPECT_EQ(add(s).status, api::Status::kUnsupported);
}

TEST_F(SessionTableTest, LocalPortsAreExclusiveAndImmutable) {
  ASSERT_EQ(add(session(1, 20000, 30000)).status, api::Status::kOk);
  EXPECT_EQ(add(session(2, 20000, 30002)).status, api::Status::kConflict);  // 20000 taken
  EXPECT_EQ(add(session(1, 20002, 30000)).status, api::Status::kConflict);  // cannot move
  EXPECT_EQ(table_->size(), 1u);
  // The failed attempts left nothing behind: the other ports are free.
  EXPECT_EQ(add(session(2, 20002, 30002)).status, api::Status::kOk);
}

TEST_F(SessionTableTest, DumpPagesInIdOrder) {
  for (uint64_t id : {5, 1, 3}) {
    ASSERT_EQ(add(session(id, static_cast<uint16_t>(20000 + 2 * id),
                          static_cast<uint16_t>(30000 + 2 * id)))
                  .status,
              api::Status::kOk);
  }
  api::DumpReply page = service_->dump({0, 2}, now_);
  ASSERT_EQ(page.sessions.size(), 2u);
  EXPECT_EQ(page.sessions[0].spec.session_id, 1u);
  EXPECT_EQ(page.sessions[1].spec.session_id, 3u);
  EXPECT_EQ(page.sessions[0].spec, session(1, 20002, 30002));
  ASSERT_NE(page.next_cursor, 0u);
  page = service_->dump({page.next_cursor, 2}, now_);
  ASSERT_EQ(page.sessions.size(), 1u);
  EXPECT_EQ(page.sessions[0].spec.session_id, 5u);
  EXPECT_EQ(page.next_cursor, 0u);
}

TEST_F(SessionTableTest, MediaTimeoutFiresOncePerSilentSession) {
  api::SessionAdd quiet = session(1, 20000, 30000);
  quiet.media_timeout_ms = 1000;
  api::SessionAdd never = session(2, 20002, 30002);
  never.media_timeout_ms = 0;  // no event wanted
  ASSERT_EQ(add(quiet).status, api::Status::kOk);
  ASSERT_EQ(add(never).status, api::Status::kOk);
  advance_ms(999);
  EXPECT_TRUE(timeouts().empty());
  advance_ms(2);
  EXPECT_EQ(timeouts(), std::vector<uint64_t>{1});
  advance_ms(5000);
  EXPECT_TRUE(timeouts().empty());  // once
}

TEST_F(SessionTableTest, UndeliveredMediaTimeoutIsOfferedAgain) {
  api::SessionAdd quiet = session(1, 20000, 30000);
  quiet.media_timeout_ms = 1000;
  ASSERT_EQ(add(quiet).status, api::Status::kOk);
  advance_ms(1500);
  EXPECT_EQ(timeouts(/*accept=*/false), std::vector<uint64_t>{1});  // no client got it
  advance_ms(1000);
  EXPECT_EQ(timeouts(), std::vector<uint64_t>{1});
  advance_ms(1000);
  EXPECT_TRUE(timeouts().empty());
}

TEST_F(SessionTableTest, UpsertRearmsTheMediaTimeout) {
  api::SessionAdd quiet = session(1, 20000, 30000);
  quiet.media_timeout_ms = 1000;
  ASSERT_EQ(add(quiet).status, api::Status::kOk);
  advance_ms(1500);
  ASSERT_EQ(timeouts(), std::vector<uint64_t>{1});
  quiet.legs[1].remote_rtp_port = 50100;  // re-INVITE: the call goes on, media may resume
  ASSERT_EQ(add(quiet).status, api::Status::kOk);
  EXPECT_TRUE(timeouts().empty());  // baseline is the upsert, not the creation
  advance_ms(999);
  EXPECT_TRUE(timeouts().empty());
  advance_ms(2);
  EXPECT_EQ(timeouts(), std::vector<uint64_t>{1});  // re-armed: reported again
}

TEST_F(SessionTableTest, MediaKeepsTheSessionAlive) {
  learn_peers();
  api::SessionAdd s = session(1);
  s.media_timeout_ms = 1000;
  ASSERT_EQ(add(s).status, api::Status::kOk);
  for (int i = 0; i < 5; ++i) {
    advance_ms(600);
    inject_wire(kAccess, build_udp(from_caller(20000)));
    poll();
    auto out = wire_out(kTrunk);
    ASSERT_EQ(out.size(), 1u);
    free_all(out);
    EXPECT_TRUE(timeouts().empty());
  }
  advance_ms(1001);
  EXPECT_EQ(timeouts().size(), 1u);
}

}  // namespace
}  // namespace sbc::dp::test
