// The B2BUA across an sbcd restart: established calls kept in the CallStore are adopted by the
// next B2BUA (same dataplane), BYEs are relayed both ways, max_call_duration counts from the
// original answer, each CDR is written once.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "controlplane/b2bua/call_cdr.h"
#include "controlplane/b2bua/call_store.h"
#include "controlplane/sip/sdp_crypto.h"
#include "tests/unit/controlplane/b2bua/b2bua_fixture.h"

namespace sbc::cp::testing {
namespace {

class B2buaPersistTest : public B2buaTest {
 protected:
  void SetUp() override {
    B2buaTest::SetUp();
    db_path_ = std::filesystem::temp_directory_path() /
               fmt::format("sbcd_persist_test_{}_{}.db", ::getpid(),
                           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    remove_db();
    open_store();
    b2bua_->set_store(store_.get());
  }
  void TearDown() override {
    B2buaTest::TearDown();
    store_.reset();
    remove_db();
  }
  void remove_db() {
    for (const char* suffix : {"", "-wal", "-shm"}) {
      std::filesystem::remove(db_path_.string() + suffix);
    }
  }
  void open_store() {
    auto store = CallStore::open(db_path_.string());
    ASSERT_TRUE(store.has_value()) << store.error();
    store_ = std::move(*store);
  }
  // sbcd dies (nothing it still had queued is sent) and a new one starts on the same dataplane,
  // which kept its sessions.
  void restart() {
    dataplane_.flush();
    b2bua_.reset();
    store_.reset();
    ports_ = MediaPortAllocator(20000, 20099);
    transport_.sent.clear();
    dataplane_.requests.clear();
    open_store();
    make_b2bua();
    b2bua_->set_store(store_.get());
    auto restored = b2bua_->restore_calls();
    ASSERT_TRUE(restored.has_value()) << restored.error();
    restored_ = *restored;
    reconnect();
    dataplane_.flush();
  }
  // sbcd hung up both ways: exactly its two BYEs were sent, each gets 200. The CDRs after.
  std::vector<nlohmann::json> answer_byes() {
    std::vector<sip::Message> byes;
    while (!transport_.sent.empty()) byes.push_back(parse(next().data));
    EXPECT_EQ(byes.size(), 2u);
    for (const auto& bye : byes) {
      EXPECT_EQ(bye.method(), sip::Method::kBye);
      const bool callee = bye.to()->tag() == "btag";
      deliver(callee ? kCarrier : kAccess, callee ? kTrunkAddr : kCallerAddr,
              response_to(bye, 200, ""));
    }
    dataplane_.flush();
    return cdrs();
  }
  std::shared_ptr<Call> only_call() {
    EXPECT_EQ(b2bua_->calls().size(), 1u);
    return b2bua_->calls().empty() ? nullptr : b2bua_->calls().begin()->second;
  }

  std::filesystem::path db_path_;
  std::unique_ptr<CallStore> store_;
  RestoredCalls restored_;
};

TEST_F(B2buaPersistTest, ConfirmedCallIsStoredAndCallsInSetupAreNot) {
  auto [invite, ok] = answer();
  EXPECT_EQ(store_->size(), 0u) << "not confirmed yet";
  deliver(kAccess, kCallerAddr, in_dialog("ACK", ok, false, "192.0.2.10", 1));
  EXPECT_EQ(store_->size(), 1u);
  EXPECT_TRUE(store_->holds(only_call()->id));
}

TEST_F(B2buaPersistTest, AdoptedCallKeepsItsSessionAndRelaysCalleeBye) {
  auto [invite, ok] = establish();
  dataplane_.flush();
  const uint64_t id = only_call()->id;
  ASSERT_TRUE(dataplane_.sessions.contains(id));
  const uint16_t caller_port = only_call()->media.leg(kCaller).local_port;

  restart();
  EXPECT_EQ(restored_.adopted, 1u);
  auto call = only_call();
  ASSERT_TRUE(call);
  EXPECT_EQ(call->id, id);
  EXPECT_EQ(call->state, CallState::kConfirmed);
  EXPECT_EQ(b2bua_->active_calls(), 1u);
  EXPECT_TRUE(dataplane_.sessions.contains(id)) << "the reconcile must keep an adopted call";
  EXPECT_TRUE(dataplane_.sent_of<api::SessionDelete>().empty());
  EXPECT_EQ(ports_.in_use(0), 1u) << "its media ports are taken again";
  EXPECT_NE(ports_.allocate(0).value(), caller_port);

  // The callee hangs up: 200 to it, BYE to the caller.
  deliver(kCarrier, kTrunkAddr, in_dialog("BYE", invite, true, "198.51.100.10", 2));
  auto ok_callee = next_to(kCarrier, kTrunkAddr);
  EXPECT_EQ(ok_callee.status_code(), 200);
  auto bye = next_to(kAccess, kCallerAddr);
  ASSERT_EQ(bye.method(), sip::Method::kBye);
  EXPECT_EQ(bye.call_id(), ok.call_id());
  EXPECT_EQ(bye.from()->tag(), ok.to()->tag());
  EXPECT_EQ(bye.to()->tag(), "atag");
  deliver(kAccess, kCallerAddr, response_to(bye, 200, ""));
  dataplane_.flush();
  EXPECT_FALSE(dataplane_.sessions.contains(id));
  auto records = cdrs();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["call_id"], id);
  EXPECT_EQ(records[0]["disposition"], "answered");
  EXPECT_EQ(store_->size(), 0u);
  EXPECT_EQ(b2bua_->active_calls(), 0u);

