// CallStore: calls and bans survive a close and reopen; a damaged database is an error value.
#include "controlplane/b2bua/call_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "tests/unit/controlplane/b2bua/b2bua_fixture.h"

namespace sbc::cp::testing {
namespace {

const std::vector<std::string> kZones = {"access", "carrier"};

class CallStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           fmt::format("sbcd_store_test_{}_{}", ::getpid(),
                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "state.db").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<CallStore> open() {
    auto store = CallStore::open(path_);
    EXPECT_TRUE(store.has_value()) << store.error();
    return store ? std::move(*store) : nullptr;
  }

  std::filesystem::path dir_;
  std::string path_;
};

Call sample_call(uint64_t id) {
  Call call;
  call.id = id;
  call.media = MediaSession(id);
  call.state = CallState::kConfirmed;
  call.account = "alice";
  call.start_time = std::chrono::system_clock::time_point(std::chrono::milliseconds(1700000000123));
  call.answer_time = call.start_time + std::chrono::seconds(3);
  call.final_status = 200;
  call.caller_invite = parse(caller_invite());
  call.caller_invite_branch = "z9hG4bK-a-1";
  call.callee_invite_uri = "sip:callee@198.51.100.10";
  call.callee_invite_branch = "z9hG4bK-b-1";
  call.callee_invite_cseq = 1;
  call.callee_ack = "ACK sip:callee@198.51.100.10 SIP/2.0\r\n\r\n";
  call.admission.emplace(AdmissionTicket{"carrier1", "alice"});
  for (Side side : {kCaller, kCallee}) {
    Leg& leg = call.legs[side];
    MediaLeg& media = call.media.leg(side);
    leg.peer.zone = side;
    leg.peer.transport = side == 0 ? Transport::kUdp : Transport::kTcp;
    if (side == 1) leg.peer.server_name = "sip.carrier.example";
    leg.peer.remote = side == 0 ? kCallerAddr : kTrunkAddr;
    leg.peer.local =
        Endpoint(boost::asio::ip::make_address(side == 0 ? "192.0.2.1" : "198.51.100.1"), 5060);
    leg.peer.connection = 42;
    leg.sips = side == 1;
    leg.call_id = fmt::format("call-{}-{}", id, side);
    leg.local_tag = fmt::format("lt{}", side);
    leg.remote_tag = fmt::format("rt{}", side);
    leg.local_party = "<sip:a@example.com>";
    leg.remote_party = "\"B\" <sip:b@example.com>";
    leg.remote_target = "sip:b@198.51.100.10:5060;transport=tcp";
    leg.route_set = {"<sip:p1;lr>", "<sip:p2;lr>"};
    leg.local_cseq = 7 + static_cast<uint32_t>(side);
    leg.user = side == 0 ? "alice" : "15551234";
    leg.signalling_source = leg.peer.remote;
    media.sdp_version = 3;
    media.dataplane_port = static_cast<uint8_t>(side);
    media.local = api::Address::parse(side == 0 ? "192.0.2.1" : "198.51.100.1");
    media.local_port = static_cast<uint16_t>(20000 + 2 * side);
    media.remote = api::Address::parse(side == 0 ? "192.0.2.10" : "198.51.100.10");
    media.remote_port = 6000;
    media.remote_rtcp_port = side == 0 ? 6001 : 0;
  }
  call.dialog[kCaller] = {.session_expires_s = 600,
                          .min_se_s = 120,
                          .rel100 = Rel100::kRequired,
                          .refer = ReferPolicy::kRefuse};
  call.session_timers[kCaller].interval_s = 600;
  call.session_timers[kCallee].interval_s = 1800;
  call.session_timers[kCallee].we_refresh = true;
  call.refer_subscriptions.add(kCallee, 3, 12);  // the callee's REFER CSeq 3, ours 12
  return call;
}

TEST_F(CallStoreTest, CallRoundTripsThroughReopen) {
  const Call original = sample_call(77);
  {
    auto store = open();
    ASSERT_TRUE(store);
    EXPECT_TRUE(store->save_call(original, kZones));
    EXPECT_TRUE(store->holds(77));
  }
  auto store = open();
  ASSERT_TRUE(store);
  auto loaded = store->load_calls(kZones);
  ASSERT_TRUE(loaded.has_value()) << loaded.error();
  ASSERT_EQ(loaded->live.size(), 1u);
  EXPECT_TRUE(loaded->ended.empty());
  EXPECT_TRUE(loaded->dropped.empty());
  EXPECT_TRUE(store->holds(77));
  const Call& c = loaded->live[0];
  EXPECT_EQ(c.id, 77u);
  EXPECT_EQ(c.account, "alice");
  EXPECT_EQ(c.start_time, original.start_time);
  EXPECT_EQ(c.answer_time, original.answer_time);
  EXPECT_EQ(c.final_status, 200);
  ASSERT_TRUE(c.caller_invite.has_value());
  EXPECT_EQ(c.caller_invite->raw(), original.caller_invite->raw());
  EXPECT_EQ(c.caller_invite_branch, original.caller_invite_branch);
  EXPECT_EQ(c.callee_ack, original.callee_ack);
  ASSERT_TRUE(c.admission.has_value());
  EXPECT_EQ(c.admission->ticket().trunk, "carrier1");
  EXPECT_EQ(c.admission->ticket().user, "alice");
  EXPECT_EQ(c.media.id(), 77u);
  for (Side side : {kCaller, kCallee}) {
    const Leg& a = c.legs[side];
    const Leg& b = original.legs[side];
    const MediaLeg& am = c.media.leg(side);
    const MediaLeg& bm = original.media.leg(side);
    EXPECT_EQ(a.peer.zone, b.peer.zone);
    EXPECT_EQ(a.peer.server_name, b.peer.server_name);
    EXPECT_EQ(a.peer.transport, b.peer.transport);
    EXPECT_EQ(a.peer.remote, b.peer.remote);
    EXPECT_EQ(a.peer.local, b.peer.local);
    EXPECT_EQ(a.peer.connection, 0u) << "connections do not survive a restart";
    EXPECT_EQ(a.sips, b.sips);
    EXPECT_EQ(a.call_id, b.call_id);
    EXPECT_EQ(a.local_tag, b.local_tag);
    EXPECT_EQ(a.remote_tag, b.remote_tag);
    EXPECT_EQ(a.local_party, b.local_party);
    EXPECT_EQ(a.remote_party, b.remote_party);
    EXPECT_EQ(a.remote_target, b.remote_target);
    EXPECT_EQ(a.route_set, b.route_set);
    EXPECT_EQ(a.local_cseq, b.local_cseq);
    EXPECT_EQ(a.user, b.user);
    EXPECT_EQ(a.signalling_source, b.signalling_source);
    EXPECT_EQ(am.sdp_version, bm.sdp_version);
    EXPECT_EQ(am.dataplane_port, bm.dataplane_port);
    EXPECT_EQ(am.local, bm.local);
    EXPECT_EQ(am.local_port, bm.local_port);
    EXPECT_EQ(am.remote, bm.remote);
    EXPECT_EQ(am.remote_port, bm.remote_port);
    EXPECT_EQ(am.remote_rtcp_port, bm.remote_rtcp_port);
    EXPECT_EQ(c.dialog[side], original.dialog[side]);
    EXPECT_EQ(c.session_timers[side].interval_s, original.session_timers[side].interval_s);
    EXPECT_EQ(c.session_timers[side].we_refresh, original.session_timers[side].we_refresh);
  }
  // A transfer in progress: the transferee's NOTIFY still names the transferor's REFER.
  EXPECT_EQ(c.refer_subscriptions.refers(), original.refer_subscriptions.refers());
  EXPECT_EQ(c.refer_subscriptions.map_event(kCaller, sip::Method::kNotify, "refer;id=12"),
            "refer;id=3");
}

// The callee's answer travels with the call parsed; the store keeps its text and parses it again
// once on load (a store without it loads a call without it).
TEST_F(CallStoreTest, CalleeAnswerRoundTripsParsed) {
  Call original = sample_call(78);
  auto answer = SdpBody::parse(sdp("198.51.100.10", 7000, 4));
  ASSERT_TRUE(answer.has_value());
  original.callee_answer = *answer;
  Call without = sample_call(79);
  {
    auto store = open();
    ASSERT_TRUE(store);
    EXPECT_TRUE(store->save_call(original, kZones));
    EXPECT_TRUE(store->save_call(without, kZones));
  }
  auto store = open();
  ASSERT_TRUE(store);
  auto loaded = store->load_calls(kZones);
  ASSERT_TRUE(loaded.has_value()) << loaded.error();
  ASSERT_EQ(loaded->live.size(), 2u);
  for (const Call& c : loaded->live) {
    if (c.id == 79) {
      EXPECT_FALSE(c.callee_answer.has_value());
      continue;
    }
    ASSERT_TRUE(c.callee_answer.has_value());
    EXPECT_EQ(c.callee_answer->text(), answer->text());
    EXPECT_EQ(c.callee_answer->origin(), answer->origin());
    ASSERT_TRUE(c.callee_answer->description().connection.has_value());
    EXPECT_EQ(c.callee_answer->description().connection->address, "198.51.100.10");
  }
}

TEST_F(CallStoreTest, ZonesAreMatchedByName) {
  {
    auto store = open();
    ASSERT_TRUE(store->save_call(sample_call(1), kZones));
  }
  auto store = open();
  // A config that gained a zone sorted first: indices move, names do not.
  auto loaded = store->load_calls({"aaa", "access", "carrier"});
  ASSERT_TRUE(loaded.has_value());
  ASSERT_EQ(loaded->live.size(), 1u);
  EXPECT_EQ(loaded->live[0].legs[kCaller].peer.zone, 1u);
  EXPECT_EQ(loaded->live[0].legs[kCallee].peer.zone, 2u);
}

TEST_F(CallStoreTest, CallOfAZoneNoLongerConfiguredIsDroppedAndDeleted) {
  {
    auto store = open();
    ASSERT_TRUE(store->save_call(sample_call(1), kZones));
  }
  {
    auto store = open();
    auto loaded = store->load_calls({"access"});
    ASSERT_TRUE(loaded.has_value());
    EXPECT_TRUE(loaded->live.empty());
    ASSERT_EQ(loaded->dropped.size(), 1u);
    EXPECT_NE(loaded->dropped[0].second.find("carrier"), std::string::npos)
        << loaded->dropped[0].second;
  }
  auto store = open();
  auto loaded = store->load_calls(kZones);
  ASSERT_TRUE(loaded.has_value());
  EXPECT_TRUE(loaded->live.empty());
}

TEST_F(CallStoreTest, RemovedAndEndedCalls) {
  {
    auto store = open();
    ASSERT_TRUE(store->save_call(sample_call(1), kZones));
    ASSERT_TRUE(store->save_call(sample_call(2), kZones));
    ASSERT_TRUE(store->save_call(sample_call(3), kZones));
    EXPECT_TRUE(store->remove_call(1));
    EXPECT_TRUE(store->mark_ended(2, nlohmann::json{{"call_id", 2}, {"result_code", 200}}));
    EXPECT_TRUE(store->mark_ended(99, nlohmann::json::object())) << "not stored: a no-op";
    EXPECT_FALSE(store->holds(1));
    EXPECT_EQ(store->size(), 2u);
  }
  auto store = open();
  auto loaded = store->load_calls(kZones);
  ASSERT_TRUE(loaded.has_value());
  ASSERT_EQ(loaded->live.size(), 1u);
  EXPECT_EQ(loaded->live[0].id, 3u);
  ASSERT_EQ(loaded->ended.size(), 1u);
  EXPECT_EQ(loaded->ended[0].first, 2u);
  EXPECT_EQ(loaded->ended[0].second["result_code"], 200);
}

TEST_F(CallStoreTest, WritesWithACommitterAreBatchedUntilCommit) {
  auto store = open();
  int asked = 0;
  store->set_committer([&] { ++asked; });
  ASSERT_TRUE(store->save_call(sample_call(1), kZones));
  ASSERT_TRUE(store->save_call(sample_call(2), kZones));
  ASSERT_TRUE(store->save_ban({"203.0.113.5", {}, std::nullopt, "manual", 1}));
  EXPECT_EQ(asked, 1) << "one batch";
  auto reader = open();
  EXPECT_TRUE(reader->load_calls(kZones)->live.empty()) << "not committed yet";
  store->commit();
  EXPECT_EQ(reader->load_calls(kZones)->live.size(), 2u);
  EXPECT_EQ(reader->load_bans()->size(), 1u);
  ASSERT_TRUE(store->remove_call(1));
  EXPECT_EQ(asked, 2) << "a new batch";
  store.reset();  // the destructor commits
  EXPECT_EQ(reader->load_calls(kZones)->live.size(), 1u);
}

TEST_F(CallStoreTest, BansRoundTrip) {
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
  {
    auto store = open();
    StoredBan timed{"203.0.113.5", now, now + std::chrono::seconds(600), "scanner", 2};
    StoredBan forever{"2001:db8::1", now, std::nullopt, "manual", 1};
    StoredBan gone{"203.0.113.6", now, std::nullopt, "manual", 1};
    ASSERT_TRUE(store->save_ban(timed));
    ASSERT_TRUE(store->save_ban(forever));
    ASSERT_TRUE(store->save_ban(gone));
    ASSERT_TRUE(store->remove_ban("203.0.113.6"));
  }
  auto store = open();
  auto bans = store->load_bans();
  ASSERT_TRUE(bans.has_value()) << bans.error();
  ASSERT_EQ(bans->size(), 2u);
  EXPECT_EQ((*bans)[0].source, "2001:db8::1");
  EXPECT_FALSE((*bans)[0].until.has_value());
  EXPECT_EQ((*bans)[1].source, "203.0.113.5");
  EXPECT_EQ((*bans)[1].since, now);
  EXPECT_EQ((*bans)[1].until, now + std::chrono::seconds(600));
  EXPECT_EQ((*bans)[1].reason, "scanner");
  EXPECT_EQ((*bans)[1].level, 2u);
}

TEST_F(CallStoreTest, FileThatIsNotADatabaseIsAnErrorNamingIt) {
  {
    std::ofstream out(path_);
    out << std::string(8192, 'x');
  }
  auto store = CallStore::open(path_);
  ASSERT_FALSE(store.has_value());
  EXPECT_NE(store.error().find(path_), std::string::npos) << store.error();
  EXPECT_NE(store.error().find("state_db"), std::string::npos) << store.error();
}

TEST_F(CallStoreTest, MissingDirectoryIsAnError) {
  auto store = CallStore::open((dir_ / "no" / "such" / "state.db").string());
  ASSERT_FALSE(store.has_value());
  EXPECT_NE(store.error().find("no/such/state.db"), std::string::npos) << store.error();
}

TEST_F(CallStoreTest, OtherSchemaVersionIsRefused) {
  { auto store = open(); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version=99", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto store = CallStore::open(path_);
  ASSERT_FALSE(store.has_value());
  EXPECT_NE(store.error().find("schema version 99"), std::string::npos) << store.error();
}

TEST_F(CallStoreTest, UnreadableRowsAreDroppedNotFatal) {
  {
    auto store = open();
    ASSERT_TRUE(store->save_call(sample_call(5), kZones));
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "INSERT INTO calls(id, ended, document) VALUES(6, 0, '{not json');"
                         "INSERT INTO calls(id, ended, document) VALUES(7, 0, '{\"id\": 7}');",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto store = open();
  auto loaded = store->load_calls(kZones);
  ASSERT_TRUE(loaded.has_value()) << loaded.error();
  ASSERT_EQ(loaded->live.size(), 1u);
  EXPECT_EQ(loaded->live[0].id, 5u);
  ASSERT_EQ(loaded->dropped.size(), 2u);
  EXPECT_EQ(store->size(), 1u);
}

}  // namespace
}  // namespace sbc::cp::testing
