// CallRecords (call_records.cc): a confirmed call kept in the store, its CDR written once, after
// which the store forgets it.
#include "controlplane/b2bua/call_records.h"

#include "controlplane/b2bua/call_store.h"
#include "tests/unit/controlplane/b2bua/b2bua_fixture.h"

namespace sbc::cp {
namespace {

using namespace testing;

Call ended_call(uint64_t id) {
  Call call;
  call.id = id;
  call.state = CallState::kEnded;
  call.final_status = 200;
  call.legs[kCaller].user = "alice";
  call.legs[kCallee].user = "15551234";
  call.legs[kCallee].peer.zone = kCarrier;
  call.result = CallResult::kAnswered;
  call.result_code = 200;
  return call;
}

TEST_F(B2buaTest, RecordsNameTheZonesByIndex) {
  const CallRecords records(config_, &cdr_);
  EXPECT_EQ(records.zone_names(), (std::vector<std::string>{"access", "carrier"}));
}

TEST_F(B2buaTest, CdrWithoutAStoreIsWrittenOnce) {
  CallRecords records(config_, &cdr_);
  records.persist(ended_call(5));  // no store: nothing kept
  records.note_ended(ended_call(5));
  records.write_cdr(ended_call(5));
  const auto written = cdrs();
  ASSERT_EQ(written.size(), 1u);
  EXPECT_EQ(written[0]["call_id"], 5u);
}

TEST_F(B2buaTest, StoredCallIsForgottenOnceItsCdrIsWritten) {
  const std::string path = cdr_path_.string() + ".db";
  std::filesystem::remove(path);
  auto store = CallStore::open(path);
  ASSERT_TRUE(store.has_value()) << store.error();
  CallRecords records(config_, &cdr_);
  records.set_store(store->get());
  records.persist(ended_call(6));
  EXPECT_TRUE((*store)->holds(6));
  records.note_ended(ended_call(6));
  EXPECT_TRUE((*store)->holds(6));  // marked ended with its CDR so far, until the file has it
  EXPECT_TRUE(cdrs().empty());
  records.write_cdr(ended_call(6));
  EXPECT_FALSE((*store)->holds(6));
  EXPECT_EQ(cdrs().size(), 1u);
  store->reset();
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace sbc::cp