  // Nothing of it is left for a third sbcd.
  restart();
  EXPECT_EQ(restored_.adopted, 0u);
  EXPECT_EQ(cdrs().size(), 1u);
}

// The bytes of the store's file `suffix` ("", "-wal") right now.
std::string file_bytes(const std::filesystem::path& db, const char* suffix) {
  std::ifstream in(db.string() + suffix, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Every inline key of a body's a=crypto lines: in base64 as written, and decoded.
std::vector<std::string> keys_of(std::string_view body) {
  std::vector<std::string> keys;
  for (size_t at = body.find("a=crypto:"); at != std::string_view::npos;
       at = body.find("a=crypto:", at)) {
    at += 9;
    const std::string_view value = body.substr(at, body.find("\r\n", at) - at);
    auto crypto = sip::parse_crypto(value);
    EXPECT_TRUE(crypto.has_value()) << value;
    if (!crypto) continue;
    const size_t inline_at = value.find("inline:") + 7;
    keys.emplace_back(value.substr(inline_at, value.find_first_of("| ", inline_at) - inline_at));
    const auto bytes = crypto->keys[0].key.bytes();
    keys.emplace_back(bytes.begin(), bytes.end());
  }
  return keys;
}

// SDES keys are never stored: the INVITE and both answers are kept with their a=crypto keys
// masked, in the database file and in its WAL (where the writes land first), and the adopted
// call asks the dataplane to keep the contexts it has (empty keys, the suites negotiated).
TEST_F(B2buaPersistTest, AdoptedSrtpCallKeepsTheDataplanesContextsAndNoKeyIsStored) {
  config_.zones[kAccess].media.profile = MediaProfile::kAsOffered;
  config_.zones[kCarrier].media.profile = MediaProfile::kSrtp;
  make_b2bua();
  b2bua_->set_store(store_.get());
  const std::string caller_key = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNk";
  const std::string callee_key = "MDEyMzQ1Njc4OWFiY2RlZmdoaWprbG1ub3BxcnN0";
  InviteParts parts;
  parts.body =
      "v=0\r\no=user 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n"
      "m=audio 6000 RTP/SAVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
      "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" +
      caller_key + "|2^31\r\n";
  deliver(kAccess, kCallerAddr, caller_invite(parts));
  ASSERT_EQ(next_to(kAccess, kCallerAddr).status_code(), 100);
  auto invite = next_to(kCarrier, kTrunkAddr);
  const std::string callee_body =
      "v=0\r\no=b 2 2 IN IP4 198.51.100.10\r\ns=-\r\nc=IN IP4 198.51.100.10\r\nt=0 0\r\n"
      "m=audio 7000 RTP/SAVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
      "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" +
      callee_key + "\r\n";
  deliver(kCarrier, kTrunkAddr, response_to(invite, 200, "btag", callee_body));
  dataplane_.flush();
  auto ok = next_to(kAccess, kCallerAddr);
  ASSERT_EQ(ok.status_code(), 200);
  deliver(kAccess, kCallerAddr, in_dialog("ACK", ok, false, "192.0.2.10", 1));
  ASSERT_EQ(store_->size(), 1u);
  const uint64_t id = only_call()->id;

  // Every key of the call: the caller's and the callee's, ours toward each.
  std::vector<std::string> keys;
  for (std::string_view body :
       {std::string_view(parts.body), invite.body(), std::string_view(callee_body), ok.body()}) {
    for (std::string& key : keys_of(body)) keys.push_back(std::move(key));
  }
  ASSERT_EQ(keys.size(), 2u * (1 + 4 + 1 + 1)) << "the caller's, our 4 offered, the callee's, ours";
  const auto no_key_in = [&keys](const std::string& bytes, const std::string& what) {
    for (const std::string& key : keys) {
      EXPECT_EQ(bytes.find(key), std::string::npos) << "a key in " << what;
    }
  };
  // Written at the ACK: the WAL holds the call now.
  const std::string wal = file_bytes(db_path_, "-wal");
  EXPECT_NE(wal.find("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:*"), std::string::npos)
      << "the stored INVITE with its a=crypto line, masked";
  no_key_in(wal, "the WAL");
  no_key_in(file_bytes(db_path_, ""), "the database");

  restart();
  ASSERT_EQ(restored_.adopted, 1u);
  no_key_in(file_bytes(db_path_, ""), "the database after the restart");
  no_key_in(file_bytes(db_path_, "-wal"), "the WAL after the restart");
  ASSERT_TRUE(dataplane_.sessions.contains(id));
  const api::SessionAdd& add = dataplane_.sessions.at(id);
  for (const api::LegSpec& leg : add.legs) {
    ASSERT_TRUE(leg.srtp_in.has_value());
    ASSERT_TRUE(leg.srtp_out.has_value());
    EXPECT_EQ(leg.srtp_in->suite, api::SrtpSuite::kAesCm128HmacSha1_80);
    EXPECT_EQ(leg.srtp_out->suite, api::SrtpSuite::kAesCm128HmacSha1_80);
    EXPECT_TRUE(leg.srtp_in->key.empty()) << "keep the dataplane's context";
    EXPECT_TRUE(leg.srtp_out->key.empty());
  }
  // The call goes on: the caller's BYE reaches the callee, the CDR is written.
  deliver(kAccess, kCallerAddr, in_dialog("BYE", ok, false, "192.0.2.10", 2));
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 200);
  auto bye = next_to(kCarrier, kTrunkAddr);
  EXPECT_EQ(bye.method(), sip::Method::kBye);
  deliver(kCarrier, kTrunkAddr, response_to(bye, 200, ""));
  dataplane_.flush();
  auto records = cdrs();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["disposition"], "answered");
  EXPECT_TRUE(records[0]["media_refusal"].is_null());
}

TEST_F(B2buaPersistTest, AdoptedCallRelaysCallerBye) {
  auto [invite, ok] = establish();
  dataplane_.flush();
  const uint64_t id = only_call()->id;
  restart();
  ASSERT_EQ(restored_.adopted, 1u);

  deliver(kAccess, kCallerAddr, in_dialog("BYE", ok, false, "192.0.2.10", 2));
  auto ok_caller = next_to(kAccess, kCallerAddr);
  EXPECT_EQ(ok_caller.status_code(), 200);
  auto bye = next_to(kCarrier, kTrunkAddr);
  ASSERT_EQ(bye.method(), sip::Method::kBye);
  EXPECT_EQ(bye.call_id(), invite.call_id());
  EXPECT_EQ(bye.to()->tag(), "btag");
  EXPECT_EQ(bye.cseq()->number, 2u) << "CSeq continues from the INVITE's";
  deliver(kCarrier, kTrunkAddr, response_to(bye, 200, ""));
  dataplane_.flush();
  EXPECT_FALSE(dataplane_.sessions.contains(id));
  ASSERT_EQ(cdrs().size(), 1u);
  EXPECT_EQ(cdrs()[0]["call_id"], id);
}

// A re-INVITE after the ACK (the callee moved its media and put the caller on hold) is stored
// too: the adopted call relays to the new port, stays on hold (the caller's RTP held back, no
// media timeout) and continues the caller leg's CSeq past the re-INVITE's.
TEST_F(B2buaPersistTest, MidCallChangesAreKeptForTheAdoptingSbcd) {
  auto [invite, ok] = establish();
  const std::string reinvite_text = fmt::format(
      "INVITE sip:sbc@198.51.100.1 SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 198.51.100.10:5060;branch=z9hG4bK-b-reinvite\r\n"
      "Max-Forwards: 70\r\nFrom: {};tag=btag\r\nTo: {}\r\nCall-ID: {}\r\nCSeq: 5 INVITE\r\n"
      "Contact: <sip:callee@198.51.100.10:5060>\r\nContent-Length: 0\r\n\r\n",
      invite.header(sip::HeaderId::kTo), invite.header(sip::HeaderId::kFrom), *invite.call_id());
  deliver(kCarrier, kTrunkAddr,
          with_parts(reinvite_text, "", "application/sdp",
                     sdp("198.51.100.10", 7002, 2) + "a=sendonly\r\n"));
  EXPECT_EQ(next_to(kCarrier, kTrunkAddr).status_code(), 100);
  auto reinvite = next_to(kAccess, kCallerAddr);
  ASSERT_EQ(reinvite.method(), sip::Method::kInvite);
  deliver(kAccess, kCallerAddr,
          response_to(reinvite, 200, "atag", sdp("192.0.2.10", 6000, 2) + "a=recvonly\r\n"));
  EXPECT_EQ(next_to(kAccess, kCallerAddr).method(), sip::Method::kAck);
  auto reinvite_ok = next_to(kCarrier, kTrunkAddr);
  EXPECT_EQ(reinvite_ok.status_code(), 200);
  deliver(kCarrier, kTrunkAddr, in_dialog("ACK", reinvite_ok, false, "198.51.100.10", 5));
  dataplane_.flush();
  const uint64_t id = only_call()->id;
  ASSERT_TRUE(only_call()->media.on_hold());

  restart();
  ASSERT_EQ(restored_.adopted, 1u);
  auto call = only_call();
  ASSERT_TRUE(call);
  EXPECT_EQ(call->media.leg(kCallee).remote_port, 7002);
  EXPECT_TRUE(call->media.on_hold());
  ASSERT_TRUE(dataplane_.sessions.contains(id));
  const api::SessionAdd& add = dataplane_.sessions.at(id);
  EXPECT_FALSE(add.legs[kCaller].forward_rtp) << "the held caller's RTP stays held back";
  EXPECT_TRUE(add.legs[kCallee].forward_rtp);
  EXPECT_EQ(add.media_timeout_ms, 0u) << "no media timeout while on hold";
  // The callee hangs up: the caller's BYE has the CSeq after the re-INVITE's.
  deliver(kCarrier, kTrunkAddr, in_dialog("BYE", invite, true, "198.51.100.10", 6));
  EXPECT_EQ(next_to(kCarrier, kTrunkAddr).status_code(), 200);
  auto bye = next_to(kAccess, kCallerAddr);
  ASSERT_EQ(bye.method(), sip::Method::kBye);
  EXPECT_EQ(bye.cseq()->number, reinvite.cseq()->number + 1);
  deliver(kAccess, kCallerAddr, response_to(bye, 200, ""));
}

TEST_F(B2buaPersistTest, NewCallIdsStayPastAdoptedOnes) {
  establish();
  dataplane_.flush();
  const uint64_t id = only_call()->id;
  restart();
  InviteParts second;
  second.call_id = "a-call-2@192.0.2.10";
  second.branch = "z9hG4bK-a-2";
  second.from = "\"Alice\" <sip:alice@192.0.2.10>;tag=atag2";
  deliver(kAccess, kCallerAddr, caller_invite(second));
  ASSERT_EQ(b2bua_->calls().size(), 2u);
  for (const auto& [other, call] : b2bua_->calls()) {
    if (other != id) {
      EXPECT_GT(other, id);
    }
  }
}

TEST_F(B2buaPersistTest, MaxCallDurationCountsFromTheOriginalAnswer) {
  config_.max_call_duration_s = 60;
  make_b2bua();
  b2bua_->set_store(store_.get());
  establish();
  dataplane_.flush();
  clock_.advance(40s);
  restart();
  ASSERT_EQ(restored_.adopted, 1u);
  clock_.advance(19s);
  EXPECT_TRUE(transport_.sent.empty()) << "60 s are not up yet";
  clock_.advance(1200ms);  // up at 60 s; the BYEs' first retransmission would be at 60.5 s
  auto records = answer_byes();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["disposition"], "max_duration");
  EXPECT_NEAR(records[0]["duration_s"].get<double>(), 60.0, 1.0);
}

// When the last refresh came is lost with the old sbcd: the legs we refresh (here both: neither
// peer takes part in session timers) are refreshed before a peer could end the session had the
// last refresh been just before the restart (900 s later, less its 32 s margin and a second),
// then every half interval again.
TEST_F(B2buaPersistTest, AdoptedCallIsRefreshedBeforeItsPeersCouldExpireIt) {
  establish();
  dataplane_.flush();
  clock_.advance(800s);  // the first refreshes were due at 900 s
  restart();
  ASSERT_EQ(restored_.adopted, 1u);
  clock_.advance(866s);
  EXPECT_TRUE(transport_.sent.empty());
  clock_.advance(1s);
  std::vector<sip::Message> updates;
  while (!transport_.sent.empty()) updates.push_back(parse(next().data));
  ASSERT_EQ(updates.size(), 2u);
  for (const auto& update : updates) {
    EXPECT_EQ(update.method(), sip::Method::kUpdate);
    EXPECT_EQ(update.header(sip::HeaderId::kSessionExpires), "1800;refresher=uac");
    const bool to_caller = update.to()->tag() == "atag";
    deliver(to_caller ? kAccess : kCarrier, to_caller ? kCallerAddr : kTrunkAddr,
            response_to(update, 200, ""));
  }
  clock_.advance(899s);
  EXPECT_TRUE(transport_.sent.empty());
  clock_.advance(1s);
  EXPECT_EQ(parse(next().data).method(), sip::Method::kUpdate);
}

// A callee that refreshes its own leg (refresher=uas in its 2xx) keeps doing so after the restart;
// when it stops, the adopted call ends as the session expires.
TEST_F(B2buaPersistTest, AdoptedCallExpiresWhenTheRefreshingPeerGoesSilent) {
  auto invite = start_call();
  deliver(kCarrier, kTrunkAddr,
          response_to(invite, 200, "btag", sdp("198.51.100.10", 7000),
                      "Require: timer\r\nSession-Expires: 120;refresher=uas\r\n"));
  dataplane_.flush();
  auto ok = next_to(kAccess, kCallerAddr);
  deliver(kAccess, kCallerAddr, in_dialog("ACK", ok, false, "192.0.2.10", 1));
  EXPECT_EQ(next_to(kCarrier, kTrunkAddr).method(), sip::Method::kAck);
  restart();
  ASSERT_EQ(restored_.adopted, 1u);
  // The callee's session ends 120 - 32 s after the adoption without its refresh.
  clock_.advance(87s);
  EXPECT_TRUE(transport_.sent.empty());
  clock_.advance(1200ms);  // up at 88 s; the BYEs' first retransmission would be at 88.5 s
  auto records = answer_byes();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["disposition"], "session_expired");
}

