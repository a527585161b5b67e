// CDRs on their own: iso8601() formatting, make_cdr() fields for every kind of call end, and the
// CdrWriter's file (append, reopen, written_call_ids() over the file's tail).
#include "controlplane/cdr.h"

#include <fmt/core.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace sbc::cp {
namespace {

using namespace std::chrono_literals;
using SysTime = std::chrono::system_clock::time_point;

// 2023-11-14T22:13:20Z
constexpr SysTime kStart{std::chrono::seconds(1700000000)};

TEST(Iso8601Test, UtcWithMilliseconds) {
  EXPECT_EQ(iso8601(SysTime{}), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(iso8601(kStart), "2023-11-14T22:13:20.000Z");
  EXPECT_EQ(iso8601(kStart + 123ms), "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(iso8601(kStart + 999999us), "2023-11-14T22:13:20.999Z");  // truncated, not rounded
  EXPECT_EQ(iso8601(SysTime{std::chrono::seconds(951782400)} + 5ms),
            "2000-02-29T00:00:00.005Z");  // a leap day
}

Call answered_call() {
  Call call;
  call.id = 4711;
  call.legs[kCaller].user = "alice";
  call.legs[kCallee].user = "+15550001";
  call.start_time = kStart;
  call.answer_time = kStart + 2500ms;
  call.end_time = kStart + 2500ms + 61234567us;
  call.result = CallResult::kAnswered;
  call.result_code = 200;
  return call;
}

TEST(MakeCdrTest, AnsweredCallWithMedia) {
  Call call = answered_call();
  api::StatsReply stats;
  stats.legs.resize(2);
  stats.legs[kCaller].rtp = {100, 17200, 1, 0, api::Address::parse("192.0.2.10"), 6000};
  stats.legs[kCallee].rtp.packets = 90;
  stats.legs[kCallee].rtcp.packets = 3;
  call.media_stats = stats;
  const nlohmann::json j = make_cdr(call);
  EXPECT_EQ(j["call_id"], 4711u);
  EXPECT_EQ(j["caller"], "alice");
  EXPECT_EQ(j["callee"], "+15550001");
  EXPECT_EQ(j["start_time"], "2023-11-14T22:13:20.000Z");
  EXPECT_EQ(j["answer_time"], "2023-11-14T22:13:22.500Z");
  EXPECT_EQ(j["end_time"], "2023-11-14T22:14:23.734Z");
  EXPECT_EQ(j["result_code"], 200);
  EXPECT_EQ(j["disposition"], "answered");
  EXPECT_DOUBLE_EQ(j["duration_s"].get<double>(), 61.235);  // from the answer, to the ms
  // Leg i's streams are what the SBC received from side i.
  const auto& up = j["media"]["caller_to_callee"];
  EXPECT_EQ(up["rtp"]["packets"], 100u);
  EXPECT_EQ(up["rtp"]["bytes"], 17200u);
  EXPECT_EQ(up["rtp"]["dropped"], 1u);
  EXPECT_EQ(up["rtp"]["latched"], "192.0.2.10:6000");
  EXPECT_TRUE(up["rtcp"]["latched"].is_null());
  EXPECT_EQ(j["media"]["callee_to_caller"]["rtp"]["packets"], 90u);
  EXPECT_EQ(j["media"]["callee_to_caller"]["rtcp"]["packets"], 3u);
}

TEST(MakeCdrTest, UnansweredCallHasNullTimesAndZeroDuration) {
  Call call;
  call.id = 1;
  call.start_time = kStart;
  call.end_time = kStart + 5s;
  call.result = CallResult::kBusy;
  call.result_code = 486;
  nlohmann::json j = make_cdr(call);
  EXPECT_TRUE(j["answer_time"].is_null());
  EXPECT_EQ(j["disposition"], "busy");
  EXPECT_EQ(j["result_code"], 486);
  EXPECT_EQ(j["duration_s"].get<double>(), 0.0);
  EXPECT_TRUE(j["media"].is_null());
  // A call without a recorded result is a failure; without an end, it has no end time.
  call.result.reset();
  call.end_time.reset();
  j = make_cdr(call);
  EXPECT_EQ(j["disposition"], "failed");
  EXPECT_TRUE(j["end_time"].is_null());
  // Media stats of the wrong shape are left out, not half written.
  call.media_stats = api::StatsReply{};
  call.media_stats->legs.resize(1);
  EXPECT_TRUE(make_cdr(call)["media"].is_null());
}

TEST(MakeCdrTest, EveryResultHasItsDisposition) {
  Call call = answered_call();
  for (auto [result, name] : {std::pair{CallResult::kCancelled, "cancelled"},
                              {CallResult::kFailed, "failed"},
                              {CallResult::kMediaTimeout, "media_timeout"},
                              {CallResult::kMaxDuration, "max_duration"}}) {
    call.result = result;
    EXPECT_EQ(make_cdr(call)["disposition"], name);
  }
}

class CdrWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = std::filesystem::temp_directory_path() /
            fmt::format("sbcd_cdr_writer_{}_{}.jsonl", ::getpid(),
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove(path_);
  }
  void TearDown() override { std::filesystem::remove(path_); }
  std::string contents() const {
    std::ifstream in(path_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  std::filesystem::path path_;
};

TEST_F(CdrWriterTest, OpenFailureNamesTheFile) {
  CdrWriter writer;
  const std::string bad = (path_ / "no" / "such" / "dir.jsonl").string();
  auto opened = writer.open(bad);
  ASSERT_FALSE(opened.has_value());
  EXPECT_NE(opened.error().find(bad), std::string::npos);
  EXPECT_NE(opened.error().find("sbcd.cdr_file"), std::string::npos);
  writer.write({{"call_id", 1}});  // not open: nothing happens, nothing throws
  EXPECT_TRUE(writer.written_call_ids().empty());
}

TEST_F(CdrWriterTest, WritesOneLinePerRecordAndAppendsAcrossOpens) {
  {
    CdrWriter writer;
    ASSERT_TRUE(writer.open(path_.string()).has_value());
    writer.write({{"call_id", 1}});
    // Flushed at once: readable before the writer goes away.
    EXPECT_EQ(contents(), "{\"call_id\":1}\n");
  }
  CdrWriter again;
  ASSERT_TRUE(again.open(path_.string()).has_value());
  again.write({{"call_id", 2}, {"caller", "bob"}});
  EXPECT_EQ(contents(), "{\"call_id\":1}\n{\"call_id\":2,\"caller\":\"bob\"}\n");
  EXPECT_EQ(again.written_call_ids(), (std::unordered_set<uint64_t>{1, 2}));
}

TEST_F(CdrWriterTest, WrittenCallIdsSkipsWhatIsNoRecord) {
  {
    std::ofstream out(path_);
    out << "{\"call_id\":10}\n"
        << "not json at all\n"
        << "{\"call_id\":\"11\"}\n"  // a string: not ours
        << "{\"call_id\":-12}\n"     // negative: not ours
        << "[1,2,3]\n"
        << "{\"caller\":\"x\"}\n"
        << "\n"
        << "{\"call_id\":13}\n"
        << "{\"call_id\":14";  // cut short by a crash
  }
  CdrWriter writer;
  ASSERT_TRUE(writer.open(path_.string()).has_value());
  EXPECT_EQ(writer.written_call_ids(), (std::unordered_set<uint64_t>{10, 13}));
}

TEST_F(CdrWriterTest, WrittenCallIdsReadsTheTailOnlyAndSkipsItsPartialFirstLine) {
  CdrWriter writer;
  ASSERT_TRUE(writer.open(path_.string()).has_value());
  for (uint64_t id = 1000; id < 1100; ++id) writer.write({{"call_id", id}});
  // Each line is {"call_id":NNNN}\n: 17 bytes. 40 bytes hold two whole lines and a part of one.
  const auto tail = writer.written_call_ids(40);
  EXPECT_EQ(tail, (std::unordered_set<uint64_t>{1098, 1099}));
  EXPECT_EQ(writer.written_call_ids().size(), 100u);
}

}  // namespace
}  // namespace sbc::cp
