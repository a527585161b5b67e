// The CDR file on its own: iso8601() formatting and CdrWriter (append, reopen, written_call_ids()
// over the file's tail).
#include "controlplane/observability/cdr_writer.h"

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