TEST_F(B2buaPersistTest, MediaTimeoutOfAnAdoptedCallHangsUp) {
  establish();
  dataplane_.flush();
  const uint64_t id = only_call()->id;
  restart();
  auto adds = dataplane_.sent_of<api::SessionAdd>();
  ASSERT_EQ(adds.size(), 1u) << "re-programmed on connect";
  EXPECT_EQ(adds[0].media_timeout_ms, 30000u) << "with its media timeout armed";
  b2bua_->on_media_timeout(api::MediaTimeoutEvent{id, 30000});
  std::vector<sip::Message> byes;
  while (!transport_.sent.empty()) byes.push_back(parse(next().data));
  ASSERT_EQ(byes.size(), 2u);
  dataplane_.flush();
  ASSERT_EQ(cdrs().size(), 1u);
  EXPECT_EQ(cdrs()[0]["disposition"], "media_timeout");
}

TEST_F(B2buaPersistTest, SessionMissingFromTheDataplaneIsProgrammedAgain) {
  establish();
  dataplane_.flush();
  const uint64_t id = only_call()->id;
  const api::SessionAdd before = dataplane_.sessions.at(id);
  dataplane_.sessions.clear();  // the dataplane restarted too
  restart();
  ASSERT_TRUE(dataplane_.sessions.contains(id));
  const api::SessionAdd& after = dataplane_.sessions.at(id);
  for (size_t side = 0; side < 2; ++side) {
    EXPECT_EQ(after.legs[side].local_rtp_port, before.legs[side].local_rtp_port);
    EXPECT_EQ(after.legs[side].remote_rtp_port, before.legs[side].remote_rtp_port);
    EXPECT_EQ(after.legs[side].remote, before.legs[side].remote);
    EXPECT_EQ(after.legs[side].signalling_source, before.legs[side].signalling_source);
  }
}

