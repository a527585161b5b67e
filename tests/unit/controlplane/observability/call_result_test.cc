// How a call ended: the names written in CDRs and as sbc_calls_total{result}, and the list the
// metrics pre-create.
#include "controlplane/observability/call_result.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace sbc::cp {
namespace {

// Operators' dashboards and CDR consumers match these strings: a rename is a breaking change.
TEST(CallResultTest, NamesAreTheDocumentedOnes) {
  EXPECT_EQ(to_string(CallResult::kAnswered), "answered");
  EXPECT_EQ(to_string(CallResult::kCancelled), "cancelled");
  EXPECT_EQ(to_string(CallResult::kBusy), "busy");
  EXPECT_EQ(to_string(CallResult::kFailed), "failed");
  EXPECT_EQ(to_string(CallResult::kMediaTimeout), "media_timeout");
  EXPECT_EQ(to_string(CallResult::kMaxDuration), "max_duration");
}

TEST(CallResultTest, TheListHoldsEveryResultOnceUnderItsOwnName) {
  std::set<std::string> names;
  for (size_t i = 0; i < kAllCallResults.size(); ++i) {
    // In enum order, with no gap: a value added to the enum but not to the list shows here.
    EXPECT_EQ(static_cast<size_t>(kAllCallResults[i]), i);
    names.emplace(to_string(kAllCallResults[i]));
  }
  EXPECT_EQ(names.size(), kAllCallResults.size());
  EXPECT_EQ(names.count("unknown"), 0u);
  // The value after the last one is not a result.
  EXPECT_EQ(to_string(static_cast<CallResult>(kAllCallResults.size())), "unknown");
}

}  // namespace
}  // namespace sbc::cp
