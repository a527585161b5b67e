// The session dump's paging: every page once, then the end; a failed page ends it.
#include "controlplane/media/session_dump.h"

#include <gtest/gtest.h>

#include <vector>

#include "tests/unit/controlplane/fakes.h"

namespace sbc::cp {
namespace {

using testing::FakeDataplane;

void add_sessions(FakeDataplane& dataplane, int count) {
  for (int id = 1; id <= count; ++id) {
    api::SessionAdd add;
    add.session_id = static_cast<uint64_t>(id);
    dataplane.sessions[add.session_id] = add;
  }
}

TEST(SessionDumpTest, ReadsEveryPageThenEnds) {
  FakeDataplane dataplane;
  dataplane.check_ports = false;
  add_sessions(dataplane, 5);  // pages of 2: 2, 2, 1
  std::vector<uint64_t> seen;
  int pages = 0;
  std::optional<bool> ended;
  dump_sessions(
      dataplane,
      [&](const api::DumpReply& page) {
        ++pages;
        for (const auto& s : page.sessions) seen.push_back(s.spec.session_id);
      },
      [&](bool complete) { ended = complete; });
  EXPECT_EQ(pages, 0);  // never from inside the call
  dataplane.flush();
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(dataplane.dumps, 3u);
  EXPECT_EQ(seen, (std::vector<uint64_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(ended, true);
}

TEST(SessionDumpTest, AFailedPageEndsIncomplete) {
  FakeDataplane dataplane;
  add_sessions(dataplane, 3);
  int pages = 0;
  std::optional<bool> ended;
  dump_sessions(
      dataplane, [&](const api::DumpReply&) { ++pages; }, [&](bool complete) { ended = complete; });
  dataplane.flush(1);  // the first page
  dataplane.time_out = 1;
  dataplane.flush();
  EXPECT_EQ(pages, 1);
  EXPECT_EQ(ended, false);
}

TEST(SessionDumpTest, EmptyTableIsOnePage) {
  FakeDataplane dataplane;
  int pages = 0;
  bool ended = false;
  dump_sessions(
      dataplane,
      [&](const api::DumpReply& page) {
        ++pages;
        EXPECT_TRUE(page.sessions.empty());
      },
      [&](bool complete) { ended = complete; });
  dataplane.flush();
  EXPECT_EQ(pages, 1);
  EXPECT_TRUE(ended);
}

}  // namespace
}  // namespace sbc::cp