// sbcd died after the call ended, before the CDR was written: the next one writes it.
TEST_F(B2buaPersistTest, CdrOfACallThatEndedJustBeforeTheCrashIsWrittenOnce) {
  auto [invite, ok] = establish();
  dataplane_.flush();
  const uint64_t id = only_call()->id;
  deliver(kAccess, kCallerAddr, in_dialog("BYE", ok, false, "192.0.2.10", 2));
  // The stats query (after which the CDR is written) is still queued when sbcd dies.
  EXPECT_TRUE(cdrs().empty());
  dataplane_.drop_queued();  // the replies died with it
  b2bua_.reset();
  dataplane_.sessions.clear();
  store_.reset();
  ports_ = MediaPortAllocator(20000, 20099);
  open_store();
  make_b2bua();
  b2bua_->set_store(store_.get());
  auto restored = b2bua_->restore_calls();
  ASSERT_TRUE(restored.has_value());
  EXPECT_EQ(restored->adopted, 0u) << "an ended call is not adopted";
  EXPECT_EQ(restored->cdrs_written, 1u);
  auto records = cdrs();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["call_id"], id);
  EXPECT_EQ(store_->size(), 0u);
  restart();
  EXPECT_EQ(cdrs().size(), 1u);
}

// sbcd died after writing the CDR, before deleting the call from the store: not written again.
TEST_F(B2buaPersistTest, CdrAlreadyInTheFileIsNotWrittenAgain) {
  auto [invite, ok] = establish();
  dataplane_.flush();
  const uint64_t id = only_call()->id;
  const nlohmann::json record = make_cdr(*only_call());
  ASSERT_TRUE(store_->mark_ended(id, record));
  cdr_.write(record);  // the crash comes before remove_call()
  restart();
  EXPECT_EQ(restored_.adopted, 0u);
  EXPECT_EQ(restored_.cdrs_written, 0u);
  EXPECT_EQ(cdrs().size(), 1u);
  EXPECT_EQ(store_->size(), 0u);
}

// The store commits in batches: the CDR can reach the file before the call's end reaches the
// store. A call whose CDR is in the file is over: not adopted, not written again.
TEST_F(B2buaPersistTest, LiveRowWhoseCdrIsInTheFileIsNotAdopted) {
  establish();
  dataplane_.flush();
  cdr_.write(make_cdr(*only_call()));
  restart();
  EXPECT_EQ(restored_.adopted, 0u);
  EXPECT_EQ(cdrs().size(), 1u);
  EXPECT_EQ(store_->size(), 0u);
  EXPECT_TRUE(dataplane_.sessions.empty()) << "its session is an orphan now";
}

TEST_F(B2buaPersistTest, BansAndTheirExpirySurviveARestart) {
  security_->set_store(store_.get());
  ASSERT_TRUE(security_->ban("203.0.113.9", std::chrono::seconds(600)).has_value());
  ASSERT_TRUE(security_->ban("203.0.113.10", std::nullopt).has_value());
  ASSERT_TRUE(security_->ban("203.0.113.11", std::chrono::seconds(600)).has_value());
  ASSERT_TRUE(security_->unban("203.0.113.11").has_value());
  clock_.advance(100s);
  restart();
  auto bans = store_->load_bans();
  ASSERT_TRUE(bans.has_value());
  security_->set_store(store_.get());
  EXPECT_EQ(security_->restore_bans(std::move(*bans)), 2u);
  auto listed = security_->bans();
  ASSERT_EQ(listed.size(), 2u);  // by address: .9 before .10
  EXPECT_EQ(listed[0].source.to_string(), "203.0.113.9");
  ASSERT_TRUE(listed[0].until.has_value());
  EXPECT_NEAR(std::chrono::duration<double>(*listed[0].until - clock_.now()).count(), 500.0, 1.0);
  EXPECT_EQ(listed[0].reason, BanReason::kManual);
  EXPECT_EQ(listed[1].source.to_string(), "203.0.113.10");
  EXPECT_FALSE(listed[1].until.has_value());
  // Still dropped at the edge, and pushed to the dataplane on connect.
  EXPECT_FALSE(security_->screen(
      udp_peer(kAccess, Endpoint(boost::asio::ip::make_address("203.0.113.9"), 5060))));
  resync_.begin();
  security_->on_dataplane_up(resync_);
  resync_.run();
  size_t banned = 0;
  for (const auto& add : dataplane_.sent_of<api::SourceAdd>()) {
    if (add.cls == api::SourceClass::kBanned) ++banned;
  }
  EXPECT_EQ(banned, 2u);
  // The expiry runs on: 500 s later the timed ban is lifted, in the store too.
  clock_.advance(501s);
  EXPECT_EQ(security_->bans().size(), 1u);
  auto left = store_->load_bans();
  ASSERT_TRUE(left.has_value());
  ASSERT_EQ(left->size(), 1u);
  EXPECT_EQ((*left)[0].source, "203.0.113.10");
}

}  // namespace
}  // namespace sbc::cp::testing
